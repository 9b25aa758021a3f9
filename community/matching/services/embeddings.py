"""Stored embeddings: computed when a text (or the model) changed, read back as vectors for the ranker.

Reading stored vectors needs no model: a process loads the model only when it must compute a vector. After
the model changes, the old model's vectors keep serving (``serving_model``) until the new model's cover as
many things; a ranking never mixes the vectors of two models."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING
from uuid import UUID

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert

from community.matching.documents import any_owner_id, embedding_text
from community.matching.embedder import Embedder, EmbedderUnavailableError, Side, text_hash
from community.matching.models import OWNER_POSITION, OWNER_SCENARIO, Embedding
from community.matching.ranker import Doc, FloatArray

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession


VECTOR_DTYPE = np.dtype("<f2")  # how vectors are stored: float16, little-endian
VECTOR_CHUNK = 2000  # stored vectors read at a time into an index's matrix


def pack(vector: FloatArray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def unpack(data: bytes) -> FloatArray:
    return np.frombuffer(data, dtype=VECTOR_DTYPE).astype(np.float32)


def side_of(owner_type: str) -> Side:
    """What is looked for (a scenario's need, a position) is the query; what answers it is the passage."""
    return "query" if owner_type in (OWNER_SCENARIO, OWNER_POSITION) else "passage"


class EmbeddingService:
    """``compute``: whether this process may compute a vector (load the model). A web process that does not
    run the background work never does: it ranks with stored vectors, and a query whose vector is not stored
    yet is ranked without meaning until the worker has computed it."""

    def __init__(self, db: AsyncSession, embedder: Embedder | None, *, compute: bool = True) -> None:
        self.db = db
        self.embedder = embedder
        self.compute = compute

    @property
    def model(self) -> str:
        return self.embedder.name if self.embedder else "none"

    @property
    def degraded(self) -> bool:
        """No meaning at all: no model, or one that failed (or surely will fail) to load. A model not loaded
        yet is not degraded: its stored vectors serve."""
        return self.embedder is None or self.embedder.unloadable() is not None

    async def coverage(self, owner_type: str, live: ColumnElement[bool] | None = None) -> dict[str, int]:
        """How many things of a kind have a vector, per model; with ``live``, only the things it holds
        (open scenarios, verified profiles: vectors of closed ones do not count)."""
        statement = select(Embedding.model, func.count()).where(Embedding.owner_type == owner_type)
        if live is not None:
            statement = statement.where(live)
        rows = await self.db.execute(statement.group_by(Embedding.model))
        return {str(model): int(count) for model, count in rows}

    async def serving_model(self, owner_type: str, live: ColumnElement[bool] | None = None) -> str:
        """The model whose vectors rank things of a kind: the configured one, unless another model's vectors
        still cover more of the ``live`` ones (the configured model's are being computed in the
        background)."""
        if self.degraded:
            return self.model
        counts = await self.coverage(owner_type, live)
        current = counts.get(self.model, 0)
        others = sorted(((n, m) for m, n in counts.items() if m != self.model), reverse=True)
        if others and others[0][0] > current:
            return others[0][1]
        return self.model

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
        vectors = await self.embedder.encode([texts[doc_id] for doc_id in todo], side_of(owner_type))
        for doc_id, vector in zip(todo, vectors, strict=True):
            statement = insert(Embedding).values(
                owner_type=owner_type,
                owner_id=UUID(doc_id),
                model=self.model,
                text_hash=hashes[doc_id],
                dim=len(vector),
                vector=pack(vector),
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

    async def vectors(
        self, owner_type: str, ids: Sequence[str], model: str | None = None
    ) -> dict[str, FloatArray]:
        """The stored vectors of ``ids`` made by ``model`` (by default the configured one)."""
        if self.degraded or not ids:
            return {}
        rows = await self.db.execute(
            select(Embedding.owner_id, Embedding.vector).where(
                Embedding.owner_type == owner_type,
                Embedding.model == (model or self.model),
                Embedding.owner_id == any_owner_id(ids),
            )
        )
        return {str(owner_id): unpack(vector) for owner_id, vector in rows}

    async def matrix_of(self, owner_type: str, docs: Sequence[Doc], model: str) -> FloatArray | None:
        """The stored vectors of ``docs`` made by ``model`` (of the dimension most of them have) as the rows
        of one contiguous float32 matrix (zeros where a vector is missing): one bytes value per row, no float
        objects, read ``VECTOR_CHUNK`` rows at a time (what a chunk leaves is freed in a moment, where 50,000
        rows freed at once held the GIL while requests waited)."""
        if self.degraded or not docs:
            return None
        of_model = (Embedding.owner_type == owner_type, Embedding.model == model)
        dim = await self.db.scalar(
            select(Embedding.dim)
            .where(*of_model)
            .group_by(Embedding.dim)
            .order_by(func.count().desc(), Embedding.dim)
            .limit(1)
        )
        if dim is None:
            return None
        position = {doc.id: i for i, doc in enumerate(docs)}
        matrix = np.zeros((len(docs), dim), dtype=np.float32)
        found = False
        result = await self.db.stream(
            select(Embedding.owner_id, Embedding.vector)
            .where(*of_model, Embedding.dim == dim)
            .execution_options(yield_per=VECTOR_CHUNK)
        )
        async for rows in result.partitions(VECTOR_CHUNK):
            targets: list[int] = []
            blobs: list[bytes] = []
            for owner_id, data in rows:
                row = position.get(str(owner_id))
                if row is not None:
                    targets.append(row)
                    blobs.append(data)
            if targets:
                packed = np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE).reshape(len(targets), dim)
                matrix[np.asarray(targets, dtype=np.int64)] = packed
                found = True
        return matrix if found else None

    async def query_vector(self, owner_type: str, doc: Doc, model: str | None = None) -> FloatArray | None:
        """The stored vector of ``doc`` if its text is current, else computed now (and kept). For another
        model than the configured one (an old model still serving), only a stored current vector."""
        if self.degraded:
            return None
        model = model or self.model
        row = await self.db.execute(
            select(Embedding.vector, Embedding.text_hash).where(
                Embedding.owner_type == owner_type,
                Embedding.owner_id == UUID(doc.id),
                Embedding.model == model,
            )
        )
        found = row.first()
        if found is not None and found.text_hash == text_hash(embedding_text(doc)):
            return unpack(found.vector)
        if not self.compute or model != self.model or not await self.ready():
            return None
        try:
            await self.store(owner_type, [doc])
        except EmbedderUnavailableError:
            return None
        vectors = await self.vectors(owner_type, [doc.id])
        return vectors.get(doc.id)

    async def passing_vector(self, doc: Doc, model: str | None = None) -> FloatArray | None:
        """A vector of a query that is not kept (a forum question): computed now with the configured model,
        on the query side; None when the model cannot run or another model's vectors serve."""
        if not self.compute or self.degraded or (model or self.model) != self.model:
            return None
        if not await self.ready():
            return None
        assert self.embedder is not None
        try:
            encoded = await self.embedder.encode([embedding_text(doc)], "query")
        except EmbedderUnavailableError:
            return None
        return np.asarray(encoded[0], dtype=np.float32)

    def matrix(self, docs: Sequence[Doc], vectors: dict[str, FloatArray]) -> FloatArray | None:
        """The vectors of ``docs`` as rows of one matrix (zeros where a vector is missing). The width is the
        vectors' own (the model need not be loaded to rank with stored vectors)."""
        if not vectors:
            return None
        dim = Counter(len(v) for v in vectors.values()).most_common(1)[0][0]
        matrix = np.zeros((len(docs), dim), dtype=np.float32)
        for i, doc in enumerate(docs):
            vector = vectors.get(doc.id)
            if vector is not None and len(vector) == dim:
                matrix[i] = vector
        return matrix

    async def missing(self, owner_type: str, docs: Sequence[Doc]) -> list[Doc]:
        """The docs without a current vector of the configured model (none, or made from an older text)."""
        if not docs:
            return []
        stored = {
            str(owner_id): h
            for owner_id, h in await self.db.execute(
                select(Embedding.owner_id, Embedding.text_hash).where(
                    Embedding.owner_type == owner_type,
                    Embedding.model == self.model,
                    Embedding.owner_id == any_owner_id([d.id for d in docs]),
                )
            )
        }
        return [d for d in docs if stored.get(d.id) != text_hash(embedding_text(d))]
