"""Rate limits hold across processes and see the real client behind a proxy.

Two apps built on one database stand for two web processes (on two machines): a burst of wrong logins spread
over both lets exactly the limit through, because every process counts with one atomic increment (in
PostgreSQL, or Redis when REDIS_URL is set). Each client reaches an app with the peer address it is given, as
a proxy or a browser would; only a peer in TRUSTED_PROXIES may say who the client is (X-Forwarded-For)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings
from tests.conftest import FormClient
from tests.vouchers.conftest import PASSWORD, World, verified_students
from tests.vouchers.conftest import world as world  # the fixture, requested by name

BASE_URL = "http://testserver.local"
PROXY = "10.20.0.2"  # a proxy of the site (in TRUSTED_PROXIES below)

Clients = Callable[..., FormClient]


@asynccontextmanager
async def processes(settings: Settings, count: int) -> AsyncIterator[Clients]:
    """``count`` apps on one database, each started (lifespan) as a web process is; ``client(i, peer)``
    gives a browser that reaches app ``i`` from address ``peer``."""
    from community.app import create_app

    apps = [create_app(settings) for _ in range(count)]
    async with AsyncExitStack() as stack:
        for app in apps:  # on the test's event loop, as a server runs it: requests below are concurrent
            await stack.enter_async_context(app.lifespan())
        made: list[httpx.AsyncClient] = []

        def client(index: int, peer: str, headers: dict[str, str] | None = None) -> FormClient:
            transport = httpx.ASGITransport(app=apps[index], client=(peer, 40000 + len(made)))
            http = httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers or {})
            made.append(http)
            return FormClient(http)  # type: ignore[arg-type]

        try:
            yield client
        finally:
            for http in made:
                await http.aclose()


def limited(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, rate_limits_enabled=True, background_work=False, **changes)


async def wrong_login(client: FormClient, n: int) -> httpx.Response:
    return await client.submit("/login", {"email": f"nobody{n}@example.com", "password": "wrong password 1"})


async def burst_over_two_processes(
    make: Callable[[], AbstractAsyncContextManager[Clients]], peer: str
) -> None:
    async with make() as client:
        browsers = [client(0, peer), client(1, peer)]
        for browser in browsers:  # each has its CSRF cookie before the burst
            await browser.csrf_token()
        answers = await asyncio.gather(*(wrong_login(browsers[n % 2], n) for n in range(30)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(400) == 10, statuses
    assert statuses.count(429) == 20, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Wait" in refused.text or "秒" in refused.text
    allowed = next(answer for answer in answers if answer.status_code == 400)
    assert allowed.headers["RateLimit-Limit"] == "10"


async def test_thirty_simultaneous_wrong_logins_over_two_processes_let_only_the_limit_through(
    settings: Settings,
) -> None:
    await burst_over_two_processes(
        lambda: processes(limited(settings, login_rate_per_minute=10), 2), "203.0.113.7"
    )


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
async def test_with_redis_the_burst_over_two_processes_lets_only_the_limit_through(
    settings: Settings,
) -> None:
    # An address of its own (documentation range), so no earlier run's count in Redis is seen.
    peer = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    redis_settings = limited(settings, login_rate_per_minute=10, redis_url="redis://127.0.0.1:6379/0")
    await burst_over_two_processes(lambda: processes(redis_settings, 2), peer)


async def test_behind_a_trusted_proxy_each_real_client_has_its_own_limit(settings: Settings) -> None:
    proxied = limited(settings, login_rate_per_minute=3, trusted_proxies=("10.20.0.0/16",))
    async with processes(proxied, 2) as client:
        first = client(0, PROXY, {"X-Forwarded-For": "198.51.100.1"})
        # The second client comes in through the other process; the proxy appended its address.
        second = client(1, PROXY, {"X-Forwarded-For": "198.51.100.2"})
        # The first client writes a address of its own choosing in front: the proxy appended the real one.
        forging = client(1, PROXY, {"X-Forwarded-For": "192.0.2.99, 198.51.100.1"})
        first_statuses = [(await wrong_login(first, n)).status_code for n in range(3)]
        forged = (await wrong_login(forging, 3)).status_code
        second_statuses = [(await wrong_login(second, n)).status_code for n in range(3)]
        blocked = (await wrong_login(first, 9)).status_code
    assert first_statuses == [400, 400, 400]
    assert forged == 429  # still the first client
    assert second_statuses == [400, 400, 400]  # not locked out by the first one
    assert blocked == 429


async def test_an_untrusted_peer_cannot_choose_its_address_with_forwarded_headers(settings: Settings) -> None:
    proxied = limited(settings, login_rate_per_minute=3, trusted_proxies=(PROXY,))
    async with processes(proxied, 1) as client:
        statuses = []
        for n in range(5):
            attacker = client(
                0, "203.0.113.66", {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"192.0.2.{n}"}
            )
            statuses.append((await wrong_login(attacker, n)).status_code)
    assert statuses == [400, 400, 400, 429, 429]


async def test_a_wrong_trusted_proxies_setting_stops_the_start(settings: Settings) -> None:
    from community.app import create_app

    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app(replace(settings, trusted_proxies=("proxy.example.com",)))


async def test_the_voucher_abuse_report_sees_each_student_behind_the_proxy(
    settings: Settings, world: World, services: AsyncSession
) -> None:
    from community.vouchers.models import Voucher
    from community.vouchers.services.reports import SAME_ADDRESS_REDEMPTIONS, ReportService

    students = await verified_students(services, world.university_id, SAME_ADDRESS_REDEMPTIONS, prefix="p")
    await services.commit()
    proxied = limited(settings, trusted_proxies=(PROXY,))
    async with processes(proxied, 1) as client:
        for n, student in enumerate(students):
            browser = client(0, PROXY, {"X-Forwarded-For": f"198.51.100.{n + 1}"})
            assert (await browser.login(student.email, PASSWORD)).status_code == 200
            await browser.submit("/vouchers/claim", {"campaign": str(world.campaign.id)})
            voucher_id = await services.scalar(select(Voucher.id).where(Voucher.student_id == student.id))
            await browser.submit(f"/vouchers/{voucher_id}/redeem", {"product": str(world.product.id)})
    addresses = (
        await services.scalars(select(func.host(Voucher.redeemed_ip)).order_by(Voucher.redeemed_ip))
    ).all()
    assert addresses == [f"198.51.100.{n + 1}" for n in range(SAME_ADDRESS_REDEMPTIONS)]
    # Five students on five networks: not one network redeeming five times.
    assert "address" not in {flag.kind for flag in await ReportService(services).flags()}


async def test_showing_a_form_counts_nothing(settings: Settings, services: AsyncSession) -> None:
    from community.web.limits import rate_limit_counter

    async with processes(limited(settings, login_rate_per_minute=1), 1) as client:
        browser = client(0, "203.0.113.20")
        pages = [(await browser.get("/login")).status_code for _ in range(5)]
        assert await services.scalar(select(func.count()).select_from(rate_limit_counter)) == 0
        answer = await wrong_login(browser, 0)
    assert pages == [200] * 5
    assert answer.status_code == 400 and answer.headers["RateLimit-Remaining"] == "0"


async def test_a_request_that_waited_behind_the_first_of_its_window_is_told_to_wait_no_longer_than_it(
    settings: Settings,
) -> None:
    """Under a burst, a request's transaction can begin before the window's first request and then wait for
    its row: its Retry-After must still be within the window (it said 61 s for a minute)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from community.web.limits import _UPSERT as count_one

    engine = create_async_engine(settings.database_url)
    key = f"login:{secrets.token_hex(4)}"
    try:
        async with engine.connect() as late:
            await late.begin()
            await late.execute(text("SELECT now()"))  # its clock is set: now() is when its transaction began
            await asyncio.sleep(1.2)
            async with engine.begin() as first:  # the window's first request, counted meanwhile
                await first.execute(count_one, {"key": key, "window": 60})
            counted = (await late.execute(count_one, {"key": key, "window": 60})).one()
            await late.commit()
    finally:
        await engine.dispose()
    assert counted.hits == 2
    assert 1 <= counted.reset <= 60
