"""Concurrent claims and redemptions against one voucher campaign, through the app's own services.

    python -m bench.vouchers_bench [--students 4000] [--room 3000] [--concurrency 32] [--engines 4]

Arranges a campaign with room for ``--room`` vouchers and ``--students`` verified students (more students
than room, so the budget runs out under load), then:

1. claims: every student claims once, ``--concurrency`` at a time, spread over ``--engines`` connection pools
   (as over several app processes) — each claim one transaction of ``VoucherService.claim``;
2. redemptions: every issued voucher is redeemed for a product, and at the same time a second, duplicate
   attempt is made for one voucher in ten (a double click) — each one ``VoucherService.redeem``.

Reports claims/s and successful redemptions/s, and checks the invariants: the budget held by vouchers equals
issued × face value and never exceeds the budget; each voucher was redeemed at most once; the audit log has
one row per state change. Budget: at least 300 successful redemptions a second, nothing overspent.
The database is its own (BENCH_VOUCHERS_DATABASE_URL, default a local ``community_bench_vouchers``), emptied
and filled on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import RESULTS_DIR, asyncpg_dsn, checked_url, display_url
from community.accounts.models import User
from community.accounts.services import hash_password
from community.db import upgrade_schema
from community.errors import FormError
from community.pgcluster import create_database_if_missing
from community.vouchers.services.campaigns import VoucherService

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community_bench_vouchers"
FACE_VALUE_FEN = 10_000
PRODUCTS = 20


def database_url() -> str:
    return os.environ.get("BENCH_VOUCHERS_DATABASE_URL") or DEFAULT_URL


async def prepare(url: str, students: int, room: int) -> dict[str, Any]:
    """An empty database with one OPC, its products, a running campaign and verified students."""
    parsed = checked_url(url)
    await create_database_if_missing(
        parsed.host or "127.0.0.1",
        parsed.port or 5432,
        parsed.username or "postgres",
        parsed.password,
        parsed.database or "",
    )
    await asyncio.to_thread(upgrade_schema, url)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        await conn.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
        moment = datetime.now(UTC)
        password = hash_password("bench-password")
        owner, org, university, campaign = uuid4(), uuid4(), uuid4(), uuid4()
        await conn.execute(
            "INSERT INTO user_account (id, email, display_name, password_hash, created_at, updated_at) "
            "VALUES ($1, 'owner@bench.example', '一人公司老板', $2, $3, $3)",
            owner,
            password,
            moment,
        )
        await conn.execute(
            "INSERT INTO organization (id, name, slug, org_type, created_at, updated_at) "
            "VALUES ($1, '基准一人公司', 'bench-opc', 'opc', $2, $2)",
            org,
            moment,
        )
        await conn.execute(
            "INSERT INTO membership (id, user_id, organization_id, role, created_at, updated_at) "
            "VALUES ($1, $2, $3, 'owner', $4, $4)",
            uuid4(),
            owner,
            org,
            moment,
        )
        product_ids = [uuid4() for _ in range(PRODUCTS)]
        await conn.copy_records_to_table(
            "product",
            columns=[
                "id",
                "organization_id",
                "name",
                "summary",
                "domains",
                "status",
                "published_at",
                "voucher_benefit",
                "how_to_try",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    pid,
                    org,
                    f"产品 {n} Product",
                    "基准产品",
                    ["教育"],
                    "published",
                    moment,
                    "30 天",
                    "注册",
                    moment,
                    moment,
                )
                for n, pid in enumerate(product_ids)
            ],
        )
        await conn.execute(
            "INSERT INTO university (id, name, email_domains, created_at, updated_at) "
            "VALUES ($1, '武汉大学', '{whu.edu.cn}', $2, $2)",
            university,
            moment,
        )
        await conn.execute(
            "INSERT INTO voucher_campaign (id, name, funder, budget_fen, face_value_fen, per_student_cap, "
            "per_product_cap, starts_at, ends_at, status, created_at, updated_at) "
            "VALUES ($1, '基准体验券', '武汉市科技局', $2, $3, 1, $4, $5, $6, 'active', $7, $7)",
            campaign,
            room * FACE_VALUE_FEN,
            FACE_VALUE_FEN,
            students,
            moment - timedelta(days=1),
            moment + timedelta(days=30),
            moment,
        )
        student_ids = [uuid4() for _ in range(students)]
        await conn.copy_records_to_table(
            "user_account",
            columns=["id", "email", "display_name", "password_hash", "created_at", "updated_at"],
            records=[
                (sid, f"s{n}@bench.example", f"学生{n}", password, moment, moment)
                for n, sid in enumerate(student_ids)
            ],
        )
        await conn.copy_records_to_table(
            "student_verification",
            columns=[
                "id",
                "user_id",
                "university_id",
                "method",
                "status",
                "email",
                "verified_at",
                "valid_until",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    uuid4(),
                    sid,
                    university,
                    "email",
                    "verified",
                    f"s{n}@whu.edu.cn",
                    moment,
                    moment + timedelta(days=365),
                    moment,
                    moment,
                )
                for n, sid in enumerate(student_ids)
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"campaign": campaign, "products": product_ids, "students": student_ids}


async def run_all(
    url: str, jobs: list[Callable[[AsyncSession], Awaitable[Any]]], concurrency: int, engines: int
) -> tuple[list[Any], float, list[float]]:
    """Run every job in its own session and transaction, ``concurrency`` at a time over ``engines`` pools."""
    pools = [
        create_async_engine(url, pool_size=max(1, concurrency // engines), max_overflow=0, pool_timeout=60)
        for _ in range(engines)
    ]
    queue: asyncio.Queue[tuple[int, Callable[[AsyncSession], Awaitable[Any]]]] = asyncio.Queue()
    for item in enumerate(jobs):
        queue.put_nowait(item)
    results: list[Any] = [None] * len(jobs)
    latencies: list[float] = []

    async def worker(index: int) -> None:
        engine = pools[index % engines]
        while True:
            try:
                position, job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            async with AsyncSession(engine, expire_on_commit=False) as db:
                try:
                    results[position] = await job(db)
                    await db.commit()
                except FormError as exc:
                    await db.rollback()
                    results[position] = exc
            latencies.append(time.perf_counter() - started)

    # Open the connections first: what is measured is the work, not the connection set-up.
    warm = [await pool.connect() for pool in pools for _ in range(max(1, concurrency // engines))]
    for connection in warm:
        await connection.close()
    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    for pool in pools:
        await pool.dispose()
    return results, elapsed, latencies


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0


async def main(args: argparse.Namespace) -> dict[str, Any]:
    url = database_url()
    arranged = await prepare(url, args.students, args.room)
    campaign: UUID = arranged["campaign"]
    students: list[UUID] = arranged["students"]
    products: list[UUID] = arranged["products"]

    def claim(student_id: UUID) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def job(db: AsyncSession) -> Any:
            student = await db.get(User, student_id)
            assert student is not None
            return await VoucherService(db).claim(student, campaign, ip="10.1.2.3")

        return job

    claims, claim_seconds, claim_latency = await run_all(
        url, [claim(s) for s in students], args.concurrency, args.engines
    )
    issued = [(v.id, v.student_id) for v in claims if not isinstance(v, FormError)]
    refused_claims = [e for e in claims if isinstance(e, FormError)]

    rng = random.Random(7)

    def redeem(voucher_id: UUID, student_id: UUID) -> Callable[[AsyncSession], Awaitable[Any]]:
        product = products[rng.randrange(len(products))]

        async def job(db: AsyncSession) -> Any:
            student = await db.get(User, student_id)
            assert student is not None
            return await VoucherService(db).redeem(student, voucher_id, product, ip="10.1.2.3")

        return job

    redeem_jobs = [redeem(v, s) for v, s in issued]
    doubled = [redeem(v, s) for v, s in issued[::10]]  # a double click on one voucher in ten
    mixed = redeem_jobs + doubled
    order = list(range(len(mixed)))
    rng.shuffle(order)
    redemptions, redeem_seconds, redeem_latency = await run_all(
        url, [mixed[i] for i in order], args.concurrency, args.engines
    )
    succeeded = [r for r in redemptions if not isinstance(r, FormError)]
    refused_redemptions = [r for r in redemptions if isinstance(r, FormError)]

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await conn.fetchrow(
            "SELECT budget_fen, reserved_fen, issued_count FROM voucher_campaign WHERE id = $1", campaign
        )
        stored = await conn.fetchval("SELECT count(*) FROM voucher WHERE campaign_id = $1", campaign)
        redeemed = await conn.fetchval("SELECT count(*) FROM voucher WHERE status = 'redeemed'")
        twice = await conn.fetchval(
            "SELECT count(*) FROM (SELECT voucher_id FROM voucher_event WHERE to_status = 'redeemed' "
            "GROUP BY voucher_id HAVING count(*) > 1) AS t"
        )
        events = await conn.fetchval("SELECT count(*) FROM voucher_event")
    finally:
        await conn.close()
    checks = {
        "budget_not_overspent": row["reserved_fen"] <= row["budget_fen"],
        "budget_exact": row["reserved_fen"] == len(issued) * FACE_VALUE_FEN,
        "issued_matches_rows": stored == len(issued) == row["issued_count"],
        "issued_equals_room": len(issued) == min(args.room, args.students),
        "each_voucher_redeemed_once": twice == 0 and redeemed == len(succeeded) == len(issued),
        "duplicates_refused": len(refused_redemptions) == len(doubled),
        "audit_log_complete": events == len(issued) + len(succeeded),
    }
    result = {
        "database": display_url(url),
        "students": args.students,
        "room": args.room,
        "concurrency": args.concurrency,
        "engines": args.engines,
        "claims": {
            "attempted": len(claims),
            "issued": len(issued),
            "refused": len(refused_claims),
            "seconds": round(claim_seconds, 2),
            "per_second": round(len(claims) / claim_seconds, 1),
            "issued_per_second": round(len(issued) / claim_seconds, 1),
            "p50_ms": _ms(claim_latency, 0.5),
            "p95_ms": _ms(claim_latency, 0.95),
        },
        "redemptions": {
            "attempted": len(mixed),
            "succeeded": len(succeeded),
            "refused_duplicates": len(refused_redemptions),
            "seconds": round(redeem_seconds, 2),
            "successful_per_second": round(len(succeeded) / redeem_seconds, 1),
            "p50_ms": _ms(redeem_latency, 0.5),
            "p95_ms": _ms(redeem_latency, 0.95),
            "mean_ms": round(1000 * statistics.fmean(redeem_latency), 1) if redeem_latency else 0,
        },
        "budget": {"budget_fen": row["budget_fen"], "reserved_fen": row["reserved_fen"]},
        "checks": checks,
        "cpus": os.cpu_count(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return result


def report(result: dict[str, Any]) -> None:
    c, r = result["claims"], result["redemptions"]
    print(
        f"database {result['database']} · {result['concurrency']} concurrent sessions over "
        f"{result['engines']} pools · {result['cpus']} CPUs"
    )
    print(
        f"claims:      {c['attempted']} attempted, {c['issued']} issued, {c['refused']} refused (budget) "
        f"in {c['seconds']} s → {c['per_second']}/s (p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms)"
    )
    print(
        f"redemptions: {r['attempted']} attempted, {r['succeeded']} redeemed, {r['refused_duplicates']} "
        f"duplicates refused in {r['seconds']} s → {r['successful_per_second']} successful/s "
        f"(p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms)"
    )
    b = result["budget"]
    print(f"budget: {b['reserved_fen'] / 100:,.2f} of {b['budget_fen'] / 100:,.2f} yuan held by vouchers")
    for name, ok in result["checks"].items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")
    verdict = r["successful_per_second"] >= 300 and all(result["checks"].values())
    print("budget of 300 successful redemptions/s with nothing overspent:", "met" if verdict else "NOT met")


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=4000)
    parser.add_argument("--room", type=int, default=3000, help="vouchers the budget holds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--engines", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(main(args))
    report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"vouchers-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"(written to {path})")
    if not all(result["checks"].values()):
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
