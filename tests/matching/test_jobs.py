"""The job queue: enqueued in the caller's transaction, deduplicated while waiting, retried with backoff,
failed after its attempts, and never run twice by workers racing for it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from community.jobs import JobContext, JobWorker, enqueue
from community.jobs.models import Job


async def test_enqueue_is_transactional_and_deduplicated(services: Any, db: Any) -> None:
    await enqueue(services, "test.kind", {"n": 1}, dedupe_key="same")
    await enqueue(services, "test.kind", {"n": 2}, dedupe_key="same")
    await services.rollback()
    assert db.fetchval("SELECT count(*) FROM job") == 0  # rolled back with the caller's change
    await enqueue(services, "test.kind", {"n": 1}, dedupe_key="same")
    await enqueue(services, "test.kind", {"n": 2}, dedupe_key="same")
    await enqueue(services, "test.kind", {"n": 3})
    await services.commit()
    assert db.fetchval("SELECT count(*) FROM job") == 2
    assert db.fetchval("SELECT payload->>'n' FROM job WHERE dedupe_key = 'same'") == "1"


async def test_worker_runs_retries_with_backoff_and_gives_up(settings: Any, services: Any, db: Any) -> None:
    engine = create_async_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    seen: list[Any] = []

    async def good(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append(payload["n"])

    async def bad(ctx: JobContext, payload: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    try:
        await enqueue(services, "good", {"n": 7})
        await enqueue(services, "bad", {}, max_attempts=2)
        await services.commit()
        worker = JobWorker(sessions, handlers={"good": good, "bad": bad})
        assert await worker.drain() == 2
        assert seen == [7]
        assert db.fetchval("SELECT done_at IS NOT NULL FROM job WHERE kind = 'good'")
        row = await services.scalar(select(Job).where(Job.kind == "bad"))
        assert row is not None and row.attempts == 1 and row.done_at is None and row.failed_at is None
        assert row.last_error and "boom" in row.last_error
        assert db.fetchval("SELECT run_at > now() + interval '5 seconds' FROM job WHERE kind = 'bad'")
        # Due again (as if the backoff passed): the second attempt is the last.
        await services.execute(Job.__table__.update().where(Job.kind == "bad").values(run_at=Job.created_at))
        await services.commit()
        assert await worker.drain() == 1
        assert db.fetchval("SELECT failed_at IS NOT NULL AND attempts = 2 FROM job WHERE kind = 'bad'")
    finally:
        await engine.dispose()


async def test_racing_workers_run_each_job_once(settings: Any, services: Any, db: Any) -> None:
    engines = [create_async_engine(settings.database_url) for _ in range(3)]
    runs: list[int] = []

    async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        await asyncio.sleep(0.01)
        runs.append(payload["n"])

    try:
        for n in range(40):
            await enqueue(services, "slow", {"n": n})
        await services.commit()
        workers = [
            JobWorker(async_sessionmaker(engine, expire_on_commit=False), handlers={"slow": slow}, batch=3)
            for engine in engines
        ]
        await asyncio.gather(*(w.drain() for w in workers))
        assert sorted(runs) == list(range(40))
        assert db.fetchval("SELECT count(*) FROM job WHERE done_at IS NOT NULL") == 40
    finally:
        for engine in engines:
            await engine.dispose()
