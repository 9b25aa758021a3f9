"""Accessibility in a real browser: axe-core (vendored, see tests/e2e/vendor) finds no serious or critical
violation on every zone's main pages, in Chinese and in English, on the demo site; and a panel loaded by
htmx says it is loading (a visible text, aria-busy) and tells screen readers when it changes (aria-live)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from community.config import Settings
from tests.conftest import run_sync

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.3" / "axe.min.js"
SERIOUS = {"serious", "critical"}
# Every zone's main pages; a topic and a scenario are found from their lists.
PAGES = (
    "/",
    "/forum",
    "topic",
    "/scenarios",
    "scenario",
    "/scenarios/dashboard",
    "/capabilities",
    "/products",
    "/policies",
    "/talent",
    "/events",
    "/login",
    "/search?q=AI",
)


def _load_demo(database_url: str, var_dir: Path) -> None:
    """The demo's content (what a visitor of a fresh site sees), loaded as `community demo load` does."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from community.demo import load_demo

    settings = replace(Settings(), database_url=database_url, var_dir=var_dir)

    async def load() -> None:
        engine = create_async_engine(database_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                await load_demo(session, settings)
                await session.commit()
        finally:
            await engine.dispose()

    run_sync(load())


def _visitor(browser: Any, live_server: str, locale: str) -> Any:
    """A visitor on a phone whose browser asks for ``locale``; axe is injected by the browser itself before
    each page's own scripts, so the site's CSP stays as it is."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, locale=locale)
    context.set_default_timeout(20_000)
    context.add_init_script(path=str(AXE))
    return context


def _address(page: Any, name: str) -> str:
    if name == "topic":
        page.goto("/forum")
        return str(page.locator('main a[href^="/forum/t/"]').first.get_attribute("href"))
    if name == "scenario":
        page.goto("/scenarios")
        links = page.locator("main a[href^='/scenarios/']")
        for i in range(links.count()):
            href = str(links.nth(i).get_attribute("href"))
            if re.fullmatch(r"/scenarios/[0-9a-f-]{36}", href):
                return href
        raise AssertionError("no scenario listed")
    return name


def _serious_violations(page: Any) -> list[str]:
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary)}));
        }"""
    )
    return [json.dumps(v, ensure_ascii=False) for v in results if v["impact"] in SERIOUS]


def _panel_says_it_loads(page: Any, scenario: str) -> None:
    """The scenario page's recommendations panel: its request is held back to see the loading state."""
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(re.compile(r"/matching/scenarios/[0-9a-f-]{36}/panel$"), hold)
    page.goto(scenario)
    panel = page.locator("#matching-body")
    # While the panel's request is on its way: a visible loading text, and the panel is busy.
    expect(panel).to_have_attribute("aria-busy", "true")
    assert page.locator("#matching-loading").is_visible()
    assert page.locator("#matching-loading").inner_text() == "正在加载…"
    assert panel.get_attribute("aria-live") == "polite"
    assert held, "the panel asked for its content"
    held[0].continue_()
    # Its content arrives: no longer busy, the loading text gone, the recommendations in the live region.
    expect(panel).to_have_attribute("aria-busy", "false")
    assert not page.locator("#matching-loading").is_visible()
    assert panel.locator("h2").count() >= 1
    page.unroute(re.compile(r"/matching/scenarios/[0-9a-f-]{36}/panel$"))


# One test, so that the demo is loaded once: the tables are emptied before each test, and the served app's
# background work (the demo's jobs) must not be busy then.
def test_main_pages_have_no_serious_axe_violation_and_htmx_panels_say_they_load(
    browser: Any, live_server: str, database_url: str, tmp_path: Path
) -> None:
    _load_demo(database_url, tmp_path / "var")
    found: dict[str, list[str]] = {}
    for locale, language in (("zh-CN", "zh-CN"), ("en-US", "en")):
        context = _visitor(browser, live_server, locale)
        try:
            page = context.new_page()
            for name in PAGES:
                address = _address(page, name)
                response = page.goto(address)
                assert response is not None and response.status == 200, address
                page.wait_for_load_state("networkidle")
                assert page.locator("html").get_attribute("lang") == language, address
                violations = _serious_violations(page)
                if violations:
                    found[f"{language} {address}"] = violations
        finally:
            context.close()
    print(json.dumps(found, ensure_ascii=False, indent=1))  # shown when the test fails
    context = _visitor(browser, live_server, "zh-CN")
    try:
        page = context.new_page()
        _panel_says_it_loads(page, _address(page, "scenario"))
    finally:
        context.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
