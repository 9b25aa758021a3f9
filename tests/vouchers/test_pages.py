"""The voucher zone over HTTP: proofs (limits, kept outside static files, admins only), bad input that never
gives a 500, the JSON API, and the rate limits of claiming."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.services import AccountService
from community.i18n import _
from tests.conftest import FormClient
from tests.stored import kept_file, kept_names
from tests.vouchers.conftest import PASSWORD, PRODUCT

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


async def _university(client: FormClient, name: str = "华中科技大学") -> str:
    page = await client.get("/vouchers/verify")
    match = re.search(rf'<option value="([0-9a-f-]{{36}})"[^>]*>{name} ', page.text)
    assert match, page.text
    return match.group(1)


async def _upload(client: FormClient, university: str, content: bytes, name: str, kind: str) -> Any:
    token = await client.csrf_token()
    return await client.client.post(
        "/vouchers/verify/proof",
        data={"university": university, "note": "没有学校邮箱 / no school mail", "_csrf_token": token},
        files={"proof": (name, content, kind)},
        follow_redirects=False,
    )


async def test_proof_upload_limits_storage_and_admin_review(
    make_client: Any, services: AsyncSession, db: Any
) -> None:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    student = await make_client()
    await student.register("wang@example.com", name="王同学")
    hust = await _university(student)

    # Wrong type (declared as PNG, but HTML inside), too large, and nothing at all: each refused, no 500.
    fake = await _upload(student, hust, b"<html><script>alert(1)</script></html>", "card.png", "image/png")
    assert fake.status_code == 400 and ("Only PDF, PNG and JPEG" in fake.text or "PDF" in fake.text)
    big = await _upload(student, hust, PNG + b"\x00" * (5 * 1024 * 1024), "card.png", "image/png")
    assert big.status_code in (400, 413)
    empty = await _upload(student, hust, b"", "card.png", "image/png")
    assert empty.status_code == 400

    done = await _upload(student, hust, PNG, "学生证 <1>.png", "image/png")
    assert done.status_code in (302, 303)
    stored = kept_names(db, "proofs")
    assert len(stored) == 1 and kept_file(db, "proofs", stored[0]) == PNG

    hub = await admin.get("/admin/vouchers")
    link = re.search(r'href="(/admin/vouchers/students/([0-9a-f-]{36})/proof)"', hub.text)
    assert link, hub.text
    # Only admins open the proof; the student and visitors do not (not even with the link).
    assert (await student.get(link.group(1), follow_redirects=False)).status_code == 403
    visitor = await make_client()
    assert (await visitor.get(link.group(1), follow_redirects=False)).status_code in (302, 303, 401)
    proof = await admin.get(link.group(1))
    assert proof.status_code == 200 and proof.content == PNG
    assert proof.headers["content-disposition"].startswith("attachment")

    # A rejection needs a reason, and the student reads it.
    review = f"/admin/vouchers/students/{link.group(2)}/review"
    await admin.submit(review, {"decision": "reject", "reason": ""})
    await admin.submit(review, {"decision": "reject", "reason": "照片模糊，看不清学号"})
    page = await student.get("/vouchers")
    assert "照片模糊，看不清学号" in page.text
    # A new proof, and this time it is accepted.
    assert (await _upload(student, hust, PNG, "card2.png", "image/png")).status_code in (302, 303)
    hub = await admin.get("/admin/vouchers")
    second = re.search(r"/admin/vouchers/students/([0-9a-f-]{36})/review", hub.text)
    assert second
    await admin.submit(f"/admin/vouchers/students/{second.group(1)}/review", {"decision": "approve"})
    page = await student.get("/vouchers")
    assert (
        ("华中科技大学" in page.text and "claim-form" not in page.text)
        or "Claim" in page.text
        or "领取" in page.text
    )


async def test_one_university_address_verifies_one_account(
    make_client: Any, services: Any, mailbox: Any
) -> None:
    first = await make_client()
    await first.register("a@example.com")
    whu = await _university(first, "武汉大学")
    await first.submit("/vouchers/verify/email", {"university": whu, "email": "same@whu.edu.cn"})
    body = mailbox.body(mailbox.wait_for("same@whu.edu.cn"))
    code = re.search(r"\b(\d{6})\b", body)
    assert code
    await first.submit("/vouchers/verify/code", {"code": code.group(1)})
    second = await make_client()
    await second.register("b@example.com")
    taken = await second.submit(
        "/vouchers/verify/email", {"university": whu, "email": "SAME@whu.edu.cn"}, follow_redirects=False
    )
    assert taken.status_code == 400
    assert _("This university address already verifies another account.") in taken.text


async def test_bad_input_never_gives_a_500(make_client: Any, services: AsyncSession) -> None:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    member = await make_client()
    await member.register("opc@example.com")
    await member.submit("/orgs/new", {"name": "一人公司", "org_type": "opc", "slug": "one"})
    nasty = [
        "",
        " ",
        "x" * 100_000,
        "<script>alert('x')</script>",
        "'; DROP TABLE voucher; --",
        "武汉 AI 产品 🚀 mixed English",
        "\u202e\u200b",
    ]
    for value in nasty:
        for url in ("/products/new", "/admin/vouchers/campaigns/new", "/admin/vouchers/universities"):
            client = member if url.startswith("/products") else admin
            data = dict.fromkeys(
                (
                    "name",
                    "summary",
                    "description",
                    "domains",
                    "screenshots",
                    "website",
                    "how_to_try",
                    "voucher_benefit",
                    "funder",
                    "budget",
                    "face_value",
                    "per_student_cap",
                    "per_product_cap",
                    "starts_at",
                    "ends_at",
                    "eligible_domains",
                    "eligible_products",
                    "email_domains",
                    "id",
                ),
                value,
            )
            response = await client.submit(url, data, follow_redirects=False)
            assert response.status_code in (302, 303, 400, 404, 413), (url, value[:20], response.status_code)
        for url in (
            "/vouchers/claim",
            "/vouchers/opc/confirm",
            "/vouchers/verify/email",
            "/vouchers/verify/code",
        ):
            response = await member.submit(
                url,
                {"campaign": value, "code": value, "email": value, "university": value},
                follow_redirects=False,
            )
            assert response.status_code < 500, (url, value[:20], response.status_code)
    for url in (
        "/products?domain=%27%20OR%201=1&page=999",
        "/products?page=0",
        "/products/not-a-uuid",
        "/products/00000000-0000-0000-0000-000000000000",
        "/api/v1/products?sort=evil",
        "/admin/vouchers/settlement?campaign=xyz&format=pdf",
        "/admin/vouchers/campaigns/00000000-0000-0000-0000-000000000000",
    ):
        response = await admin.get(url, follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code)


async def test_json_api_products_and_confirmation(make_client: Any, services: AsyncSession) -> None:
    from tests.vouchers.conftest import World  # noqa: F401  (the same arrangement as the service tests)

    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    opc = await make_client()
    await opc.register("opc@example.com")
    await opc.submit("/orgs/new", {"name": "一人公司", "org_type": "opc", "slug": "one"})
    response = await opc.submit("/products/new", {**PRODUCT, "action": "submit"})
    product_id = str(response.url.path).rsplit("/", 1)[-1]
    visitor = await make_client()
    assert (await visitor.get(f"/api/v1/products/{product_id}")).status_code == 404
    await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "publish"})

    listing = (await visitor.get("/api/v1/products")).json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == PRODUCT["name"]
    assert listing["items"][0]["verified_ratings"] == 0
    detail = (await visitor.get(f"/api/v1/products/{product_id}")).json()
    assert detail["voucher_benefit"] == PRODUCT["voucher_benefit"]

    headers = {"x-csrftoken": await opc.csrf_token()}
    refused = await opc.client.post("/api/v1/vouchers/confirm", json={"code": "ABCDE-FGHJK"}, headers=headers)
    assert refused.status_code == 400
    problem = refused.json()
    assert problem["status"] == 400 and "code" in problem["errors"]
    malformed = await opc.client.post("/api/v1/vouchers/confirm", json={"nope": 1}, headers=headers)
    assert malformed.status_code == 400
    anonymous = await visitor.client.post(
        "/api/v1/vouchers/confirm", json={"code": "x"}, headers={"x-csrftoken": await visitor.csrf_token()}
    )
    assert anonymous.status_code == 401
    assert (await opc.get("/api/v1/vouchers/redemptions")).json() == []


async def test_claiming_is_rate_limited_per_account(make_client: Any, services: AsyncSession) -> None:
    student = await make_client()
    await student.register("fast@example.com")
    statuses = []
    for _attempt in range(12):
        response = await student.submit(
            "/vouchers/claim", {"campaign": "00000000-0000-0000-0000-000000000000"}, follow_redirects=False
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses
    assert "Retry-After" in response.headers or "retry-after" in response.headers
    # Another account is not held back by the first one's attempts.
    other = await make_client()
    await other.register("calm@example.com")
    response = await other.submit(
        "/vouchers/claim", {"campaign": "00000000-0000-0000-0000-000000000000"}, follow_redirects=False
    )
    assert response.status_code != 429


async def test_published_products_are_searchable_and_withdrawn_ones_leave_the_index(
    make_client: Any, services: AsyncSession, db: Any
) -> None:
    from tests.conftest import outbox_drained

    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    opc = await make_client()
    await opc.register("opc@example.com")
    await opc.submit("/orgs/new", {"name": "一人公司", "org_type": "opc", "slug": "one"})
    response = await opc.submit(
        "/products/new", {**PRODUCT, "name": "论文润色助手 Writer", "action": "submit"}
    )
    product_id = str(response.url.path).rsplit("/", 1)[-1]
    await opc.submit("/products/new", {**PRODUCT, "name": "未提交的草稿 润色", "action": "save"})
    await outbox_drained(db)
    visitor = await make_client()
    assert "论文润色助手" not in re.sub(r"</?mark>", "", (await visitor.get("/search?q=润色")).text)
    await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "publish"})
    await outbox_drained(db)
    found = re.sub(r"</?mark>", "", (await visitor.get("/search?q=润色&type=product")).text)
    assert "论文润色助手 Writer" in found and "未提交的草稿" not in found
    await opc.submit(f"/products/{product_id}/withdraw", {"reason": "升级维护"})
    await outbox_drained(db)
    assert "论文润色助手" not in re.sub(r"</?mark>", "", (await visitor.get("/search?q=润色")).text)


async def test_an_opc_confirms_through_the_api(make_client: Any, services: AsyncSession) -> None:
    from sqlalchemy import select

    from community.accounts.models import User
    from community.vouchers.models import Product
    from community.vouchers.services.vouchers import VoucherService
    from tests.vouchers.conftest import make_campaign, verified_students

    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin_user = await AccountService(services).by_email("admin@example.com")
    assert admin_user is not None
    opc = await make_client()
    await opc.register("opc@example.com")
    await opc.submit("/orgs/new", {"name": "一人公司", "org_type": "opc", "slug": "one"})
    response = await opc.submit("/products/new", {**PRODUCT, "action": "submit"})
    product_id = str(response.url.path).rsplit("/", 1)[-1]
    admin = await make_client()
    await admin.login("admin@example.com")
    await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "publish"})

    campaign = await make_campaign(services, admin_user)
    from community.vouchers.services.students import UniversityService

    whu = next(u for u in await UniversityService(services).list() if "whu.edu.cn" in u.email_domains)
    (student,) = await verified_students(services, whu.id, 1)
    vouchers = VoucherService(services)
    voucher = await vouchers.claim(student, campaign.id)
    product = await services.scalar(select(Product))
    assert product is not None
    voucher = await vouchers.redeem(student, voucher.id, product.id)
    await services.commit()
    assert await services.scalar(select(User).where(User.id == student.id)) is not None

    # The trial owed is listed without its code; the student gives the code, and the OPC sends it.
    waiting = (await opc.get("/api/v1/vouchers/redemptions")).json()
    assert [(w["voucher_id"], w["code"]) for w in waiting] == [(str(voucher.id), None)]
    headers = {"x-csrftoken": await opc.csrf_token()}
    given = {"code": voucher.redemption_code, "product_id": str(product.id)}
    done = await opc.client.post("/api/v1/vouchers/confirm", json=given, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    again = await opc.client.post("/api/v1/vouchers/confirm", json=given, headers=headers)
    assert again.status_code == 400 and again.json()["errors"]["code"]
    assert (await opc.get("/api/v1/vouchers/redemptions")).json() == []
    delivered = (await opc.get("/api/v1/vouchers/redemptions?status=delivered")).json()
    assert [d["code"].replace("-", "") for d in delivered] == [voucher.redemption_code]
