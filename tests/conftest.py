"""The test harness: a throwaway PostgreSQL database per run (migrated with Alembic), clean tables per test,
Litestar's test client, a real SMTP server on loopback, and the app served for a real browser."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import replace
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.config import DEFAULT_DATABASE_URL, PROJECT_ROOT, Settings
from community.db import upgrade_schema
from community.errors import FormError
from community.pgcluster import connect, create_database_if_missing, drop_database

T = TypeVar("T")


def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Call ``fn`` in a thread of its own: free of whatever event loop the caller runs in (pytest-asyncio's,
    or the one Playwright's sync API keeps running in the main thread)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn(*args)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in its own thread and loop."""
    return in_thread(asyncio.run, coro)


CONCURRENT_ENGINES = 4
CONNECTIONS_PER_ENGINE = 5  # 20 connections in all: PostgreSQL here is shared (max_connections 100)


async def run_concurrently(database_url: str, jobs: list[Any]) -> list[Any]:
    """Each job gets its own session, committed when it returns; the sessions spread over several engines
    (as over several app processes) and all start at once. A job refused with a FormError gives the error."""
    engines = [
        create_async_engine(database_url, pool_size=CONNECTIONS_PER_ENGINE, max_overflow=0, pool_timeout=60)
        for _ in range(CONCURRENT_ENGINES)
    ]
    start = asyncio.Event()

    async def one(index: int, job: Any) -> Any:
        async with AsyncSession(engines[index % CONCURRENT_ENGINES], expire_on_commit=False) as db:
            await start.wait()
            try:
                result = await job(db)
                await db.commit()
                return result
            except FormError as exc:
                await db.rollback()
                return exc

    try:
        tasks = [asyncio.create_task(one(i, job)) for i, job in enumerate(jobs)]
        await asyncio.sleep(0.05)
        start.set()
        return await asyncio.gather(*tasks)
    finally:
        for engine in engines:
            await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- database -------------------------------------------------------------------------------------------


def migrate(url: str) -> None:
    """Bring a database to the newest schema with the project's Alembic migrations."""
    in_thread(upgrade_schema, url)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = make_url(
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    name = f"community_test_{secrets.token_hex(4)}"
    url = base.set(database=name).render_as_string(hide_password=False)
    run_sync(
        create_database_if_missing(
            base.host or "127.0.0.1", base.port or 5432, base.username or "postgres", base.password, name
        )
    )
    migrate(url)
    try:
        yield url
    finally:
        run_sync(drop_database(url))


async def _truncate_all(url: str) -> None:
    conn = await connect(url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            # A served app's background work may be writing to two of these tables while they are locked
            # one by one; PostgreSQL then breaks the deadlock by failing one side. Or the deadlock runs
            # through the app, where PostgreSQL cannot see it: the outbox delivery holds its transaction on
            # search_outbox while its write to search_document (another connection) queues behind this
            # TRUNCATE's lock. A lock timeout breaks that one. Emptying again is harmless.
            for attempt in range(20):
                try:
                    async with conn.transaction():
                        await conn.execute("SET LOCAL lock_timeout = '3s'")
                        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                    break
                except (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.LockNotAvailableError):
                    if attempt == 19:
                        raise
                    await asyncio.sleep(0.2)
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> None:
    """Every test that touches data starts from empty tables."""
    if "database_url" in request.fixturenames or request.node.get_closest_marker("e2e"):
        run_sync(_truncate_all(request.getfixturevalue("database_url")))


@pytest.fixture
def db(database_url: str) -> Any:
    """A raw asyncpg connection factory, for asserting what is (not) stored."""

    class Db:
        def fetchval(self, query: str, *args: Any) -> Any:
            async def go() -> Any:
                conn = await connect(database_url)
                try:
                    return await conn.fetchval(query, *args)
                finally:
                    await conn.close()

            return run_sync(go())

    return Db()


async def outbox_drained(db: Any, within: float = 15.0) -> None:
    """Wait until the app's search worker has delivered every pending change."""
    deadline = time.monotonic() + within
    while db.fetchval("SELECT count(*) FROM search_outbox"):
        if time.monotonic() > deadline:
            raise AssertionError("the search outbox was not drained in time")
        await asyncio.sleep(0.1)


# --- mail -----------------------------------------------------------------------------------------------


class Mailbox:
    """Messages received by the SMTP server on loopback."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, to: str, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if to in str(message["To"]):
                        return message
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} within {timeout}s; got {[m['To'] for m in self.messages]}")

    @staticmethod
    def body(message: Message) -> str:
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode(message.get_content_charset() or "utf-8")

    @classmethod
    def link(cls, message: Message) -> str:
        match = re.search(r"https?://\S+", cls.body(message))
        assert match, cls.body(message)
        return match.group(0)

    def seen(self) -> set[str]:
        """The Message-IDs received so far: what ``take`` is not to return."""
        with self._lock:
            return {str(m["Message-ID"]) for m in self.messages}

    def take(self, to: str, seen: set[str]) -> Message | None:
        """The first message to ``to`` that is not in ``seen``, out of the box (so two people waiting for
        mail to one address each get their own, and tests counting mail never count it); or None."""
        with self._lock:
            for message in self.messages:
                if to in str(message["To"]).lower() and str(message["Message-ID"]) not in seen:
                    self.messages.remove(message)
                    return message
        return None

    async def take_waiting(self, to: str, seen: set[str], within: float = 15.0) -> Message:
        """``take``, waiting (without blocking the event loop) until the app's job worker sends it."""
        deadline = time.monotonic() + within
        while (message := self.take(to, seen)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no new mail to {to} within {within}s")
            await asyncio.sleep(0.02)
        return message


# The session's SMTP server's mailbox, for the helpers that register a member the way a person does (they
# read the link that finishes the registration from it).
SESSION_MAILBOX: list[Mailbox] = []


def session_mailbox() -> Mailbox:
    assert SESSION_MAILBOX, "the smtp_server fixture has not started"
    return SESSION_MAILBOX[0]


def confirmation_path(message: Message) -> str | None:
    """The path of the link that finishes a registration, or None (the mail says the address has an
    account)."""
    path = urlsplit(Mailbox.link(message)).path
    return path if path.startswith("/register/confirm/") else None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    SESSION_MAILBOX[:] = [mailbox]
    try:
        yield mailbox, port
    finally:
        controller.stop()
        SESSION_MAILBOX.clear()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box, _port = smtp_server
    box.clear()
    return box


# --- the app --------------------------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, smtp_server: tuple[Mailbox, int], tmp_path: Path) -> Settings:
    _box, port = smtp_server
    return replace(
        Settings(),
        database_url=database_url,
        database_pool_size=5,
        secret_key="test-secret-" + "x" * 32,
        var_dir=tmp_path / "var",
        smtp_host="127.0.0.1",
        smtp_port=port,
        base_url="http://testserver.local",
        # Registering ends with a mailed link the job worker sends: do not keep every test waiting a second.
        job_poll_seconds=0.1,
    )


class FormClient:
    """The test client plus what a browser does for forms: it sends back the CSRF token it was given."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def csrf_token(self) -> str:
        token = self.client.cookies.get("opc_csrf")
        if not token:
            await self.client.get("/login")
            token = self.client.cookies.get("opc_csrf")
        assert token
        return str(token)

    async def submit(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        form = dict(data or {})
        form["_csrf_token"] = await self.csrf_token()
        kwargs.setdefault("follow_redirects", True)
        return await self.client.post(url, data=form, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", True)
        return await self.client.get(url, **kwargs)

    async def register(
        self, email: str, name: str = "测试用户", password: str = "correct horse 42"
    ) -> httpx.Response:
        """Register as a person does: the form, the link mailed to ``email`` (from the loopback SMTP server),
        the button on its page. The last page comes back: the account page, logged in; the form with its
        errors; or, when the address already has an account (its mail has no such link), the page saying a
        link was sent."""
        mailbox = session_mailbox()
        seen = mailbox.seen()
        sent = await self.submit("/register", {"email": email, "display_name": name, "password": password})
        if sent.status_code != 200:
            return sent
        path = confirmation_path(await mailbox.take_waiting(email.strip().lower(), seen))
        if path is None:
            return sent
        # The job that mailed the link commits its token a moment after the mail server took the mail.
        deadline = time.monotonic() + 10
        for _attempt in range(200):
            if (await self.get(path)).status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        return await self.submit(path)

    async def login(self, email: str, password: str = "correct horse 42") -> httpx.Response:
        return await self.submit("/login", {"email": email, "password": password})

    async def logout(self) -> httpx.Response:
        return await self.submit("/logout")


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Any]:
    """A database session for arranging a test through our own services (never around them)."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    engine = create_async_engine(settings.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[FormClient]:
    from community.app import create_app

    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield FormClient(test_client)


@asynccontextmanager
async def clients_of(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[FormClient]]]:
    """An app built from ``settings`` and a maker of clients for it: several people (or browsers) at once."""
    from community.app import create_app

    app = create_app(settings)
    async with AsyncExitStack() as stack:
        # One test client runs the app (and its lifespan); the others share its transport, each with a
        # cookie jar of its own, as separate browsers would.
        first = await stack.enter_async_context(AsyncTestClient(app=app, base_url="http://testserver.local"))
        made = 0

        async def make() -> FormClient:
            nonlocal made
            made += 1
            if made == 1:
                return FormClient(first)
            # Not closed on its own: closing would close the shared transport; the first client does that.
            return FormClient(
                httpx.AsyncClient(transport=first._transport, base_url="http://testserver.local")
            )

        yield make


@pytest.fixture
async def make_client(settings: Settings) -> AsyncIterator[Any]:
    """More clients of one app: several people (or browsers) at once."""
    async with clients_of(settings) as make:
        yield make


# --- a served app for the browser -------------------------------------------------------------------------


@contextmanager
def served_app(database_url: str, smtp_port: int, folder: Path, **environment: str) -> Iterator[str]:
    """The app served by uvicorn in a process of its own, as in production (``environment`` adds to or
    overrides its settings); its address once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "COMMUNITY_VAR_DIR": str(folder / "var"),
        "SECRET_KEY": "served-secret-" + "y" * 32,
        "BASE_URL": f"http://127.0.0.1:{port}",
        **environment,
    }
    log = folder / "server.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "community.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120  # a loaded machine (CI, many runs at once) starts slowly
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


# One served app per test module: its background work (jobs, the search outbox, periodic work) wakes on every
# commit in the test database, so it must not outlive the tests that use it and take other tests' jobs.
@pytest.fixture(scope="module")
def live_server(
    database_url: str, smtp_server: tuple[Mailbox, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    _box, smtp_port = smtp_server
    with served_app(database_url, smtp_port, tmp_path_factory.mktemp("live")) as url:
        yield url


CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread while a
    browser is open, which the async tests must not meet."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # The site follows Accept-Language: these tests read the Chinese site unless a context asks
                # for another language (``browser.new_context(locale="en-US")``).
                "--accept-lang=zh-CN",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
