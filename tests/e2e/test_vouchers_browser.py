"""The voucher flow in real browsers, one per person: an OPC publishes a product and an admin approves it
and opens a campaign; a student verifies with the code mailed to a real SMTP server, claims a voucher,
redeems it and reads the single-use code; the OPC, which never sees the code on the site, types the code
the student gives it; the student confirms that the trial took place and rates the product; the admin
settles the OPC's vouchers confirmed by both sides and marks the settlement paid."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from community.kernel.clock import SITE_TZ, now
from tests.conftest import Mailbox
from tests.e2e.conftest import login, make_admin, register

pytestmark = pytest.mark.e2e


def _local(delta: timedelta) -> str:
    return (now() + delta).astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M")


def test_verify_claim_redeem_confirm_rate_settle(people: Any, database_url: str, mailbox: Mailbox) -> None:
    make_admin(database_url)

    # The OPC publishes a product; it waits for review.
    opc = people()
    register(opc, "li@zhiyuan.example", "李一人")
    opc.goto("/orgs/new")
    opc.locator('[name="name"]').fill("智元视界工作室")
    opc.locator('[name="org_type"]').select_option("opc")
    opc.locator('[name="slug"]').fill("zhiyuan")
    opc.locator("main form button[type=submit]").click()
    opc.wait_for_url(re.compile(r"/orgs/zhiyuan$"))
    opc.goto("/products/new")
    opc.locator('[name="name"]').fill("光谷写作助手")
    opc.locator('[name="summary"]').fill("用大模型帮学生润色论文摘要。")
    opc.locator('input[name="domains"][value="教育"]').check()
    opc.locator('[name="description"]').fill("## 功能\n\n- 摘要润色\n- 参考文献格式")
    opc.locator('[name="how_to_try"]').fill("打开网站注册，输入兑换码。")
    opc.locator('[name="voucher_benefit"]').fill("30 天专业版")
    opc.locator('button[name="action"][value="submit"]').click()
    opc.wait_for_url(re.compile(r"/products/[0-9a-f-]{36}$"))
    product_url = opc.url

    # The admin publishes it and opens a campaign.
    admin = people()
    login(admin, "chief@example.com")
    admin.goto("/admin/vouchers")
    admin.locator(".product-review button[value=publish]").click()
    admin.wait_for_url(re.compile(r"/admin/vouchers"))
    admin.goto("/admin/vouchers/campaigns/new")
    admin.locator('[name="name"]').fill("2026 秋季 AI 体验券")
    admin.locator('[name="funder"]').fill("武汉市科技局")
    admin.locator('[name="budget"]').fill("1000")
    admin.locator('[name="face_value"]').fill("50")
    admin.locator('[name="per_student_cap"]').fill("1")
    admin.locator('[name="per_product_cap"]').fill("10")
    admin.locator('[name="starts_at"]').fill(_local(-timedelta(hours=1)))
    admin.locator('[name="ends_at"]').fill(_local(timedelta(days=30)))
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url(re.compile(r"/admin/vouchers/campaigns/[0-9a-f-]{36}$"))
    campaign_url = admin.url

    # The student verifies with the code from the real mailbox.
    student = people()
    register(student, "lin@example.com", "林同学")
    student.goto("/vouchers")
    student.locator("#status a.button").click()
    student.wait_for_url(re.compile(r"/vouchers/verify$"))
    student.locator(".verify-form select[name=university]").select_option(label="武汉大学 (whu.edu.cn)")
    student.locator('.verify-form [name="email"]').fill("lin.xiao@whu.edu.cn")
    student.locator(".verify-form button[type=submit]").click()
    student.wait_for_url(re.compile(r"/vouchers/verify/code$"))
    body = mailbox.body(mailbox.wait_for("lin.xiao@whu.edu.cn"))
    code = re.search(r"\b(\d{6})\b", body)
    assert code, body
    student.locator('[name="code"]').fill(code.group(1))
    student.locator("main form button[type=submit]").click()
    student.wait_for_url(re.compile(r"/vouchers$"))
    assert student.locator("#status .badge.status-published").is_visible()

    # Claim, then redeem on the product's page; the single-use code shows.
    student.locator(".claim-form button").click()
    student.wait_for_url(re.compile(r"/products$"))
    student.goto(product_url)
    student.locator(".redeem-form button").click()
    student.wait_for_url(re.compile(r"/vouchers#voucher-"))
    redemption = student.locator(".redemption-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", redemption)
    # A double click on redeem redeems once: the product page no longer offers a voucher.
    student.goto(product_url)
    assert student.locator(".redeem-form").count() == 0

    # The OPC sees the trial it owes, never its code; it types the code the student gives.
    opc.goto("/vouchers/opc")
    assert opc.locator(".trials-owed").get_by_text("光谷写作助手").is_visible()
    assert redemption not in opc.content() and redemption.replace("-", "") not in opc.content()
    opc.locator('.confirm-form [name="code"]').fill(redemption)
    opc.locator(".confirm-form button[type=submit]").click()
    opc.wait_for_url(re.compile(r"/vouchers/opc$"))
    assert opc.locator(".trials-owed").count() == 0

    # Nothing to settle on the OPC's word alone.
    admin.goto(campaign_url)
    assert admin.locator(".funder-report .awaiting-student").inner_text().strip() == "1"
    assert admin.locator(".settlement-lines button[type=submit]").count() == 0

    # The student confirms that the trial took place, then rates the product; the rating shows as
    # verified on the product page.
    student.goto("/vouchers")
    student.locator(".trial-confirm-form button").click()
    student.wait_for_url(re.compile(r"/vouchers#voucher-"))
    student.locator('.rate-form input[name="stars"][value="5"]').check()
    student.locator('.rate-form [name="review"]').fill("润色效果很好 👍")
    student.locator(".rate-form button[type=submit]").click()
    student.goto(product_url)
    assert student.locator("#ratings .rating-item").filter(has_text="润色效果很好").is_visible()
    assert "★★★★★" in student.locator("#ratings").inner_text()

    # The admin settles the OPC's confirmed voucher and marks the settlement paid.
    admin.goto(campaign_url)
    assert admin.locator(".funder-report .confirmations").inner_text().strip() == "1"
    admin.locator(".settlement-lines button[type=submit]").click()
    admin.wait_for_url(re.compile(r"/campaigns/[0-9a-f-]{36}#settlement$"))
    admin.locator('.settlements [name="reference"]').fill("转账 2026-001")
    admin.locator(".settlements button[type=submit]").click()
    admin.wait_for_url(re.compile(r"#settlement$"))
    assert admin.locator(".settlements").get_by_text("转账 2026-001").is_visible()
    assert admin.locator(".funder-report .paid").inner_text().strip() == "50元"
    with admin.expect_download() as download:
        admin.locator('a[href$="format=xlsx"]').click()
    assert download.value.suggested_filename.endswith(".xlsx")
