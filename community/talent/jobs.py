"""The talent zone's background work: reminding organizations of answers about to fall due, and deleting the
CVs of applications closed longer than the retention period."""

from __future__ import annotations

from typing import Any

from community.jobs import Handler, JobContext, Periodic
from community.talent.services.applications import ApplicationService
from community.talent.services.common import JOB_CV_RETENTION, JOB_REMINDERS

CV_RETENTION_EVERY_SECONDS = 3600.0


async def reminders_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Every answer due soon gets its one reminder (the claim holds across processes)."""
    await ApplicationService(ctx.db).send_reminders()


async def cv_retention_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """CVs of applications closed longer than the retention period are deleted (a note stays)."""
    await ApplicationService.from_settings(ctx.db, ctx.resources["settings"]).remove_expired_cvs()


JOBS: dict[str, Handler] = {JOB_REMINDERS: reminders_job}
CV_RETENTION = Periodic(
    JOB_CV_RETENTION, cv_retention_job, every=lambda _resources: CV_RETENTION_EVERY_SECONDS, first_after=60.0
)
PERIODIC = (CV_RETENTION,)
