"""Who is told what. Zones call ``NotificationService.notify`` inside the transaction that makes the
change, so a notification exists exactly when the change does."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select, update

from community.errors import NotFound
from community.kernel.clock import now
from community.kernel.models import Page
from community.notifications.models import Notification

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.ext.asyncio import AsyncSession

PAGE_SIZE = 30
SUBJECT_MAX = 300
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
        self, recipient_id: UUID, kind: str, subject: str, url: str, *, actor_id: UUID | None = None
    ) -> Notification | None:
        """Tell ``recipient_id``; nobody is told about what they did themselves."""
        if actor_id is not None and actor_id == recipient_id:
            return None
        subject = " ".join(subject.split())
        if len(subject) > SUBJECT_MAX:
            subject = subject[: SUBJECT_MAX - 1] + "…"
        note = Notification(recipient_id=recipient_id, kind=kind, subject=subject, url=url, actor_id=actor_id)
        self.db.add(note)
        await self.db.flush()
        return note

    async def notify_many(
        self,
        recipient_ids: Iterable[UUID],
        kind: str,
        subject: str,
        url: str,
        *,
        actor_id: UUID | None = None,
    ) -> int:
        sent = 0
        for recipient_id in dict.fromkeys(recipient_ids):  # each once, in order
            if await self.notify(recipient_id, kind, subject, url, actor_id=actor_id):
                sent += 1
        return sent

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
