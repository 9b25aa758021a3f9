"""Search at scale: 1,000,000 generated posts (Chinese, English, mixed) in the PostgreSQL backend.

    python -m bench.search_bench [--docs 1000000] [--queries 400] [--baseline-queries 30] [--fresh]
                                 [--reference GIT_REV]

Measures, in one run and on the same data:
- our search (PostgresSearchBackend.search: ranked page, facets and count, typo fallback) — p50/p95/p99;
- a naive baseline: every query word as ``title ILIKE '%w%' OR body ILIKE '%w%'``, newest first;
- nDCG@10 and MRR of both on the relevance set in tests/data, whose documents are mixed into the corpus;
- with ``--reference REV``, the search backend as it was at git revision REV, on the same queries in the same
  run (each query asked of both in turn, the order alternating), so that a change is measured against what it
  replaces under the same load.
The corpus is generated once into its own database (BENCH_SEARCH_DATABASE_URL) and kept for later runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from community.config import PROJECT_ROOT
from community.db import upgrade_schema
from community.pgcluster import connect, create_database_if_missing
from community.search.backends.postgres import PostgresSearchBackend
from community.search.evaluation import load_relevance_set, ndcg_at, reciprocal_rank
from community.search.models import INDEXED_COLUMNS
from community.search.schemas import SearchQuery
from community.search.text import ensure_jieba, query_terms, tsvector_literal
from community.vocabulary import DISTRICTS, DOMAINS

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community_bench_search"
RELEVANCE_FILE = PROJECT_ROOT / "tests" / "data" / "search_relevance.json"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

TOPICS_ZH = [
    "大模型",
    "智能体",
    "知识库",
    "向量数据库",
    "微调",
    "推理加速",
    "提示词",
    "多模态",
    "语音识别",
    "图像分割",
    "工业质检",
    "政务热线",
    "病历结构化",
    "物流调度",
    "算力券",
    "一人公司",
    "开源模型",
    "代码生成",
    "单元测试",
    "数据标注",
    "模型评测",
    "边缘部署",
    "私有化部署",
    "检索增强",
    "工作流编排",
    "客服机器人",
    "合同审查",
    "财务报表",
    "知识图谱",
    "时序预测",
    "能耗优化",
    "交通流量",
    "气象预报",
    "药物筛选",
    "网络安全",
    "漏洞扫描",
]
VERBS_ZH = [
    "部署",
    "优化",
    "落地",
    "对比",
    "选型",
    "踩坑",
    "复盘",
    "入门",
    "实战",
    "调试",
    "压测",
    "上线",
    "评估",
]
FILLER_ZH = [
    "我们在光谷的项目里",
    "最近给一家制造企业",
    "这周末花了两天",
    "从零开始",
    "记录一下",
    "分享一个经验",
    "团队只有一个人",
    "客户要求三天交付",
    "预算有限的情况下",
    "在东湖高新区",
    "第一次尝试",
    "上线之后发现",
]
PRODUCTS = [
    "LangChain",
    "LlamaIndex",
    "vLLM",
    "Ollama",
    "Dify",
    "AutoGen",
    "CrewAI",
    "Qwen2.5",
    "DeepSeek-V3",
    "ChatGLM",
    "Llama-3",
    "Milvus",
    "Qdrant",
    "pgvector",
    "FastAPI",
    "Docker",
    "Kubernetes",
    "PyTorch",
    "ONNX",
    "TensorRT",
]
WORDS_EN = [
    "deployment",
    "latency",
    "throughput",
    "agent",
    "retrieval",
    "embedding",
    "benchmark",
    "pipeline",
    "prompt",
    "evaluation",
    "quantization",
    "inference",
    "workflow",
    "dataset",
    "fine-tuning",
    "serving",
    "cache",
    "GPU",
]


ENGLISH = (
    PRODUCTS
    + WORDS_EN
    + [
        "api",
        "sdk",
        "gateway",
        "token",
        "context",
        "memory",
        "planner",
        "tool",
        "function",
        "schema",
        "json",
        "rerank",
        "chunking",
        "tokenizer",
        "lora",
        "qlora",
        "rlhf",
        "dpo",
        "distillation",
        "sharding",
        "batching",
        "stream",
        "webhook",
        "crawler",
        "ocr",
        "asr",
        "tts",
        "diffusion",
        "vision",
        "transformer",
        "attention",
        "kv-cache",
        "flash-attention",
        "mixture-of-experts",
        "moe",
        "gguf",
        "awq",
        "gptq",
        "int4",
        "fp8",
        "cuda",
        "rocm",
        "npu",
        "ascend",
        "kunpeng",
        "openai",
        "claude",
        "gemini",
        "mistral",
        "yi",
        "baichuan",
        "minimax",
        "kimi",
        "glm-4",
        "qwen-vl",
        "sora",
        "whisper",
        "bert",
        "clip",
        "sam",
        "yolo",
        "paddle",
        "mindspore",
    ]
)


def _dictionary() -> tuple[list[str], list[float]]:
    """jieba's own dictionary (about 350,000 words with their corpus frequencies): text drawn from it has the
    long-tailed word frequencies of real Chinese, so that query costs are realistic rather than every query
    word appearing in a tenth of the corpus."""
    import jieba

    words, cumulative, total = [], [], 0.0
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            if len(word) >= 2 and word.isalpha():
                total += float(freq)
                words.append(word)
                cumulative.append(total)
    return words, cumulative


_DICT: tuple[list[str], list[float]] | None = None


def _words(rng: random.Random, k: int) -> list[str]:
    global _DICT
    if _DICT is None:
        _DICT = _dictionary()
    return rng.choices(_DICT[0], cum_weights=_DICT[1], k=k)


def _sentence(rng: random.Random) -> str:
    words = _words(rng, rng.randint(6, 16))
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), f" {rng.choice(ENGLISH)} ")
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(TOPICS_ZH))
    return "".join(words) + rng.choice("，。；！？")


def _title(rng: random.Random) -> str:
    words = _words(rng, rng.randint(2, 5))
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), f" {rng.choice(ENGLISH)} ")
    if rng.random() < 0.3:
        words.append(rng.choice(TOPICS_ZH))
    return "".join(words).strip()


def _generate_chunk(args: tuple[int, int, int]) -> list[tuple[Any, ...]]:
    start, count, seed = args
    ensure_jieba()
    rng = random.Random(seed)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for i in range(start, start + count):
        title = _title(rng)
        body = "".join(_sentence(rng) for _ in range(rng.randint(1, 5)))
        tags = rng.sample(TOPICS_ZH, rng.randint(0, 3))
        rows.append(
            (
                "post",
                f"g{i}",
                title,
                body,
                f"/forum/t/{i}",
                rng.sample(DOMAINS, rng.randint(0, 2)),
                tags,
                rng.choice(DISTRICTS) if rng.random() < 0.5 else None,
                "published",
                "{}",
                base - timedelta(minutes=i),
                tsvector_literal([(title, "A"), (body, "B"), (" ".join(tags), "A")]),
                tsvector_literal([(title, "A"), (" ".join(tags), "A")]),
            )
        )
    return rows


def _relevance_rows() -> list[tuple[Any, ...]]:
    documents, _cases = load_relevance_set(RELEVANCE_FILE)
    base = datetime(2026, 6, 1, tzinfo=UTC)
    return [
        (
            d["type"],
            d["id"],
            d["title"],
            d["body"],
            f"/r/{d['id']}",
            d.get("domains", []),
            d.get("tags", []),
            None,
            "published",
            "{}",
            base,
            tsvector_literal([(d["title"], "A"), (d["body"], "B"), (" ".join(d.get("tags", [])), "A")]),
            tsvector_literal([(d["title"], "A"), (" ".join(d.get("tags", [])), "A")]),
        )
        for d in documents
    ]


COLUMNS = ["doc_type", "doc_id", *INDEXED_COLUMNS]


async def generate(url: str, docs: int, fresh: bool) -> None:
    parsed = make_url(url)
    await create_database_if_missing(
        parsed.host or "127.0.0.1",
        parsed.port or 5432,
        parsed.username or "postgres",
        parsed.password,
        str(parsed.database),
    )
    await asyncio.to_thread(upgrade_schema, url)
    conn = await connect(url)
    try:
        have = await conn.fetchval("SELECT count(*) FROM search_document")
        if have >= docs and not fresh:
            print(f"corpus ready: {have:,} documents", flush=True)
            return
        started = time.perf_counter()
        await conn.execute("TRUNCATE search_document")
        await conn.execute("DROP INDEX IF EXISTS ix_search_document_tsv")
        await conn.execute("DROP INDEX IF EXISTS ix_search_document_title_trgm")
        await conn.execute("DROP INDEX IF EXISTS ix_search_document_title_tsv")
        await conn.execute(
            "CREATE TEMP TABLE staging (doc_type text, doc_id text, title text, body text, url text, "
            "domains text[], tags text[], district text, status text, extra text, published_at timestamptz, "
            "tsv text, title_tsv text)"
        )
        chunk = 20_000
        jobs = [(start, min(chunk, docs - start), start) for start in range(0, docs, chunk)]
        done = 0
        with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
            for rows in pool.imap(_generate_chunk, jobs):
                await conn.copy_records_to_table("staging", records=rows, columns=COLUMNS)
                done += len(rows)
                print(f"  generated {done:,}/{docs:,} ({time.perf_counter() - started:.0f}s)", flush=True)
        await conn.copy_records_to_table("staging", records=_relevance_rows(), columns=COLUMNS)
        await conn.execute(
            "INSERT INTO search_document (doc_type, doc_id, title, body, url, domains, tags, district, status, "
            "extra, published_at, tsv, title_tsv) SELECT doc_type, doc_id, title, body, url, domains, tags, district, "
            "status, extra::jsonb, published_at, tsv::tsvector, title_tsv::tsvector FROM staging"
        )
        print(f"  inserted ({time.perf_counter() - started:.0f}s); building indexes", flush=True)
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)")
        await conn.execute(
            "CREATE INDEX ix_search_document_title_tsv ON search_document USING gin (title_tsv)"
        )
        await conn.execute(
            "CREATE INDEX ix_search_document_title_trgm ON search_document USING gin (title_folded gin_trgm_ops)"
        )
        await conn.execute("VACUUM ANALYZE search_document")
        print(f"corpus of {docs:,} generated in {time.perf_counter() - started:.0f}s", flush=True)
    finally:
        await conn.close()


def _workload(n: int, rng: random.Random) -> Iterator[str]:
    """Queries as people type them: one to three words drawn from the same distribution as the text
    (so common words come up often), product names, and Chinese/English mixes."""
    for _ in range(n):
        kind = rng.random()
        if kind < 0.3:
            yield "".join(_words(rng, 1))
        elif kind < 0.55:
            yield " ".join(_words(rng, 2))
        elif kind < 0.7:
            yield f"{rng.choice(ENGLISH)} {_words(rng, 1)[0]}"
        elif kind < 0.8:
            yield rng.choice(ENGLISH)
        elif kind < 0.9:
            yield f"{rng.choice(TOPICS_ZH)}{rng.choice(VERBS_ZH)}"
        else:
            yield " ".join(_words(rng, 3))


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 3)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "p50_ms": round(pick(0.5), 2),
        "p95_ms": round(pick(0.95), 2),
        "p99_ms": round(pick(0.99), 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "n": len(ordered),
    }


async def _baseline(conn: asyncpg.Connection, q: str) -> list[str]:
    words = [t.text for t in query_terms(q)] or [q]
    clauses = " AND ".join(f"(title ILIKE ${i + 1} OR body ILIKE ${i + 1})" for i in range(len(words)))
    rows = await conn.fetch(
        f"SELECT doc_id FROM search_document WHERE {clauses} ORDER BY published_at DESC LIMIT 20",
        *[f"%{w}%" for w in words],
    )
    return [r["doc_id"] for r in rows]


def _reference_backend(revision: str) -> type[Any]:
    """The PostgreSQL search backend as it was at a git revision (its module loaded under another name)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:community/search/backends/postgres.py"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "reference_postgres_backend.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reference_postgres_backend", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.PostgresSearchBackend  # type: ignore[no-any-return]


async def _relevance(backend: Any, cases: list[Any]) -> dict[str, float]:
    ndcg, mrr = [], []
    for case in cases:
        ranking = [h.doc_id for h in (await backend.search(SearchQuery(q=case.q, per_page=10))).hits]
        ndcg.append(ndcg_at(ranking, case.qrels))
        mrr.append(reciprocal_rank(ranking, case.qrels))
    return {"ndcg@10": round(statistics.fmean(ndcg), 3), "mrr": round(statistics.fmean(mrr), 3)}


async def measure(url: str, n_queries: int, n_baseline: int, reference: str | None = None) -> dict[str, Any]:
    ensure_jieba()
    # As the app does once started (community.app._freeze_after_start): jieba's dictionary, millions of
    # objects living as long as the process, out of the garbage collector's sight. Unfrozen, a full collection
    # walking it paused whichever search triggered it for 100 ms and more, a pause the site does not have.
    gc.collect()
    gc.freeze()
    engine = create_async_engine(url, pool_size=2)
    backend = PostgresSearchBackend(engine)
    others = {reference: _reference_backend(reference)(engine)} if reference else {}
    conn = await connect(url)
    rng = random.Random(7)
    _documents, cases = load_relevance_set(RELEVANCE_FILE)
    workload = list(_workload(n_queries, rng)) + [c.q for c in cases]
    try:
        # The index's term counts, as the outbox worker keeps them (a sample of 50,000 documents, scaled).
        started = time.perf_counter()
        await backend.refresh_statistics()
        statistics_seconds = round(time.perf_counter() - started, 1)
        for q in workload[:30]:  # warm the caches the way a running site has them
            for each in (backend, *others.values()):
                await each.search(SearchQuery(q=q))
        ours: list[float] = []
        theirs: dict[str, list[float]] = {name: [] for name in others}
        for number, q in enumerate(workload):
            turns = [("", backend), *others.items()]
            for name, each in turns if number % 2 == 0 else reversed(turns):
                started = time.perf_counter()
                await each.search(SearchQuery(q=q))
                (theirs[name] if name else ours).append((time.perf_counter() - started) * 1000)
        relevance = await _relevance(backend, cases)
        their_relevance = {name: await _relevance(other, cases) for name, other in others.items()}
        base: list[float] = []
        base_sample = rng.sample(workload, min(n_baseline, len(workload)))
        for q in base_sample:
            started = time.perf_counter()
            await _baseline(conn, q)
            base.append((time.perf_counter() - started) * 1000)
        base_ndcg, base_mrr = [], []
        for case in cases:
            ranking = (await _baseline(conn, case.q))[:10]
            base_ndcg.append(ndcg_at(ranking, case.qrels))
            base_mrr.append(reciprocal_rank(ranking, case.qrels))
        documents = await conn.fetchval("SELECT count(*) FROM search_document")
    finally:
        await conn.close()
        await engine.dispose()
    ours_p, base_p = _percentiles(ours), _percentiles(base)
    compared = {
        f"reference {name}": _percentiles(samples) | their_relevance[name] for name, samples in theirs.items()
    }
    return {
        "documents": documents,
        "term_statistics_seconds": statistics_seconds,
        "search": ours_p | relevance,
        **compared,
        "ilike_baseline": base_p
        | {"ndcg@10": round(statistics.fmean(base_ndcg), 3), "mrr": round(statistics.fmean(base_mrr), 3)},
        "speedup_p50": round(base_p["p50_ms"] / ours_p["p50_ms"], 1),
        "speedup_p95": round(base_p["p95_ms"] / ours_p["p95_ms"], 1),
        "budget": {
            "p95_under_30ms": ours_p["p95_ms"] < 30,
            "at_least_20x_faster": base_p["p50_ms"] / ours_p["p50_ms"] >= 20,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--baseline-queries", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="regenerate the corpus")
    parser.add_argument(
        "--reference", metavar="GIT_REV", help="also measure the search backend as it was at this revision"
    )
    parser.add_argument("--url", default=os.environ.get("BENCH_SEARCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    asyncio.run(generate(args.url, args.docs, args.fresh))
    report = asyncio.run(measure(args.url, args.queries, args.baseline_queries, args.reference))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"search-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
