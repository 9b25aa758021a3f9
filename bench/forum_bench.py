"""The forum at scale: 100,000 topics and 1,000,000 posts, then the forum's pages under load.

    python -m bench.forum_bench [--duration 10] [--fresh] [--no-refs]

Uses the load bench's database (BENCH_DATABASE_URL, default .../community_bench) and its accounts (made by
bench.generate when missing), adds the forum's rows with COPY (about a minute), then measures, like
bench.load and with its machinery, the forum index, a topic page showing 50 replies, two tag pages (a
popular tag and a rare one), the latest-topics API and the Atom feed, next to the minimal
asyncpg-and-Jinja reference page. Budget (issue 4): p95 under 50 ms and at least half the requests per
second of the minimal reference.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import asyncpg

from bench.common import asyncpg_dsn, bench_database_url, checked_url, display_url
from bench.load import (
    Load,
    Result,
    app_server,
    measure_quietly,
    measure_references,
    print_table,
    serve,
    write_json,
    wrk_binary,
)
from community.forum.services.common import DEFAULT_CATEGORIES, slugify
from community.markup import render_markdown

TOPICS = 100_000
POSTS = 1_000_000
BIG_TOPIC_REPLIES = 60
SEED = 4

SUBJECTS = ["LangChain", "vLLM", "Ollama", "Qwen2.5", "DeepSeek-V3", "GLM-4", "BGE-M3", "Dify", "AutoGen",
            "RAGFlow", "Milvus", "pgvector", "LlamaIndex", "CrewAI", "MCP", "FastAPI", "Litestar", "PyTorch"]  # fmt: skip
TITLES = [
    "{s} 部署到单卡显存不够怎么办（{n}）", "How to stream tokens from {s} (case {n})", "{s} 中文 RAG 切分策略讨论 #{n}",
    "{s} 在政务热线知识库中的实践 {n}", "Benchmark: {s} latency on a 4090, run {n}", "{s} 工具调用参数不稳定 {n}",
    "Is {s} production-ready for a one-person company? ({n})", "{s} 许可证能否商用？第 {n} 问",
]  # fmt: skip
BODIES = [
    "用 {s} 跑 14B 模型启动就 OOM，已经把 max_model_len 调小了，还是不行。\n\n```python\nllm = LLM(model=\"qwen\", gpu_memory_utilization=0.9)\n```\n\n有没有人在 24G 显存上跑通过？",
    "We want server-sent events so the browser shows the answer as it is generated. Is there a **simple** way with {s}?",
    "政策文件按 512 字切分后检索经常命中半句话。大家用 {s} 时怎么做中文切分？按段落、按标题，还是语义切分？",
    "把模型放进 lifespan 里只加载一次，然后通过依赖注入复用；{s} 的冷启动主要在 CUDA graph 捕获。",
    "Try lowering the batch size first and pin the model in memory at start-up, so the first request does not pay for loading {s}.",
    "可以用 JSON Schema 约束 {s} 的输出，再加一层校验，失败就带着错误信息让模型重写一次。",
]  # fmt: skip
TAGS = [
    "python",
    "rag",
    "agent",
    "部署",
    "显存",
    "中文",
    "embedding",
    "推理",
    "微调",
    "许可证",
    "政务服务",
    "工业质检",
]


def _html_cache() -> dict[tuple[int, str], tuple[str, str, str]]:
    cache = {}
    for index, body in enumerate(BODIES):
        for subject in SUBJECTS:
            text = body.format(s=subject)
            rendered = render_markdown(text)
            cache[(index, subject)] = (text, rendered.html, rendered.text[:280])
    return cache


async def _fill(url: str, fresh: bool) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if fresh:
            await conn.execute(
                "TRUNCATE forum_topic, forum_post, forum_topic_tag, forum_tag, forum_category, forum_vote, "
                "forum_post_revision, forum_member CASCADE"
            )
        have = int(await conn.fetchval("SELECT count(*) FROM forum_post"))
        if have >= POSTS * 0.9:
            print(f"Forum data already there: {have:,} posts.")
            return await _facts(conn)
        if have:
            raise SystemExit("The bench database holds part of the forum data: run with --fresh.")
        users = [r["id"] for r in await conn.fetch("SELECT id FROM user_account WHERE is_active ORDER BY id")]
        if not users:
            raise SystemExit("No accounts in the bench database: run `python -m bench.generate` first.")
        rng = random.Random(SEED)
        started = datetime.now(UTC)
        print("Generating 100,000 topics and 1,000,000 posts ...", flush=True)
        async with conn.transaction():
            for position, (slug, zh, en, description) in enumerate(DEFAULT_CATEGORIES):
                await conn.execute(
                    "INSERT INTO forum_category (slug, name_zh, name_en, description, position, created_at, updated_at)"
                    " VALUES ($1, $2, $3, $4, $5, now(), now()) ON CONFLICT DO NOTHING",
                    slug, zh, en, description, position,
                )  # fmt: skip
            categories = [
                r["id"] for r in await conn.fetch("SELECT id FROM forum_category ORDER BY position")
            ]
            # 12 common tags with long-tailed use, then 488 rare ones.
            tag_names = TAGS + [f"topic-{i}" for i in range(488)]
            await conn.copy_records_to_table(
                "forum_tag",
                records=[(i + 1, name, 0, started, started) for i, name in enumerate(tag_names)],
                columns=["id", "name", "topic_count", "created_at", "updated_at"],
            )
            cache = _html_cache()
            topics: list[tuple[Any, ...]] = []
            topic_tags: list[tuple[int, int, datetime, datetime]] = []
            replies_of: list[int] = []
            start = started - timedelta(days=720)
            budget = POSTS - TOPICS - BIG_TOPIC_REPLIES
            for topic_id in range(1, TOPICS + 1):
                replies = (
                    BIG_TOPIC_REPLIES if topic_id == TOPICS // 2 else rng.randint(0, 2 * budget // TOPICS + 1)
                )
                replies_of.append(replies)
                subject = rng.choice(SUBJECTS)
                title = rng.choice(TITLES).format(s=subject, n=topic_id)
                created = start + timedelta(seconds=rng.randint(0, 720 * 86400))
                kind = rng.choices(["question", "article", "code", "discussion"], [6, 2, 1, 1])[0]
                excerpt = cache[(rng.randrange(len(BODIES)), subject)][2]
                last = created + timedelta(minutes=replies * rng.randint(1, 600))
                topics.append(
                    (topic_id, rng.choice(categories), rng.choice(users), kind, title, slugify(title), excerpt,
                     rng.randint(-1, 40) if rng.random() < 0.7 else 0, replies, last, created, created)
                )  # fmt: skip
                chosen = {
                    min(int(rng.paretovariate(1.1)) - 1, len(tag_names) - 1) for _ in range(rng.randint(1, 3))
                }
                topic_tags.extend((topic_id, tag + 1, created, created) for tag in chosen)
            await conn.copy_records_to_table(
                "forum_topic",
                records=topics,
                columns=["id", "category_id", "author_id", "kind", "title", "slug", "excerpt", "score",
                         "reply_count", "last_posted_at", "created_at", "updated_at"],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "forum_topic_tag",
                records=topic_tags,
                columns=["topic_id", "tag_id", "created_at", "updated_at"],
            )

            def posts() -> Iterator[tuple[Any, ...]]:
                post_id = 0
                for topic in topics:
                    topic_id, created = topic[0], topic[10]
                    for number in range(1, replies_of[topic_id - 1] + 2):
                        post_id += 1
                        body, html, _text = cache[(rng.randrange(len(BODIES)), rng.choice(SUBJECTS))]
                        at = created + timedelta(minutes=(number - 1) * 37)
                        yield (post_id, topic_id, number, rng.choice(users), body, html,
                               rng.randint(0, 12) if number > 1 else topic[7], at, at)  # fmt: skip

            await conn.copy_records_to_table(
                "forum_post",
                records=posts(),
                columns=["id", "topic_id", "number", "author_id", "body_md", "body_html", "score",
                         "created_at", "updated_at"],
            )  # fmt: skip
            await conn.execute(
                "UPDATE forum_tag t SET topic_count = c.n FROM "
                "(SELECT tag_id, count(*) AS n FROM forum_topic_tag GROUP BY tag_id) c WHERE c.tag_id = t.id"
            )
            for table in ("forum_tag", "forum_topic", "forum_post", "forum_topic_tag"):
                await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        await conn.execute("ANALYZE forum_topic, forum_post, forum_topic_tag, forum_tag, forum_category")
        print(f"... done in {(datetime.now(UTC) - started).total_seconds():.0f} s.", flush=True)
        return await _facts(conn)
    finally:
        await conn.close()


async def _facts(conn: asyncpg.Connection) -> dict[str, Any]:
    big = await conn.fetchrow(
        "SELECT id, slug FROM forum_topic WHERE reply_count >= 50 ORDER BY reply_count DESC, id LIMIT 1"
    )
    popular = await conn.fetchval("SELECT name FROM forum_tag ORDER BY topic_count DESC LIMIT 1")
    rare = await conn.fetchval(
        "SELECT name FROM forum_tag WHERE topic_count BETWEEN 20 AND 200 ORDER BY id LIMIT 1"
    )
    counts = {
        t: int(await conn.fetchval(f"SELECT count(*) FROM {t}"))
        for t in ("forum_topic", "forum_post", "forum_topic_tag", "user_account")
    }
    databases = [r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")]
    return {
        "counts": counts,
        "topic": f"/forum/t/{big['id']}/{big['slug']}",
        "popular_tag": popular,
        "rare_tag": rare,
        "databases": databases,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.forum_bench", description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="generate the forum's rows again")
    parser.add_argument("--refs", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--idle-wait", type=float, default=20.0)
    args = parser.parse_args(argv)
    url = bench_database_url()
    checked_url(url)
    from bench.generate import generate

    generate(url=url)  # the accounts (skipped when there), and the schema at head
    facts = asyncio.run(_fill(url, args.fresh))
    started = datetime.now().astimezone()
    databases = frozenset(facts.pop("databases"))
    load = Load(wrk_binary(), args.duration, args.warmup, args.connections, args.threads, url, databases,
                args.retries, args.idle_wait)  # fmt: skip
    print(f"Bench database {display_url(url)}: {facts['counts']}")
    app = app_server(url)
    results: list[Result] = []
    refs = measure_references(load, url, results) if args.refs else {}
    pages = [
        "/forum", "/forum?page=20", facts["topic"], f"/forum/tags/{facts['popular_tag']}",
        f"/forum/tags/{facts['rare_tag']}", "/forum/c/qa?sort=unanswered", "/api/v1/forum/topics", "/forum/feed",
    ]  # fmt: skip
    # A returning visitor carries the CSRF cookie the site gave them, and so may be served the page
    # rendered for all anonymous visitors (ANONYMOUS_PAGE_CACHE_SECONDS); a first visit never is.
    returning = replace(load, headers=("Cookie: opc_csrf=returning-visitor",))
    with serve(app) as (port, pid):
        for path in pages:
            quoted = quote(path, safe="/?=&")
            print(f"measuring {path} ...", flush=True)
            results.append(measure_quietly(load, f"{path} (first visit)", app.name, port, pid, quoted))
            if not path.startswith("/api/"):
                print(f"measuring {path} for a returning visitor ...", flush=True)
                results.append(
                    measure_quietly(returning, f"{path} (returning visitor)", app.name, port, pid, quoted)
                )
    print_table(results, refs.get("hello"), refs.get("minimal"))
    payload = {
        "bench": "forum",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count()},
        "database": {"url": display_url(url), **facts},
        "references_rps": refs,
        "results": [
            {"path": r.label, "rps": r.rps, "latency_ms": r.latency_ms, "non_2xx": r.non_2xx,
             "ratio_to_minimal": round(r.rps / refs["minimal"], 3) if refs.get("minimal") else None}
            for r in results
        ],
    }  # fmt: skip
    print(f"\nResults written to {write_json(payload, started)}")


if __name__ == "__main__":
    main()
