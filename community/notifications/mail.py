"""Notices mailed at the member's rhythm: each at once, or a daily or weekly digest; worded in the member's
language when the mail is written, whoever acted and in whatever language."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select

from community import i18n
from community.accounts.models import User
from community.jobs import JobContext, enqueue
from community.kernel.clock import now
from community.kernel.tokens import member_token, read_member_token
from community.notifications.models import Notification
from community.notifications.notices import word
from community.notifications.services import JOB_MAIL

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.notifications.email import Mailer

logger = logging.getLogger(__name__)
# One mail carries at most this many notices; the rest wait for the next (the inbox has them all).
MAIL_ITEMS_MAX = 50
UNSUBSCRIBE_PURPOSE = "notifications-unsubscribe"


def unsubscribe_token(secret: str, user_id: UUID) -> str:
    return member_token(secret, UNSUBSCRIBE_PURPOSE, user_id)


def read_unsubscribe_token(secret: str, token: str) -> UUID | None:
    """The member a mail's unsubscribe link was made for, or None when it is not one of ours."""
    return read_member_token(secret, UNSUBSCRIBE_PURPOSE, token)


async def mail_due(db: AsyncSession, mailer: Mailer, settings: Settings, user_id: UUID) -> int:
    """Mail the member every notice due to be mailed, in one message in their language, and mark them
    mailed in this transaction. Rows are locked (SKIP LOCKED): two jobs at once never mail one twice. Gives
    how many notices went out."""
    user = await db.get(User, user_id)
    if user is None:
        return 0
    notes = (
        await db.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id, Notification.mail_due.is_(True))
            .order_by(Notification.created_at, Notification.id)
            .limit(MAIL_ITEMS_MAX)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not notes:
        return 0
    if user.is_active:
        root = settings.base_url.rstrip("/")
        locale = i18n.normalize_locale(user.locale)
        with i18n.locale(locale):
            items = [
                {"text": word(n.kind, n.params), "url": root + n.url if n.url.startswith("/") else root}
                for n in notes
            ]
            subject = (
                items[0]["text"]
                if len(items) == 1
                else i18n.ngettext("%(num)s new notification", "%(num)s new notifications", len(items))
                % {"num": len(items)}
            )
            await mailer.send_template(
                user.email,
                subject,
                "notifications/email/notices.txt",
                name=user.display_name,
                items=items,
                inbox_url=f"{root}/notifications#mail",
                unsubscribe_url=f"{root}/notifications/unsubscribe?token="
                + unsubscribe_token(settings.secret_key, user.id),
            )
    if len(notes) == MAIL_ITEMS_MAX:  # more are waiting: another mail right after this one
        await enqueue(db, JOB_MAIL, {"user_id": str(user_id)}, dedupe_key=f"{JOB_MAIL}:{user_id}:more")
    moment = now()
    for note in notes:
        note.mail_due = False
        note.emailed_at = moment if user.is_active else None
    return len(notes) if user.is_active else 0


async def mail_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A member's notices that are due: one mail (a failed send fails the job, which is retried)."""
    sent = await mail_due(
        ctx.db, ctx.resources["mailer"], ctx.resources["settings"], UUID(str(payload["user_id"]))
    )
    if sent:
        logger.info("notices mailed: %s", sent)
