"""Drafts, saved as the member types (htmx) so that a closed tab or a crash loses nothing.

A member has a draft of a new topic ("new") and one per topic they are replying to ("reply-42"), only for
topics that exist and that they may reply to, each of at most a post's length, and at most ``DRAFTS_MAX``
of them: saving one more forgets their oldest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from community.forum.models import Draft, Topic, Visibility
from community.forum.services.common import BODY_MAX
from community.forum.services.trust import TrustService
from community.kernel.clock import now
from community.kernel.text import clean_body

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

NEW_TOPIC_KEY = "new"
REPLY_KEY = re.compile(r"reply-([1-9]\d{0,17})")  # a topic's id, within a bigint
DRAFT_TITLE_MAX = 400
DRAFT_BODY_MAX = BODY_MAX
DRAFTS_MAX = 20


class DraftService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def known_key(self, key: str) -> bool:
        """A draft of a new topic, or of a reply to a topic that exists and is open to replies."""
        if key == NEW_TOPIC_KEY:
            return True
        match = REPLY_KEY.fullmatch(key)
        if match is None:
            return False
        topic = await self.db.get(Topic, int(match.group(1)))
        return topic is not None and topic.visibility is Visibility.VISIBLE

    async def save(self, user_id: UUID, key: str, title: str, body: str) -> bool:
        """Keep what the member has typed so far (nothing typed: no draft). Gives whether it was kept: a key
        the forum does not know saves nothing, and the preview still answers."""
        if not await self.known_key(key):
            return False
        # Cut before cleaning: no more than a draft can hold is ever read.
        values = {
            "title": title[:DRAFT_TITLE_MAX],
            "body": clean_body(body[: DRAFT_BODY_MAX * 2])[:DRAFT_BODY_MAX],
        }
        if not values["title"].strip() and not values["body"]:
            await self.discard(user_id, key)
            return True
        # The member's row is locked so that their drafts are saved one at a time, and the cap holds however
        # many previews arrive at once.
        await TrustService(self.db).member(user_id, lock=True)
        await self.db.execute(
            insert(Draft)
            .values(user_id=user_id, key=key, **values)
            .on_conflict_do_update(constraint="uq_forum_draft", set_={**values, "updated_at": now()})
        )
        newest = (
            select(Draft.id)
            .where(Draft.user_id == user_id)
            .order_by(Draft.updated_at.desc(), Draft.id.desc())
            .limit(DRAFTS_MAX)
        )
        await self.db.execute(delete(Draft).where(Draft.user_id == user_id, Draft.id.not_in(newest)))
        return True

    @staticmethod
    def body_query(user_id: UUID, key: str) -> Any:
        """The text of the member's draft for ``key`` (NULL when none), as a scalar subquery."""
        return select(Draft.body).where(Draft.user_id == user_id, Draft.key == key).scalar_subquery()

    async def get(self, user_id: UUID | None, key: str) -> Draft | None:
        if user_id is None:
            return None
        return await self.db.scalar(select(Draft).where(Draft.user_id == user_id, Draft.key == key))

    async def discard(self, user_id: UUID, key: str) -> None:
        await self.db.execute(delete(Draft).where(Draft.user_id == user_id, Draft.key == key))
