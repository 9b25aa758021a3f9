"""The interface every search backend offers; zones never talk to a backend directly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from community.search.schemas import SearchDocument, SearchQuery, SearchResults

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class SearchBackend(Protocol):
    name: str

    async def startup(self) -> None:
        """Prepare the engine (index settings); called at app start."""

    async def close(self) -> None: ...

    async def ping(self) -> dict[str, Any]:
        """Raise when the engine cannot be reached; otherwise a few figures for /healthz."""

    async def apply(
        self, upserts: list[SearchDocument], deletes: list[tuple[str, str]], db: AsyncSession | None = None
    ) -> None:
        """Write documents (replacing any with the same type and id) and remove others; idempotent. ``db``:
        the outbox delivery's transaction, which a backend in the same database writes in (so that the
        delivery holds one connection, not two); another engine ignores it."""

    async def reset(self) -> None:
        """Empty the index."""

    # A rebuild (``community search reindex``) writes a new index beside the live one, which keeps
    # answering searches and taking the outbox's changes until ``rebuild_switch`` replaces it in one step.

    async def begin_rebuild(self) -> None:
        """Make an empty new index beside the live one (dropping any left by a rebuild that died)."""

    async def rebuild_apply(self, upserts: list[SearchDocument], deletes: list[tuple[str, str]]) -> None:
        """``apply``, to the new index."""

    async def rebuild_ready(self) -> None:
        """The new index is complete: make it ready to answer (its search indexes, its statistics)."""

    async def rebuild_switch(self) -> None:
        """Replace the live index with the new one, atomically; the old one is dropped."""

    async def rebuild_abandon(self) -> None:
        """Drop the new index (a rebuild that failed); the live one is untouched."""

    async def search(self, query: SearchQuery) -> SearchResults: ...

    async def refresh_statistics(self, only_if_stale: bool = False) -> bool:
        """Recount how rare each word is, where the engine does not do it itself; returns whether it did."""

    async def update_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """Use the admins' synonyms (term -> other spellings) from now on."""
