"""Enqueue jobs inside the caller's transaction; run them in a worker that every app process starts.

- ``enqueue(db, kind, payload)`` adds a row in the same transaction as the change that asks for it, so the
  job exists exactly when the change does. With a ``dedupe_key``, a job that still waits is not added twice.
- ``JobWorker`` claims due jobs with ``FOR UPDATE SKIP LOCKED`` (several processes never take the same job),
  runs the handler registered for the kind in a transaction of its own and marks the job done in that same
  transaction; a failure is retried later with exponential backoff, up to ``max_attempts``. A job whose
  worker died is taken over once its lock is older than the lease.
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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert

from community.jobs.models import Job

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger(__name__)

LEASE_SECONDS = 300
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


_CLAIM = text(
    """
    UPDATE job SET locked_at = now(), locked_by = :worker, attempts = attempts + 1, updated_at = now()
    WHERE id IN (
        SELECT id FROM job
        WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
          AND (locked_at IS NULL OR locked_at < now() - make_interval(secs => :lease))
        ORDER BY run_at
        FOR UPDATE SKIP LOCKED
        LIMIT :batch
    )
    RETURNING id, kind, payload, attempts, max_attempts
    """
)


class JobWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        resources: Mapping[str, Any] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        periodic: Mapping[str, Periodic] | None = None,
        poll_seconds: float = 1.0,
        batch: int = 10,
    ) -> None:
        self.sessions = sessions
        self.resources = dict(resources or {})
        self.handlers = handlers if handlers is not None else HANDLERS
        self.periodic = periodic if periodic is not None else (PERIODIC if handlers is None else {})
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:100]

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

    async def claim(self) -> list[ClaimedJob]:
        async with self.sessions() as db:
            rows = await db.execute(
                _CLAIM, {"worker": self.name, "lease": LEASE_SECONDS, "batch": self.batch}
            )
            claimed = [
                ClaimedJob(r.id, r.kind, dict(r.payload or {}), r.attempts, r.max_attempts) for r in rows
            ]
            await db.commit()
        return claimed

    async def run_job(self, job: ClaimedJob) -> bool:
        """Run one claimed job; True when it succeeded."""
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            async with self.sessions() as db:
                await handler(JobContext(db, job.id, job.attempts, self.resources), job.payload)
                await db.execute(
                    text(
                        "UPDATE job SET done_at = now(), locked_at = NULL, last_error = NULL,"
                        " updated_at = now()"
                        " WHERE id = :id AND locked_by = :worker"
                    ),
                    {"id": job.id, "worker": self.name},
                )
                await self._schedule_next(db, job.kind)
                await db.commit()
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            final = job.attempts >= job.max_attempts
            logger.warning("job %s (%s) failed, attempt %s: %s", job.id, job.kind, job.attempts, error)
            async with self.sessions() as db:
                await db.execute(
                    text(
                        "UPDATE job SET locked_at = NULL, last_error = :error, updated_at = now(),"
                        " failed_at = CASE WHEN :final THEN now() ELSE NULL END,"
                        " run_at = CASE WHEN :final THEN run_at ELSE :retry_at END"
                        " WHERE id = :id AND locked_by = :worker"
                    ),
                    {
                        "id": job.id,
                        "worker": self.name,
                        "error": error,
                        "final": final,
                        "retry_at": datetime.now(UTC) + backoff(job.attempts),
                    },
                )
                if final:
                    await self._schedule_next(db, job.kind)
                await db.commit()
            return False

    async def run_once(self) -> int:
        """Claim a batch of due jobs and run them; the number claimed."""
        jobs = await self.claim()
        for job in jobs:
            await self.run_job(job)
        return len(jobs)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Run due jobs until none is left (the CLI and tests); the number run."""
        total = 0
        for _round in range(max_rounds):
            claimed = await self.run_once()
            if not claimed:
                break
            total += claimed
        return total

    async def run_forever(self) -> None:
        while True:
            try:
                await self.schedule_periodic()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again shortly
                logger.warning("job worker could not schedule periodic work: %s", exc)
                await asyncio.sleep(self.poll_seconds)
        while True:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again shortly
                logger.warning("job worker: %s", exc)
                claimed = 0
            if not claimed:
                await asyncio.sleep(self.poll_seconds)


async def clean_finished_jobs(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Finished jobs are kept a week (to see what ran), then dropped."""
    cutoff = datetime.now(UTC) - timedelta(days=KEEP_FINISHED_DAYS)
    await ctx.db.execute(delete(Job).where(Job.done_at < cutoff))


CLEAN_FINISHED = Periodic("jobs.clean", clean_finished_jobs, every=lambda _resources: 3600.0)
