"""Background work: the job queue (the zones' jobs, embedding among them), the search outbox and periodic
work, woken by PostgreSQL LISTEN/NOTIFY. It runs in one of two places:

- inside the web process (``make run``, one process does everything), unless ``COMMUNITY_BACKGROUND_WORK=0``;
- in ``community worker``, a process of its own, for deployments of several web processes.

``SEARCH_WORKER``, ``JOB_WORKER`` and ``PERIODIC_WORK`` turn each part off wherever it would run (periodic
work is done by the job worker, so ``JOB_WORKER=false`` turns it off too). Several processes may run it:
jobs are claimed with SKIP LOCKED (so they run in parallel), the outbox is delivered under an advisory lock
and periodic work is deduplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from community.jobs.listen import JOBS_CHANNEL, OUTBOX_CHANNEL, Listener
from community.jobs.services import HANDLERS, PERIODIC, JobWorker
from community.search.platform import deliver_forever

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from community.config import Settings
    from community.search.platform import OutboxDelivery

logger = logging.getLogger(__name__)

# Jobs `community worker` runs at once unless JOB_CONCURRENCY says otherwise (a web process that runs the
# background work itself runs one at a time: its jobs share the process and its pool with the requests).
WORKER_JOB_CONCURRENCY = 4


@dataclass(frozen=True)
class Parts:
    jobs: bool = True
    search: bool = True
    periodic: bool = True  # periodic work is run by the job worker: no jobs, no periodic work either

    @classmethod
    def of(cls, settings: Settings) -> Parts:
        return cls(jobs=settings.job_worker, search=settings.search_worker, periodic=settings.periodic_work)

    def __str__(self) -> str:
        periodic = self.jobs and self.periodic
        names = [("jobs", self.jobs), ("periodic work", periodic), ("search outbox", self.search)]
        return ", ".join(name for name, on in names if on) or "nothing"


class BackgroundWork:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        delivery: OutboxDelivery,
        resources: Mapping[str, Any],
        parts: Parts | None = None,
        concurrency: int = 1,
    ) -> None:
        self.settings = settings
        self.parts = parts or Parts.of(settings)
        self.delivery = delivery
        self.listener: Listener | None = None
        periodic = dict(PERIODIC) if self.parts.periodic else {}
        # Without periodic work this worker leaves periodic jobs to the processes that run it.
        handlers = {
            kind: handler for kind, handler in HANDLERS.items() if self.parts.periodic or kind not in PERIODIC
        }
        self.worker = JobWorker(
            sessions,
            resources=resources,
            handlers=handlers,
            periodic=periodic,
            poll_seconds=settings.job_poll_seconds,
            lease_seconds=settings.job_lease_seconds,
            timeout_seconds=settings.job_timeout_seconds,
            timeouts=dict(settings.job_timeouts),
            concurrency=concurrency,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set: then the outbox stops, and a running job finishes or is released."""
        channels: dict[str, list[asyncio.Event]] = {}
        tasks: list[asyncio.Task[None]] = []
        if self.parts.search:
            channels[OUTBOX_CHANNEL] = [self.delivery.wake]
            poll = self.settings.job_poll_seconds
            tasks.append(asyncio.create_task(deliver_forever(self.delivery, poll_seconds=poll, stop=stop)))
        if self.parts.jobs:
            channels[JOBS_CHANNEL] = [self.worker.wake]
            tasks.append(asyncio.create_task(self.worker.run_forever(stop)))
        if not tasks:
            return
        self.listener = Listener(self.settings.listen_database_url, channels)
        listener = asyncio.create_task(self.listener.run_forever())
        logger.info("background work: %s", self.parts)
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in (*tasks, listener):
                task.cancel()
            for task in (*tasks, listener):
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def run_worker(settings: Settings, alchemy_config: Any, stop: asyncio.Event) -> None:
    """``community worker``: the background work of the site in a process of its own, until ``stop``."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from community.matching.embedder import get_embedder
    from community.notifications.email import Mailer
    from community.search.platform import OutboxDelivery, ensure_jieba, make_search_backend

    engine = alchemy_config.get_engine()
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    search_backend = make_search_backend(settings, alchemy_config)
    await asyncio.to_thread(ensure_jieba)
    try:
        await search_backend.startup()
    except Exception as exc:  # the engine may be down; the outbox keeps every change until it is back
        logger.warning("search backend %s not ready: %s", search_backend.name, exc)
    # The embedding jobs load the model when the first of them comes (not at start: a thread still loading it
    # would hold up a stop, and a worker that only sends mail never needs it).
    embedder = get_embedder(settings.embedding_model)
    resources = {"settings": settings, "mailer": Mailer(settings), "embedder": embedder}
    work = BackgroundWork(
        settings,
        sessions,
        delivery=OutboxDelivery(sessions, search_backend),
        resources=resources,
        concurrency=settings.job_concurrency or WORKER_JOB_CONCURRENCY,
    )
    try:
        await work.run(stop)
    finally:
        await search_backend.close()
        await engine.dispose()
