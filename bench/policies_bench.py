"""Policy check speed: one organization against 1,000 published policies, facts gathering included — what
/policies/for-me does per organization. Budget (issue 8): under 20 ms.

    .venv/bin/python -m bench.policies_bench [--policies 1000] [--organizations 2000] [--runs 300]

Its own database (BENCH_POLICIES_DATABASE_URL, default .../community_bench_policies: local and named for the
bench), emptied and filled on every run (fixed seed): ``--policies`` published policies with varied
conditions (organization types, company age, domains, districts, stages, team size, verified capability,
published product, activities) and benefits, and ``--organizations`` organizations (mostly OPCs) of which
most have policy facts, a capability profile (verified or not) and some a published product.

Each run opens a session (as a request does), reads one random organization and calls
``PolicyService.check_organization``: the facts through the accounts, capability and product services
(four queries), the freshness check of the compiled policies (one query) and the evaluation of every policy.
The first run also compiles the 1,000 policies (reported apart, as "cold"). Then, for the push, the time to
find every organization that qualifies for one policy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import RESULTS_DIR, asyncpg_dsn, checked_url, display_url
from community.accounts.models import Organization
from community.db import upgrade_schema
from community.pgcluster import create_database_if_missing
from community.policies.labels import ACTIVITIES, BENEFIT_KINDS
from community.policies.models import Stage
from community.policies.services.policies import PolicyService
from community.vocabulary import DISTRICTS, DOMAINS

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community_bench_policies"
ORG_TYPES = ("opc",) * 6 + ("enterprise", "government", "university", "service", "investment")


def database_url() -> str:
    return os.environ.get("BENCH_POLICIES_DATABASE_URL") or DEFAULT_URL


def some(rng: random.Random, values: tuple[str, ...] | list[str], most: int) -> list[str]:
    return rng.sample(list(values), rng.randint(1, most))


def make_conditions(rng: random.Random) -> dict[str, Any]:
    """Like the seed's measures: most are for OPCs and name an activity; some ask more."""
    conditions: dict[str, Any] = {}
    if rng.random() < 0.8:
        conditions["org_types"] = ["opc"] if rng.random() < 0.8 else [*some(rng, ORG_TYPES[6:], 2), "opc"]
    if rng.random() < 0.7:
        conditions["activities"] = some(rng, list(ACTIVITIES), 2)
    if rng.random() < 0.3:
        conditions["domains"] = some(rng, DOMAINS, 4)
    if rng.random() < 0.2:
        conditions["districts"] = some(rng, DISTRICTS, 3)
    if rng.random() < 0.3:
        conditions["stages"] = some(rng, [s.value for s in Stage], 2)
    if rng.random() < 0.3:
        conditions["age_max_months"] = rng.choice((12, 24, 36, 60))
    if rng.random() < 0.1:
        conditions["age_min_months"] = rng.choice((6, 12))
    if rng.random() < 0.2:
        conditions["team_max"] = rng.choice((3, 10, 50))
    if rng.random() < 0.15:
        conditions["verified_capability"] = True
    if rng.random() < 0.1:
        conditions["approved_product"] = True
    return conditions


async def prepare(url: str, policies: int, organizations: int, seed: int) -> list[UUID]:
    parsed = checked_url(url)
    await create_database_if_missing(
        parsed.host or "127.0.0.1",
        parsed.port or 5432,
        parsed.username or "postgres",
        parsed.password,
        parsed.database or "",
    )
    await asyncio.to_thread(upgrade_schema, url)
    rng = random.Random(seed)
    moment = datetime.now(UTC)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        await conn.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE")
        kinds = list(BENEFIT_KINDS)
        policy_rows = []
        for n in range(policies):
            conditions = make_conditions(rng)
            benefits = [
                {
                    "kind": rng.choice(kinds),
                    "description": f"支持内容 {n}-{b}",
                    "amount": "50%",
                    "cap_yuan": rng.choice((None, 100_000, 1_000_000)),
                    "months": rng.choice((None, 12, 36)),
                }
                for b in range(rng.randint(1, 3))
            ]
            policy_rows.append(
                (
                    uuid4(),
                    f"bench-policy-{n}",
                    f"基准政策 {n}",
                    "摘要",
                    f"措施{n % 10 + 1}",
                    rng.choice(("市数据局", "市经信局", "市人才工作局", "各区人民政府")),
                    "published",
                    moment,
                    json.dumps(benefits, ensure_ascii=False),
                    json.dumps(conditions, ensure_ascii=False),
                    list(dict.fromkeys(b["kind"] for b in benefits)),
                    moment,
                )
            )
        await conn.executemany(
            "INSERT INTO policy (id, slug, title, summary, source_measure, issuing_unit, status, published_at,"
            " benefits, conditions, benefit_kinds, version, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, 1, $12, $12)",
            policy_rows,
        )
        org_ids = [uuid4() for _ in range(organizations)]
        types = [rng.choice(ORG_TYPES) for _ in org_ids]
        await conn.copy_records_to_table(
            "organization",
            columns=["id", "name", "slug", "org_type", "district", "created_at", "updated_at"],
            records=[
                (org, f"基准组织 {n}", f"bench-org-{n}", types[n], rng.choice(DISTRICTS), moment, moment)
                for n, org in enumerate(org_ids)
            ],
        )
        facts, profiles, products = [], [], []
        today = date.today()
        for n, org in enumerate(org_ids):
            if rng.random() < 0.8:
                facts.append(
                    (
                        uuid4(),
                        org,
                        today - timedelta(days=rng.randint(30, 3000)),
                        rng.choice([s.value for s in Stage]),
                        rng.randint(1, 30),
                        some(rng, list(ACTIVITIES), 4),
                        moment,
                        moment,
                    )
                )
            if types[n] == "opc" and rng.random() < 0.7:
                status = "verified" if rng.random() < 0.6 else "pending"
                profiles.append(
                    (
                        uuid4(),
                        org,
                        "能力概述",
                        rng.randint(1, 20),
                        rng.choice(DISTRICTS),
                        some(rng, DOMAINS, 3),
                        status,
                        moment,
                        moment,
                    )
                )
            if types[n] == "opc" and rng.random() < 0.3:
                products.append(
                    (
                        uuid4(),
                        org,
                        f"产品 {n}",
                        "概述",
                        some(rng, DOMAINS, 2),
                        "published",
                        moment,
                        "30 天",
                        "注册",
                        moment,
                        moment,
                    )
                )
        await conn.copy_records_to_table(
            "policy_org_facts",
            columns=[
                "id", "organization_id", "founded_on", "stage", "team_size", "activities", "created_at", "updated_at"
            ],
            records=facts,
        )  # fmt: skip
        await conn.copy_records_to_table(
            "capability_profile",
            columns=[
                "id", "organization_id", "summary", "team_size", "district", "domains", "status", "created_at",
                "updated_at",
            ],
            records=profiles,
        )  # fmt: skip
        await conn.copy_records_to_table(
            "product",
            columns=[
                "id", "organization_id", "name", "summary", "domains", "status", "published_at", "voucher_benefit",
                "how_to_try", "created_at", "updated_at",
            ],
            records=products,
        )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return org_ids


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, org_ids: list[UUID], runs: int, seed: int) -> dict[str, Any]:
    engine = create_async_engine(url, pool_size=2)
    rng = random.Random(seed + 1)
    timings: list[float] = []
    qualifying: list[int] = []
    try:
        cold = 0.0
        for run in range(runs + 1):
            org_id = rng.choice(org_ids)
            async with AsyncSession(engine, expire_on_commit=False) as db:
                started = time.perf_counter()
                service = PolicyService(db)
                org = await db.get(Organization, org_id)
                assert org is not None
                results = await service.check_organization(org)
                elapsed = (time.perf_counter() - started) * 1000
            if run == 0:
                cold = elapsed  # compiles the policies
                continue
            timings.append(elapsed)
            qualifying.append(sum(1 for _card, verdict in results if verdict.qualifies))
        async with AsyncSession(engine, expire_on_commit=False) as db:
            service = PolicyService(db)
            card, _compiled = (await service.compiled())[0]
            policy = await service.get(card.id)
            started = time.perf_counter()
            found = await service.qualifying_organizations(policy)
            push_ms = (time.perf_counter() - started) * 1000
    finally:
        await engine.dispose()
    return {
        "runs": runs,
        "cold_ms": round(cold, 2),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "mean_qualifying": round(statistics.mean(qualifying), 1),
        "push_candidates_ms": round(push_ms, 1),
        "push_qualifying": len(found),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    url = database_url()
    print(f"Database: {display_url(url)}")
    started = time.perf_counter()
    org_ids = await prepare(url, args.policies, args.organizations, args.seed)
    print(
        f"Generated {args.policies:,} policies and {args.organizations:,} organizations in {time.perf_counter() - started:.1f} s"
    )
    figures = await measure(url, org_ids, args.runs, args.seed)
    load = os.getloadavg()[0]
    print(
        f"One organization against {args.policies:,} policies (facts included), {figures['runs']} runs: "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms "
        f"(cold, compiling: {figures['cold_ms']} ms); {figures['mean_qualifying']} qualifying on average."
    )
    print(
        f"Push: every organization that qualifies for one policy: {figures['push_candidates_ms']} ms "
        f"({figures['push_qualifying']} of {args.organizations:,})."
    )
    verdict = "within" if figures["p95_ms"] < 20 else "OVER"
    print(f"Budget: p95 under 20 ms — {verdict} (load average {load:.1f}).")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"policies-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({**figures, **vars(args), "load_average": load}, indent=2))
    print(f"Figures written to {out}")


if __name__ == "__main__":
    asyncio.run(main())
