"""The scenario workflow in real browsers, one per person: an enterprise drafts and submits a need, an
admin returns it with a reason, the enterprise fixes and resubmits it, the admin publishes it, an OPC has
its capability profile verified, accepts the confidentiality terms and expresses interest, the enterprise
shortlists the OPC and marks the scenario landed. Every step is on the timeline and every party is
notified."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, create_organization, login, make_admin, register

pytestmark = pytest.mark.e2e


def _unread(page: Any) -> int:
    badge = page.locator("header .unread-count")
    return int(badge.inner_text()) if badge.count() else 0


def _open_newest_notification(page: Any, words: str) -> None:
    page.locator("header .notifications-link").click()
    page.wait_for_url(re.compile(r"/notifications$"))
    # The notice opens what it is about: wait for that page, not only for its address.
    with page.expect_navigation():
        page.locator(".notification-list li.unread button", has_text=words).first.click()


def test_draft_to_landed_with_timeline_and_notifications(people: Any, database_url: str) -> None:
    make_admin(database_url)
    owner = people()
    register(owner, "wang@hospital.example", "王主任")
    create_organization(owner, "光谷医联数字健康有限公司", "guanggu-medical", "enterprise")

    # Draft: everything typed, saved as a draft first.
    owner.goto("/scenarios/new")
    owner.locator('[name="title"]').fill("社区医院 AI 分诊助手")
    owner.locator('[name="kind"]').select_option("need")
    owner.locator('[name="scale"]').select_option("focused")
    owner.locator('input[name="domains"][value="智慧医疗"]').check()
    owner.locator('[name="district"]').select_option("洪山区")
    owner.locator('[name="abstract"]').fill("为 12 家社区医院提供基于大模型的预约分诊与随访提醒。")
    owner.locator('[name="description"]').fill("每天 3000 人次门诊，**人工分诊**压力大。")
    owner.locator('[name="expected_outcome"]').fill("分诊准确率 ≥ 90%")
    owner.locator('input[name="budget_mode"][value="range"]').check()
    owner.locator('[name="budget_min"]').fill("20万")
    owner.locator('[name="budget_max"]').fill("50万")
    owner.locator('[name="deadline"]').fill("2099-06-30")
    owner.locator('[name="contact_name"]').fill("王主任")
    owner.locator('[name="contact_phone"]').fill("027-87654321")
    owner.locator('button[name="action"][value="save"]').click()
    owner.wait_for_url(re.compile(r"/scenarios/[0-9a-f-]{36}$"))
    scenario_url = owner.url
    expect(owner.locator(".flash").filter(has_text="草稿已保存")).to_be_visible()
    owner.locator('form[action$="/submit"] button').click()
    expect(owner.locator(".meta .badge").filter(has_text="待审核")).to_be_visible()

    # The admin returns it with a reason.
    admin = people()
    login(admin, ADMIN_EMAIL)
    admin.goto("/admin")
    admin.locator("#review a", has_text="社区医院 AI 分诊助手").click()
    admin.locator('[name="reason"]').first.fill("请写明预算测算依据")
    admin.locator('form[action$="/return"] button').click()
    expect(admin.locator(".meta .badge").filter(has_text="已退回修改")).to_be_visible()

    # The owner is told, reads the reason on the timeline, fixes and resubmits.
    owner.goto("/")
    assert _unread(owner) >= 1
    _open_newest_notification(owner, "请写明预算测算依据")
    assert owner.url == scenario_url
    expect(owner.locator("#timeline").get_by_text("请写明预算测算依据")).to_be_visible()
    owner.goto(scenario_url + "/edit")
    owner.locator('[name="description"]').fill(
        "每天 3000 人次门诊，**人工分诊**压力大。预算按 12 个网点测算。"
    )
    owner.locator('button[name="action"][value="submit"]').click()
    owner.wait_for_url(scenario_url)
    expect(owner.locator(".meta .badge").filter(has_text="待审核")).to_be_visible()

    admin.goto(scenario_url)
    admin.locator('form[action$="/publish"] button').click()
    expect(admin.locator(".meta .badge").filter(has_text="已发布")).to_be_visible()

    # An OPC finds it. A new OPC is only self-declared: it is told that the details need a verified
    # capability profile, follows the link and submits its profile; an admin verifies it.
    opc = people()
    register(opc, "li@zhiyuan.example", "李一人")
    create_organization(opc, "智元视界工作室", "zhiyuan", "opc")
    opc.goto("/scenarios?domain=智慧医疗")
    opc.locator(".scenario-card a", has_text="社区医院 AI 分诊助手").click()
    assert opc.get_by_text("人工分诊").count() == 0
    assert opc.locator('#details input[name="agree"]').count() == 0
    expect(opc.locator("#details").get_by_text("经过认证的能力档案")).to_be_visible()
    opc.locator('#details a[href="/capabilities/zhiyuan/edit"]').click()
    opc.locator('[name="summary"]').fill("一人公司：医疗分诊与影像模型的微调和部署。")
    opc.locator('[name="team_size"]').fill("2")
    opc.locator('[name="district"]').select_option("洪山区")
    opc.locator('[name="item_domain_0"]').select_option("智慧医疗")
    opc.locator('[name="item_technology_0"]').fill("分诊大模型")
    opc.locator('[name="item_maturity_0"]').select_option("pilot")
    opc.locator('button[name="action"][value="submit"]').click()
    opc.wait_for_url(re.compile(r"/capabilities/zhiyuan$"))
    admin.goto("/admin")
    admin.locator('#profiles form[action$="/verify"] button').click()
    expect(admin.locator(".flash").filter(has_text="已认证")).to_be_visible()

    # Verified, the OPC accepts the confidentiality terms, reads the details and expresses interest.
    opc.goto(scenario_url)
    opc.locator('#details input[name="agree"]').check()
    opc.locator("#details button[type=submit]").click()
    expect(opc.locator("#details").get_by_text("预算按 12 个网点测算")).to_be_visible()
    opc.locator('[name="proposal"]').fill("我们为三家社区医院做过分诊模型，4 周可上线试点。")
    opc.locator(".interest-form button[type=submit]").click()
    expect(opc.locator(".flash").filter(has_text="已发送")).to_be_visible()

    # The owner is told and shortlists the OPC; the OPC is told; the scenario is docking.
    owner.goto("/")
    _open_newest_notification(owner, "智元视界工作室")
    expect(owner.locator("#interests").get_by_text("4 周可上线试点")).to_be_visible()
    owner.locator('#interests textarea[name="note"]').fill("请下周来面谈")
    owner.locator('#interests button[formaction$="/shortlist"]').click()
    expect(owner.locator(".meta .badge").filter(has_text="对接中")).to_be_visible()
    opc.goto("/")
    _open_newest_notification(opc, "入围")
    expect(opc.locator("#my-interest .note").filter(has_text="请下周来面谈")).to_be_visible()

    # Landed with the OPC; every step is on the timeline; the OPC is told.
    owner.locator('[name="status"]').select_option("landed")
    owner.locator('[name="partner"]').select_option(label="智元视界工作室")
    owner.locator('.status-form [name="reason"]').fill("试点已在 3 家医院上线")
    owner.locator(".status-form button[type=submit]").click()
    expect(owner.locator(".meta .badge").filter(has_text="已落地")).to_be_visible()
    timeline = owner.locator("#timeline").inner_text()
    for step in (
        "创建草稿",
        "提交审核",
        "已退回修改",
        "请写明预算测算依据",
        "已发布",
        "开始对接",
        "已落地",
        "试点已在 3 家医院上线",
    ):
        assert step in timeline, step
    opc.goto("/")
    _open_newest_notification(opc, "落地")
    expect(opc.locator(".meta .badge").filter(has_text="已落地")).to_be_visible()
