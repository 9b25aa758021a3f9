"""`community worker`: the site's background work in a process of its own. Killed mid-job it loses nothing,
and web processes started without background work run none of it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from community.config import PROJECT_ROOT, Settings
from community.jobs import enqueue
from community.search.schemas import SearchDocument
from community.search.services import enqueue_upsert

COMMUNITY = str(Path(sys.executable).parent / "community")
TEST_APP = "tests.jobs.worker_app:create_app"


@contextmanager
def worker(database_url: str, tmp_path: Path, name: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `community worker` process (of the site plus the test job kind), killed at the end if still up."""
    log = tmp_path / f"{name}.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "LITESTAR_APP": TEST_APP,
        "DATABASE_URL": database_url,
        "COMMUNITY_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "worker-secret-" + "z" * 32,
        # No model to load here: these jobs do not embed.
        "COMMUNITY_EMBEDDING_MODEL": str(tmp_path / "no-model"),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [COMMUNITY, "worker"],
            env=environment,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


async def until(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_job_loses_nothing_and_the_job_runs_once(
    database_url: str, services: Any, db: Any, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    log.touch()

    def lines() -> list[str]:
        return log.read_text().splitlines()

    await enqueue(services, "test.slow", {"log": str(log), "seconds": 3})
    await services.commit()
    lease = {"JOB_LEASE_SECONDS": "3"}
    with worker(database_url, tmp_path, "first", **lease) as first:
        await until(lambda: lines(), 120, "the first worker starts the job")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
    assert [line.split()[0] for line in lines()] == ["start"]
    assert db.fetchval("SELECT done_at IS NULL AND locked_at IS NOT NULL FROM job WHERE kind = 'test.slow'")

    with worker(database_url, tmp_path, "second", **lease) as second:
        await until(
            lambda: db.fetchval("SELECT done_at IS NOT NULL FROM job WHERE kind = 'test.slow'"),
            120,
            "the second worker finishes the job",
        )
        # Taken over once the dead worker's lease ran out, not before.
        assert time.monotonic() - killed_at >= 3
        await asyncio.sleep(2)  # nothing runs it again
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    runs = [line.split()[0] for line in lines()]
    assert runs == ["start", "start", "end"]
    assert lines()[1].endswith("attempt 2")
    assert db.fetchval("SELECT attempts FROM job WHERE kind = 'test.slow'") == 2


async def test_the_worker_does_the_background_work_that_a_web_process_without_it_leaves(
    database_url: str, settings: Settings, services: Any, db: Any, tmp_path: Path
) -> None:
    from community.app import create_app

    web = create_app(replace(settings, background_work=False, job_poll_seconds=0.1))
    async with AsyncTestClient(app=web, base_url="http://testserver.local") as client:
        assert (await client.get("/")).status_code == 200
        await enqueue(services, "test.slow", {"log": str(tmp_path / "runs.log"), "seconds": 0})
        enqueue_upsert(services, SearchDocument("post", "bg1", "后台 工作", "", "/bg1"))
        await services.commit()
        await asyncio.sleep(2)
        # The web process ran nothing: no periodic work scheduled, the job waits, the change is not indexed.
        assert db.fetchval("SELECT count(*) FROM job WHERE kind <> 'test.slow'") == 0
        assert db.fetchval("SELECT done_at IS NULL AND attempts = 0 FROM job WHERE kind = 'test.slow'")
        assert db.fetchval("SELECT count(*) FROM search_outbox") == 1

        with worker(database_url, tmp_path, "worker") as process:
            await until(
                lambda: db.fetchval("SELECT done_at IS NOT NULL FROM job WHERE kind = 'test.slow'"),
                120,
                "the worker runs the job",
            )
            await until(
                lambda: db.fetchval("SELECT count(*) FROM search_document WHERE doc_id = 'bg1'"),
                10,
                "the worker delivers the search change",
            )
            # Periodic work: each kind waits for its next run, and the clean-up of stores ran at start.
            await until(
                lambda: db.fetchval(
                    "SELECT count(*) FROM job WHERE kind = 'platform.clean_stores' AND done_at IS NOT NULL"
                ),
                10,
                "the worker runs periodic work",
            )
            assert db.fetchval("SELECT count(DISTINCT kind) FROM job WHERE dedupe_key LIKE 'periodic:%'") >= 2
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
