"""Who hears about what: notifications (worded in each recipient's language when read), and the weekly tag
digest."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import SQLColumnExpression, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import User
from community.forum.documents import topic_url
from community.forum.models import DigestSubscription, Tag, Topic, TopicTag, Visibility
from community.forum.services.common import in_locale
from community.i18n import N_
from community.jobs import JobContext, Periodic
from community.kernel.clock import now
from community.notifications.services import NotificationService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.notifications.email import Mailer
    from community.notifications.notices import Notice

logger = logging.getLogger(__name__)
DIGEST_EVERY = timedelta(days=7)
DIGEST_TOPICS_MAX = 20


async def tell(
    db: AsyncSession,
    recipients: Iterable[UUID],
    notice: Notice,
    url: str,
    *,
    actor_id: UUID | None,
    **params: Any,
) -> None:
    """Notify each recipient once; each reads it in their own language (worded when read)."""
    await NotificationService(db).notify_many(recipients, notice, url, params, actor_id=actor_id)


@dataclass(frozen=True)
class DigestReport:
    sent: int = 0
    skipped: int = 0


class DigestService:
    """A weekly email per tag, opt-in; one email per tag and member, never one per post."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @staticmethod
    def subscribed_query(
        user_id: UUID | SQLColumnExpression[UUID], tag_id: int | SQLColumnExpression[int]
    ) -> Any:
        """Whether the member gets the tag's weekly email, as an EXISTS for a statement that reads others (the
        member and the tag may be bound parameters or columns of that statement)."""
        return exists().where(DigestSubscription.user_id == user_id, DigestSubscription.tag_id == tag_id)

    async def subscription(self, user_id: UUID, tag_id: int) -> DigestSubscription | None:
        return await self.db.scalar(
            select(DigestSubscription).where(
                DigestSubscription.user_id == user_id, DigestSubscription.tag_id == tag_id
            )
        )

    async def subscribe(self, user_id: UUID, tag_id: int) -> None:
        await self.db.execute(
            insert(DigestSubscription)
            .values(user_id=user_id, tag_id=tag_id, token=secrets.token_urlsafe(32), last_sent_at=now())
            .on_conflict_do_nothing()
        )

    async def set_subscribed(self, user_id: UUID, tag_id: int, on: bool) -> None:
        if on:
            await self.subscribe(user_id, tag_id)
        else:
            await self.unsubscribe(user_id, tag_id)

    async def unsubscribe(self, user_id: UUID, tag_id: int) -> None:
        await self.db.execute(
            delete(DigestSubscription).where(
                DigestSubscription.user_id == user_id, DigestSubscription.tag_id == tag_id
            )
        )

    async def unsubscribe_by_token(self, token: str) -> str | None:
        """One click from the mail: no login needed, the token is the proof. Gives the tag's name."""
        row = (
            await self.db.execute(
                select(DigestSubscription, Tag.name)
                .join(Tag, Tag.id == DigestSubscription.tag_id)
                .where(DigestSubscription.token == token)
            )
        ).first()
        if row is None:
            return None
        subscription, name = row
        await self.db.delete(subscription)
        return str(name)

    async def send_due(self, mailer: Mailer, base_url: str) -> DigestReport:
        """Send every digest that is a week old. Rows are locked and skipped by other processes, so a
        digest goes out once even when every app process runs this."""
        current = now()
        due = (
            await self.db.execute(
                select(DigestSubscription, User, Tag)
                .join(User, User.id == DigestSubscription.user_id)
                .join(Tag, Tag.id == DigestSubscription.tag_id)
                .where(
                    or_(
                        DigestSubscription.last_sent_at.is_(None),
                        DigestSubscription.last_sent_at <= current - DIGEST_EVERY,
                    ),
                    User.is_active.is_(True),
                )
                .with_for_update(of=DigestSubscription, skip_locked=True)
                .limit(500)
            )
        ).all()
        sent = skipped = 0
        for subscription, user, tag in due:
            since = subscription.last_sent_at or current - DIGEST_EVERY
            topics = (
                await self.db.scalars(
                    select(Topic)
                    .join(TopicTag, TopicTag.topic_id == Topic.id)
                    .where(
                        TopicTag.tag_id == tag.id,
                        Topic.visibility == Visibility.VISIBLE,
                        Topic.created_at > since,
                    )
                    .order_by(Topic.score.desc(), Topic.created_at.desc())
                    .limit(DIGEST_TOPICS_MAX)
                )
            ).all()
            subscription.last_sent_at = current
            if not topics:
                skipped += 1
                continue
            root = base_url.rstrip("/")
            await mailer.send_template(
                user.email,
                in_locale(user.locale, N_("This week in #%(tag)s"), tag=tag.name),
                "forum/email/digest.txt",
                name=user.display_name,
                tag=tag.name,
                topics=[(t.title, root + topic_url(t.id, t.slug)) for t in topics],
                tag_url=f"{root}/forum/tags/{quote(tag.name)}",
                unsubscribe_url=f"{root}/forum/digest/unsubscribe/{subscription.token}",
                intro=in_locale(user.locale, N_("New topics tagged #%(tag)s this week:"), tag=tag.name),
                more=in_locale(user.locale, N_("All topics with this tag:")),
                stop=in_locale(user.locale, N_("Stop these emails with one click:")),
            )
            sent += 1
        return DigestReport(sent=sent, skipped=skipped)


async def digests_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Hourly, from whichever worker claims it: send the digests that are due. Rows are locked with SKIP
    LOCKED and marked sent in this job's transaction, so a digest never goes out twice."""
    settings = ctx.resources["settings"]
    report = await DigestService(ctx.db).send_due(ctx.resources["mailer"], settings.base_url)
    if report.sent:
        logger.info("forum digests sent: %s", report.sent)


DIGESTS = Periodic("forum.digests", digests_job, every=lambda _resources: 3600.0, first_after=60.0)
