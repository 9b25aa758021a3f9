"""The site plus one test job kind, for `community --app tests.jobs.worker_app:create_app worker`: a job
that notes in a file when it starts and when it ends, and sleeps in between."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from litestar import Litestar

from community.jobs import JobContext, register_handler

SLOW = "test.slow"


def _note(log: Path, line: str) -> None:
    with log.open("a") as fh:
        fh.write(line + "\n")


async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
    log = Path(payload["log"])
    _note(log, f"start {os.getpid()} attempt {ctx.attempt}")
    await asyncio.sleep(float(payload["seconds"]))
    _note(log, f"end {os.getpid()}")


def create_app() -> Litestar:
    from community.app import create_app as create_site

    register_handler(SLOW, slow)
    return create_site()
