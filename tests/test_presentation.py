"""What a visitor's browser notices before reading a word: an icon, an installable app, honest dates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings
from community.db import import_models, metadata
from community.demo import load_demo
from tests.conftest import FormClient


async def test_the_favicon_is_served(client: FormClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].split(";")[0] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in icon.headers["cache-control"]


async def test_pages_link_an_icon_and_a_manifest_in_their_language(client: FormClient) -> None:
    home = await client.get("/")
    links = dict(re.findall(r'<link rel="(icon|manifest|apple-touch-icon)" href="([^"]+)"', home.text))
    assert links["manifest"] == "/static/manifest.webmanifest"
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', home.text):
        assert (await client.get(href)).status_code == 200, href
    manifest = await client.get(links["manifest"])
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    chinese = json.loads(manifest.content)
    assert chinese["name"] == "武汉OPC线上开放社区" and chinese["lang"] == "zh-CN"

    english_home = await client.get("/", headers={"Accept-Language": "en"})
    english_href = re.search(r'<link rel="manifest" href="([^"]+)"', english_home.text)
    assert english_href is not None
    english = json.loads((await client.get(english_href.group(1))).content)
    assert english["lang"] == "en" and english["name"] == "Wuhan OPC Open Community"

    for app in (chinese, english):
        assert app["short_name"] and app["start_url"] == "/" and app["display"] == "standalone"
        assert re.fullmatch(r"#[0-9a-f]{6}", app["theme_color"])
        sizes = {icon["sizes"] for icon in app["icons"]}
        assert {"any", "192x192", "512x512"} <= sizes  # what browsers ask of an installable app
        for icon in app["icons"]:
            served = await client.get(icon["src"])
            assert served.status_code == 200, icon
            assert served.headers["content-type"].startswith(icon["type"]), icon
            if icon["type"] == "image/png":
                width, height = (int(n) for n in icon["sizes"].split("x"))
                assert served.content[:8] == b"\x89PNG\r\n\x1a\n"
                assert served.content[16:24] == width.to_bytes(4, "big") + height.to_bytes(4, "big")


# Moments that are meant to lie ahead: an event's time and deadline, expiries, scheduled work.
AHEAD = {
    "starts_at",
    "ends_at",
    "registration_deadline",
    "expires_at",
    "code_expires_at",
    "valid_until",
    "run_at",
    "next_attempt_at",
    "window_start",
}


async def test_demo_data_is_never_dated_in_the_future(services: AsyncSession, settings: Settings) -> None:
    """Everything the demo says happened (topics, answers, scenarios, policies, products, registrations...)
    happened before the demo was loaded; only what is planned (events, deadlines) lies ahead."""
    db = services
    await load_demo(db, settings)
    await db.commit()
    import_models()
    future: list[str] = []
    checked = 0
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name in AHEAD or not isinstance(column.type, (sa.DateTime, DateTimeUTC)):
                continue
            later = await db.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(column > sa.func.clock_timestamp() + sa.text("interval '1 second'"))
            )
            checked += 1
            if later:
                future.append(f"{table.name}.{column.name}: {later}")
    assert checked > 50
    assert future == []
    # The forum's answers stay in order after their question.
    disorder = await db.scalar(
        sa.text(
            "SELECT count(*) FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id"
            " WHERE p.created_at < t.created_at"
        )
    )
    assert disorder == 0


@pytest.mark.e2e
def test_a_browser_in_english_gets_english_and_no_missing_icon(browser: Any, live_server: str) -> None:
    """An English browser's first visit: English pages, and nothing missing behind them (no favicon 404)."""
    context = browser.new_context(base_url=live_server, locale="en-US")
    try:
        tab = context.new_page()
        missing: list[str] = []
        tab.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
        tab.goto("/")
        assert tab.locator("html").get_attribute("lang") == "en"
        assert tab.get_by_role("link", name="Tech exchange").first.is_visible()
        manifest = tab.locator('link[rel="manifest"]').get_attribute("href")
        assert manifest is not None and tab.request.get(manifest).ok
        assert tab.request.get("/favicon.ico").ok
        tab.wait_for_load_state("networkidle")
        assert missing == []
    finally:
        context.close()
