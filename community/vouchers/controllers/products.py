"""Product pages: the gallery ranked by verified ratings, a product with its ratings and the student's way
to redeem a voucher for it, and the OPC's forms to write, submit and withdraw products."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.accounts.guards import Member, requires_login
from community.accounts.models import User
from community.i18n import _
from community.markup import markdown_html
from community.vocabulary import DOMAINS
from community.vouchers.controllers.deps import (
    DEPENDENCIES,
    Filters,
    Products,
    Students,
    Vouchers,
    render_page,
)
from community.vouchers.documents import product_url
from community.vouchers.inputs import ProductInput, optional_uuid
from community.vouchers.models import Product, ProductStatus
from community.vouchers.views import average
from community.web import Form, Visitor, act, field, form_of, form_or_redirect, render, shared_fragment

FORM = "vouchers/products/form.html"


def _form_of(product: Product) -> dict[str, Any]:
    """The form as the OPC left it: its changes waiting for review (or returned), else the product."""
    data = ProductInput.editing(product)
    return {**asdict(data), "screenshots": "\n".join(data.screenshots)}


def _saved(data: Form) -> str:
    return (
        _("Submitted. An admin will review it; you will be notified.")
        if field(data, "action") == "submit"
        else _("Draft saved. Submit it for review when it is ready.")
    )


class ProductController(Controller):
    path = "/products"
    dependencies = DEPENDENCIES

    @get("/", name="products")
    async def gallery(self, request: Visitor, products: Products, filters: Filters) -> Template:
        async def public_part() -> dict[str, Any]:
            return {
                "gallery": await products.gallery(filters),
                "domain": filters.domain,
                "sort": filters.sort,
                "domains": DOMAINS,
                "average": average,
                "q": lambda **changes: urlencode(filters.as_query(**changes)),
            }

        # Everyone's gallery: rendered once per interval or change, per language (web.fragments).
        key = f"/products?{urlencode(filters.as_query())}"
        shared = await shared_fragment(request, "vouchers/products/_gallery_shared.html", key, public_part)
        return render(request, "vouchers/products/gallery.html", shared=shared)

    @get("/new", name="product-new", guards=[requires_login])
    async def new_form(self, request: Member, products: Products) -> Template:
        opcs = await products.opc_organizations_of(request.user)
        form: dict[str, Any] = {"organization": str(opcs[0].id) if len(opcs) == 1 else ""}
        return render(request, FORM, mode="new", opcs=opcs, form=form, domains=DOMAINS)

    @post("/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, products: Products) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {
                "mode": "new",
                "opcs": await products.opc_organizations_of(request.user),
                "domains": DOMAINS,
            }

        return await form_or_redirect(
            request,
            lambda: products.create(
                request.user,
                optional_uuid(field(data, "organization")),
                ProductInput.from_mapping(data),
                submit=field(data, "action") == "submit",
            ),
            template=FORM,
            form=form_of(data, "domains"),
            done=_saved(data),
            redirect_to=product_url,
            context=context,
        )

    @get("/{product_id:uuid}", name="product")
    async def show(
        self,
        request: Visitor,
        product_id: FromPath[UUID],
        products: Products,
        vouchers: Vouchers,
        students: Students,
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        product, org, access = await products.get_for(viewer, product_id)
        return render_page(
            request,
            "vouchers/products/detail.html",
            product=product,
            org=org,
            access=access,
            ratings=await products.ratings(product.id),
            average=average(product),
            description_html=markdown_html(product.description),
            how_html=markdown_html(product.how_to_try),
            usable=await vouchers.claimable_for_product(viewer.id, product) if viewer else [],
            student=await students.status(viewer.id) if viewer else None,
        )

    @get("/{product_id:uuid}/edit", name="product-edit", guards=[requires_login])
    async def edit_form(self, request: Member, product_id: FromPath[UUID], products: Products) -> Template:
        product, _org = await products.editable(request.user, product_id)
        return render(request, FORM, mode="edit", product=product, form=_form_of(product), domains=DOMAINS)

    @post("/{product_id:uuid}/edit", guards=[requires_login])
    async def update(
        self, request: Member, product_id: FromPath[UUID], data: Form, products: Products
    ) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {"mode": "edit", "product": await products.get(product_id), "domains": DOMAINS}

        published = (await products.get(product_id)).status is ProductStatus.PUBLISHED
        return await form_or_redirect(
            request,
            lambda: products.update(
                request.user,
                product_id,
                ProductInput.from_mapping(data),
                submit=field(data, "action") == "submit",
            ),
            template=FORM,
            form=form_of(data, "domains"),
            done=_("Your changes wait for an admin's review; readers see the published version until then.")
            if published
            else _("Saved."),
            redirect_to=product_url,
            context=context,
        )

    @post("/{product_id:uuid}/submit", guards=[requires_login])
    async def submit(self, request: Member, product_id: FromPath[UUID], products: Products) -> Response[Any]:
        # A product refused for review goes back to its form, where the missing fields are fixed.
        return await act(
            request,
            lambda: products.submit(request.user, product_id),
            done=_("Submitted. An admin will review it; you will be notified."),
            redirect_to=product_url(product_id),
            refused_to=f"/products/{product_id}/edit",
        )

    @post("/{product_id:uuid}/withdraw", guards=[requires_login])
    async def withdraw(
        self, request: Member, product_id: FromPath[UUID], data: Form, products: Products
    ) -> Response[Any]:
        return await act(
            request,
            lambda: products.withdraw(request.user, product_id, field(data, "reason")),
            done=_("The product is withdrawn; vouchers can no longer be redeemed for it."),
            redirect_to=product_url(product_id),
        )
