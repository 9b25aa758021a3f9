"""Stored embeddings: computed when a text (or the model) changed, read back as vectors for the ranker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.matching.documents import any_owner_id, embedding_text
from community.matching.embedder import Embedder, EmbedderUnavailableError, text_hash
from community.matching.models import Embedding
from community.matching.ranker import Doc, FloatArray

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession


class EmbeddingService:
    def __init__(self, db: AsyncSession, embedder: Embedder | None) -> None:
        self.db = db
        self.embedder = embedder

    @property
    def model(self) -> str:
        return self.embedder.name if self.embedder else "none"

    @property
    def degraded(self) -> bool:
        return self.embedder is None or not self.embedder.ready

    async def ready(self) -> bool:
        """Whether vectors can be computed now (loads the model the first time)."""
        if self.embedder is None:
            return False
        return await self.embedder.load()

    async def store(self, owner_type: str, docs: Sequence[Doc]) -> int:
        """Compute and keep the vectors of ``docs`` whose text (or the model) changed; the number computed."""
        if not docs or not await self.ready():
            return 0
        assert self.embedder is not None
        texts = {doc.id: embedding_text(doc) for doc in docs}
        hashes = {doc_id: text_hash(text) for doc_id, text in texts.items()}
        stored = {
            str(owner_id): h
            for owner_id, h in await self.db.execute(
                select(Embedding.owner_id, Embedding.text_hash).where(
                    Embedding.owner_type == owner_type,
                    Embedding.model == self.model,
                    Embedding.owner_id == any_owner_id(texts),
                )
            )
        }
        todo = [doc_id for doc_id in texts if stored.get(doc_id) != hashes[doc_id]]
        if not todo:
            return 0
        vectors = await self.embedder.encode([texts[doc_id] for doc_id in todo])
        for doc_id, vector in zip(todo, vectors, strict=True):
            statement = insert(Embedding).values(
                owner_type=owner_type,
                owner_id=UUID(doc_id),
                model=self.model,
                text_hash=hashes[doc_id],
                dim=len(vector),
                vector=[float(x) for x in vector],
            )
            await self.db.execute(
                statement.on_conflict_do_update(
                    constraint="uq_match_embedding_owner_model",
                    set_={
                        "text_hash": statement.excluded.text_hash,
                        "dim": statement.excluded.dim,
                        "vector": statement.excluded.vector,
                        "updated_at": func.now(),
                    },
                )
            )
        return len(todo)

    async def store_quietly(self, owner_type: str, docs: Sequence[Doc]) -> int:
        """``store``, or 0 when the model cannot load (matching goes on without meaning)."""
        try:
            return await self.store(owner_type, docs)
        except EmbedderUnavailableError:
            return 0

    async def vectors(self, owner_type: str, ids: Sequence[str]) -> dict[str, FloatArray]:
        if self.degraded or not ids:
            return {}
        rows = await self.db.execute(
            select(Embedding.owner_id, Embedding.vector).where(
                Embedding.owner_type == owner_type,
                Embedding.model == self.model,
                Embedding.owner_id == any_owner_id(ids),
            )
        )
        return {str(owner_id): np.asarray(vector, dtype=np.float32) for owner_id, vector in rows}

    async def query_vector(self, owner_type: str, doc: Doc) -> FloatArray | None:
        """The stored vector of ``doc`` if its text is current, else computed now (and kept)."""
        if not await self.ready():
            return None
        row = await self.db.execute(
            select(Embedding.vector, Embedding.text_hash).where(
                Embedding.owner_type == owner_type,
                Embedding.owner_id == UUID(doc.id),
                Embedding.model == self.model,
            )
        )
        found = row.first()
        if found is not None and found.text_hash == text_hash(embedding_text(doc)):
            return np.asarray(found.vector, dtype=np.float32)
        try:
            await self.store(owner_type, [doc])
        except EmbedderUnavailableError:
            return None
        vectors = await self.vectors(owner_type, [doc.id])
        return vectors.get(doc.id)

    def matrix(self, docs: Sequence[Doc], vectors: dict[str, FloatArray]) -> FloatArray | None:
        """The vectors of ``docs`` as rows of one matrix (zeros where a vector is missing)."""
        if not vectors or self.embedder is None or not self.embedder.dim:
            return None
        matrix = np.zeros((len(docs), self.embedder.dim), dtype=np.float32)
        for i, doc in enumerate(docs):
            vector = vectors.get(doc.id)
            if vector is not None and len(vector) == self.embedder.dim:
                matrix[i] = vector
        return matrix

    async def version(self, owner_type: str) -> tuple[Any, ...]:
        """How many vectors of a kind there are and when one last changed (an index's freshness)."""
        row = (
            await self.db.execute(
                select(func.count(), func.max(Embedding.updated_at)).where(
                    Embedding.owner_type == owner_type, Embedding.model == self.model
                )
            )
        ).one()
        return (row[0], row[1])
