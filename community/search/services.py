"""Search for every zone: index through the outbox, search through one backend, rebuild from the sources.

Zones call ``enqueue_upsert`` / ``enqueue_delete`` inside the transaction that changes their content, so that
a change and its way into the index commit (or fail) together. ``OutboxDelivery`` carries the entries to the
backend in order per document, retries with backoff, and drains the backlog once the engine is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from community.i18n import _
from community.kernel.clock import now
from community.search.backends.base import SearchBackend
from community.search.models import OutboxEntry, Synonym
from community.search.schemas import DOC_TYPES as DOC_TYPES
from community.search.schemas import SearchDocument, SearchQuery, SearchResults

logger = logging.getLogger(__name__)

# One deliverer at a time across all processes (a transaction-level advisory lock), so entries of one
# document can never be applied out of order by two workers.
DELIVERY_LOCK_KEY = 7_202_611
# Held (exclusively, for its whole run) by `community search reindex`; the deliverer tries it shared to learn
# whether a rebuild is under way, and then keeps what it delivers for the rebuild to replay.
REBUILD_LOCK_KEY = 7_202_613
# One reindex at a time.
REINDEX_LOCK_KEY = 7_202_614
BATCH_SIZE = 200
MAX_BACKOFF_SECONDS = 300
LAG_DEGRADED_SECONDS = 120

# doc_type -> a function listing every document of that type, for `community search reindex`.
Source = Callable[[AsyncSession], AsyncIterator[SearchDocument]]
SOURCES: dict[str, Source] = {}


def register_type(doc_type: str, label: str, source: Source) -> None:
    DOC_TYPES[doc_type] = label
    SOURCES[doc_type] = source


def enqueue_upsert(db: AsyncSession, document: SearchDocument) -> None:
    db.add(
        OutboxEntry(
            doc_type=document.doc_type, doc_id=document.doc_id, op="upsert", payload=document.to_payload()
        )
    )


def enqueue_delete(db: AsyncSession, doc_type: str, doc_id: str) -> None:
    db.add(OutboxEntry(doc_type=doc_type, doc_id=doc_id, op="delete", payload=None))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 12)))


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    waiting: int = 0


class OutboxDelivery:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], backend: SearchBackend) -> None:
        self.sessions = sessions
        self.backend = backend
        self.wake = asyncio.Event()

    async def deliver_once(self, batch_size: int = BATCH_SIZE) -> DeliveryReport:
        """Deliver what is due from the oldest entries; returns what happened."""
        report = DeliveryReport()
        async with self.sessions() as db, db.begin():
            if not await db.scalar(select(func.pg_try_advisory_xact_lock(DELIVERY_LOCK_KEY))):
                return report  # another process is delivering
            rebuilding = not await db.scalar(select(func.pg_try_advisory_xact_lock_shared(REBUILD_LOCK_KEY)))
            moment = now()
            pending = OutboxEntry.delivered_at.is_(None)
            # Documents whose oldest entry is due: one that is backing off waits (its later entries too,
            # to keep the order), without holding up the documents behind it.
            firsts = (
                select(OutboxEntry.doc_type, OutboxEntry.doc_id, OutboxEntry.next_attempt_at, OutboxEntry.id)
                .where(pending)
                .ext(distinct_on(OutboxEntry.doc_type, OutboxEntry.doc_id))
                .order_by(OutboxEntry.doc_type, OutboxEntry.doc_id, OutboxEntry.id)
                .subquery()
            )
            due_docs = (
                select(firsts.c.doc_type, firsts.c.doc_id)
                .where(firsts.c.next_attempt_at <= moment)
                .order_by(firsts.c.id)
                .limit(batch_size)
                .subquery()
            )
            entries = (
                await db.scalars(
                    select(OutboxEntry)
                    .join(
                        due_docs,
                        (due_docs.c.doc_type == OutboxEntry.doc_type)
                        & (due_docs.c.doc_id == OutboxEntry.doc_id),
                    )
                    .where(pending)
                    .order_by(OutboxEntry.id)
                )
            ).all()
            waiting = select(func.count()).select_from(firsts).where(firsts.c.next_attempt_at > moment)
            report.waiting = int(await db.scalar(waiting) or 0)
            if not entries:
                return report
            due: dict[tuple[str, str], list[OutboxEntry]] = {}
            for entry in entries:
                due.setdefault((entry.doc_type, entry.doc_id), []).append(entry)
            # The newest entry of a document carries its whole latest state; older ones are superseded.
            latest = {ref: group[-1] for ref, group in due.items()}
            try:
                await self._apply(db, list(latest.values()))
                delivered_refs = list(due)
            except Exception as exc:
                logger.warning("search delivery of %s documents failed, trying one by one: %s", len(due), exc)
                delivered_refs = []
                for ref, entry in latest.items():
                    try:
                        await self._apply(db, [entry])
                        delivered_refs.append(ref)
                    except Exception as one_exc:  # this document, or the engine, is failing
                        first = due[ref][0]
                        await db.execute(
                            update(OutboxEntry)
                            .where(OutboxEntry.id == first.id)
                            .values(
                                attempts=OutboxEntry.attempts + 1,
                                next_attempt_at=moment + _backoff(first.attempts + 1),
                                last_error=str(one_exc)[:2000],
                            )
                        )
                        report.failed += 1
            ids = [entry.id for ref in delivered_refs for entry in due[ref]]
            if ids and rebuilding:  # the rebuild replays these into the new index before it switches
                await db.execute(
                    update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(delivered_at=moment)
                )
            elif ids:
                await db.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(ids)))
            report.delivered = len(delivered_refs)
        return report

    async def _apply(self, db: AsyncSession, entries: list[OutboxEntry]) -> None:
        upserts = [SearchDocument.from_payload(e.payload) for e in entries if e.op == "upsert" and e.payload]
        deletes = [(e.doc_type, e.doc_id) for e in entries if e.op == "delete"]
        await self.backend.apply(upserts, deletes, db)

    async def drain(self, max_rounds: int = 1000) -> DeliveryReport:
        """Deliver until nothing due is left (used by tests and the CLI)."""
        total = DeliveryReport()
        for _round in range(max_rounds):
            report = await self.deliver_once()
            total.delivered += report.delivered
            total.failed += report.failed
            total.waiting = report.waiting
            if report.delivered == 0:
                break
        if total.delivered:
            await self.backend.refresh_statistics(only_if_stale=True)
        return total

    async def run_forever(self, idle_seconds: float = 0.5) -> None:
        """The background worker of every app process. Once a burst of changes is delivered, it recounts
        the term statistics if the index changed much since they were counted."""
        delivered_since_check = 0
        with contextlib.suppress(Exception):  # the database or engine is away: the built-in words serve
            await self.sync_synonyms()
        while True:
            try:
                report = await self.deliver_once()
                delivered_since_check += report.delivered
                if report.delivered == 0 and delivered_since_check:
                    delivered_since_check = 0
                    await self.backend.refresh_statistics(only_if_stale=True)
            except Exception as exc:  # the database itself is away: wait and try again
                logger.warning("search outbox unreachable: %s", exc)
                report = DeliveryReport()
            if report.delivered == 0:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=idle_seconds)

    async def sync_synonyms(self) -> None:
        """Hand the admins' synonyms to the backend (Meilisearch keeps them in its settings)."""
        async with self.sessions() as db:
            await self.backend.update_synonyms(await synonym_map(db))

    async def backlog(self) -> dict[str, Any]:
        async with self.sessions() as db:
            row = (
                await db.execute(
                    select(
                        func.count(), func.min(OutboxEntry.created_at), func.max(OutboxEntry.attempts)
                    ).where(OutboxEntry.delivered_at.is_(None))
                )
            ).one()
        count, oldest, attempts = row
        lag = (now() - oldest).total_seconds() if oldest else 0.0
        return {"backlog": int(count), "lag_seconds": round(lag, 1), "max_attempts": int(attempts or 0)}


async def synonym_map(db: AsyncSession) -> dict[str, list[str]]:
    rows = (await db.execute(select(Synonym.term, Synonym.expansions).order_by(Synonym.term))).all()
    return {term: list(expansions) for term, expansions in rows}


class SearchService:
    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend

    async def search(self, query: SearchQuery) -> SearchResults:
        try:
            return await self.backend.search(query)
        except Exception as exc:  # the engine is down: the page still loads and says so
            logger.exception("search backend %s failed", self.backend.name, exc_info=exc)
            return SearchResults(
                query=query,
                degraded=True,
                message=_("Search is not available right now. Please try again in a few minutes."),
            )


async def search_health(backend: SearchBackend, delivery: OutboxDelivery) -> dict[str, Any]:
    """For /healthz: engine, backlog and lag. Raises (so the entry reads down) when unreachable."""
    report: dict[str, Any] = {"backend": backend.name}
    report.update(await delivery.backlog())
    report.update(await backend.ping())
    if report["lag_seconds"] > LAG_DEGRADED_SECONDS or report["max_attempts"] > 0:
        report["status"] = "degraded"  # deliveries are failing or far behind
    return report


class ReindexRunning(Exception):
    """Another ``community search reindex`` is under way."""


# Called with (doc_type, documents written so far, documents of that type expected) as a rebuild goes.
Progress = Callable[[str, int, int], Awaitable[None] | None]


async def _tell(progress: Progress | None, doc_type: str, done: int, expected: int) -> None:
    if progress is not None:
        outcome = progress(doc_type, done, expected)
        if outcome is not None:
            await outcome


async def reindex(
    sessions: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    progress: Progress | None = None,
    batch_size: int = 500,
    before_switch: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, int]:
    """Rebuild the index from the database beside the live one, and switch to it at the end.

    Search answers from the live index for the whole run, and the outbox keeps delivering to it. While the
    rebuild's lock is held the deliverer keeps what it delivered (``delivered_at``); at the end, with
    delivery paused, those changes are replayed into the new index (newest per document), the backend
    switches in one step, and the kept entries go. A change made during the run therefore reaches the new
    index either through the sources (read after it committed) or through the replay, or it is still
    pending and is delivered to the new index afterwards. ``before_switch`` runs between the build and the
    switch (tests use it to search mid-run)."""
    counts: dict[str, int] = {}
    async with sessions() as guard, guard.begin():
        if not await guard.scalar(select(func.pg_try_advisory_xact_lock(REINDEX_LOCK_KEY))):
            raise ReindexRunning
        # Kept entries of a rebuild that died were delivered to the live index: they must not be replayed.
        async with sessions() as db, db.begin():
            await db.execute(delete(OutboxEntry).where(OutboxEntry.delivered_at.is_not(None)))
        # From here (a delivery under way first finishes), every delivery keeps what it delivers.
        await guard.execute(select(func.pg_advisory_xact_lock(REBUILD_LOCK_KEY)))
        await backend.begin_rebuild()
        try:
            for doc_type, source in SOURCES.items():
                counts[doc_type] = 0
                async with sessions() as db:
                    expected = await _expected(db, doc_type)
                    await _tell(progress, doc_type, 0, expected)
                    batch: list[SearchDocument] = []
                    async for document in source(db):
                        batch.append(document)
                        if len(batch) >= batch_size:
                            await backend.rebuild_apply(batch, [])
                            counts[doc_type] += len(batch)
                            batch = []
                            await _tell(progress, doc_type, counts[doc_type], expected)
                    if batch:
                        await backend.rebuild_apply(batch, [])
                        counts[doc_type] += len(batch)
                    await _tell(progress, doc_type, counts[doc_type], max(expected, counts[doc_type]))
            await backend.rebuild_ready()
            if before_switch is not None:
                await before_switch()
            # Delivery waits from here to the commit: nothing is delivered to an index on its way out.
            await guard.execute(select(func.pg_advisory_xact_lock(DELIVERY_LOCK_KEY)))
            kept = (
                await guard.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.delivered_at.is_not(None))
                    .ext(distinct_on(OutboxEntry.doc_type, OutboxEntry.doc_id))
                    .order_by(OutboxEntry.doc_type, OutboxEntry.doc_id, OutboxEntry.id.desc())
                )
            ).all()
            for start in range(0, len(kept), batch_size):
                chunk = kept[start : start + batch_size]
                await backend.rebuild_apply(
                    [SearchDocument.from_payload(e.payload) for e in chunk if e.op == "upsert" and e.payload],
                    [(e.doc_type, e.doc_id) for e in chunk if e.op == "delete"],
                )
            await backend.rebuild_switch()
        except BaseException:
            with contextlib.suppress(Exception):
                await backend.rebuild_abandon()
            raise
        await guard.execute(delete(OutboxEntry).where(OutboxEntry.delivered_at.is_not(None)))
    await backend.refresh_statistics()
    return counts


async def _expected(db: AsyncSession, doc_type: str) -> int:
    """How many documents of a type the live index holds: what a progress bar aims at (a guess)."""
    from community.search.models import SearchDocumentRow

    try:
        async with db.begin_nested():
            return int(
                await db.scalar(
                    select(func.count())
                    .select_from(SearchDocumentRow)
                    .where(SearchDocumentRow.doc_type == doc_type)
                )
                or 0
            )
    except Exception:  # the PostgreSQL index is missing (another backend's site): no guess
        return 0
