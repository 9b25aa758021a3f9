"""An English browser reads the home page, a scenario and the scenario figures in English: the shared words
(domains, districts, organization types, kinds, scales) in English, and money as ¥200,000, never 万."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.accounts.inputs import OrganizationInput
from community.accounts.services import AccountService, OrganizationService
from community.scenarios.inputs import ScenarioInput
from community.scenarios.services.scenarios import ScenarioService
from tests.conftest import run_sync

pytestmark = pytest.mark.e2e

PASSWORD = "a good long password"
TITLE = "社区医院 AI 分诊助手"
# Chinese anywhere in these parts of a page means a word was left untranslated; the title, abstract and
# organization name are what people typed and stay as typed, so they are read around.
HAN = re.compile(r"[\u4e00-\u9fff]")


async def _publish(database_url: str) -> UUID:
    """An enterprise in 洪山区 publishes a need in 智慧医疗 and 医疗 with a budget of 20万–50万元."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            accounts = AccountService(db)
            admin = await accounts.create_admin("chief@example.com", PASSWORD, "管理员")
            owner = await accounts.register("owner@example.com", "王主任", PASSWORD)
            org = await OrganizationService(db).create(
                owner,
                OrganizationInput(
                    name="光谷医联", org_type="enterprise", slug="guanggu-medical", district="洪山区"
                ),
            )
            scenarios = ScenarioService(db)
            data = ScenarioInput(
                title=TITLE,
                kind="need",
                scale="focused",
                domains=("智慧医疗", "医疗"),
                district="洪山区",
                abstract="为社区医院提供预约分诊。",
                description="每天 3000 人次门诊。",
                expected_outcome="分诊准确率 ≥ 90%。",
                budget_mode="range",
                budget_min="20万",
                budget_max="500000",
                deadline="2099-12-31",
                contact_name="王主任",
                contact_phone="027-8765 4321",
                contact_email="wang@hospital.example",
            )
            scenario = await scenarios.create(owner, org.id, data, submit=True)
            await scenarios.publish(admin, scenario.id)
            await db.commit()
            return scenario.id
    finally:
        await engine.dispose()


@pytest.fixture
def english(browser: Any, live_server: str) -> Iterator[Any]:
    """A visitor whose browser asks for English (Accept-Language: en-US), with no cookie yet."""
    context = browser.new_context(
        base_url=live_server, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_an_english_browser_reads_domains_districts_and_money_in_english(
    english: Any, database_url: str
) -> None:
    scenario_id = run_sync(_publish(database_url))
    tab = english

    # The home page: the latest scenario's card names its kind, scale, district and domains in English, its
    # budget in yuan with the ¥ sign; the organization that joined shows its type and district in English.
    tab.goto("/")
    assert tab.locator("html").get_attribute("lang") == "en"
    card = tab.locator(".scenario-card").filter(has_text=TITLE)
    meta = card.locator(".meta").inner_text()
    assert (
        "Real business need" in meta and "High-value focused scenario" in meta and "Hongshan District" in meta
    )
    assert card.locator(".tag").all_inner_texts() == ["Smart healthcare", "Healthcare"]
    assert "¥200,000–¥500,000" in card.inner_text()
    assert "万" not in card.inner_text() and "元" not in card.inner_text()
    joined = (
        tab.locator("section").filter(has_text="Recently joined").locator(".card").filter(has_text="光谷医联")
    )
    assert joined.locator(".muted").inner_text() == "Enterprise · Hongshan District"

    # The scenario page: its facts in English, the budget in ¥.
    tab.goto(f"/scenarios/{scenario_id}")
    facts = tab.locator("dl.facts").first
    assert facts.locator("dt", has_text="District").locator("xpath=following-sibling::dd").inner_text() == (
        "Hongshan District"
    )
    assert facts.locator("a.tag").all_inner_texts() == ["Smart healthcare", "Healthcare"]
    budget = facts.locator("dt", has_text="Budget").locator("xpath=following-sibling::dd").inner_text()
    assert budget == "¥200,000–¥500,000"
    assert not HAN.search(
        " ".join(facts.locator("dt").all_inner_texts() + facts.locator("dd").all_inner_texts())
    )

    # The figures: by domain and by district, named in English, linking to the stored codes.
    tab.goto("/scenarios/dashboard")
    assert tab.locator("h1").inner_text() == "Scenario figures"
    by_domain = tab.locator("section").filter(has=tab.get_by_role("heading", name="By domain"))
    assert sorted(by_domain.locator("a").all_inner_texts()) == ["Healthcare", "Smart healthcare"]
    by_district = tab.locator("section").filter(has=tab.get_by_role("heading", name="By district"))
    link = by_district.get_by_role("link", name="Hongshan District")
    assert link.get_attribute("href") == "/scenarios?district=%E6%B4%AA%E5%B1%B1%E5%8C%BA"
    assert not HAN.search(tab.locator("main").inner_text())

    # The list the dashboard links to filters by the stored code and names the chosen chip in English.
    link.click()
    tab.wait_for_url(re.compile(r"district="))
    assert tab.locator(".scenario-card").filter(has_text=TITLE).is_visible()
    chosen = tab.locator('.filters a[aria-current="true"]').all_text_contents()
    assert "Hongshan District" in chosen
