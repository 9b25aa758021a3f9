"""The in-memory matching indexes of a process (open scenarios, verified capability profiles, open positions,
talent profiles open to offers): built off the event loop, kept until what they hold changes.

- **Built in a thread**, one build at a time per process (a single-thread executor). The thread runs its own
  event loop on a connection of its own, so reading, tokenizing and packing never waits on a request's turn.
- **Large ones are built apart** (``Apart``): an index of ``MATCHING_BUILD_APART_ROWS`` rows or more (the last
  build's, or for a process's first build the vectors stored of that kind) is built in a child process
  (spawned, so nothing of this process's threads or connections is inherited), which writes it to a file in
  small pieces (``ship``); the build thread reads them back one by one (``unship``). Tokenizing 50,000
  profiles in this process's interpreter, even in a thread, took its GIL from the requests for half a second
  at a time; receiving the pieces takes it for a millisecond or two at a time.
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
import os
import pickle
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

from sqlalchemy import distinct, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool

from community.jobs.listen import Listener
from community.matching.models import INDEX_CHANNEL, Embedding, index_version
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
# The name the build's connection shows in pg_stat_activity (the bench watches it), in a thread or apart.
APPLICATION_NAME = "community-matching-index"


class Shippable(Protocol):
    """An index that can be handed from the process that built it to another, in small pieces."""

    def __len__(self) -> int: ...

    def ship(self) -> Iterator[object]: ...

    @classmethod
    def unship(cls, pieces: Iterator[object]) -> Any: ...


@dataclass(frozen=True)
class Apart:
    """How to make a build in a child process: ``build(db, *args)``, a coroutine function of a module's top
    level (pickled by its name, as ``args`` are pickled), returning what a ``Build`` returns, with a value
    that is ``Shippable``. Indexes of at least ``rows`` rows are built so (None: never)."""

    build: Callable[..., Awaitable[tuple[Any, int]]]
    args: tuple[Any, ...]
    rows: int | None


class ApartBuildError(RuntimeError):
    """The child process that built an index failed, or died before it said."""


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
        self.builds_apart = 0  # of which in a child process
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
        self,
        db: AsyncSession,
        kind: str,
        key: tuple[Any, ...],
        build: Build[T],
        *,
        fresh: bool = False,
        apart: Apart | None = None,
    ) -> Built[T]:
        """The index of ``kind`` for ``key`` (the model, whether meaning is available): the one in memory
        while its version is current. Otherwise a rebuild starts in the background and the old index answers,
        unless it was quick to build (then the request waits for the new one, at most ``QUICK_WAIT``: a small
        site shows a change at once). ``fresh``: wait for the rebuild whatever it takes (background work that
        decides once, such as a push). ``apart``: how to build it in a child process when it is large."""
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
        task = self._start(full_key, build, apart)
        if entry is None or fresh:
            return await asyncio.shield(task)  # the first request of this process for this kind
        if entry.seconds <= QUICK_BUILD:
            done, _pending = await asyncio.wait({task}, timeout=QUICK_WAIT)
            if done and not task.cancelled() and task.exception() is None:
                return task.result()
        return entry

    def _start(
        self, full_key: tuple[Any, ...], build: Build[T], apart: Apart | None
    ) -> asyncio.Task[Built[T]]:
        loop = asyncio.get_running_loop()
        task = self.building.get(full_key)
        if task is not None and not task.done() and task.get_loop() is loop:
            return task
        new: asyncio.Task[Built[T]] = loop.create_task(self._build(full_key, build, apart))
        self.building[full_key] = new
        return new

    async def _build(self, full_key: tuple[Any, ...], build: Build[T], apart: Apart | None) -> Built[T]:
        previous = self.entries.get(full_key)
        last_rows = _rows_of(previous.value) if previous is not None else None
        try:
            # The build's one connection goes where LISTEN goes: straight to PostgreSQL (DATABASE_LISTEN_URL),
            # since its engine keeps prepared statements that PgBouncer's transaction pooling would mix up.
            value, version, seconds, where = await asyncio.get_running_loop().run_in_executor(
                _executor, _run_in_thread, self.listen_url, full_key[0], build, apart, last_rows
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
        if where == "apart":
            self.builds_apart += 1
        logger.info(
            "matching index %s built %s at version %s in %.2f s", full_key[0], where, version, built.seconds
        )
        return built


def _rows_of(value: Any) -> int | None:
    try:
        return len(value)
    except TypeError:
        return None


def _run_in_thread(
    database_url: str, kind: str, build: Build[T], apart: Apart | None, last_rows: int | None
) -> tuple[T, int, float, str]:
    """In the build thread: one build, in this thread or (large) in a child process; what it built, the
    version, how long it took (jieba's dictionary, loaded once per process, not counted) and where."""
    ensure_jieba()
    if apart is not None and apart.rows is not None:
        rows = last_rows
        if rows is None:
            rows = asyncio.run(_with_session(database_url, _estimate(kind)))
        if rows >= apart.rows:
            value, version, seconds = _build_apart(database_url, apart)
            return value, version, seconds, "apart"
    value, version, seconds = _build_here(database_url, build)
    return value, version, seconds, "in a thread"


def _estimate(kind: str) -> Callable[[AsyncSession], Awaitable[int]]:
    """For a process's first build of ``kind``: how many rows it will hold, about (the things of that kind
    with a stored vector: matching's own table, and one cheap count)."""

    async def count(db: AsyncSession) -> int:
        statement = select(func.count(distinct(Embedding.owner_id))).where(Embedding.owner_type == kind)
        return int(await db.scalar(statement) or 0)

    return count


async def _with_session(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` on a session of its own, on one connection of its own that is closed after."""
    engine = create_async_engine(
        database_url,
        poolclass=NullPool,
        connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
    )
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            return await work(db)
    finally:
        await engine.dispose()


def _build_here(database_url: str, build: Build[T]) -> tuple[T, int, float]:
    started = time.monotonic()
    with _out_of_the_collectors_way():
        value, version = asyncio.run(_with_session(database_url, build))
    return value, version, time.monotonic() - started


@contextmanager
def _out_of_the_collectors_way() -> Iterator[None]:
    """While an index is built or received: no full collection, since it would walk everything made so far
    while holding the GIL (the event loop's thread waits). Young collections go on, each over a few thousand
    objects: the garbage of requests served meanwhile goes as usual, and what the build keeps moves to the old
    generation. After: the new index out of the collector's sight, like everything loaded at start (the app
    freezes after start), so that no later full collection walks 50,000 profiles while a request waits.
    Freezing is a splice of lists, not a walk; and it comes before full collections are allowed again, since
    one is due at once after a build."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, NO_FULL_COLLECTION)
    try:
        yield
        if gc.isenabled() and gc.get_freeze_count():
            gc.freeze()
    finally:
        gc.set_threshold(young, middle, old)


def _build_apart(database_url: str, apart: Apart) -> tuple[Any, int, float]:
    """In the build thread: the index built by a child process, read back from the file it wrote a piece at a
    time (each ``pickle.load`` a millisecond or two of this process's GIL). A fresh interpreter runs each
    build (``python -m community.matching.build_apart``: nothing of this process is inherited, and its peak
    memory goes when it exits; its start, a second or two, is small beside a build of this size). Not
    ``multiprocessing``: its spawn runs this process's main script again in the child, which a script without
    a ``__main__`` guard does not survive."""
    with tempfile.TemporaryDirectory(prefix="community-index-") as folder:
        order, path = Path(folder) / "build.order", Path(folder) / "index.pieces"
        order.write_bytes(pickle.dumps((database_url, apart, str(path)), pickle.HIGHEST_PROTOCOL))
        # The child imports what this process imports (a build function may live in any module it can see).
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        child = subprocess.run(  # noqa: S603 - this interpreter, our own module, a path we made
            [sys.executable, "-m", "community.matching.build_apart", str(order)],
            env=environment,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if not path.exists():
            raise ApartBuildError(f"the index build process exited with {child.returncode} before it wrote")
        with path.open("rb") as file:
            pieces = _read_pieces(file)
            said = next(pieces)
            assert isinstance(said, tuple)
            if said[0] != "built" or child.returncode != 0:
                raise ApartBuildError(f"the index build process failed: {said[-1]}")
            _said, version, seconds, kind_of_value = said
            with _out_of_the_collectors_way():
                value = kind_of_value.unship(pieces)
    return value, int(version), float(seconds)


def _read_pieces(file: IO[bytes]) -> Iterator[object]:
    while True:
        try:
            # Written by this process's own child, in a private temporary folder: trusted.
            yield pickle.load(file)  # noqa: S301
        except EOFError:
            return


def build_in_child(order: Path) -> None:
    """The child process (``community.matching.build_apart``): build, then write what was built as pieces
    (``ship``) after a first one that says how it went; a failure is written instead, for the parent."""
    database_url, apart, path = pickle.loads(order.read_bytes())  # noqa: S301 - written by our parent
    assert isinstance(apart, Apart)
    ensure_jieba()
    started = time.monotonic()
    try:

        async def run(db: AsyncSession) -> tuple[Any, int]:
            return await apart.build(db, *apart.args)

        value, version = asyncio.run(_with_session(database_url, run))
        seconds = time.monotonic() - started
        with open(path, "wb") as file:
            pickle.dump(("built", version, seconds, type(value)), file, pickle.HIGHEST_PROTOCOL)
            for piece in value.ship():
                pickle.dump(piece, file, pickle.HIGHEST_PROTOCOL)
    except BaseException:
        with open(path, "wb") as file:
            pickle.dump(("failed", traceback.format_exc(limit=20)), file, pickle.HIGHEST_PROTOCOL)
        raise SystemExit(1) from None


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
