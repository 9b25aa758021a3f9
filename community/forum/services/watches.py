"""Watching: a member watches a topic, a category or a tag, and new posts there notify them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import SQLColumnExpression, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert

from community.errors import NotFound
from community.forum.models import Watch

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

WATCH_KINDS = ("topic", "category", "tag")


class WatchService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def watch(self, user_id: UUID, kind: str, target_id: int) -> None:
        if kind not in WATCH_KINDS:
            raise NotFound
        await self.db.execute(
            insert(Watch)
            .values(user_id=user_id, target_kind=kind, target_id=target_id)
            .on_conflict_do_nothing()
        )

    async def set_watching(self, user_id: UUID, kind: str, target_id: int, on: bool) -> None:
        if on:
            await self.watch(user_id, kind, target_id)
        else:
            await self.unwatch(user_id, kind, target_id)

    async def unwatch(self, user_id: UUID, kind: str, target_id: int) -> None:
        await self.db.execute(
            delete(Watch).where(
                Watch.user_id == user_id, Watch.target_kind == kind, Watch.target_id == target_id
            )
        )

    @staticmethod
    def watching_query(
        user_id: UUID | SQLColumnExpression[UUID], kind: str, target_id: int | SQLColumnExpression[int]
    ) -> Any:
        """Whether the member watches the target, as an EXISTS for a statement that reads it with others (the
        member and the target may be bound parameters or columns of that statement)."""
        return exists().where(
            Watch.user_id == user_id, Watch.target_kind == kind, Watch.target_id == target_id
        )

    async def is_watching(self, user_id: UUID | None, kind: str, target_id: int) -> bool:
        if user_id is None:
            return False
        found = await self.db.scalar(
            select(Watch.id).where(
                Watch.user_id == user_id, Watch.target_kind == kind, Watch.target_id == target_id
            )
        )
        return found is not None

    async def watchers_of_topic(self, topic_id: int) -> list[UUID]:
        return list(
            (
                await self.db.scalars(
                    select(Watch.user_id).where(Watch.target_kind == "topic", Watch.target_id == topic_id)
                )
            ).all()
        )

    async def watchers_of_new_topic(self, category_id: int, tag_ids: list[int]) -> list[UUID]:
        return list(
            (
                await self.db.scalars(
                    select(Watch.user_id)
                    .where(
                        or_(
                            (Watch.target_kind == "category") & (Watch.target_id == category_id),
                            (Watch.target_kind == "tag") & (Watch.target_id.in_(tag_ids or [-1])),
                        )
                    )
                    .distinct()
                )
            ).all()
        )
