"""An edit to a published product goes back to review: readers keep the approved text (page, API, search)
until an admin publishes the change; a returned change is kept for the OPC; nothing is approved unread."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.services import AccountService
from community.vouchers.models import Product, ProductStatus
from tests.conftest import outbox_drained
from tests.vouchers.conftest import PASSWORD, PRODUCT, reload


async def test_an_edit_to_a_published_product_is_reviewed_before_readers_see_it(
    make_client: Any, services: AsyncSession, db: Any
) -> None:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    opc = await make_client()
    await opc.register("opc@example.com")
    await opc.submit("/orgs/new", {"name": "一人公司", "org_type": "opc", "slug": "one"})
    response = await opc.submit("/products/new", {**PRODUCT, "action": "submit"})
    product_id = str(response.url.path).rsplit("/", 1)[-1]
    await admin.submit(f"/admin/vouchers/products/{product_id}/review", {"decision": "publish"})
    visitor = await make_client()

    # The OPC changes the published product's name and what a voucher gives.
    edited = {**PRODUCT, "name": "赌场推广 Casino", "voucher_benefit": "下载即送现金", "action": "save"}
    response = await opc.submit(f"/products/{product_id}/edit", edited)
    assert response.status_code == 200
    assert "revision-waiting" in response.text
    product = await reload(services, Product, product_id)
    assert product.status is ProductStatus.PUBLISHED and product.name == PRODUCT["name"]

    # Readers still see the approved text, on the page, in the API, in the gallery and in search.
    await outbox_drained(db)
    page = await visitor.get(f"/products/{product_id}")
    assert PRODUCT["name"] in page.text and "Casino" not in page.text and "下载即送现金" not in page.text
    api = (await visitor.get(f"/api/v1/products/{product_id}")).json()
    assert api["name"] == PRODUCT["name"] and api["voucher_benefit"] == PRODUCT["voucher_benefit"]
    assert "Casino" not in (await visitor.get("/products")).text
    assert f"/products/{product_id}" not in (await visitor.get("/search?q=Casino&type=product")).text
    # The OPC's form keeps what it wrote: nothing is lost.
    form = await opc.get(f"/products/{product_id}/edit")
    assert 'value="赌场推广 Casino"' in form.text

    # The admin sees the change beside the published text, and returns it with a reason.
    hub = await admin.get("/admin/vouchers")
    assert "赌场推广 Casino" in hub.text and "revision-changes" in hub.text
    version = re.search(r'name="version" value="([^"]+)"', hub.text)
    assert version
    await admin.submit(
        f"/admin/vouchers/products/{product_id}/revision",
        {"decision": "return", "reason": "与体验券用途无关", "version": version.group(1)},
    )
    page = await opc.get(f"/products/{product_id}")
    assert "与体验券用途无关" in page.text
    assert 'value="赌场推广 Casino"' in (await opc.get(f"/products/{product_id}/edit")).text
    assert (await reload(services, Product, product_id)).name == PRODUCT["name"]

    # Sent again with a fair change; an approval of the version the admin read before is refused.
    fair = {**PRODUCT, "name": "光谷写作助手 Writer 2", "action": "save"}
    await opc.submit(f"/products/{product_id}/edit", fair)
    stale = await admin.submit(
        f"/admin/vouchers/products/{product_id}/revision",
        {"decision": "publish", "version": version.group(1)},
    )
    assert stale.status_code == 200
    assert (await reload(services, Product, product_id)).name == PRODUCT["name"]
    hub = await admin.get("/admin/vouchers")
    version = re.search(r'name="version" value="([^"]+)"', hub.text)
    assert version
    await admin.submit(
        f"/admin/vouchers/products/{product_id}/revision",
        {"decision": "publish", "version": version.group(1)},
    )
    product = await reload(services, Product, product_id)
    assert product.name == "光谷写作助手 Writer 2" and product.revision is None
    assert product.status is ProductStatus.PUBLISHED
    await outbox_drained(db)
    assert "光谷写作助手 Writer 2" in (await visitor.get(f"/products/{product_id}")).text
    found = re.sub(r"</?mark>", "", (await visitor.get("/search?q=Writer&type=product")).text)
    assert "光谷写作助手 Writer 2" in found
