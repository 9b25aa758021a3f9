"""The whole flow over HTTP, one client per person: an OPC publishes a product, an admin approves it and
opens a campaign, a student verifies by a code mailed to a real SMTP server, claims, redeems and gives the
code to the OPC, the OPC types it in, the student confirms the trial and rates it, the admin settles,
exports and marks the settlement paid."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.services import AccountService
from community.kernel.clock import SITE_TZ, now
from community.vouchers.labels import label
from community.vouchers.models import VoucherStatus
from tests.conftest import Mailbox
from tests.vouchers.conftest import PASSWORD, PRODUCT

CSRF = "_csrf_token"


def _code(mailbox: Mailbox, to: str) -> str:
    body = mailbox.body(mailbox.wait_for(to))
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def _local(delta: timedelta) -> str:
    return (now() + delta).astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M")


async def test_publish_verify_claim_redeem_confirm_rate_settle(
    make_client: Any, services: AsyncSession, mailbox: Mailbox
) -> None:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")

    opc = await make_client()
    await opc.register("opc@example.com", name="李一人")
    response = await opc.submit("/orgs/new", {"name": "智元视界工作室", "org_type": "opc", "slug": "zhiyuan"})
    assert response.status_code == 200
    response = await opc.submit("/products/new", {**PRODUCT, "action": "submit"})
    assert response.status_code == 200, response.text
    product_url = str(response.url.path)
    product_id = product_url.rsplit("/", 1)[-1]
    assert "Awaiting review" in response.text or "待审核" in response.text

    # Not public before review.
    visitor = await make_client()
    assert (await visitor.get(product_url)).status_code == 404

    # The admin returns it without a reason: refused; then publishes it.
    hub = await admin.get("/admin/vouchers")
    assert hub.status_code == 200 and PRODUCT["name"] in hub.text
    response = await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "return"})
    assert "reason" in response.text.lower() or "理由" in response.text
    response = await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "publish"})
    assert response.status_code == 200
    gallery = await visitor.get("/products")
    assert PRODUCT["name"] in gallery.text

    # A campaign: bad input comes back with the fields kept and an error beside each.
    bad = await admin.submit(
        "/admin/vouchers/campaigns/new",
        {"name": "秋季体验券 <script>alert(1)</script>", "funder": "", "budget": "abc", "face_value": "-5"},
        follow_redirects=False,
    )
    assert bad.status_code == 400
    assert "秋季体验券 &lt;script&gt;" in bad.text and "<script>alert(1)" not in bad.text
    response = await admin.submit(
        "/admin/vouchers/campaigns/new",
        {
            "name": "2026 秋季 AI 体验券",
            "funder": "武汉市科技局",
            "budget": "1,000",
            "face_value": "50",
            "per_student_cap": "1",
            "per_product_cap": "10",
            "starts_at": _local(-timedelta(hours=1)),
            "ends_at": _local(timedelta(days=10)),
        },
    )
    assert response.status_code == 200, response.text
    campaign_url = str(response.url.path)
    campaign_id = campaign_url.rsplit("/", 1)[-1]

    # A student verifies with a code sent to a university address.
    student = await make_client()
    await student.register("lin@example.com", name="林同学")
    page = await student.get("/vouchers/verify")
    whu = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>武汉大学 ', page.text)
    assert whu, page.text
    wrong = await student.submit(
        "/vouchers/verify/email",
        {"university": whu.group(1), "email": "lin@gmail.com"},
        follow_redirects=False,
    )
    assert wrong.status_code == 400 and "@whu.edu.cn" in wrong.text and 'value="lin@gmail.com"' in wrong.text
    response = await student.submit(
        "/vouchers/verify/email", {"university": whu.group(1), "email": "Lin@WHU.edu.cn"}
    )
    assert response.status_code == 200 and "/vouchers/verify/code" in str(response.url)
    code = _code(mailbox, "lin@whu.edu.cn")
    bad_code = await student.submit(
        "/vouchers/verify/code", {"code": "000000" if code != "000000" else "111111"}
    )
    assert bad_code.status_code == 400 and ("4" in bad_code.text)
    response = await student.submit("/vouchers/verify/code", {"code": code})
    assert response.status_code == 200 and str(response.url.path) == "/vouchers"
    assert "武汉大学" in response.text

    # Claim, then redeem on the product's page.
    response = await student.submit("/vouchers/claim", {"campaign": campaign_id})
    assert response.status_code == 200
    page = await student.get(product_url)
    form = re.search(r'action="/vouchers/([0-9a-f-]{36})/redeem"', page.text)
    assert form, page.text
    voucher_id = form.group(1)
    response = await student.submit(f"/vouchers/{voucher_id}/redeem", {"product": product_id})
    assert response.status_code == 200
    shown = re.search(r'class="redemption-code">([A-Z0-9]{5}-[A-Z0-9]{5})<', response.text)
    assert shown, response.text
    # A second redemption of the same voucher gets a clear answer.
    again = await student.submit(f"/vouchers/{voucher_id}/redeem", {"product": product_id})
    assert "already been redeemed" in again.text or "已兑换" in again.text

    # The OPC is told that a trial is owed, and the link leads to its queue.
    inbox = await opc.get("/notifications")
    told = re.search(
        r'action="(/notifications/[0-9a-f-]{36})"[^>]*>.*?<button[^>]*>([^<]*)</button>', inbox.text, re.S
    )
    assert told and PRODUCT["name"] in told.group(2) and "兑换" in told.group(2), inbox.text
    queue = await opc.submit(told.group(1))
    assert str(queue.url.path) == "/vouchers/opc"
    # It sees the trial owed, never its code: the student gives that when the trial starts.
    assert PRODUCT["name"] in queue.text and shown.group(1) not in queue.text
    assert shown.group(1).replace("-", "") not in queue.text

    # The OPC types the code the student gave it (with the dash, in lower case: still the code).
    response = await opc.submit("/vouchers/opc/confirm", {"code": shown.group(1).lower()})
    assert response.status_code == 200 and str(response.url.path) == "/vouchers/opc"
    twice = await opc.submit("/vouchers/opc/confirm", {"code": shown.group(1)}, follow_redirects=False)
    assert twice.status_code == 400 and ("confirmed already" in twice.text or "已确认" in twice.text)

    # Nothing is settled on the OPC's word alone: the student confirms that the trial took place.
    page = await admin.get(campaign_url)
    assert 'action="' + campaign_url + '/settle"' not in page.text
    response = await student.submit(f"/vouchers/{voucher_id}/trial")
    assert response.status_code == 200 and 'class="rate-form"' in response.text

    # The student rates it; the rating shows as verified.
    response = await student.submit(
        f"/vouchers/{voucher_id}/rate", {"stars": "4", "review": "好用 👍 <b>nice</b>"}
    )
    assert response.status_code == 200
    page = await visitor.get(product_url)
    assert "★★★★☆" in page.text and "好用 👍 &lt;b&gt;nice&lt;/b&gt;" in page.text

    # The admin settles, exports and marks it paid.
    page = await admin.get(campaign_url)
    assert page.status_code == 200
    org_id = re.search(r'name="organization" value="([0-9a-f-]{36})"', page.text)
    assert org_id, page.text
    response = await admin.submit(f"{campaign_url}/settle", {"organization": org_id.group(1)})
    assert response.status_code == 200
    again = await admin.submit(f"{campaign_url}/settle", {"organization": org_id.group(1)})
    assert "Nothing to settle" in again.text or "没有" in again.text
    csv_body = (await admin.get(f"/admin/vouchers/settlement?campaign={campaign_id}&format=csv")).content
    text = csv_body.decode("utf-8-sig")
    assert "智元视界工作室" in text and "50.00" in text
    xlsx = await admin.get(f"/admin/vouchers/settlement?campaign={campaign_id}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3:8] == ("redeemed", "awaiting_student", "disputed", "confirmed_unsettled", "settled")
    assert rows[1][2] == "智元视界工作室" and rows[1][7] == 1 and rows[1][9] == 50
    page = await admin.get(campaign_url)
    settlement = re.search(r'action="/admin/vouchers/settlements/([0-9a-f-]{36})/paid"', page.text)
    assert settlement
    response = await admin.submit(
        f"/admin/vouchers/settlements/{settlement.group(1)}/paid", {"reference": "转账 2026-001"}
    )
    assert response.status_code == 200
    assert "转账 2026-001" in response.text

    # The funder's report adds up; the audit log tells the whole story.
    page = await admin.get(campaign_url)
    for cls, value in (("claims", "1"), ("redemptions", "1"), ("confirmations", "1"), ("ratings", "1")):
        assert re.search(rf'class="{cls}">{value}\b', page.text), cls
    history = await admin.get(f"/admin/vouchers/vouchers/{voucher_id}")
    for state in (
        VoucherStatus.CLAIMED,
        VoucherStatus.REDEEMED,
        VoucherStatus.DELIVERED,
        VoucherStatus.CONFIRMED,
        VoucherStatus.SETTLED,
    ):
        assert label(state) in history.text

    # Every page of the zone renders for each kind of visitor.
    for client, url in (
        (visitor, "/vouchers"),
        (student, "/vouchers"),
        (opc, "/vouchers/opc"),
        (admin, "/admin/vouchers/settlement"),
        (admin, "/admin/vouchers/universities"),
        (admin, "/admin/vouchers/campaigns/new"),
        (opc, f"{product_url}/edit"),
        (visitor, "/api/v1/products"),
    ):
        assert (await client.get(url)).status_code == 200, url
    # ...and the admin pages are for admins only.
    assert (await student.get("/admin/vouchers", follow_redirects=False)).status_code == 403
