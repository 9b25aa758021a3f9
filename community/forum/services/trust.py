"""Reputation, trust levels, what each level may do, and the limits on new members.

A member's forum standing is one ``forum_member`` row. Posting locks it (``SELECT ... FOR UPDATE``), so two
posts sent at once by one member are checked one after the other, in whichever process they land.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import and_, case, select, update
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import User
from community.errors import FormError
from community.forum.models import Member, Post, Topic, TrustThreshold, Visibility
from community.forum.services.common import PostingTooSoon, clock
from community.i18n import _
from community.kernel.clock import now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# level -> (posts, reputation, days since joining). Discourse-like defaults; admins change them.
DEFAULT_THRESHOLDS: dict[int, tuple[int, int, int]] = {
    1: (3, 0, 1),
    2: (15, 50, 7),
    3: (50, 500, 30),
    4: (200, 2000, 90),
}
# What each level unlocks.
FLAG_LEVEL = 1
CREATE_TAG_LEVEL = 2
EDIT_WIKI_LEVEL = 3
MODERATE_LEVEL = 4

# Hiding by flags, after Discourse: each open flag weighs its flagger's trust, and a post is hidden once the
# weights reach HIDE_WEIGHT. Flags of new and basic members (levels 0 and 1) weigh nothing: they bring the
# post to the moderators' queue, so a handful of fresh accounts cannot hide whatever they like. A
# moderator's flag weighs HIDE_WEIGHT on its own.
FLAG_WEIGHTS = {2: 1, 3: 2}
HIDE_WEIGHT = 3

REP_UPVOTE = 10
REP_DOWNVOTE = -2
REP_ACCEPTED = 15

# New members (trust level 0), after Discourse's defaults.
SECONDS_BETWEEN_POSTS = 30
SECONDS_BETWEEN_TOPICS = 120
MAX_LINKS_NEW = 2
FIRST_DAY_TOPICS = 3
FIRST_DAY_POSTS = 10


@dataclass(frozen=True)
class Threshold:
    level: int
    min_posts: int
    min_reputation: int
    min_days: int


def _in(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class TrustService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def thresholds(self) -> list[Threshold]:
        rows = {row.level: row for row in (await self.db.scalars(select(TrustThreshold))).all()}
        result = []
        for level, (posts, rep, days) in DEFAULT_THRESHOLDS.items():
            row = rows.get(level)
            result.append(
                Threshold(level, row.min_posts, row.min_reputation, row.min_days)
                if row
                else Threshold(level, posts, rep, days)
            )
        return result

    async def set_thresholds(self, values: dict[int, tuple[str, str, str]]) -> list[Threshold]:
        """Admins change what each level needs; every member's level follows at once."""
        errors: dict[str, str] = {}
        parsed: dict[int, tuple[int, int, int]] = {}
        for level, raw in values.items():
            numbers = []
            for name, value in zip(("posts", "reputation", "days"), raw, strict=True):
                try:
                    number = int(value.strip())
                    if not 0 <= number <= 1_000_000:
                        raise ValueError
                except ValueError:
                    errors[f"l{level}_{name}"] = _("Enter a whole number from 0 to 1000000.")
                    number = 0
                numbers.append(number)
            parsed[level] = (numbers[0], numbers[1], numbers[2])
        if not errors:
            for lower, higher in zip(sorted(parsed), sorted(parsed)[1:], strict=False):
                if any(h < lo for h, lo in zip(parsed[higher], parsed[lower], strict=True)):
                    errors[f"l{higher}_posts"] = _("A higher level cannot need less than the level below it.")
        if errors:
            raise FormError(errors)
        for level, (posts, rep, days) in parsed.items():
            await self.db.execute(
                insert(TrustThreshold)
                .values(level=level, min_posts=posts, min_reputation=rep, min_days=days)
                .on_conflict_do_update(
                    index_elements=["level"],
                    set_={"min_posts": posts, "min_reputation": rep, "min_days": days},
                )
            )
        await self.recompute_all()
        return await self.thresholds()

    def _level_expression(self, thresholds: list[Threshold]) -> Any:
        joined = select(User.created_at).where(User.id == Member.user_id).scalar_subquery()
        whens = [
            (
                and_(
                    Member.post_count >= t.min_posts,
                    Member.reputation >= t.min_reputation,
                    joined <= now() - timedelta(days=t.min_days),
                ),
                t.level,
            )
            for t in sorted(thresholds, key=lambda t: -t.level)
        ]
        return case(*whens, else_=0)

    async def recompute_all(self) -> None:
        await self.db.execute(
            update(Member).values(trust_level=self._level_expression(await self.thresholds()))
        )

    async def recompute(self, user_id: UUID) -> None:
        await self.db.execute(
            update(Member)
            .where(Member.user_id == user_id)
            .values(trust_level=self._level_expression(await self.thresholds()))
        )

    async def member(self, user_id: UUID, *, lock: bool = False) -> Member:
        created = await self.db.scalar(
            insert(Member).values(user_id=user_id).on_conflict_do_nothing().returning(Member.id)
        )
        if created is not None:  # a new member: their level may already be above 0 (thresholds at 0)
            await self.recompute(user_id)
        query = select(Member).where(Member.user_id == user_id)
        if lock:
            query = query.with_for_update()
        member = await self.db.scalar(query.execution_options(populate_existing=True))
        assert member is not None
        return member

    async def standing(self, user_id: UUID) -> Member | None:
        return await self.db.scalar(select(Member).where(Member.user_id == user_id))

    @staticmethod
    def level_query(user_id: UUID) -> Any:
        """A member's stored trust level as a scalar subquery (NULL before their standing is made), for a
        statement that reads it with other things."""
        return select(Member.trust_level).where(Member.user_id == user_id).scalar_subquery()

    async def level(self, user: Any) -> int:
        if user is None:
            return -1
        if user.is_admin:
            return 4
        member = await self.standing(user.id) or await self.member(user.id)
        return member.trust_level

    async def is_moderator(self, user: Any) -> bool:
        return user is not None and (user.is_admin or await self.level(user) >= MODERATE_LEVEL)

    async def can_see(self, user: Any, author_id: UUID, visibility: Visibility) -> bool:
        """Everyone sees what is visible; an author also what waits or was hidden; moderators all of it."""
        if visibility is Visibility.VISIBLE:
            return True
        if user is None:
            return False
        if visibility is not Visibility.DELETED and user.id == author_id:
            return True
        return await self.is_moderator(user)

    async def sees(self, user: Any, topic: Topic | None, post: Post | None = None) -> bool:
        """Whether ``user`` sees the topic and, when given, the post in it. What a reader cannot see does not
        exist for them: every route that takes a topic's or a post's id answers "not found", so that not even
        its title shows."""
        if topic is None or not await self.can_see(user, topic.author_id, topic.visibility):
            return False
        return post is None or await self.can_see(user, post.author_id, post.visibility)

    async def may_edit(self, user: Any, post: Post) -> bool:
        """Its author and moderators edit a post; a wiki post, anyone from ``EDIT_WIKI_LEVEL``."""
        if user is None:
            return False
        if user.id == post.author_id or await self.is_moderator(user):
            return True
        return post.is_wiki and await self.level(user) >= EDIT_WIKI_LEVEL

    async def flag_weight(self, user: Any) -> int:
        """What this member's flag weighs toward hiding a post."""
        if await self.is_moderator(user):
            return HIDE_WEIGHT
        return FLAG_WEIGHTS.get(await self.level(user), 0)

    @staticmethod
    def flag_weight_of(level: Any) -> Any:
        """The same weight in SQL, for summing the open flags of a post (``level``: a trust level column)."""
        return case(
            (level >= MODERATE_LEVEL, HIDE_WEIGHT),
            *((level == lvl, weight) for lvl, weight in FLAG_WEIGHTS.items()),
            else_=0,
        )

    async def add_reputation(self, user_id: UUID, delta: int) -> None:
        if delta == 0:
            return
        await self.member(user_id)
        await self.db.execute(
            update(Member).where(Member.user_id == user_id).values(reputation=Member.reputation + delta)
        )
        await self.recompute(user_id)

    @staticmethod
    def is_new(user: Any, member: Member) -> bool:
        """A new member: the limits below apply to them (admins are never new)."""
        return not user.is_admin and member.trust_level < 1

    def check_links(self, user: Any, member: Member, links: int, field: str = "body") -> None:
        """A new member's post, new or edited, carries at most ``MAX_LINKS_NEW`` links."""
        if self.is_new(user, member) and links > MAX_LINKS_NEW:
            raise FormError(
                {field: _("New members may include at most %(n)s links in a post.", n=MAX_LINKS_NEW)}
            )

    async def check_can_post(self, user: Any, *, topic: bool, links: int, field: str = "body") -> Member:
        """Lock the member's row and apply the new-member limits. Raises with when they may post again."""
        member = await self.member(user.id, lock=True)
        if not self.is_new(user, member):
            return member
        current = now()
        self.check_links(user, member, links, field)
        waits: list[tuple[float, str]] = []
        if member.last_posted_at:
            left = SECONDS_BETWEEN_POSTS - (current - member.last_posted_at).total_seconds()
            if left > 0:
                waits.append(
                    (left, _("New members wait %(n)s seconds between posts.", n=SECONDS_BETWEEN_POSTS))
                )
        if topic and member.last_topic_at:
            left = SECONDS_BETWEEN_TOPICS - (current - member.last_topic_at).total_seconds()
            if left > 0:
                waits.append((left, _("New members start at most one topic every 2 minutes.")))
        first_day_end = user.created_at + timedelta(days=1)
        if current < first_day_end:
            if topic and member.topic_count >= FIRST_DAY_TOPICS:
                waits.append(
                    (
                        (first_day_end - current).total_seconds(),
                        _("On their first day, new members start at most %(n)s topics.", n=FIRST_DAY_TOPICS),
                    )
                )
            if member.post_count >= FIRST_DAY_POSTS:
                waits.append(
                    (
                        (first_day_end - current).total_seconds(),
                        _("On their first day, new members write at most %(n)s posts.", n=FIRST_DAY_POSTS),
                    )
                )
        if waits:
            seconds, reason = max(waits)
            wait = _in(seconds)
            at = current + timedelta(seconds=wait)
            if wait < 120:
                when = _("You may post again in %(n)s seconds (at %(time)s).", n=wait, time=clock(at))
            else:
                when = _(
                    "You may post again in %(n)s minutes (at %(time)s).",
                    n=math.ceil(wait / 60),
                    time=clock(at),
                )
            raise PostingTooSoon(field, f"{reason} {when}", wait)
        return member

    async def record_post(self, member: Member, *, topic: bool) -> None:
        current = now()
        values: dict[str, Any] = {"post_count": Member.post_count + 1, "last_posted_at": current}
        if topic:
            values.update(topic_count=Member.topic_count + 1, last_topic_at=current)
        await self.db.execute(update(Member).where(Member.id == member.id).values(**values))
        await self.recompute(member.user_id)
