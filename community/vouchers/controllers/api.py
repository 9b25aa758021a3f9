"""JSON API (/api/v1) for products, and for an OPC that automates confirming delivery with the codes its
students give it. The API, like the pages, never shows an OPC the code of a trial it has not confirmed.

Errors are problem details: a refused code or a broken rule is 400 with ``errors`` per field (the reason in
words); a product the caller may not see is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from community.accounts.guards import Member, requires_login
from community.kernel.models import from_attributes
from community.vouchers.controllers.deps import API_DEPENDENCIES, Filters, Products, Redemptions
from community.vouchers.documents import product_url
from community.vouchers.models import Product, VoucherStatus
from community.vouchers.views import Redemption, average
from community.web import Visitor, client_ip


class ProductOut(msgspec.Struct):
    id: UUID
    name: str
    summary: str
    domains: list[str]
    organization: str
    voucher_benefit: str
    website: str | None
    screenshots: list[str]
    verified_ratings: int
    average_rating: float | None
    url: str
    published_at: datetime | None


class ProductDetailOut(ProductOut):
    description: str = ""
    how_to_try: str = ""


class ProductPageOut(msgspec.Struct):
    items: list[ProductOut]
    total: int
    page: int
    pages: int


class ConfirmIn(msgspec.Struct):
    code: str
    # The product whose trial was delivered; needed when the member's organizations make several.
    product_id: UUID | None = None


class RedemptionOut(msgspec.Struct):
    voucher_id: UUID
    # Only once the OPC itself confirmed delivery with it: before, the student holds it.
    code: str | None
    status: str
    product_id: UUID
    product: str
    redeemed_at: datetime | None
    confirmed_at: datetime | None
    student_confirmed_at: datetime | None


def _product_out(product: Product, org_name: str) -> ProductOut:
    return from_attributes(
        ProductOut,
        product,
        organization=org_name,
        verified_ratings=product.rating_count,
        average_rating=average(product),
        url=product_url(product),
    )


def _redemption_out(redemption: Redemption) -> RedemptionOut:
    return from_attributes(
        RedemptionOut, redemption, status=redemption.status.value, product=redemption.product_name
    )


class VoucherApiController(Controller):
    path = "/api/v1"
    dependencies = API_DEPENDENCIES
    tags = ["vouchers"]

    @get("/products", summary="Published AI products, ranked by verified student ratings")
    async def list_products(self, products: Products, filters: Filters) -> ProductPageOut:
        gallery = await products.gallery(filters)
        return ProductPageOut(
            items=[_product_out(p, name) for p, name in gallery.items],
            total=gallery.total,
            page=gallery.page,
            pages=gallery.pages,
        )

    @get("/products/{product_id:uuid}", summary="One product")
    async def get_product(
        self, request: Visitor, product_id: FromPath[UUID], products: Products
    ) -> ProductDetailOut:
        product, org, _access = await products.get_for(request.scope.get("user"), product_id)
        base = _product_out(product, org.name)
        return from_attributes(
            ProductDetailOut, base, description=product.description, how_to_try=product.how_to_try
        )

    @get(
        "/vouchers/redemptions",
        guards=[requires_login],
        summary="Redemptions of the caller's OPC products (trials owed by default, without their codes)",
    )
    async def redemptions(
        self,
        request: Member,
        products: Products,
        redemptions: Redemptions,
        status: Annotated[
            str, QueryParameter(pattern="^(redeemed|delivered|disputed|confirmed|settled)$")
        ] = "redeemed",
    ) -> list[RedemptionOut]:
        ids = [org.id for org in await products.opc_organizations_of(request.user)]
        return [_redemption_out(r) for r in await redemptions.of_organizations(ids, [VoucherStatus(status)])]

    @post(
        "/vouchers/confirm",
        guards=[requires_login],
        status_code=200,
        summary="Confirm delivering the trial whose code the student gave (the code is used up; the student "
        "confirms next)",
    )
    async def confirm(
        self, request: Member, data: JSONBody[ConfirmIn], redemptions: Redemptions, products: Products
    ) -> RedemptionOut:
        voucher = await redemptions.confirm(request.user, data.code, client_ip(request), data.product_id)
        assert voucher.product_id is not None
        return _redemption_out(Redemption.of(voucher, await products.get(voucher.product_id)))
