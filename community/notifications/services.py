"""Who is told what. Zones call ``NotificationService.notify`` with one of their ``Notice`` kinds and its
parameters, inside the transaction that makes the change, so a notification exists exactly when the change
does. Nothing is worded here: the reader's language words it when it is shown or mailed (``notices``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import User
from community.errors import FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import next_digest_at, now
from community.kernel.models import Page
from community.notifications.models import RHYTHMS, MailPreference, Notification

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.notifications.notices import Notice

PAGE_SIZE = 30
# A parameter is a short value (a title, a name, a reason); a longer one is cut, a sentence never needs more.
PARAM_MAX = 2000
JOB_MAIL = "notifications.mail"
# No preference saved: each mailed notice is mailed at once.
DEFAULT_RHYTHM = "immediate"
# The header shows "99+" past this; counting further costs time and tells nobody anything.
UNREAD_COUNT_CAP = 100


def unread_count_query(user_id: UUID) -> object:
    """A capped count of unread rows, cheap enough to run on every page a member opens."""
    capped = (
        select(Notification.id)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_COUNT_CAP)
        .subquery()
    )
    return select(func.count()).select_from(capped).scalar_subquery()


class NotificationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def notify(
        self,
        recipient_id: UUID,
        notice: Notice,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        actor_id: UUID | None = None,
    ) -> Notification | None:
        """Tell ``recipient_id`` (a ``notice`` with its ``params``, worded when read); nobody is told about
        what they did themselves. A mailed notice also queues the member's mail at their rhythm."""
        if actor_id is not None and actor_id == recipient_id:
            return None
        rhythm = await self.rhythm(recipient_id) if notice.mailed else "off"
        note = Notification(
            recipient_id=recipient_id,
            kind=notice.kind,
            params=stored_params(params or {}),
            url=url,
            actor_id=actor_id,
            mail_due=rhythm != "off",
        )
        self.db.add(note)
        await self.db.flush()
        if note.mail_due:
            # At once: a job per notice (the first takes whatever is due). A digest: one job per member and
            # sending time, which gathers everything due by then; a notice made while it runs gets the next.
            run_at = next_digest_at(rhythm)
            when = note.id if rhythm == "immediate" else run_at.isoformat()
            await enqueue(
                self.db,
                JOB_MAIL,
                {"user_id": str(recipient_id)},
                run_at=run_at,
                dedupe_key=f"{JOB_MAIL}:{recipient_id}:{when}",
            )
        return note

    async def notify_many(
        self,
        recipient_ids: Iterable[UUID],
        notice: Notice,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        actor_id: UUID | None = None,
    ) -> int:
        sent = 0
        for recipient_id in dict.fromkeys(recipient_ids):  # each once, in order
            if await self.notify(recipient_id, notice, url, params, actor_id=actor_id):
                sent += 1
        return sent

    async def rhythm(self, user_id: UUID) -> str:
        """How often the member is mailed their mailed notices."""
        chosen = await self.db.scalar(select(MailPreference.rhythm).where(MailPreference.user_id == user_id))
        return chosen or DEFAULT_RHYTHM

    async def set_rhythm_if_member(self, user_id: UUID, rhythm: str) -> bool:
        """``set_rhythm`` for a member that still exists (a mail's link may outlive its account)."""
        if await self.db.get(User, user_id) is None:
            return False
        await self.set_rhythm(user_id, rhythm)
        return True

    async def set_rhythm(self, user_id: UUID, rhythm: str) -> None:
        if rhythm not in RHYTHMS:
            raise FormError({"rhythm": _("Choose how often you want email.")})
        await self.db.execute(
            insert(MailPreference)
            .values(user_id=user_id, rhythm=rhythm)
            .on_conflict_do_update(
                index_elements=[MailPreference.user_id], set_={"rhythm": rhythm, "updated_at": now()}
            )
        )
        if rhythm == "off":  # nothing waiting goes out any more
            await self.db.execute(
                update(Notification)
                .where(Notification.recipient_id == user_id, Notification.mail_due.is_(True))
                .values(mail_due=False)
            )

    async def unread_count(self, user_id: UUID) -> int:
        count = await self.db.scalar(select(unread_count_query(user_id)))  # type: ignore[call-overload]
        return int(count or 0)

    async def list_for(
        self, user_id: UUID, page: int = 1, *, unread_only: bool = False
    ) -> Page[Notification]:
        where = [Notification.recipient_id == user_id]
        if unread_only:
            where.append(Notification.read_at.is_(None))
        total = int(await self.db.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
        last_page = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), last_page)  # past the end: the last page, not an empty one
        items = (
            await self.db.scalars(
                select(Notification)
                .where(*where)
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        ).all()
        return Page(items, total, page, PAGE_SIZE)

    async def _own(self, user_id: UUID, notification_id: UUID) -> Notification:
        """One of the member's notifications; someone else's is "not found"."""
        note = await self.db.scalar(
            select(Notification).where(
                Notification.id == notification_id, Notification.recipient_id == user_id
            )
        )
        if note is None:
            raise NotFound
        return note

    async def target(self, user_id: UUID, notification_id: UUID) -> str:
        """The address a notification points to, changing nothing (what a GET may do)."""
        return (await self._own(user_id, notification_id)).url

    async def open(self, user_id: UUID, notification_id: UUID) -> Notification:
        """Mark one notification read (the member opened it: a POST) and give it back."""
        note = await self._own(user_id, notification_id)
        if note.read_at is None:
            note.read_at = now()
        return note

    async def mark_all_read(self, user_id: UUID) -> int:
        result = await self.db.execute(
            update(Notification)
            .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now())
        )
        return int(getattr(result, "rowcount", 0) or 0)


def stored_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON keeps them: text, numbers, dates as ISO text, lists of those; long text cut."""

    def one(value: Any) -> Any:
        if isinstance(value, str):
            return value[:PARAM_MAX]
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, date | datetime):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [one(v) for v in value]
        if isinstance(value, dict):
            return {str(k): one(v) for k, v in value.items()}
        return str(value)[:PARAM_MAX]

    return {str(key): one(value) for key, value in params.items()}
