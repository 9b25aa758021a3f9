"""What the browser tests share: one browser context per person, and the steps every one of them takes
(an admin to start with, registering, logging in, creating an organization)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.accounts.services import AccountService
from tests.conftest import confirmation_path, run_sync, session_mailbox

PASSWORD = "a good long password"
ADMIN_EMAIL = "chief@example.com"


async def _create_admin(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            await AccountService(session).create_admin(ADMIN_EMAIL, PASSWORD, "科技局管理员")
            await session.commit()
    finally:
        await engine.dispose()


def make_admin(database_url: str) -> None:
    """The site admin (ADMIN_EMAIL / PASSWORD), made as `community users create-admin` would."""
    run_sync(_create_admin(database_url))


@pytest.fixture
def people(browser: Any, live_server: str) -> Iterator[Any]:
    """Call it once per person: each gets a phone-sized browser context with cookies of its own."""
    contexts: list[Any] = []

    def person() -> Any:
        context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield person
    for context in contexts:
        context.close()


def register(page: Any, email: str, name: str) -> None:
    """The form, then the link mailed to ``email`` (read from the loopback SMTP server), then its button."""
    seen = session_mailbox().seen()
    page.goto("/register")
    page.locator('[name="email"]').fill(email)
    page.locator('[name="display_name"]').fill(name)
    page.locator('[name="password"]').fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    finish_registration(page, email, seen)


def finish_registration(page: Any, email: str, seen: set[str]) -> None:
    """After the register form was sent: open the link mailed to ``email`` (a mail not among ``seen``) and
    press its button, as the address's owner does; ends on the account page."""
    page.locator("main [role=status]").wait_for()
    path = confirmation_path(run_sync(session_mailbox().take_waiting(email.lower(), seen)))
    assert path, f"{email} already has an account"
    # The job that mailed the link commits its token a moment after the mail server took the mail.
    deadline = time.monotonic() + 10
    while page.goto(path).status != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account$"))


def login(page: Any, email: str) -> None:
    page.goto("/login")
    page.locator('[name="email"]').fill(email)
    page.locator('[name="password"]').fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(account)?$"))


def create_organization(page: Any, name: str, slug: str, org_type: str) -> None:
    page.goto("/orgs/new")
    page.locator('[name="name"]').fill(name)
    page.locator('[name="org_type"]').select_option(org_type)
    page.locator('[name="slug"]').fill(slug)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/orgs/{slug}$"))
