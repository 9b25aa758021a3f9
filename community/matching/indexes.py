"""The in-memory matching indexes of a process (open scenarios, verified capability profiles, open positions,
talent profiles open to offers): built off the event loop, kept until what they hold changes.

- **Built in a thread**, one build at a time per process (a single-thread executor). The thread runs its own
  event loop on a connection of its own, so reading, tokenizing and packing 50,000 profiles never holds up a
  request; it shares the GIL only in slices of ``sys.getswitchinterval()``.
- **Invalidated through a version row.** Every statement that writes what an index holds (the scenario,
  profile, position and talent tables, their organization's name, their vectors) sets that kind's row of
  ``match_index_version`` to a new number, by trigger, and NOTIFYs ``community_matching`` (migration 1020).
  Each process LISTENs on one connection of its own and reads the version rows when told; while it cannot
  listen, it reads them at most every ``CHECK_SECONDS``. No request runs a freshness query of its own, and
  nothing depends on one process's memory: every process learns of every change, whoever made it.
- **The old index keeps serving** while its successor is built. A request waits for a rebuild only where
  the last build was quick (``QUICK_BUILD``: a small site shows a change at once), and then at most
  ``QUICK_WAIT``; a process's very first request for a kind waits for the build, and so does background
  work that asks for a ``fresh`` index (a push decides once).
- Nothing in the key depends on the date: what closes at midnight (a position's deadline) is masked when
  ranking.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from community.jobs.listen import Listener
from community.matching.models import INDEX_CHANNEL, index_version
from community.search.text import ensure_jieba

logger = logging.getLogger(__name__)

T = TypeVar("T")
WROTE = "matching_indexes_wrote"
# Without a LISTEN connection (the database away, PgBouncer in the way), the version rows are read this often.
CHECK_SECONDS = 5.0
# A rebuild that took at most QUICK_BUILD last time is waited for, at most QUICK_WAIT (a busy machine may take
# a few times longer than last time); a slower one is not waited for at all.
QUICK_BUILD = 2.0
QUICK_WAIT = 5.0
# A threshold the count of young collections never reaches: no full collection while an index is built.
NO_FULL_COLLECTION = 1 << 30
# After a failed build, the next try waits this long (a broken database is not hammered per request).
RETRY_SECONDS = 5.0

# One build at a time in this process, off the event loop.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching-index")
Build = Callable[[AsyncSession], Awaitable[tuple[T, int]]]


@dataclass
class Built(Generic[T]):
    """An index as built: what it holds, the version of its kind it was built at, and when."""

    value: T
    version: int
    built_at: float
    seconds: float


def read_versions_sql() -> Any:
    return select(index_version.c.kind, index_version.c.version)


async def current_version(db: AsyncSession, kind: str) -> int:
    """The version of one kind, read in the build's own transaction before what it holds (so that an index
    is never newer than its number says: at worst it is built once more)."""
    value = await db.scalar(select(index_version.c.version).where(index_version.c.kind == kind))
    return int(value or 0)


class Indexes:
    """The indexes of one database in this process (tests run several databases in one process)."""

    def __init__(self, database_url: str, listen_url: str) -> None:
        self.database_url = database_url
        self.listen_url = listen_url
        self.entries: dict[tuple[Any, ...], Built[Any]] = {}
        self.versions: dict[str, int] = {}
        self.checked_at: float | None = None
        self.failed_at: dict[tuple[Any, ...], float] = {}
        self.building: dict[tuple[Any, ...], asyncio.Task[Built[Any]]] = {}
        self.builds = 0  # builds finished in this process (what an operator and the tests read)
        self.wrote = False  # a session of this process committed a write since the versions were read
        self._changed: asyncio.Event | None = None
        self._listener: Listener | None = None
        self._listen_task: asyncio.Task[None] | None = None

    # --- invalidation --------------------------------------------------------------------------------------

    def _listen(self) -> None:
        """One LISTEN connection per process and event loop, started on first use."""
        loop = asyncio.get_running_loop()
        task = self._listen_task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._changed = asyncio.Event()
        self._changed.set()  # nothing heard yet: read the versions
        self._listener = Listener(self.listen_url, {INDEX_CHANNEL: [self._changed]})
        self._listen_task = loop.create_task(self._listener.run_forever(), name="matching-index-listen")

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._listener.listening.is_set()

    async def current_versions(self, db: AsyncSession) -> dict[str, int]:
        """The version of each kind: read again when a NOTIFY said it changed (or the listener reconnected),
        when this process committed a write (its own change shows at once, before its NOTIFY comes back), or,
        while nobody listens, when the last read is ``CHECK_SECONDS`` old."""
        self._listen()
        assert self._changed is not None
        await asyncio.sleep(0)  # a notification already received is handled first
        now = time.monotonic()
        stale = self.checked_at is None or (not self.listening and now - self.checked_at >= CHECK_SECONDS)
        if self._changed.is_set() or self.wrote or stale:
            self._changed.clear()  # before reading: a change committed meanwhile sets it again
            self.wrote = False
            rows = await db.execute(read_versions_sql())
            self.versions = {str(kind): int(version) for kind, version in rows}
            self.checked_at = now
            logger.debug("matching index versions read: %s", self.versions)
        return self.versions

    # --- building ------------------------------------------------------------------------------------------

    async def get(
        self, db: AsyncSession, kind: str, key: tuple[Any, ...], build: Build[T], *, fresh: bool = False
    ) -> Built[T]:
        """The index of ``kind`` for ``key`` (the model, whether meaning is available): the one in memory
        while its version is current. Otherwise a rebuild starts in the background and the old index answers,
        unless it was quick to build (then the request waits for the new one, at most ``QUICK_WAIT``: a small
        site shows a change at once). ``fresh``: wait for the rebuild whatever it takes (background work that
        decides once, such as a push)."""
        versions = await self.current_versions(db)
        full_key = (kind, *key)
        entry = self.entries.get(full_key)
        if entry is not None and _fresh(entry.version, versions.get(kind, 0)):
            return entry
        logger.debug(
            "matching index %s: built at %s, now %s", kind, entry and entry.version, versions.get(kind, 0)
        )
        failed = self.failed_at.get(full_key)
        if entry is not None and failed is not None and time.monotonic() - failed < RETRY_SECONDS:
            return entry
        task = self._start(full_key, build)
        if entry is None or fresh:
            return await asyncio.shield(task)  # the first request of this process for this kind
        if entry.seconds <= QUICK_BUILD:
            done, _pending = await asyncio.wait({task}, timeout=QUICK_WAIT)
            if done and not task.cancelled() and task.exception() is None:
                return task.result()
        return entry

    def _start(self, full_key: tuple[Any, ...], build: Build[T]) -> asyncio.Task[Built[T]]:
        loop = asyncio.get_running_loop()
        task = self.building.get(full_key)
        if task is not None and not task.done() and task.get_loop() is loop:
            return task
        new: asyncio.Task[Built[T]] = loop.create_task(self._build(full_key, build))
        self.building[full_key] = new
        return new

    async def _build(self, full_key: tuple[Any, ...], build: Build[T]) -> Built[T]:
        try:
            # The build's one connection goes where LISTEN goes: straight to PostgreSQL (DATABASE_LISTEN_URL),
            # since its engine keeps prepared statements that PgBouncer's transaction pooling would mix up.
            value, version, seconds = await asyncio.get_running_loop().run_in_executor(
                _executor, _run_in_thread, self.listen_url, build
            )
        except Exception:
            self.failed_at[full_key] = time.monotonic()
            logger.exception("matching index %s could not be built", full_key[0])
            raise
        finally:
            self.building.pop(full_key, None)
        built = Built(value, version, time.time(), seconds)
        previous = self.entries.get(full_key)
        if previous is None or previous.version <= version:
            self.entries[full_key] = built
            if previous is not None:
                # Freed here, the old index's million objects would hold the event loop for a quarter of a
                # second (one cascade of deallocations, in C): the build thread frees it a slice at a time.
                # (Handed over in a list that no variable here holds, so that it can be the last holder.)
                handed, previous = [previous], None
                _executor.submit(_release, handed)
        self.failed_at.pop(full_key, None)
        self.builds += 1
        logger.info("matching index %s built at version %s in %.2f s", full_key[0], version, built.seconds)
        return built


def _run_in_thread(database_url: str, build: Build[T]) -> tuple[T, int, float]:
    """In the build thread: an event loop and one connection of its own, for one build; what it built, the
    version, and how long it took (jieba's dictionary, loaded once per process, not counted)."""
    ensure_jieba()
    started = time.monotonic()
    # No full collection while building: it would walk everything built so far while holding the GIL (the
    # event loop's thread waits). Young collections go on, each over a few thousand objects: the garbage of
    # requests served meanwhile goes as usual, and what the build keeps moves to the old generation.
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, NO_FULL_COLLECTION)

    async def run() -> tuple[T, int]:
        engine = create_async_engine(
            database_url,
            poolclass=NullPool,
            connect_args={"server_settings": {"application_name": "community-matching-index"}},
        )
        try:
            async with AsyncSession(engine, expire_on_commit=False) as db:
                return await build(db)
        finally:
            await engine.dispose()

    try:
        value, version = asyncio.run(run())
        # The new index out of the collector's sight, like everything loaded at start (the app freezes after
        # start), so that no later full collection walks 50,000 profiles while a request waits. Freezing is
        # a splice of lists, not a walk; and it comes before full collections are allowed again, since one
        # is due at once after a build.
        if gc.isenabled() and gc.get_freeze_count():
            gc.freeze()
    finally:
        gc.set_threshold(young, middle, old)
    return value, version, time.monotonic() - started


async def build_thread_idle() -> None:
    """Until the build thread has done what it was given so far (a build, the release of a replaced index)."""
    await asyncio.get_running_loop().run_in_executor(_executor, lambda: None)


def _release(holder: list[Built[Any]]) -> None:
    """In the build thread: free a replaced index (and the containers of the objects it holds, one level
    down) a slice at a time, so that the GIL changes hands between slices. Only what nothing else holds is
    emptied: a request still ranking with the old index keeps it whole (it goes when that request lets go)."""
    built = holder.pop()
    value = built.value
    del built
    if sys.getrefcount(value) == _ONLY_LOCAL:
        _empty_slices(value, depth=1)
        logger.debug("replaced matching index freed in slices")
    else:
        logger.debug("replaced matching index still held: freed by its last holder")


# sys.getrefcount of an object only a local variable holds: the variable and the call's argument.
_ONLY_LOCAL = 2
RELEASE_SLICE = 1000


def _empty_slices(owner: Any, depth: int) -> None:
    for name in list(getattr(owner, "__dict__", ())):
        part = getattr(owner, name)
        # The attribute, this variable and the argument: held by ``owner`` alone.
        if sys.getrefcount(part) != _ONLY_LOCAL + 1:
            continue
        if isinstance(part, list):
            while part:
                del part[-RELEASE_SLICE:]
        elif isinstance(part, dict):
            while part:
                for key in list(itertools.islice(part, RELEASE_SLICE)):
                    del part[key]
        elif depth > 0:
            _empty_slices(part, depth - 1)
        del part


def _fresh(built: int, current: int) -> bool:
    """Versions only grow, and never repeat; 0 (no row: the tables were emptied) is never fresh but for an
    index built at 0. An index built after the version this process last read is fresh too."""
    return built == current or (current > 0 and built > current)


_registries: dict[str, Indexes] = {}


# A write committed by this process: read the versions at the next use (its NOTIFY comes back a moment later).
# Only sessions that wrote count: a read-only request's commit costs the next one nothing.
@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(WROTE, False):
        for registry in list(_registries.values()):
            registry.wrote = True


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(WROTE, None)


def indexes_of(database_url: str, listen_url: str | None = None) -> Indexes:
    """The indexes of the database at ``database_url`` in this process."""
    registry = _registries.get(database_url)
    if registry is None:
        registry = _registries[database_url] = Indexes(database_url, listen_url or database_url)
    return registry
