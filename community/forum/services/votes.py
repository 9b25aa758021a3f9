"""Votes and accepted answers: one vote per member per post, one accepted answer per question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from community.errors import Forbidden, FormError, NotFound
from community.forum import notices
from community.forum.documents import post_url
from community.forum.models import Post, Topic, TopicKind, Visibility, Vote, VoteNotice
from community.forum.services.notify import tell
from community.forum.services.trust import REP_ACCEPTED, REP_DOWNVOTE, REP_UPVOTE, TrustService
from community.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

VOTE_VALUES = {"up": 1, "down": -1, "none": 0}


def _rep(value: int) -> int:
    return REP_UPVOTE if value > 0 else REP_DOWNVOTE if value < 0 else 0


def _open(post: Post, topic: Topic) -> bool:
    """Votes and acceptances are for posts everyone sees, in topics everyone sees."""
    return post.visibility is Visibility.VISIBLE and topic.visibility is Visibility.VISIBLE


class VoteService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)

    async def vote(self, user: Any, post_id: int, choice: str) -> tuple[Topic, Post]:
        """Set the member's vote on a post to up, down or none. Sending the same choice twice (a double
        click) changes nothing: the choice is a state, not a toggle. Gives the topic and the post."""
        if choice not in VOTE_VALUES:
            raise FormError({"vote": _("Choose up or down.")})
        value = VOTE_VALUES[choice]
        row = (
            await self.db.execute(
                select(Post, Topic).join(Topic, Topic.id == Post.topic_id).where(Post.id == post_id)
            )
        ).first()
        if row is None or not _open(*row):
            raise NotFound
        post, topic = row
        if post.author_id == user.id:
            raise Forbidden
        query = select(Vote).where(Vote.post_id == post.id, Vote.user_id == user.id).with_for_update()
        existing = await self.db.scalar(query)
        if existing is None and value:
            inserted = await self.db.scalar(
                insert(Vote)
                .values(post_id=post.id, user_id=user.id, value=value)
                .on_conflict_do_nothing()
                .returning(Vote.id)
            )
            if inserted is None:  # another request of this member got there first
                existing = await self.db.scalar(query.execution_options(populate_existing=True))
            else:
                await self._apply(post, topic, 0, value, user)
                return topic, post
        old = existing.value if existing else 0
        if old == value:
            return topic, post
        if existing is not None:
            if value:
                existing.value = value
            else:
                await self.db.delete(existing)
        await self._apply(post, topic, old, value, user)
        return topic, post

    async def _apply(self, post: Post, topic: Topic, old: int, new: int, user: Any) -> None:
        """The post's score and its author's reputation follow the vote's change from ``old`` to ``new``, so
        that both always equal what the current votes give: voting up and back again earns nothing."""
        delta = new - old
        await self.db.execute(update(Post).where(Post.id == post.id).values(score=Post.score + delta))
        if post.number == 1:
            await self.db.execute(update(Topic).where(Topic.id == topic.id).values(score=Topic.score + delta))
        await self.trust.add_reputation(post.author_id, _rep(new) - _rep(old))
        if new > 0 and old <= 0 and await self._first_notice(post, user):
            await tell(
                self.db, [post.author_id], notices.VOTE, post_url(topic, post), actor_id=user.id,
                title=topic.title,
            )  # fmt: skip
        await self.db.refresh(post, ["score"])

    async def _first_notice(self, post: Post, user: Any) -> bool:
        """Whether this voter's up-vote is the first to tell the author: once per voter and post, ever (a
        unique row, so two requests at once cannot both tell)."""
        inserted = await self.db.scalar(
            insert(VoteNotice)
            .values(post_id=post.id, voter_id=user.id)
            .on_conflict_do_nothing()
            .returning(VoteNotice.id)
        )
        return inserted is not None

    async def accept(self, user: Any, post_id: int) -> tuple[Topic, Post, bool]:
        """The asker (or a moderator) accepts an answer, or takes the acceptance back. The question's row is
        locked, so two acceptances at once end with one accepted answer."""
        post = await self.db.get(Post, post_id)
        if post is None:
            raise NotFound
        topic = await self.db.scalar(select(Topic).where(Topic.id == post.topic_id).with_for_update())
        if topic is None or not _open(post, topic):
            raise NotFound
        if topic.kind is not TopicKind.QUESTION or post.number == 1:
            raise FormError({"accept": _("Only an answer to a question can be accepted.")})
        if user.id != topic.author_id and not await self.trust.is_moderator(user):
            raise Forbidden
        previous = topic.accepted_post_id
        if previous == post.id:
            topic.accepted_post_id = None
            if post.author_id != topic.author_id:
                await self.trust.add_reputation(post.author_id, -REP_ACCEPTED)
            return topic, post, False
        if previous is not None:
            old = await self.db.get(Post, previous)
            if old is not None and old.author_id != topic.author_id:
                await self.trust.add_reputation(old.author_id, -REP_ACCEPTED)
        topic.accepted_post_id = post.id
        if post.author_id != topic.author_id:
            await self.trust.add_reputation(post.author_id, REP_ACCEPTED)
        await tell(
            self.db, [post.author_id], notices.ACCEPTED, post_url(topic, post), actor_id=user.id,
            title=topic.title,
        )  # fmt: skip
        return topic, post, True
