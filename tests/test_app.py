"""The app is what its settings object says: ``create_app(settings)`` reads nothing from the environment
that the object already holds (rate limits included), and the zones plug themselves in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from community.config import Settings, get_settings
from tests.conftest import FormClient


async def test_the_login_limit_comes_from_the_settings_object_not_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from community.app import create_app

    # The environment says one wrong login a minute; the object the app is built with says three.
    monkeypatch.setenv("LOGIN_RATE_PER_MINUTE", "1")
    get_settings.cache_clear()
    try:
        assert get_settings().login_rate_per_minute == 1
        app = create_app(replace(settings, login_rate_per_minute=3))
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
            client = FormClient(test_client)
            await client.register("limits@example.com")
            await client.logout()
            statuses = [
                (await client.login("limits@example.com", f"wrong-{i}")).status_code for i in range(4)
            ]
    finally:
        get_settings.cache_clear()
    assert statuses == [400, 400, 400, 429]


async def test_turning_limits_off_in_the_settings_object_turns_them_off(settings: Settings) -> None:
    from community.app import create_app

    app = create_app(replace(settings, login_rate_per_minute=1, rate_limits_enabled=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        client = FormClient(test_client)
        await client.register("nolimits@example.com")
        await client.logout()
        statuses = [(await client.login("nolimits@example.com", f"wrong-{i}")).status_code for i in range(3)]
    assert statuses == [400, 400, 400]


def test_every_zone_brings_its_routes_search_types_and_work() -> None:
    from community.app import ZONES, create_app
    from community.jobs.services import HANDLERS, PERIODIC
    from community.search.services import DOC_TYPES

    app = create_app()
    paths = {route.path for route in app.routes}
    for expected in ("/forum", "/scenarios", "/products", "/policies", "/events", "/talent", "/login"):
        assert expected in paths, expected
    assert list(DOC_TYPES) == [
        "organization",
        "scenario",
        "capability",
        "forum_topic",
        "product",
        "policy",
        "event",
        "position",
    ]
    for kind in ("matching.embed", "matching.email", "events.reminder", "talent.embed", "talent.reminders"):
        assert kind in HANDLERS, kind
    for kind in ("scenarios.interest_reminders", "forum.digests", "platform.clean_stores", "jobs.clean"):
        assert kind in PERIODIC, kind
    from community.zones import load_zones

    assert [zone.name for zone in load_zones(ZONES)] == list(ZONES)
