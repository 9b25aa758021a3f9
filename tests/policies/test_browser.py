"""The policy push in real browsers, one per person: an OPC's owner says it buys compute; the admin writes
and publishes a compute policy through the form; the owner finds the notification, opens it and reads
符合; the admin's counts show the OPC told and opened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, create_organization, login, make_admin, register

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(browser: Any, live_server: str) -> Iterator[Any]:
    """Call it once per person: a phone-sized browser context with cookies of its own."""
    contexts: list[Any] = []

    def person() -> Any:
        context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield person
    for context in contexts:
        context.close()


def test_an_owner_states_facts_the_admin_publishes_the_owner_is_told(people: Any, database_url: str) -> None:
    make_admin(database_url)
    owner = people()
    register(owner, "li@zhiyuan.example", "李一人")
    create_organization(owner, "智元视界工作室", "zhiyuan", "opc")
    owner.goto("/policies/facts/zhiyuan")
    owner.locator('[name="founded_on"]').fill("2025-09-01")
    owner.locator('[name="stage"]').select_option("startup")
    owner.locator('input[name="activities"][value="buy_compute"]').check()
    owner.locator("main form button[type=submit]").click()
    owner.wait_for_url(re.compile(r"/policies/for-me"))
    assert "智元视界工作室" in owner.locator("main").inner_text()

    admin = people()
    login(admin, ADMIN_EMAIL)
    admin.goto("/admin")
    admin.locator('#policies a[href="/admin/policies/new"]').click()
    admin.locator('[name="title"]').fill("算力服务券")
    admin.locator('[name="slug"]').fill("compute-voucher")
    admin.locator('[name="issuing_unit"]').fill("市数据局、市经信局")
    admin.locator('[name="summary"]').fill("按当年算力服务费用的 50% 补助，最高 20 万元。")
    admin.locator('[name="benefit_kind_0"]').select_option("subsidy")
    admin.locator('[name="benefit_description_0"]').fill("算力服务费用补助")
    admin.locator('[name="benefit_cap_yuan_0"]').fill("200000")
    admin.locator('input[name="activities"][value="buy_compute"]').check()
    admin.locator('button[name="publish"]').click()
    admin.wait_for_url(re.compile(r"/admin/policies/[0-9a-f-]+$"))
    assert admin.locator("#stat-qualify").inner_text() == "1"

    # The job worker tells the OPC; its owner finds the notification and opens it.
    for _attempt in range(30):
        owner.goto("/notifications")
        link = owner.locator('main .notification-list button:has-text("算力服务券")')
        if link.count():
            break
        owner.wait_for_timeout(500)
    assert link.count() == 1 and "需要：购买算力服务" in link.first.inner_text()
    link.first.click()
    owner.wait_for_url(re.compile(r"/policies/compute-voucher$"))
    assert owner.locator("#eligibility .verdict-yes").count() == 1
    owner.wait_for_load_state("networkidle")  # the page's POST that records the open

    admin.reload()
    assert admin.locator("#stat-told").inner_text() == "1"
    assert admin.locator("#stat-opened").inner_text() == "1"
