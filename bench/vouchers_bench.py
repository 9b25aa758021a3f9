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
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import RESULTS_DIR, asyncpg_dsn, checked_url, display_url
from community.accounts.models import User
from community.accounts.services import hash_password
from community.db import upgrade_schema
from community.errors import FormError
from community.pgcluster import create_database_if_missing
from community.vouchers.services.vouchers import VoucherService

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


class Runner:
    """Jobs, each in its own session and transaction, ``concurrency`` at a time over ``engines`` pools."""

    def __init__(self, url: str, concurrency: int, engines: int) -> None:
        self.concurrency = concurrency
        self.engines = engines
        self.per_pool = max(1, concurrency // engines)
        self.pools = [
            create_async_engine(url, pool_size=self.per_pool, max_overflow=0, pool_timeout=60)
            for _ in range(engines)
        ]
        self.latencies: list[float] = []

    async def warm(self) -> None:
        """Open the connections first: what is measured is the work, not the connection set-up."""
        opened = [await pool.connect() for pool in self.pools for _ in range(self.per_pool)]
        for connection in opened:
            await connection.close()

    async def run(self, jobs: list[Callable[[AsyncSession], Awaitable[Any]]]) -> list[Any]:
        queue: asyncio.Queue[tuple[int, Callable[[AsyncSession], Awaitable[Any]]]] = asyncio.Queue()
        for item in enumerate(jobs):
            queue.put_nowait(item)
        results: list[Any] = [None] * len(jobs)

        async def worker(index: int) -> None:
            engine = self.pools[index % self.engines]
            while not queue.empty():
                position, job = queue.get_nowait()
                started = time.perf_counter()
                async with AsyncSession(engine, expire_on_commit=False) as db:
                    try:
                        results[position] = await job(db)
                        await db.commit()
                    except FormError as exc:
                        await db.rollback()
                        results[position] = exc
                self.latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker(i) for i in range(self.concurrency)))
        return results

    async def close(self) -> None:
        for pool in self.pools:
            await pool.dispose()


async def _phase(
    url: str,
    kind: str,
    items: list[tuple[Any, ...]],
    campaign: UUID,
    concurrency: int,
    engines: int,
    barrier: Any,
) -> dict[str, Any]:
    """One process's share of a phase: claims (items: student ids) or redemptions (voucher, student, product)."""
    engine = create_async_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as db:
        ids = list({item[-1] if kind == "redeem" else item[0] for item in items})
        users = {u.id: u for u in (await db.scalars(select(User).where(User.id.in_(ids)))).all()}
    await engine.dispose()

    def claim(student_id: UUID) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def job(db: AsyncSession) -> Any:
            voucher = await VoucherService(db).claim(users[student_id], campaign, ip="10.1.2.3")
            return (voucher.id, voucher.student_id)

        return job

    def redeem(
        voucher_id: UUID, product_id: UUID, student_id: UUID
    ) -> Callable[[AsyncSession], Awaitable[Any]]:
        async def job(db: AsyncSession) -> Any:
            voucher = await VoucherService(db).redeem(
                users[student_id], voucher_id, product_id, ip="10.1.2.3"
            )
            return voucher.id

        return job

    jobs = [claim(item[0]) if kind == "claim" else redeem(*item) for item in items]
    runner = Runner(url, concurrency, engines)
    await runner.warm()
    await asyncio.to_thread(barrier.wait)  # every process starts together
    start = time.time()
    results = await runner.run(jobs)
    end = time.time()
    await runner.close()
    return {
        "ok": [r for r in results if not isinstance(r, FormError)],
        "refused": [str(r.errors) for r in results if isinstance(r, FormError)],
        "start": start,
        "end": end,
        "latencies": runner.latencies,
    }


def _process(args: tuple[Any, ...]) -> dict[str, Any]:
    return asyncio.run(_phase(*args))


def run_phase(
    url: str, kind: str, items: list[tuple[Any, ...]], campaign: UUID, args: argparse.Namespace
) -> dict[str, Any]:
    """Spread a phase over ``--processes`` processes (as over several app workers), started together."""
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    barrier = manager.Barrier(args.processes)
    shares = [items[i :: args.processes] for i in range(args.processes)]
    with context.Pool(args.processes) as pool:
        parts = pool.map(
            _process,
            [(url, kind, share, campaign, args.concurrency, args.engines, barrier) for share in shares],
        )
    manager.shutdown()
    return {
        "ok": [x for part in parts for x in part["ok"]],
        "refused": [x for part in parts for x in part["refused"]],
        "seconds": max(p["end"] for p in parts) - min(p["start"] for p in parts),
        "latencies": [x for part in parts for x in part["latencies"]],
    }


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0


async def _invariants(url: str, campaign: UUID) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await conn.fetchrow(
            "SELECT budget_fen, reserved_fen, issued_count FROM voucher_campaign WHERE id = $1", campaign
        )
        return {
            "budget_fen": row["budget_fen"],
            "reserved_fen": row["reserved_fen"],
            "issued_count": row["issued_count"],
            "stored": await conn.fetchval("SELECT count(*) FROM voucher WHERE campaign_id = $1", campaign),
            "redeemed": await conn.fetchval("SELECT count(*) FROM voucher WHERE status = 'redeemed'"),
            "twice": await conn.fetchval(
                "SELECT count(*) FROM (SELECT voucher_id FROM voucher_event WHERE to_status = 'redeemed' "
                "GROUP BY voucher_id HAVING count(*) > 1) AS t"
            ),
            "events": await conn.fetchval("SELECT count(*) FROM voucher_event"),
        }
    finally:
        await conn.close()


def main(args: argparse.Namespace) -> dict[str, Any]:
    url = database_url()
    arranged = asyncio.run(prepare(url, args.students, args.room))
    campaign: UUID = arranged["campaign"]
    products: list[UUID] = arranged["products"]

    claims = run_phase(url, "claim", [(s,) for s in arranged["students"]], campaign, args)
    issued: list[tuple[UUID, UUID]] = claims["ok"]

    rng = random.Random(7)
    redemptions = [(v, products[rng.randrange(len(products))], s) for v, s in issued]
    doubled = [(v, products[rng.randrange(len(products))], s) for v, s in issued[::10]]  # double clicks
    mixed = redemptions + doubled
    rng.shuffle(mixed)
    redeemed = run_phase(url, "redeem", mixed, campaign, args)
    db = asyncio.run(_invariants(url, campaign))

    succeeded = len(redeemed["ok"])
    checks = {
        "budget_not_overspent": db["reserved_fen"] <= db["budget_fen"],
        "budget_exact": db["reserved_fen"] == len(issued) * FACE_VALUE_FEN,
        "issued_matches_rows": db["stored"] == len(issued) == db["issued_count"],
        "issued_equals_room": len(issued) == min(args.room, args.students),
        "each_voucher_redeemed_once": db["twice"] == 0 and db["redeemed"] == succeeded == len(issued),
        "duplicates_refused": len(redeemed["refused"]) == len(doubled),
        "audit_log_complete": db["events"] == len(issued) + succeeded,
    }
    return {
        "database": display_url(url),
        "students": args.students,
        "room": args.room,
        "processes": args.processes,
        "concurrency": args.concurrency,
        "engines": args.engines,
        "claims": {
            "attempted": args.students,
            "issued": len(issued),
            "refused": len(claims["refused"]),
            "seconds": round(claims["seconds"], 2),
            "per_second": round(args.students / claims["seconds"], 1),
            "issued_per_second": round(len(issued) / claims["seconds"], 1),
            "p50_ms": _ms(claims["latencies"], 0.5),
            "p95_ms": _ms(claims["latencies"], 0.95),
        },
        "redemptions": {
            "attempted": len(mixed),
            "succeeded": succeeded,
            "refused_duplicates": len(redeemed["refused"]),
            "seconds": round(redeemed["seconds"], 2),
            "successful_per_second": round(succeeded / redeemed["seconds"], 1),
            "p50_ms": _ms(redeemed["latencies"], 0.5),
            "p95_ms": _ms(redeemed["latencies"], 0.95),
            "mean_ms": round(1000 * statistics.fmean(redeemed["latencies"]), 1)
            if redeemed["latencies"]
            else 0,
        },
        "budget": {"budget_fen": db["budget_fen"], "reserved_fen": db["reserved_fen"]},
        "checks": checks,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def report(result: dict[str, Any]) -> None:
    c, r = result["claims"], result["redemptions"]
    print(
        f"database {result['database']} · {result['processes']} processes × {result['concurrency']} "
        f"concurrent sessions over {result['engines']} pools each · {result['cpus']} CPUs, "
        f"load average {result['load_average'][0]:.1f}"
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
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent sessions per process")
    parser.add_argument("--engines", type=int, default=2, help="connection pools per process")
    parser.add_argument("--processes", type=int, default=2, help="processes, as app workers")
    args = parser.parse_args()
    result = main(args)
    report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"vouchers-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"(written to {path})")
    if not all(result["checks"].values()):
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
