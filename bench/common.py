"""What the generator, the load runner and the reference apps share: which database, and the guards on it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from community.config import PROJECT_ROOT

DEFAULT_BENCH_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community_bench"
BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_DIR: Path = BENCH_DIR / "results"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def bench_database_url() -> str:
    """The SQLAlchemy URL of the bench database (BENCH_DATABASE_URL, else a local community_bench)."""
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_BENCH_DATABASE_URL


def checked_url(url: str) -> URL:
    """Parse the bench URL and refuse anything that is not a local database named for the bench.

    The generator TRUNCATEs with --fresh and the load runner must only talk to 127.0.0.1: pointing
    BENCH_DATABASE_URL at the development database (or another host) by mistake stops here.
    """
    parsed = make_url(url)
    if (parsed.host or "127.0.0.1") not in LOCAL_HOSTS:
        raise SystemExit(f"BENCH_DATABASE_URL must point to a local PostgreSQL, not {parsed.host!r}.")
    if "bench" not in (parsed.database or ""):
        raise SystemExit(
            f"The bench database's name must contain 'bench' (got {parsed.database!r}): it is filled with "
            "generated data and emptied by --fresh."
        )
    return parsed


def asyncpg_dsn(url: str) -> str:
    """The same URL in the form asyncpg.connect() takes (no '+asyncpg' driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
