"""Bench data for the scenario zone: 10,000 scenarios and 10,000 OPC capability profiles with their items.

    python -m bench.scenarios_generate            # on top of bench.generate's accounts and organizations
    python -m bench.scenarios_generate --fresh    # empty the scenario zone's tables first, then fill again

Same database and guards as bench/generate.py (BENCH_DATABASE_URL, a local database named for the bench),
whose accounts and organizations are made first when missing. Scenarios belong to its enterprise and
government organizations; profiles need one OPC each, so the 5,000 OPCs there are joined by 5,000 more
(slugs ``cap-opc-N``, no members: the list pages do not read them). The text comes from the demo's word
lists (community/scenarios/demo.py) with a fixed seed. Rows go in with COPY in one transaction, then
ANALYZE.

Statuses as a live site would hold them: 80 % of the scenarios public (published 50 %, docking 15 %,
landed 10 %, closed 5 %), the rest draft / submitted / returned; published over the last ~2.5 years;
70 % with a deadline (some passed). Profiles: 85 % verified, the rest pending, draft or rejected; 1–4
items each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import asyncpg_dsn, bench_database_url, checked_url, display_url
from bench.generate import generate as generate_base
from community.scenarios.demo import (
    ALL_TASKS,
    budget_fields,
    capability_text,
    scenario_text,
    weighted_district,
)
from community.vocabulary import DOMAINS

SEED = 20_261_201
SCENARIOS = 10_000
PROFILES = 10_000
HISTORY_DAYS = 900
EXTRA_OPC_PREFIX = "cap-opc-"
ZONE_TABLES = (
    "scenario_interest_event", "scenario_interest", "scenario_confidentiality", "scenario_event",
    "list_issue_item", "list_issue", "capability_item", "capability_profile", "scenario",
)  # fmt: skip
SCENARIO_COLUMNS = (
    "id", "organization_id", "created_by_id", "title", "kind", "scale", "domains", "district", "abstract",
    "description", "expected_outcome", "contact_name", "contact_phone", "contact_email", "budget_min",
    "budget_max", "budget_negotiable", "deadline", "status", "submitted_at", "published_at",
    "demonstration_year", "landed_with_id", "created_at", "updated_at",
)  # fmt: skip
PROFILE_COLUMNS = (
    "id", "organization_id", "summary", "cases", "team_size", "district", "domains", "status", "submitted_at",
    "verified_at", "verified_by_id", "review_note", "edited_after_verification", "created_at", "updated_at",
)  # fmt: skip
ITEM_COLUMNS = (
    "id",
    "profile_id",
    "position",
    "domain",
    "technology",
    "maturity",
    "created_at",
    "updated_at",
)
ORG_COLUMNS = ("id", "name", "slug", "org_type", "summary", "district", "created_at", "updated_at")
STATUS_WEIGHTS = {
    "published": 50, "docking": 15, "landed": 10, "closed": 5, "draft": 8, "submitted": 7, "returned": 5,
}  # fmt: skip
PROFILE_STATUS_WEIGHTS = {"verified": 85, "pending": 8, "draft": 4, "rejected": 3}
KINDS = {"need": 60, "bottleneck": 25, "benchmark": 15}
SCALES = {"major": 10, "integrated": 30, "focused": 60}


@dataclass
class Rows:
    scenarios: list[tuple[Any, ...]] = field(default_factory=list)
    organizations: list[tuple[Any, ...]] = field(default_factory=list)
    profiles: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _yuan(text: str) -> int:
    return int(float(text.removesuffix("万")) * 10_000) if text.endswith("万") else int(text)


class ZoneGenerator:
    def __init__(self, now: datetime, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.today = now.date()

    def _moment(self, days: float) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(0, days * 86_400))

    def scenarios(
        self, n: int, publishers: list[tuple[uuid.UUID, str, str | None]], opcs: list[uuid.UUID], rows: Rows
    ) -> None:
        rng = self.rng
        for _ in range(n):
            org_id, org_name, org_district = rng.choice(publishers)
            task = rng.choice(ALL_TASKS)
            district = org_district if org_district and rng.random() < 0.7 else weighted_district(rng)
            text = scenario_text(rng, task, district, org_name)
            domains = [
                task.domain,
                *rng.sample([d for d in DOMAINS if d != task.domain], rng.choice((0, 0, 1, 2))),
            ]
            budget = budget_fields(rng)
            negotiable = budget["budget_mode"] == "negotiable"
            low = None if negotiable else _yuan(budget["budget_min"])
            high = None if negotiable else _yuan(budget["budget_max"])
            status = _pick(rng, STATUS_WEIGHTS)
            created = self._moment(HISTORY_DAYS)
            submitted = published = None
            if status != "draft":
                submitted = created + timedelta(hours=rng.uniform(1, 240))
            if status in ("published", "docking", "landed", "closed"):
                published = min(self.now, (submitted or created) + timedelta(hours=rng.uniform(2, 120)))
            deadline: date | None = None
            if rng.random() < 0.7:
                start = (published or created).date()
                deadline = start + timedelta(days=rng.randint(20, 400))
            landed_with = rng.choice(opcs) if status == "landed" and rng.random() < 0.8 else None
            demonstration = published.year if published and rng.random() < 0.03 else None
            updated = max(created, published or created)
            rows.scenarios.append(
                (uuid.uuid4(), org_id, None, text["title"], _pick(rng, KINDS), _pick(rng, SCALES), domains,
                 district, text["abstract"], text["description"], text["expected_outcome"],
                 rng.choice(("王主任", "李工", "张经理", "刘老师", "陈科长")), f"027-{rng.randint(80000000, 89999999)}",
                 "", low, high, negotiable, deadline, status, submitted, published, demonstration, landed_with,
                 created, updated)
            )  # fmt: skip

    def opc_organizations(self, n: int, rows: Rows) -> list[tuple[uuid.UUID, str, str]]:
        made = []
        for index in range(n):
            org_id = uuid.uuid4()
            district = weighted_district(self.rng)
            task = self.rng.choice(ALL_TASKS)
            name = f"{task.capability[:10]}工作室（{index + 1}号）"
            slug = f"{EXTRA_OPC_PREFIX}{index + 1}"
            created = self._moment(HISTORY_DAYS)
            summary = f"一人公司，专注{task.domain}方向的{task.capability}。"
            rows.organizations.append((org_id, name, slug, "opc", summary, district, created, created))
            made.append((org_id, name, district))
        return made

    def profiles(
        self, opcs: list[tuple[uuid.UUID, str, str | None]], admin_id: uuid.UUID, rows: Rows
    ) -> None:
        rng = self.rng
        for org_id, name, org_district in opcs:
            district = org_district or weighted_district(rng)
            text = capability_text(rng, name, district)
            status = _pick(rng, PROFILE_STATUS_WEIGHTS)
            created = self._moment(HISTORY_DAYS)
            submitted = created + timedelta(hours=rng.uniform(1, 72)) if status != "draft" else None
            verified = (
                min(self.now, (submitted or created) + timedelta(hours=rng.uniform(2, 200)))
                if status == "verified"
                else None
            )
            profile_id = uuid.uuid4()
            domains = list(dict.fromkeys(domain for domain, _t, _m in text["items"]))
            rows.profiles.append(
                (profile_id, org_id, text["summary"], text["cases"], int(text["team_size"]), district, domains,
                 status, submitted, verified, admin_id if verified else None,
                 "请补充案例证明材料。" if status == "rejected" else "", rng.random() < 0.05 and verified is not None,
                 created, verified or submitted or created)
            )  # fmt: skip
            for position, (domain, technology, maturity) in enumerate(text["items"]):
                rows.items.append(
                    (uuid.uuid4(), profile_id, position, domain, technology[:200], maturity, created, created)
                )


async def fill(url: str, scenarios: int, profiles: int, fresh: bool) -> bool:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        have = {
            table: int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
            for table in ("scenario", "capability_profile")
        }
        if not fresh and (have["scenario"] or have["capability_profile"]):
            if have["scenario"] >= scenarios and have["capability_profile"] >= profiles:
                print(
                    f"Scenario zone bench data already there ({have['scenario']:,} scenarios, "
                    f"{have['capability_profile']:,} profiles); use --fresh to make it again."
                )
                return False
            raise SystemExit(f"The bench database holds other scenario data ({have}); run with --fresh.")
        started = time.perf_counter()
        admin_id = await conn.fetchval(
            "SELECT id FROM user_account WHERE is_admin ORDER BY created_at LIMIT 1"
        )
        publishers = [
            (r["id"], r["name"], r["district"])
            for r in await conn.fetch(
                "SELECT id, name, district FROM organization WHERE org_type IN ('enterprise', 'government') "
                "ORDER BY slug"
            )
        ]
        opcs = [
            (r["id"], r["name"], r["district"])
            for r in await conn.fetch(
                "SELECT id, name, district FROM organization WHERE org_type = 'opc' AND slug NOT LIKE $1 "
                "ORDER BY slug",
                EXTRA_OPC_PREFIX + "%",
            )
        ]
        if not publishers or not opcs:
            raise SystemExit("No organizations to attach scenarios to: run python -m bench.generate first.")
        generator = ZoneGenerator(datetime.now(UTC))
        rows = Rows()
        extra = max(0, profiles - len(opcs))
        opcs = opcs[:profiles] + generator.opc_organizations(extra, rows)
        generator.scenarios(scenarios, publishers, [o[0] for o in opcs], rows)
        generator.profiles(opcs, admin_id, rows)
        built = time.perf_counter()
        print(
            f"Built {len(rows.scenarios):,} scenarios, {len(rows.profiles):,} profiles with {len(rows.items):,} "
            f"items and {len(rows.organizations):,} more OPCs in {built - started:.1f} s."
        )
        async with conn.transaction():
            if fresh:
                await conn.execute(f"TRUNCATE {', '.join(ZONE_TABLES)} CASCADE")
                await conn.execute("DELETE FROM organization WHERE slug LIKE $1", EXTRA_OPC_PREFIX + "%")
            await conn.copy_records_to_table("organization", records=rows.organizations, columns=ORG_COLUMNS)
            await conn.copy_records_to_table("scenario", records=rows.scenarios, columns=SCENARIO_COLUMNS)
            await conn.copy_records_to_table(
                "capability_profile", records=rows.profiles, columns=PROFILE_COLUMNS
            )
            await conn.copy_records_to_table("capability_item", records=rows.items, columns=ITEM_COLUMNS)
        copied = time.perf_counter()
        # VACUUM too: a live database is vacuumed by autovacuum, which also lets counts use index-only scans.
        await conn.execute("VACUUM ANALYZE organization, scenario, capability_profile, capability_item")
        print(f"Copied in {copied - built:.1f} s, analyzed in {time.perf_counter() - copied:.1f} s.")
        return True
    finally:
        await conn.close()


def generate(
    fresh: bool = False, url: str | None = None, scenarios: int = SCENARIOS, profiles: int = PROFILES
) -> None:
    url = url or bench_database_url()
    checked_url(url)
    generate_base(url=url)  # accounts and organizations first (skipped when there)
    print(f"Scenario zone bench data in {display_url(url)}")
    asyncio.run(fill(url, scenarios, profiles, fresh))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scenarios_generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--fresh", action="store_true", help="empty the scenario zone's tables first")
    parser.add_argument("--scenarios", type=int, default=SCENARIOS, help="default %(default)s")
    parser.add_argument("--profiles", type=int, default=PROFILES, help="default %(default)s")
    args = parser.parse_args(argv)
    if args.scenarios < 1 or args.profiles < 1:
        parser.error("--scenarios and --profiles must be positive")
    generate(args.fresh, scenarios=args.scenarios, profiles=args.profiles)


if __name__ == "__main__":
    main()
