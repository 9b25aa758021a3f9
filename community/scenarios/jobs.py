"""The scenario zone's periodic work: telling owners when an OPC's interest is about to go unanswered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.jobs import JobContext, Periodic
from community.scenarios.services.interests import InterestService


async def interest_reminders_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Nobody waits forever: each interest due soon gets its one reminder (claimed across processes)."""
    settings = ctx.resources["settings"]
    await InterestService(ctx.db, response_days=settings.interest_response_days).send_reminders()


def _every(resources: Mapping[str, Any]) -> float:
    return float(resources["settings"].reminder_interval_seconds)


INTEREST_REMINDERS = Periodic("scenarios.interest_reminders", interest_reminders_job, every=_every)
