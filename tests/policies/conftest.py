"""Policy tests: the demo world of organizations and the seed's policies, an app whose job worker polls
often, helpers to publish a policy as the admin, wait for the queue and log in as demo members."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.config import Settings
from community.demo import load_demo
from community.policies.inputs import PolicyInput
from community.policies.models import Policy
from community.policies.services.policies import PolicyService

WEEKLY_CAP = 50  # the demo's twenty policies must not use up a week before the test publishes its own


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, job_poll_seconds=0.1, matching_weekly_cap=WEEKLY_CAP)


def demo_password(settings: Settings) -> str:
    values = dict(
        line.split("=", 1)
        for line in (settings.var_dir / "demo-credentials.txt").read_text().splitlines()
        if "=" in line
    )
    return values["member"]


async def load_world(services: Any, settings: Settings, zones: tuple[str, ...] = ("policies",)) -> None:
    """The demo's organizations and members, the seed's policies and the demo organizations' facts."""
    await load_demo(services, settings, zones=zones)
    await services.commit()


async def admin_of(services: Any) -> User:
    admin = await services.scalar(select(User).where(User.email == "admin@example.com"))
    assert admin is not None
    return admin


def policy_input(slug: str, title: str, conditions: dict[str, Any], **changes: Any) -> PolicyInput:
    values: dict[str, Any] = {
        "title": title,
        "slug": slug,
        "summary": "测试政策摘要。",
        "source_measure": "措施一",
        "issuing_unit": "市数据局",
        "deadline": "2028-12-31",
        "benefits": (
            {
                "kind": "subsidy",
                "description": "测试补助",
                "amount": "50%",
                "cap_yuan": "200000",
                "months": "12",
            },
        ),
        "conditions": conditions,
    }
    values.update(changes)
    return PolicyInput(**values)


async def publish_policy(services: Any, data: PolicyInput) -> Policy:
    admin = await admin_of(services)
    policies = PolicyService(services)
    policy = await policies.create(admin, data)
    policy = await policies.publish(admin, policy.id)
    await services.commit()
    return policy


async def jobs_done(db: Any, within: float = 60.0) -> None:
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
