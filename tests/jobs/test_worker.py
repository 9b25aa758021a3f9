"""The job worker: woken by NOTIFY rather than a poll, a running job keeps its lease (a heartbeat), and one
that outlives its timeout is cancelled and retried."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from community.background import WORKER_JOB_CONCURRENCY, BackgroundWork, Parts
from community.config import Settings
from community.db import make_alchemy_config
from community.jobs import JobContext, JobWorker, enqueue, register_handler
from community.search.platform import OutboxDelivery, make_search_backend
from community.search.schemas import SearchDocument
from community.search.services import enqueue_upsert


async def test_a_job_and_a_search_change_are_picked_up_at_commit_without_polling(
    settings: Settings, services: Any, db: Any
) -> None:
    # A minute between polls: only the notification of the commit can wake the worker in time.
    settings = replace(settings, job_poll_seconds=60.0)
    ran: dict[str, float] = {}

    async def note(ctx: JobContext, payload: dict[str, Any]) -> None:
        ran[payload["name"]] = time.monotonic()

    register_handler("test.note", note)
    config = make_alchemy_config(settings)
    engine = config.get_engine()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    work = BackgroundWork(
        settings,
        sessions,
        delivery=OutboxDelivery(sessions, make_search_backend(settings, config)),
        resources={"settings": settings},
        parts=Parts(jobs=True, search=True, periodic=False),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(work.run(stop))
    try:
        for _wait in range(100):  # the worker has started, looked, found nothing and gone to sleep
            if work.listener is not None and work.listener.listening.is_set():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)

        await enqueue(services, "test.note", {"name": "first"})
        enqueue_upsert(services, SearchDocument("post", "w1", "唤醒 智能体", "", "/w1"))
        await services.commit()
        committed = time.monotonic()
        for _wait in range(40):
            delivered = db.fetchval("SELECT count(*) FROM search_document WHERE doc_id = 'w1'")
            if "first" in ran and delivered:
                break
            await asyncio.sleep(0.05)
        assert "first" in ran and ran["first"] - committed < 2.0
        assert db.fetchval("SELECT count(*) FROM search_document WHERE doc_id = 'w1'") == 1
        assert time.monotonic() - committed < 2.5

        # Again, once the worker has gone back to sleep.
        await asyncio.sleep(1.0)
        await enqueue(services, "test.note", {"name": "second"})
        await services.commit()
        committed = time.monotonic()
        for _wait in range(40):
            if "second" in ran:
                break
            await asyncio.sleep(0.05)
        assert "second" in ran and ran["second"] - committed < 2.0
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=10)
        await engine.dispose()


async def test_a_long_job_extends_its_lease_so_another_worker_does_not_take_it(
    settings: Settings, services: Any, db: Any
) -> None:
    runs: list[int] = []

    async def long(ctx: JobContext, payload: dict[str, Any]) -> None:
        runs.append(ctx.attempt)
        await asyncio.sleep(3.5)  # more than three leases of one second

    engines = [create_async_engine(settings.database_url) for _ in range(2)]  # as two processes would
    first, second = (
        JobWorker(sessions, handlers={"test.long": long}, lease_seconds=1.0)
        for sessions in (async_sessionmaker(engine, expire_on_commit=False) for engine in engines)
    )
    try:
        await enqueue(services, "test.long", {})
        await services.commit()
        running = asyncio.create_task(first.run_once())
        taken_by_second = 0
        for _check in range(6):  # every half second while the first one runs it
            await asyncio.sleep(0.5)
            taken_by_second += await second.run_once()
        assert await running == 1
        assert taken_by_second == 0
        assert runs == [1]
        assert db.fetchval("SELECT done_at IS NOT NULL AND attempts = 1 FROM job WHERE kind = 'test.long'")
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_job_past_its_timeout_is_cancelled_and_retried_later(
    settings: Settings, services: Any, db: Any
) -> None:
    cancelled: list[int] = []
    finished: list[int] = []

    async def hangs_once(ctx: JobContext, payload: dict[str, Any]) -> None:
        try:
            if ctx.attempt == 1:
                await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(ctx.attempt)
            raise
        finished.append(ctx.attempt)

    engine = create_async_engine(settings.database_url)
    worker = JobWorker(
        async_sessionmaker(engine, expire_on_commit=False),
        handlers={"test.hangs": hangs_once},
        timeouts={"test.hangs": 0.5},
    )
    try:
        await enqueue(services, "test.hangs", {})
        await services.commit()
        started = time.monotonic()
        assert await worker.drain() == 1
        assert time.monotonic() - started < 5
        assert cancelled == [1] and finished == []
        # Not done, not failed: it comes back after a backoff, and its error says why.
        assert db.fetchval(
            "SELECT done_at IS NULL AND failed_at IS NULL AND locked_at IS NULL AND attempts = 1"
            " AND run_at > now() + interval '5 seconds' AND last_error LIKE '%timed out after 0.5 s%'"
            " FROM job WHERE kind = 'test.hangs'"
        )
        db.fetchval("UPDATE job SET run_at = now() WHERE kind = 'test.hangs' RETURNING 1")
        assert await worker.drain() == 1
        assert finished == [2]
        assert db.fetchval("SELECT done_at IS NOT NULL AND attempts = 2 FROM job WHERE kind = 'test.hangs'")
    finally:
        await engine.dispose()


async def test_a_stopping_worker_gives_its_job_back_at_once(
    settings: Settings, services: Any, db: Any
) -> None:
    started = asyncio.Event()

    async def endless(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    engine = create_async_engine(settings.database_url)
    worker = JobWorker(
        async_sessionmaker(engine, expire_on_commit=False),
        handlers={"test.endless": endless},
        periodic={},
        stop_grace_seconds=0.5,
    )
    stop = asyncio.Event()
    try:
        await enqueue(services, "test.endless", {})
        await services.commit()
        running = asyncio.create_task(worker.run_forever(stop))
        await asyncio.wait_for(started.wait(), timeout=10)
        stop.set()
        await asyncio.wait_for(running, timeout=5)
        # Back in the queue as it was: the next worker takes it now, not after the lease.
        assert db.fetchval(
            "SELECT locked_at IS NULL AND attempts = 0 AND done_at IS NULL"
            " FROM job WHERE kind = 'test.endless'"
        )
    finally:
        await engine.dispose()


async def test_a_slow_job_does_not_hold_up_the_jobs_queued_behind_it(
    settings: Settings, services: Any, db: Any
) -> None:
    """A worker runs a few jobs at once (JOB_CONCURRENCY): a digest stuck on a lock must not keep a scenario's
    push, queued after it, waiting."""
    released = asyncio.Event()
    quick_done = asyncio.Event()
    order: list[str] = []

    async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        order.append("slow started")
        await released.wait()
        order.append("slow done")

    async def quick(ctx: JobContext, payload: dict[str, Any]) -> None:
        order.append("quick done")
        quick_done.set()

    engine = create_async_engine(settings.database_url)
    worker = JobWorker(
        async_sessionmaker(engine, expire_on_commit=False),
        handlers={"test.slow": slow, "test.quick": quick},
        periodic={},
        concurrency=WORKER_JOB_CONCURRENCY,
    )
    stop = asyncio.Event()
    try:
        assert WORKER_JOB_CONCURRENCY > 1  # `community worker`'s default
        await enqueue(services, "test.slow", {})
        await services.commit()
        await enqueue(services, "test.quick", {})  # queued behind the slow one
        await services.commit()
        running = asyncio.create_task(worker.run_forever(stop))
        await asyncio.wait_for(quick_done.wait(), timeout=10)
        # The quick job is done while the slow one still runs (the two slots may start them in either order).
        for _wait in range(100):
            if "slow started" in order:
                break
            await asyncio.sleep(0.1)
        assert sorted(order) == ["quick done", "slow started"]
        released.set()
        for _wait in range(100):
            if db.fetchval("SELECT count(*) FROM job WHERE kind LIKE 'test.%' AND done_at IS NOT NULL") == 2:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(running, timeout=10)
        assert sorted(order[:2]) == ["quick done", "slow started"] and order[2:] == ["slow done"]
        assert db.fetchval("SELECT count(*) FROM job WHERE kind LIKE 'test.%' AND done_at IS NOT NULL") == 2
    finally:
        await engine.dispose()
