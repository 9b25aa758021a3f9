"""Talent matching speed, through the app's own TalentMatcher on a real database: recommended candidates for
one position among N talent profiles open to offers, and recommended positions for one member among M open
positions. Cold is the first call (it builds the in-process index); warm is every later call while nothing
changed (the query's own vector is stored after the first call). Budget: a warm ranking under 100 ms at
50,000 profiles (ten times the 5,000 OPC talents the measures aim at).

    python -m bench.talent_bench [--profiles 5000 50000] [--positions 2000] [--runs 20] [--no-model]

Profiles and positions are generated from word lists (fixed seed) and written with COPY; their vectors are
random unit vectors of the model's dimension (the values do not change the cost). The database is its own
(BENCH_TALENT_DATABASE_URL, default a local ``community_bench_talent``), emptied and filled on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import RESULTS_DIR, asyncpg_dsn, checked_url, display_url
from community.accounts.models import User
from community.config import Settings
from community.db import upgrade_schema
from community.matching.embedder import get_embedder
from community.matching.talent import TalentMatcher
from community.pgcluster import create_database_if_missing
from community.talent.models import Position
from community.vocabulary import DISTRICTS

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community_bench_talent"
SKILLS = (
    "python",
    "pytorch",
    "大模型",
    "rag",
    "智能体",
    "langgraph",
    "c++",
    "tensorrt",
    "java",
    "typescript",
    "react",
    "sql",
    "数据分析",
    "计算机视觉",
    "目标检测",
    "缺陷检测",
    "自然语言处理",
    "信息抽取",
    "医学影像",
    "运筹优化",
    "路径规划",
    "时空数据",
    "知识库",
    "提示词",
    "评测",
    "数据标注",
    "产品经理",
    "技术写作",
    "数据治理",
    "隐私保护",
    "边缘计算",
    "模型量化",
    "语音识别",
    "ocr",
    "推荐系统",
    "强化学习",
)
WORK = (
    "知识库问答",
    "工单分派",
    "缺陷检测",
    "边缘部署",
    "代码审查",
    "单元测试生成",
    "病历结构化",
    "影像辅助诊断",
    "路径优化",
    "智能调度",
    "仓储盘点",
    "交通流量预测",
    "政务热线",
    "客服机器人",
    "多智能体协作",
    "模型评测",
    "数据标注规范",
    "投资研究",
    "科研复现",
    "开源社区运营",
)


def database_url() -> str:
    return os.environ.get("BENCH_TALENT_DATABASE_URL") or DEFAULT_URL


def _skills(rng: random.Random) -> list[str]:
    return rng.sample(SKILLS, rng.randint(2, 6))


def _text(rng: random.Random) -> str:
    return "，".join(rng.sample(WORK, 3)) + "等方向的工作经验与项目。"


async def prepare(url: str, profiles: int, positions: int, dim: int | None, model: str) -> dict[str, Any]:
    """An empty database with one organization, ``positions`` open positions, ``profiles`` members with
    profiles open to offers (and random vectors when ``dim`` is given)."""
    parsed = checked_url(url)
    await create_database_if_missing(
        parsed.host or "127.0.0.1",
        parsed.port or 5432,
        parsed.username or "postgres",
        parsed.password,
        parsed.database or "",
    )
    await asyncio.to_thread(upgrade_schema, url)
    rng = random.Random(11)
    vectors = np.random.default_rng(11)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        await conn.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
        moment = datetime.now(UTC)
        org = uuid4()
        await conn.execute(
            "INSERT INTO organization (id, name, slug, org_type, created_at, updated_at) "
            "VALUES ($1, '基准工作室', 'bench-opc', 'opc', $2, $2)",
            org,
            moment,
        )
        users = [uuid4() for _ in range(profiles)]
        await conn.copy_records_to_table(
            "user_account",
            columns=["id", "email", "display_name", "password_hash", "created_at", "updated_at"],
            records=[
                (u, f"t{i}@bench.example", f"人才{i}", "x", moment, moment) for i, u in enumerate(users)
            ],
        )
        profile_ids = [uuid4() for _ in range(profiles)]
        await conn.copy_records_to_table(
            "talent_profile",
            columns=[
                "id",
                "user_id",
                "headline",
                "skills",
                "experience",
                "years_experience",
                "district",
                "remote",
                "links",
                "open_to_offers",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    p,
                    u,
                    f"{rng.choice(WORK)}工程师",
                    _skills(rng),
                    _text(rng),
                    rng.randint(0, 15),
                    rng.choice(DISTRICTS),
                    rng.random() < 0.3,
                    [],
                    True,
                    moment,
                    moment,
                )
                for p, u in zip(profile_ids, users, strict=True)
            ],
        )
        position_ids = [uuid4() for _ in range(positions)]
        await conn.copy_records_to_table(
            "talent_position",
            columns=[
                "id",
                "organization_id",
                "title",
                "skills",
                "description",
                "pay_min",
                "pay_max",
                "pay_negotiable",
                "district",
                "remote",
                "employment_type",
                "headcount",
                "status",
                "published_at",
                "close_reason",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    p,
                    org,
                    f"{rng.choice(WORK)}工程师",
                    _skills(rng),
                    _text(rng),
                    8000,
                    20000,
                    False,
                    rng.choice(DISTRICTS),
                    rng.random() < 0.3,
                    "full_time",
                    1,
                    "open",
                    moment,
                    "",
                    moment,
                    moment,
                )
                for p in position_ids
            ],
        )
        if dim:
            for owner_type, ids in (("talent", profile_ids), ("position", position_ids)):
                matrix = vectors.standard_normal((len(ids), dim)).astype(np.float32)
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
                await conn.copy_records_to_table(
                    "match_embedding",
                    columns=[
                        "id",
                        "owner_type",
                        "owner_id",
                        "model",
                        "text_hash",
                        "dim",
                        "vector",
                        "created_at",
                        "updated_at",
                    ],
                    records=[
                        (
                            uuid4(),
                            owner_type,
                            i,
                            model,
                            "bench",
                            dim,
                            row.astype("<f2").tobytes(),
                            moment,
                            moment,
                        )
                        for i, row in zip(ids, matrix, strict=True)
                    ],
                )
    finally:
        await conn.close()
    return {"position": position_ids[0], "member": users[0]}


async def measure(
    url: str, settings: Settings, embedder: Any, arranged: dict[str, Any], runs: int
) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            matcher = TalentMatcher(db, settings, embedder)
            position = await matcher.positions.get(arranged["position"])
            member = await db.get(User, arranged["member"])
            assert member is not None and isinstance(position, Position)
            result: dict[str, Any] = {"degraded": matcher.degraded}
            for name, call in (
                ("candidates_for_position", lambda: matcher.candidates_for(position)),
                ("positions_for_member", lambda: matcher.positions_for(member)),
            ):
                start = time.perf_counter()
                found = await call()
                cold = time.perf_counter() - start
                await db.commit()  # keeps the query's vector, as a request would
                warm = []
                for _ in range(runs):
                    start = time.perf_counter()
                    await call()
                    warm.append(time.perf_counter() - start)
                result[name] = {
                    "found": len(found),
                    "cold_ms": round(cold * 1000, 1),
                    "warm_p50_ms": round(statistics.median(warm) * 1000, 1),
                    "warm_p95_ms": round(sorted(warm)[int(0.95 * (len(warm) - 1))] * 1000, 1),
                }
            return result
    finally:
        await engine.dispose()


def main(args: argparse.Namespace) -> dict[str, Any]:
    url = database_url()
    settings = replace(Settings(), database_url=url)
    embedder = None if args.no_model else get_embedder(settings.embedding_model)
    dim = None
    if embedder is not None:
        embedder._load_sync()
        dim = embedder.dim if embedder.ready else None
    sizes = []
    for profiles in args.profiles:
        arranged = asyncio.run(prepare(url, profiles, args.positions, dim, embedder.name if embedder else ""))
        measured = asyncio.run(measure(url, settings, embedder if dim else None, arranged, args.runs))
        sizes.append({"profiles": profiles, "positions": args.positions, **measured})
    return {
        "database": display_url(url),
        "model": embedder.name if embedder and dim else None,
        "sizes": sizes,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report(result: dict[str, Any]) -> bool:
    print(
        f"database {result['database']} · model {result['model'] or 'none (degraded)'} · {result['cpus']} CPUs"
    )
    ok = True
    for size in result["sizes"]:
        for name in ("candidates_for_position", "positions_for_member"):
            m = size[name]
            print(
                f"{size['profiles']:>7} profiles, {size['positions']:>6} positions · {name}: {m['found']} found, "
                f"cold {m['cold_ms']} ms, warm p50 {m['warm_p50_ms']} ms, p95 {m['warm_p95_ms']} ms"
            )
        if size["profiles"] >= 50_000:
            ok = ok and size["candidates_for_position"]["warm_p50_ms"] < 100
    print("budget of a warm ranking under 100 ms at 50,000 profiles:", "met" if ok else "NOT met")
    return ok


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--positions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-model", action="store_true", help="rank without the embedding model (degraded)")
    args = parser.parse_args()
    result = main(args)
    ok = report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"talent-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"(written to {path})")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
