"""The app is what its settings object says: ``create_app(settings)`` reads nothing from the environment
that the object already holds (rate limits included), and the zones plug themselves in."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from pypdf import PdfWriter

from community.config import Settings, get_settings
from tests.conftest import FormClient
from tests.stored import kept_file
from tests.talent.conftest import World, apply, login
from tests.talent.conftest import world as world  # the fixture, requested by name


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
        "forum_reply",
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


# --- how large a request body may be --------------------------------------------------------------------


async def test_a_large_body_to_a_text_route_is_refused_at_once_with_413(client: FormClient) -> None:
    """Forms and JSON take a few hundred KB at most: a megabyte (or ten) is refused before it is read, with
    the site's 413 page or problem details, never a 500."""
    await client.register("bodies@example.com")
    token = await client.csrf_token()
    for size in (1024 * 1024, 10 * 1024 * 1024):
        for path in ("/forum/preview", "/login"):
            started = time.monotonic()
            response = await client.client.post(
                path, data={"body": "x" * size, "email": "a@example.com", "_csrf_token": token}
            )
            assert response.status_code == 413, (path, size, response.status_code)
            assert time.monotonic() - started < 2, path
            assert "text/html" in response.headers["content-type"]
    api = await client.client.post(
        "/api/v1/forum/topics",
        content=b'{"title": "' + b"x" * (1024 * 1024) + b'"}',
        headers={"content-type": "application/json", "x-csrftoken": token},
    )
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    # An ordinary form still goes through, and so does the longest honest post: 50,000 Chinese characters
    # are 450 KB once percent-encoded (here to /login, which reads no such field: refused as a login, 400).
    assert (await client.submit("/forum/preview", {"body": "**hello**" * 1000})).status_code == 200
    await client.logout()
    longest = await client.submit("/login", {"email": "a@example.com", "password": "x", "body": "长" * 50000})
    assert longest.status_code == 400


def test_routes_that_take_files_allow_more_than_text_routes(settings: Settings) -> None:
    """Each route that takes files keeps its own limit, or gets the upload limit; no other route does."""
    from litestar.handlers import HTTPRouteHandler

    from community.app import create_app
    from community.web.bodies import takes_files

    app = create_app(replace(settings, max_text_body_bytes=1000, max_upload_body_bytes=5_000_000))
    uploads = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            assert isinstance(handler, HTTPRouteHandler)
            limit = handler.resolve_request_max_body_size()
            if takes_files(handler):
                uploads.add(route.path)
                assert limit is not None and limit > 1000, route.path
            else:
                assert limit == 1000, (route.path, handler)
    assert {"/talent/positions/{position_id:uuid}/apply", "/admin/scenarios/import"} <= uploads


async def test_a_cv_larger_than_the_text_limit_still_uploads(
    world: World, make_client: Any, db: Any, settings: Settings
) -> None:
    person = await login(make_client, "applicant@example.com")
    cv = _padded_pdf(1024 * 1024)  # four times the text routes' limit
    sent = await apply(person, world.position.id, cv)
    assert sent.status_code == 200, sent.text
    stored = db.fetchval("SELECT cv_path FROM talent_application")
    assert kept_file(db, "cvs", stored) == cv


def _padded_pdf(size: int) -> bytes:
    """A real one-page PDF of about ``size`` bytes (the size is in its metadata)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Subject": "简历 " + "x" * size})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
