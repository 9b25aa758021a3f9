"""Flags, hiding, the review queue and the moderators' log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.errors import Forbidden, FormError, NotFound
from community.forum.models import Flag, FlagReason, HeldEdit, Member, ModAction, Post, Topic, Visibility
from community.forum.services.topics import TopicService
from community.forum.services.trust import FLAG_LEVEL, HIDE_WEIGHT, TrustService
from community.forum.services.writing import render_with_mentions
from community.forum.views import QueueItem
from community.i18n import _
from community.kernel.clock import now
from community.kernel.text import clean_line

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

EDIT_ACTIONS = ("approve_edit", "reject_edit")
ACTIONS = ("approve", "hide", "delete", "restore", "dismiss", *EDIT_ACTIONS)


class ModerationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)
        self.topics = TopicService(db)

    async def flag(self, user: Any, post_id: int, reason: str, note: str) -> bool:
        """Flag a post. Gives True when the flags now hide it."""
        level = await self.trust.level(user)
        if level < FLAG_LEVEL:
            raise FormError(
                {
                    "reason": _(
                        "Flagging opens at trust level %(level)s: take part a little first.", level=FLAG_LEVEL
                    )
                }
            )
        errors: dict[str, str] = {}
        if reason not in {r.value for r in FlagReason}:
            errors["reason"] = _("Choose why this post should be looked at.")
        note = clean_line(note)[:500]
        if reason == FlagReason.OTHER.value and len(note) < 5:
            errors["note"] = _("Say in a few words what is wrong.")
        if errors:
            raise FormError(errors)
        post = await self.db.scalar(select(Post).where(Post.id == post_id).with_for_update())
        if post is None or not await self.trust.sees(user, await self.db.get(Topic, post.topic_id), post):
            raise NotFound  # what a member cannot see, they cannot flag
        if post.author_id == user.id:
            raise FormError({"reason": _("You cannot flag your own post; edit or delete it instead.")})
        try:
            async with self.db.begin_nested():
                self.db.add(Flag(post_id=post.id, user_id=user.id, reason=FlagReason(reason), note=note))
        except IntegrityError:
            raise FormError({"reason": _("You have already flagged this post.")}) from None
        if post.visibility is not Visibility.VISIBLE:
            return False
        # The open flags' weights, each flagger's trust as it is now (a moderator's flag alone hides).
        weights = (
            select(func.coalesce(func.sum(TrustService.flag_weight_of(Member.trust_level)), 0))
            .select_from(Flag)
            .join(Member, Member.user_id == Flag.user_id)
            .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        )
        weight = max(int(await self.db.scalar(weights) or 0), await self.trust.flag_weight(user))
        if weight >= HIDE_WEIGHT:
            await self._set_visibility(post, Visibility.HIDDEN)
            note = _("Hidden by members' flags")
            self.db.add(ModAction(action="auto_hide", post_id=post.id, topic_id=post.topic_id, note=note))
            return True
        return False

    async def _set_visibility(self, post: Post, visibility: Visibility) -> None:
        post.visibility = visibility
        topic = await self.db.get(Topic, post.topic_id)
        assert topic is not None
        if post.number == 1:
            topic.visibility = visibility
            await self.topics.reindex(topic)
            await self.topics.reindex_replies(topic)  # they are found exactly while their topic is seen
        else:
            await self.topics.reindex_reply(topic, post)
            await self.topics.refresh_counts(topic.id)
            if topic.accepted_post_id == post.id and visibility is not Visibility.VISIBLE:
                topic.accepted_post_id = None

    async def act(self, moderator: Any, post_id: int, action: str, note: str = "") -> Post:
        if not await self.trust.is_moderator(moderator):
            raise Forbidden
        if action not in ACTIONS:
            raise FormError({"action": _("Unknown action.")})
        post = await self.db.scalar(select(Post).where(Post.id == post_id).with_for_update())
        if post is None:
            raise NotFound
        if action in EDIT_ACTIONS:
            await self._decide_edit(post, approve=action == "approve_edit")
        else:
            await self._decide_post(post, action)
        self.db.add(
            ModAction(moderator_id=moderator.id, action=action, post_id=post.id, topic_id=post.topic_id,
                      note=clean_line(note)[:500])
        )  # fmt: skip
        return post

    async def _decide_post(self, post: Post, action: str) -> None:
        """Approve, restore, hide, delete a post, or dismiss its flags; its open flags are resolved."""
        was_pending = post.visibility is Visibility.PENDING
        target = {
            "approve": Visibility.VISIBLE,
            "restore": Visibility.VISIBLE,
            "hide": Visibility.HIDDEN,
            "delete": Visibility.DELETED,
            "dismiss": post.visibility,
        }[action]
        if target is Visibility.DELETED:  # nothing of a deleted post waits any more
            await self.db.execute(delete(HeldEdit).where(HeldEdit.post_id == post.id))
        if target is not post.visibility:
            await self._set_visibility(post, target)
            if target is Visibility.VISIBLE and was_pending:
                topic = await self.db.get(Topic, post.topic_id)
                assert topic is not None
                if post.number == 1:
                    tag_ids = await self.topics.catalog.tag_ids(topic.id)
                    await self.topics.after_visible_topic(topic, tag_ids, [], None)
                elif topic.visibility is Visibility.VISIBLE:  # nobody is told of a topic they cannot see
                    await self.topics.after_visible_post(topic, post, [], post.author_id)
        await self.db.execute(
            update(Flag)
            .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
            .values(resolved_at=now(), resolution=action)
        )

    async def _decide_edit(self, post: Post, *, approve: bool) -> None:
        """Approve the edit that waits (readers now see it, as its editor's new version) or reject it."""
        held = await self.db.scalar(select(HeldEdit).where(HeldEdit.post_id == post.id).with_for_update())
        if held is None:
            raise FormError({"action": _("No edit of this post waits for review.")})
        if approve:
            topic = await self.db.get(Topic, post.topic_id)
            assert topic is not None
            rendered, _mentioned = await render_with_mentions(self.db, held.body_md)
            await self.topics.apply_edit(topic, post, held.editor_id, held.body_md, rendered, held.title)
        await self.db.delete(held)

    async def queue(self, moderator: Any) -> list[QueueItem]:
        """Posts waiting for review, hidden by flags, carrying open flags or an edit that waits; oldest
        first."""
        if not await self.trust.is_moderator(moderator):
            raise Forbidden
        flagged = select(Flag.post_id).where(Flag.resolved_at.is_(None))
        edited = select(HeldEdit.post_id)
        rows = (
            await self.db.execute(
                select(Post, Topic, User.display_name)
                .join(Topic, Topic.id == Post.topic_id)
                .join(User, User.id == Post.author_id)
                .where(
                    Post.visibility.in_([Visibility.PENDING, Visibility.HIDDEN])
                    | Post.id.in_(flagged)
                    | Post.id.in_(edited)
                )
                .order_by(Post.created_at)
                .limit(200)
            )
        ).all()
        items = [QueueItem(post, topic, author, []) for post, topic, author in rows]
        if items:
            flags = (
                await self.db.execute(
                    select(Flag.post_id, Flag.reason, Flag.note, User.display_name)
                    .join(User, User.id == Flag.user_id)
                    .where(Flag.post_id.in_([i.post.id for i in items]), Flag.resolved_at.is_(None))
                )
            ).all()
            by_post: dict[int, list[tuple[str, str, str]]] = {}
            for post_id, reason, note, name in flags:
                by_post.setdefault(post_id, []).append((reason.value, note, name))
            held = {
                edit.post_id: edit
                for edit in await self.db.scalars(
                    select(HeldEdit).where(HeldEdit.post_id.in_([i.post.id for i in items]))
                )
            }
            for item in items:
                item.flags = by_post.get(item.post.id, [])
                item.held_edit = held.get(item.post.id)
        return items

    async def log(self, moderator: Any, page: int = 1) -> list[tuple[ModAction, str | None]]:
        if not await self.trust.is_moderator(moderator):
            raise Forbidden
        rows = await self.db.execute(
            select(ModAction, User.display_name)
            .outerjoin(User, User.id == ModAction.moderator_id)
            .order_by(ModAction.created_at.desc())
            .limit(100)
            .offset((max(page, 1) - 1) * 100)
        )
        return [(action, name) for action, name in rows.all()]
