"""The talent zone's own background job: reminding organizations of answers about to fall due."""

from __future__ import annotations

from typing import Any

from community.jobs import Handler, JobContext
from community.talent.services.applications import ApplicationService
from community.talent.services.common import JOB_REMINDERS


async def reminders_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Every answer due soon gets its one reminder (the claim holds across processes)."""
    await ApplicationService(ctx.db).send_reminders()


JOBS: dict[str, Handler] = {JOB_REMINDERS: reminders_job}
