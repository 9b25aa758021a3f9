"""The accounts zone's background work: the mails that anyone can ask the site to send (finishing a
registration, resetting a password), sent by the job queue so that the answer to the form neither waits for
the mail server nor tells whether the address has an account; and dropping registrations and reset tokens
past their use. A mail that cannot be handed over rolls its job back, to be tried again later."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.accounts.services.accounts import JOB_PASSWORD_RESET, JOB_REGISTRATION_MAIL, AccountService
from community.config import Settings
from community.jobs import Handler, JobContext, Periodic
from community.notifications.email import Mailer


async def registration_mail_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings: Settings = ctx.resources["settings"]
    mailer: Mailer = ctx.resources["mailer"]
    await AccountService(ctx.db).send_registration_mail(UUID(str(payload["id"])), mailer, settings)


async def password_reset_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings: Settings = ctx.resources["settings"]
    mailer: Mailer = ctx.resources["mailer"]
    await AccountService(ctx.db).send_password_reset(str(payload["email"]), mailer, settings)


async def forget_stale_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await AccountService(ctx.db).forget_stale()


JOBS: dict[str, Handler] = {
    JOB_REGISTRATION_MAIL: registration_mail_job,
    JOB_PASSWORD_RESET: password_reset_job,
}
FORGET_STALE = Periodic(
    "accounts.forget_stale", forget_stale_job, every=lambda _resources: 3600.0, first_after=60
)
