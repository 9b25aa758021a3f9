"""The platform's own periodic work: dropping expired sessions and rate-limit counters, and finished jobs.
Each runs once per period however many processes run a worker (``community.jobs.Periodic``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func

from community.db import StoreItem
from community.jobs import CLEAN_FINISHED, JobContext, Periodic
from community.web.limits import rate_limit_counter

STORE_CLEANUP_SECONDS = 3600.0


async def clean_stores_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Expired rows of the PostgreSQL stores and rate-limit counters (Redis expires its keys itself; then
    there are none)."""
    await ctx.db.execute(delete(StoreItem).where(StoreItem.expires_at < func.now()))
    await ctx.db.execute(delete(rate_limit_counter).where(rate_limit_counter.c.expires_at < func.now()))


CLEAN_STORES = Periodic("platform.clean_stores", clean_stores_job, every=lambda _r: STORE_CLEANUP_SECONDS)
PLATFORM_PERIODIC = (CLEAN_STORES, CLEAN_FINISHED)
