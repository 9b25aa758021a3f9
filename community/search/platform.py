"""What the platform's wiring takes from search: the configured backend, the outbox delivery (and how its
worker waits), its health, and jieba's warm-up."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select

from community.jobs.listen import wait_for_any
from community.search.backends import make_search_backend
from community.search.models import OutboxEntry
from community.search.services import OutboxDelivery, search_health
from community.search.text import ensure_jieba

__all__ = ("OutboxDelivery", "deliver_forever", "ensure_jieba", "make_search_backend", "search_health")

logger = logging.getLogger(__name__)

# Nothing delivered yet something due: another process holds the delivery lock and is on it.
BUSY_ELSEWHERE_SECONDS = 0.5


async def _seconds_to_next_attempt(delivery: OutboxDelivery) -> float | None:
    async with delivery.sessions() as db:
        next_attempt = func.min(OutboxEntry.next_attempt_at)
        seconds = await db.scalar(
            select(func.extract("epoch", next_attempt - func.now())).where(OutboxEntry.delivered_at.is_(None))
        )
    return None if seconds is None else float(seconds)


async def deliver_forever(delivery: OutboxDelivery, *, poll_seconds: float, stop: asyncio.Event) -> None:
    """The outbox worker: deliver what is due, then sleep until a write NOTIFYs (``delivery.wake``, set by
    the process's ``Listener``), an entry's retry comes due, or ``poll_seconds`` pass."""
    while not stop.is_set():
        # Cleared before looking, so an entry committed while we deliver still wakes the wait below.
        delivery.wake.clear()
        try:
            report = await delivery.deliver_once()
            if report.delivered:
                continue
            due = await _seconds_to_next_attempt(delivery)
        except Exception as exc:  # the database itself is away: wait and try again
            logger.warning("search outbox unreachable: %s", exc)
            due = None
        wait = poll_seconds if due is None else min(poll_seconds, max(due, BUSY_ELSEWHERE_SECONDS))
        await wait_for_any([delivery.wake, stop], wait)
