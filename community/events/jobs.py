"""The event zone's background work: reminders before an event, word to the person moved up from the
waiting list, and word to everyone when an event is cancelled. The zone declares the handlers (``JOBS``);
the services enqueue them in the transaction of the change."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from babel.dates import format_datetime

from community import i18n
from community.accounts.models import User
from community.config import Settings
from community.events.documents import event_url
from community.events.models import Event
from community.events.services.registrations import (
    JOB_CANCELLED,
    JOB_PROMOTED,
    JOB_REMINDER,
    RegistrationService,
)
from community.jobs import Handler, JobContext
from community.kernel.clock import SITE_TZ
from community.notifications.email import Mailer


def _when(event: Event) -> str:
    start = format_datetime(event.starts_at, "medium", tzinfo=SITE_TZ, locale=i18n.current_locale())
    end = format_datetime(event.ends_at, "short", tzinfo=SITE_TZ, locale=i18n.current_locale())
    return f"{start} – {end}"


async def _mail(ctx: JobContext, user: User, event: Event, subject: str, template: str, **extra: Any) -> None:
    settings: Settings = ctx.resources["settings"]
    mailer: Mailer = ctx.resources["mailer"]
    with i18n.locale(user.locale or settings.default_locale):
        await mailer.send_template(
            user.email,
            i18n.gettext(subject) % {"title": event.title},
            template,
            name=user.display_name,
            title=event.title,
            when=_when(event),
            online=event.online,
            online_url=event.online_url,
            place=" ".join(x for x in (event.district or "", event.address) if x),
            url=settings.base_url.rstrip("/") + event_url(event),
            **extra,
        )


def _registrations(ctx: JobContext) -> RegistrationService:
    settings: Settings = ctx.resources["settings"]
    return RegistrationService(ctx.db, reminder_hours=settings.events_reminder_hours)


async def reminder_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Sent once: the registration is marked reminded in this job's transaction, which rolls back (and the
    job retries) if the mail cannot be handed over."""
    claimed = await _registrations(ctx).claim_reminder(UUID(str(payload["registration_id"])))
    if claimed is not None:
        event, user = claimed
        await _mail(ctx, user, event, i18n.N_("Reminder: %(title)s"), "events/email/reminder.txt")


async def promoted_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    notice = await _registrations(ctx).promotion_notice(UUID(str(payload["registration_id"])))
    if notice is not None:
        event, user = notice
        await _mail(ctx, user, event, i18n.N_("You have a place: %(title)s"), "events/email/promoted.txt")


async def cancelled_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    notice = await _registrations(ctx).cancellation_notice(UUID(str(payload["event_id"])))
    if notice is None:
        return
    event, people = notice
    for user in people:
        await _mail(
            ctx,
            user,
            event,
            i18n.N_("Cancelled: %(title)s"),
            "events/email/cancelled.txt",
            reason=event.cancel_reason,
        )


JOBS: dict[str, Handler] = {
    JOB_REMINDER: reminder_job,
    JOB_PROMOTED: promoted_job,
    JOB_CANCELLED: cancelled_job,
}
