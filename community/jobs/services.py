"""Enqueue jobs inside the caller's transaction; run them in a worker (``community worker``, or inside the
web process where background work is on).

- ``enqueue(db, kind, payload)`` adds a row in the same transaction as the change that asks for it, so the
  job exists exactly when the change does. With a ``dedupe_key``, a job that still waits is not added twice.
  The insert NOTIFYs the jobs channel (a trigger), delivered at commit: workers wake at once, not on a poll.
- ``JobWorker`` claims one due job at a time with ``FOR UPDATE SKIP LOCKED`` (several processes never take
  the same job), runs the handler registered for the kind in a transaction of its own and marks the job done
  in that same transaction, if the claim is still its own. While the handler runs, a heartbeat extends the
  job's lease; a handler that outlives its timeout is cancelled. A failure is retried later with exponential
  backoff, up to ``max_attempts``. A job whose worker died is taken over once its lease runs out.
- Periodic work (``register_periodic``) is a job that schedules its own next run: exactly one open job per
  periodic kind exists (deduplicated by ``periodic:<kind>``), and the transaction that marks a run done (or
  finally failed) adds the next one. So each runs once per period however many processes run a worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Update, delete, func, text, update
from sqlalchemy.dialects.postgresql import insert

from community.jobs.listen import wait_for_any
from community.jobs.models import Job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger(__name__)

LEASE_SECONDS = 300.0
DEFAULT_TIMEOUT_SECONDS = 600.0
STOP_GRACE_SECONDS = 20.0  # a stopping worker lets its job finish this long, then releases it
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
KEEP_FINISHED_DAYS = 7


@dataclass(frozen=True)
class JobContext:
    """What a handler gets: a session whose transaction also marks the job done, and shared resources
    (settings, mailer, ...) that the app hands to the worker."""

    db: AsyncSession
    job_id: UUID
    attempt: int
    resources: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


@dataclass(frozen=True)
class Periodic:
    """Work done every ``every(resources)`` seconds (resources hold the app's settings), by whichever worker
    claims it."""

    kind: str
    handler: Handler
    every: Callable[[Mapping[str, Any]], float]
    first_after: float = 0.0  # seconds after a worker starts before the first run, when none waits yet


PERIODIC: dict[str, Periodic] = {}


def register_periodic(periodic: Periodic) -> None:
    PERIODIC[periodic.kind] = periodic
    register_handler(periodic.kind, periodic.handler)


def periodic_key(kind: str) -> str:
    return f"periodic:{kind}"


async def schedule_periodic(db: AsyncSession, periodic: Periodic, *, at: datetime | None = None) -> None:
    """Make sure the next run of ``periodic`` waits in the queue (a no-op when one already does)."""
    await enqueue(db, periodic.kind, {}, run_at=at, dedupe_key=periodic_key(periodic.kind), max_attempts=3)


async def enqueue(
    db: AsyncSession,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
) -> None:
    """Add a job in ``db``'s transaction. With ``dedupe_key``, an open job with the same
    key makes this a no-op."""
    values: dict[str, Any] = {
        "kind": kind,
        "payload": dict(payload or {}),
        "dedupe_key": dedupe_key,
        "max_attempts": max_attempts,
    }
    if run_at is not None:
        values["run_at"] = run_at
    statement = insert(Job).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=["dedupe_key"],
            index_where=text("done_at IS NULL AND failed_at IS NULL AND dedupe_key IS NOT NULL"),
        )
    await db.execute(statement)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True)
class ClaimedJob:
    id: UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


# One job at a time: a worker holds the lease only of what it runs (a batch would hold leases of jobs that
# wait behind a long one, and their leases would run out). Only kinds this worker can run are claimed, so a
# worker of another version or with periodic work off leaves the others' jobs alone.
_CLAIM = text(
    """
    UPDATE job SET locked_at = now(), locked_by = :worker, attempts = attempts + 1, updated_at = now()
    WHERE id = (
        SELECT id FROM job
        WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now() AND kind = ANY(:kinds)
          AND (locked_at IS NULL OR locked_at < now() - make_interval(secs => :lease))
        ORDER BY run_at
        FOR UPDATE SKIP LOCKED
        LIMIT 1
    )
    RETURNING id, kind, payload, attempts, max_attempts
    """
)
# Seconds until the next of this worker's jobs comes due (a waiting one, or one whose lease runs out).
_NEXT_DUE = text(
    """
    SELECT extract(epoch FROM min(
        CASE WHEN locked_at IS NULL THEN run_at
             ELSE greatest(run_at, locked_at + make_interval(secs => :lease)) END
    ) - now())
    FROM job WHERE done_at IS NULL AND failed_at IS NULL AND kind = ANY(:kinds)
    """
)


class JobTimeoutError(Exception):
    pass


class LeaseLostError(Exception):
    pass


class JobWorker:
    """Runs the queue's jobs: claims one, runs it while a heartbeat extends its lease, and marks it done in
    the handler's own transaction (only while the claim is still its own).

    ``run_forever`` runs ``concurrency`` jobs at a time, so that one slow job (a digest, a job waiting on a
    lock, an embedding batch) does not hold up the scenario pushes and mails queued behind it. Each slot
    sleeps until ``wake`` is set (a ``Listener`` sets it on NOTIFY), the next job comes due, or
    ``poll_seconds`` pass; ``stop`` ends it gracefully."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        resources: Mapping[str, Any] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        periodic: Mapping[str, Periodic] | None = None,
        poll_seconds: float = 30.0,
        batch: int = 1,  # kept for callers; claims are one at a time
        lease_seconds: float = LEASE_SECONDS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        timeouts: Mapping[str, float] | None = None,
        stop_grace_seconds: float = STOP_GRACE_SECONDS,
        concurrency: int = 1,
    ) -> None:
        self.sessions = sessions
        self.concurrency = max(1, concurrency)
        self.resources = dict(resources or {})
        self.handlers = handlers if handlers is not None else HANDLERS
        self.periodic = periodic if periodic is not None else (PERIODIC if handlers is None else {})
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.timeout_seconds = timeout_seconds
        self.timeouts = dict(timeouts or {})
        self.stop_grace_seconds = stop_grace_seconds
        self.wake = asyncio.Event()
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:100]

    @property
    def kinds(self) -> list[str]:
        return sorted(self.handlers)

    def timeout_for(self, kind: str) -> float:
        return self.timeouts.get(kind, self.timeout_seconds)

    async def schedule_periodic(self) -> None:
        """Every periodic kind has its next run waiting (the first one now). Run at the worker's start."""
        async with self.sessions() as db:
            moment = datetime.now(UTC)
            for periodic in self.periodic.values():
                at = moment + timedelta(seconds=periodic.first_after)
                await schedule_periodic(db, periodic, at=at)
            await db.commit()

    async def _schedule_next(self, db: AsyncSession, kind: str) -> None:
        periodic = self.periodic.get(kind)
        if periodic is not None:
            seconds = periodic.every(self.resources)
            at = datetime.now(UTC) + timedelta(seconds=seconds)
            await schedule_periodic(db, periodic, at=at)

    def _ours(self, job: ClaimedJob) -> Update:
        """An update of the job while the claim is still ours: a worker that took it over after our lease ran
        out has put its name on the row and counted another attempt."""
        return (
            update(Job)
            .where(
                Job.id == job.id,
                Job.locked_by == self.name,
                Job.attempts == job.attempts,
                Job.done_at.is_(None),
                Job.failed_at.is_(None),
            )
            .execution_options(synchronize_session=False)
        )

    async def claim(self) -> ClaimedJob | None:
        """Take the next due job, if any."""
        async with self.sessions() as db:
            values = {"worker": self.name, "lease": self.lease_seconds, "kinds": self.kinds}
            row = (await db.execute(_CLAIM, values)).first()
            await db.commit()
        if row is None:
            return None
        return ClaimedJob(row.id, row.kind, dict(row.payload or {}), row.attempts, row.max_attempts)

    async def seconds_to_next_due(self) -> float | None:
        async with self.sessions() as db:
            seconds = await db.scalar(_NEXT_DUE, {"lease": self.lease_seconds, "kinds": self.kinds})
        return None if seconds is None else float(seconds)

    async def _heartbeat(self, job: ClaimedJob) -> None:
        """Extend the lease every third of it; return when the claim is no longer ours."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.sessions() as db:
                    extended = (
                        await db.execute(self._ours(job).values(locked_at=func.now()).returning(Job.id))
                    ).first()
                    await db.commit()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may blip: the lease still holds for a while
                logger.warning("job %s (%s): heartbeat failed: %s", job.id, job.kind, exc)
                continue
            if extended is None:
                return

    async def run_job(self, job: ClaimedJob) -> bool:
        """Run one claimed job; True when it succeeded. Cancelled, it releases the job first."""
        try:
            return await self._run_job(job)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(job))
            raise

    async def _run_job(self, job: ClaimedJob) -> bool:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            if job.attempts > job.max_attempts:  # its last attempt's worker died: do not crash on it forever
                raise RuntimeError(f"the worker of attempt {job.attempts - 1} stopped while running it")
            async with self.sessions() as db:
                await self._run_handler(handler, JobContext(db, job.id, job.attempts, self.resources), job)
                done = self._ours(job).values(done_at=func.now(), locked_at=None, last_error=None)
                if (await db.execute(done.returning(Job.id))).first() is None:
                    raise LeaseLostError  # taken over meanwhile: what this run did is rolled back
                await self._schedule_next(db, job.kind)
                await db.commit()
            return True
        except LeaseLostError:
            logger.warning("job %s (%s): lease lost, another worker runs it", job.id, job.kind)
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            final = job.attempts >= job.max_attempts
            logger.warning("job %s (%s) failed, attempt %s: %s", job.id, job.kind, job.attempts, error)
            async with self.sessions() as db:
                retry_at = datetime.now(UTC) + backoff(job.attempts)
                await db.execute(
                    self._ours(job).values(
                        locked_at=None,
                        last_error=error,
                        failed_at=func.now() if final else None,
                        run_at=Job.run_at if final else retry_at,
                    )
                )
                if final:
                    await self._schedule_next(db, job.kind)
                await db.commit()
            return False

    async def _run_handler(self, handler: Handler, ctx: JobContext, job: ClaimedJob) -> None:
        """The handler, beside a heartbeat; cancelled when it outlives its timeout or the claim is lost."""
        timeout = self.timeout_for(job.kind)
        work = asyncio.ensure_future(handler(ctx, job.payload))
        beat = asyncio.create_task(self._heartbeat(job))
        try:
            done, _pending = await asyncio.wait({work, beat}, timeout=timeout, return_when=FIRST_COMPLETED)
        finally:
            for task in (work, beat):
                task.cancel()
            await asyncio.gather(work, beat, return_exceptions=True)
        if work in done:
            work.result()  # the handler's own failure, if any
        elif beat in done:
            raise LeaseLostError
        else:
            raise JobTimeoutError(f"timed out after {timeout:g} s")

    async def _release(self, job: ClaimedJob) -> None:
        try:
            async with self.sessions() as db:
                # The job goes back as it was, this attempt not counted, for the next worker to take at once.
                await db.execute(
                    self._ours(job).values(locked_at=None, locked_by=None, attempts=Job.attempts - 1)
                )
                await db.commit()
        except Exception as exc:  # its lease runs out instead
            logger.warning("job %s (%s) not released: %s", job.id, job.kind, exc)

    async def run_once(self) -> int:
        """Claim one due job and run it; the number claimed (0 or 1)."""
        job = await self.claim()
        if job is None:
            return 0
        await self.run_job(job)
        return 1

    async def drain(self, max_rounds: int = 100_000) -> int:
        """Run due jobs until none is left (the CLI and tests); the number run."""
        total = 0
        for _round in range(max_rounds):
            if not await self.run_once():
                break
            total += 1
        return total

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        """Run jobs as they come until ``stop`` is set (or the task is cancelled). Stopping, a running job
        gets ``stop_grace_seconds`` to finish; then it is cancelled and released for the next worker."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.schedule_periodic()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again shortly
                logger.warning("job worker could not schedule periodic work: %s", exc)
                await wait_for_any([stop], self.poll_seconds)
        slots = [asyncio.create_task(self._run_slot(stop)) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*slots)
        finally:
            for slot in slots:
                slot.cancel()
            await asyncio.gather(*slots, return_exceptions=True)

    async def _run_slot(self, stop: asyncio.Event) -> None:
        """One job at a time, as long as the worker runs. The slots share ``wake``: whichever looks first
        after a NOTIFY claims the job (a claim skips what another holds), the others find nothing and wait."""
        while not stop.is_set():
            # Cleared before looking, so a job committed while we look still wakes the wait below.
            self.wake.clear()
            try:
                job = await self.claim()
                if job is not None:
                    # There may be more: the other slots look too (one NOTIFY may stand for several jobs).
                    self.wake.set()
                    await self._run_until_stopped(job, stop)
                    continue
                due = await self.seconds_to_next_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again shortly
                logger.warning("job worker: %s", exc)
                due = None
            wait = self.poll_seconds if due is None else min(self.poll_seconds, max(due, 0.05))
            await wait_for_any([self.wake, stop], wait)

    async def _run_until_stopped(self, job: ClaimedJob, stop: asyncio.Event) -> None:
        work = asyncio.create_task(self.run_job(job))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=FIRST_COMPLETED)
            if not work.done():
                grace = self.stop_grace_seconds
                logger.info("stopping: job %s (%s) has %s s to finish", job.id, job.kind, grace)
                await asyncio.wait({work}, timeout=grace)
        finally:
            stopping.cancel()
            if not work.done():
                work.cancel()  # run_job releases it
            await asyncio.gather(work, return_exceptions=True)


async def clean_finished_jobs(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Finished jobs are kept a week (to see what ran), then dropped."""
    cutoff = datetime.now(UTC) - timedelta(days=KEEP_FINISHED_DAYS)
    await ctx.db.execute(delete(Job).where(Job.done_at < cutoff))


CLEAN_FINISHED = Periodic("jobs.clean", clean_finished_jobs, every=lambda _resources: 3600.0)
