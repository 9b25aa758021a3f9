"""Matching tests: the demo world (its OPCs, profiles and needs), an app whose job worker polls often, and
helpers to wait for the queue and to log in as demo members."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest

from community.config import Settings
from community.demo import load_demo

WEEKLY_CAP = 2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, job_poll_seconds=0.1, matching_weekly_cap=WEEKLY_CAP)


def demo_password(settings: Settings, who: str = "member") -> str:
    values = dict(
        line.split("=", 1)
        for line in (settings.var_dir / "demo-credentials.txt").read_text().splitlines()
        if "=" in line
    )
    return values[who]


def admin_password(settings: Settings) -> str:
    return demo_password(settings, "admin")


async def load_world(services: Any, settings: Settings) -> list[str]:
    report = await load_demo(services, settings, zones=("matching",))  # matching's own world
    await services.commit()
    return report


async def jobs_done(db: Any, within: float = 90.0) -> None:
    """Wait until the app's worker has run every due job; fail on a job that failed."""
    deadline = time.monotonic() + within
    while db.fetchval(
        "SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()"
    ):
        if time.monotonic() > deadline:
            raise AssertionError("the job queue was not drained in time")
        await asyncio.sleep(0.1)
    failed = db.fetchval(
        "SELECT string_agg(kind || ': ' || last_error, '; ') FROM job WHERE failed_at IS NOT NULL"
    )
    assert not failed, failed


async def login(make_client: Any, email: str, password: str) -> Any:
    person = await make_client()
    response = await person.login(email, password)
    assert response.status_code == 200, response.text
    return person
