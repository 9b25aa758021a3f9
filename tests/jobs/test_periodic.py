"""Periodic work (reminders, digests, clean-up) runs through the job queue: once per period however many
processes run a worker, and it schedules its own next run."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from community.jobs import JobContext, JobWorker, Periodic
from community.jobs.services import periodic_key


async def test_two_workers_run_a_periodic_job_once_and_schedule_the_next(database_url: str, db: Any) -> None:
    runs: list[str] = []

    async def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
        runs.append(ctx.job_id.hex)

    periodic = Periodic("test.tick", tick, every=lambda _resources: 600.0)
    engines = [create_async_engine(database_url) for _ in range(2)]  # as two processes would
    try:
        workers = [
            JobWorker(
                async_sessionmaker(engine, expire_on_commit=False),
                handlers={periodic.kind: tick},
                periodic={periodic.kind: periodic},
            )
            for engine in engines
        ]
        # Both start at once: one run waits, not two.
        await asyncio.gather(*(worker.schedule_periodic() for worker in workers))
        assert db.fetchval("SELECT count(*) FROM job WHERE kind = 'test.tick'") == 1
        await asyncio.gather(*(worker.drain() for worker in workers))
        assert len(runs) == 1
        # The run that finished queued the next one, a period later, under the same key.
        assert db.fetchval("SELECT count(*) FROM job WHERE kind = 'test.tick' AND done_at IS NOT NULL") == 1
        waiting = "SELECT count(*) FROM job WHERE kind = 'test.tick' AND done_at IS NULL"
        assert db.fetchval(waiting) == 1
        assert db.fetchval(
            "SELECT run_at > now() + interval '9 minutes' FROM job"
            " WHERE kind = 'test.tick' AND done_at IS NULL"
        )
        assert db.fetchval("SELECT dedupe_key FROM job WHERE done_at IS NULL") == periodic_key("test.tick")
        # A worker starting again (a restart, another machine) adds nothing while the next run waits.
        await asyncio.gather(*(worker.schedule_periodic() for worker in workers))
        assert db.fetchval(waiting) == 1
        # Its time come, it runs once more.
        db.fetchval("UPDATE job SET run_at = now() WHERE kind = 'test.tick' AND done_at IS NULL RETURNING 1")
        await asyncio.gather(*(worker.drain() for worker in workers))
        assert len(runs) == 2
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_periodic_job_that_keeps_failing_is_still_scheduled_again(database_url: str, db: Any) -> None:
    async def broken(ctx: JobContext, payload: dict[str, Any]) -> None:
        raise RuntimeError("the mail server is away")

    periodic = Periodic("test.broken", broken, every=lambda _resources: 3600.0)
    engine = create_async_engine(database_url)
    try:
        worker = JobWorker(
            async_sessionmaker(engine, expire_on_commit=False),
            handlers={periodic.kind: broken},
            periodic={periodic.kind: periodic},
        )
        await worker.schedule_periodic()
        for _attempt in range(3):  # max_attempts of periodic work
            db.fetchval(
                "UPDATE job SET run_at = now() WHERE done_at IS NULL AND failed_at IS NULL RETURNING 1"
            )
            await worker.drain()
        assert db.fetchval("SELECT count(*) FROM job WHERE failed_at IS NOT NULL") == 1
        # The failure is kept for people to read, and the work comes back next period.
        assert db.fetchval("SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL") == 1
    finally:
        await engine.dispose()
