"""The scenario zone's list pages under load: /scenarios and /capabilities, with and without filters, at
10,000 scenarios and 10,000 OPC capability profiles. Budget: p95 under 50 ms.

    python -m bench.scenarios_bench [--generate] [--duration 10] [--explain] [--pages ...]

The same runner as bench/load.py (one uvicorn worker, wrk at 16 connections after a warm-up, the two
reference servers ``hello`` and ``minimal`` measured first), on the data of bench/scenarios_generate.py.
``--explain`` (also run when a page misses the budget) runs each page's service call once with every SQL
statement timed, and prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each page, so that a
missing index shows where it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.common import asyncpg_dsn, bench_database_url, checked_url, display_url
from bench.load import (
    HOST,
    Load,
    Result,
    _database_facts,
    app_server,
    measure_quietly,
    measure_references,
    print_table,
    serve,
    write_json,
    wrk_binary,
)
from community.config import PROJECT_ROOT

BUDGET_P95_MS = 50.0
DEFAULT_PAGES = (
    "/scenarios",
    "/scenarios?domain=智慧医疗&district=洪山区&sort=deadline",
    "/scenarios?budget=100k-500k&status=published&page=5",
    "/scenarios?kind=bottleneck&scale=focused&sort=deadline",
    "/scenarios?page=200",
    "/capabilities",
    "/capabilities?domain=工业软件&maturity=product",
    "/capabilities?district=东湖新技术开发区&page=20",
)


def encoded(path: str) -> str:
    """The path as wrk and http.client must send it: Chinese filter values percent-encoded."""
    return quote(path, safe="/?&=")


# --- where the time goes ---------------------------------------------------------------------------------


async def explain(url: str, pages: Sequence[str], slow_ms: float = 0.0) -> list[dict[str, Any]]:
    """Run each page's list query through the app's own service, timing every statement; EXPLAIN the slowest."""
    from community.db import import_models
    from community.scenarios.inputs import CapabilityFilters, ScenarioFilters
    from community.scenarios.services.capabilities import CapabilityService
    from community.scenarios.services.scenarios import ScenarioService

    import_models()
    engine = create_async_engine(url)
    captured: list[tuple[str, Any, float]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        captured.append((statement, parameters, (time.perf_counter() - conn.info["started"]) * 1000))

    reports: list[dict[str, Any]] = []
    raw = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for page in pages:
            parts = urlsplit(page)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            number = int(query.pop("page", "1"))
            async with AsyncSession(engine) as db:
                # Twice: the first warms the caches (and the statement cache), the second is timed.
                for _attempt in range(2):
                    captured.clear()
                    started = time.perf_counter()
                    if parts.path.startswith("/capabilities"):
                        await CapabilityService(db).list_verified(
                            CapabilityFilters.clean(**query, page=number)
                        )
                    else:
                        await ScenarioService(db).list_public(ScenarioFilters.clean(**query, page=number))
                    total_ms = (time.perf_counter() - started) * 1000
            statements = sorted(captured, key=lambda s: s[2], reverse=True)
            slowest, params, ms = statements[0]
            plan = ""
            if ms >= slow_ms:
                rows = await raw.fetch("EXPLAIN (ANALYZE, BUFFERS) " + slowest, *(params or ()))
                plan = "\n".join(r[0] for r in rows)
            reports.append(
                {
                    "page": page,
                    "service_ms": round(total_ms, 2),
                    "statements_ms": [round(s[2], 2) for s in captured],
                    "slowest_sql": slowest,
                    "slowest_ms": round(ms, 2),
                    "plan": plan,
                }
            )
    finally:
        await raw.close()
        await engine.dispose()
    return reports


def print_explain(reports: Sequence[dict[str, Any]]) -> None:
    for report in reports:
        print(
            f"\n== {report['page']}: service call {report['service_ms']} ms; statements "
            f"{report['statements_ms']} ms; slowest {report['slowest_ms']} ms"
        )
        if report["plan"]:
            print(report["slowest_sql"])
            print(report["plan"])


# --- main ------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scenarios_bench", description="The scenario zone's list pages under load."
    )
    parser.add_argument("--generate", action="store_true", help="run bench.scenarios_generate first")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured run (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--pages", nargs="+", default=list(DEFAULT_PAGES), help="paths to measure")
    parser.add_argument(
        "--refs", action=argparse.BooleanOptionalAction, default=True, help="measure the references"
    )
    parser.add_argument("--retries", type=int, default=2, help="measure again when others used the CPUs")
    parser.add_argument("--idle-wait", type=float, default=30.0, help="seconds to wait for an idle machine")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE every page's slowest statement"
    )
    parser.add_argument("--explain-only", action="store_true", help="only the EXPLAIN part, no load")
    args = parser.parse_args(argv)
    for name in ("duration", "warmup", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    args.pages = [p for value in args.pages for p in value.split(",") if p.strip()]
    if any(not p.startswith("/") for p in args.pages):
        parser.error("a page is a path starting with '/'")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    url = bench_database_url()
    checked_url(url)
    from bench.generate import migrate
    from bench.scenarios_generate import generate

    if args.generate:
        generate(url=url)
    else:
        migrate(url)
    if args.explain_only:
        print_explain(asyncio.run(explain(url, args.pages)))
        return
    wrk = wrk_binary()
    started = datetime.now().astimezone()
    facts = asyncio.run(_database_facts(url))
    zone = asyncio.run(_zone_counts(url))
    if not zone["scenario"] or not zone["capability_profile"]:
        raise SystemExit(
            "No scenario zone data: run `python -m bench.scenarios_generate` or pass --generate."
        )
    load = Load(
        wrk, args.duration, args.warmup, args.connections, args.threads, url,
        frozenset(facts.pop("databases")), args.retries, args.idle_wait,
    )  # fmt: skip
    print(
        f"Bench database {display_url(url)}: {zone['scenario']:,} scenarios ({zone['public']:,} public), "
        f"{zone['capability_profile']:,} profiles ({zone['verified']:,} verified), "
        f"{zone['capability_item']:,} capability items."
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s after a {args.warmup} s warm-up; "
        f"one uvicorn worker on {HOST}; {os.cpu_count()} CPUs shared by server, wrk and PostgreSQL."
    )
    app = app_server(url, SEARCH_WORKER="false")
    results: list[Result] = []
    refs = measure_references(load, url, results) if args.refs else {}
    with serve(app) as (port, pid):
        for page in args.pages:
            print(f"measuring {page} ...", flush=True)
            try:
                result = measure_quietly(load, page, app.name, port, pid, encoded(page))
            except (OSError, SystemExit) as exc:  # the server went away: keep what was measured so far
                print(f"  could not measure {page}: {exc}", flush=True)
                break
            result.path = page
            results.append(result)

    print_table(results, refs.get("hello"), refs.get("minimal"))
    over = [r for r in results if r.server == "app" and r.latency_ms.get("p95", 0) >= BUDGET_P95_MS]
    print(f"\nBudget: p95 under {BUDGET_P95_MS:.0f} ms. ", end="")
    print("Every page within it." if not over else f"Over it: {', '.join(r.label for r in over)}")
    explained: list[dict[str, Any]] = []
    if args.explain or over:
        explained = asyncio.run(
            explain(url, [r.path for r in over] if over and not args.explain else args.pages)
        )
        print_explain(explained)
    payload = {
        "bench": "scenarios",
        "started_at": started.isoformat(timespec="seconds"),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
        },
        "database": {"url": display_url(url), **facts, "zone": zone},
        "budget_p95_ms": BUDGET_P95_MS,
        "references_rps": refs,
        "results": [
            {
                **asdict(r),
                "ratio_to_minimal": round(r.rps / refs["minimal"], 4) if refs.get("minimal") else None,
                "within_budget": r.latency_ms.get("p95", 0) < BUDGET_P95_MS,
            }
            for r in results
        ],
        "explain": explained,
    }
    path = write_json(payload, started)
    print(f"\nResults written to {path.relative_to(PROJECT_ROOT)}")


async def _zone_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = {
            t: int(await conn.fetchval(f'SELECT count(*) FROM "{t}"'))
            for t in ("scenario", "capability_profile", "capability_item")
        }
        counts["public"] = int(
            await conn.fetchval(
                "SELECT count(*) FROM scenario WHERE status IN ('published', 'docking', 'landed', 'closed')"
            )
        )
        counts["verified"] = int(
            await conn.fetchval("SELECT count(*) FROM capability_profile WHERE status = 'verified'")
        )
        return counts
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
