"""Drafts, saved as the member types (htmx) so that a closed tab or a crash loses nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from community.forum.models import Draft
from community.forum.services.common import BODY_MAX
from community.kernel.clock import now
from community.kernel.text import clean_body

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DRAFT_TITLE_MAX = 400
DRAFT_BODY_MAX = BODY_MAX * 2


def known_key(key: str) -> bool:
    """A draft is of a new topic ("new") or of a reply to one topic ("reply-42")."""
    return key == "new" or (key.startswith("reply-") and key[6:].isdigit() and len(key) < 30)


class DraftService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def save(self, user_id: UUID, key: str, title: str, body: str) -> bool:
        """Keep what the member has typed so far (nothing typed: no draft). Gives whether it was kept: a key
        the forum does not know saves nothing, and the preview still answers."""
        if not known_key(key):
            return False
        values = {"title": title[:DRAFT_TITLE_MAX], "body": clean_body(body)[:DRAFT_BODY_MAX]}
        if not values["title"].strip() and not values["body"]:
            await self.discard(user_id, key)
            return True
        await self.db.execute(
            insert(Draft)
            .values(user_id=user_id, key=key, **values)
            .on_conflict_do_update(constraint="uq_forum_draft", set_={**values, "updated_at": now()})
        )
        return True

    async def get(self, user_id: UUID | None, key: str) -> Draft | None:
        if user_id is None:
            return None
        return await self.db.scalar(select(Draft).where(Draft.user_id == user_id, Draft.key == key))

    async def discard(self, user_id: UUID, key: str) -> None:
        await self.db.execute(delete(Draft).where(Draft.user_id == user_id, Draft.key == key))
