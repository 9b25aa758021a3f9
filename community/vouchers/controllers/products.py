"""Product pages: the gallery ranked by verified ratings, a product with its ratings and the student's way
to redeem a voucher for it, and the OPC's forms to write, submit and withdraw products."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.markup import markdown_html
from community.vocabulary import DOMAINS
from community.vouchers.controllers.deps import DEPENDENCIES, Form, field, form_of
from community.vouchers.labels import label
from community.vouchers.models import Product
from community.vouchers.services.campaigns import VoucherService
from community.vouchers.services.common import format_yuan
from community.vouchers.services.products import ProductInput, ProductService, average, product_url
from community.vouchers.services.students import StudentService
from community.web import render


def _form_of(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "summary": product.summary,
        "description": product.description,
        "domains": list(product.domains),
        "screenshots": "\n".join(product.screenshots),
        "website": product.website or "",
        "how_to_try": product.how_to_try,
        "voucher_benefit": product.voucher_benefit,
    }


class ProductController(Controller):
    path = "/products"
    dependencies = DEPENDENCIES

    @get("/", name="products")
    async def gallery(
        self,
        request: Request[Any, Any, Any],
        products: NamedDependency[ProductService],
        domain: Annotated[str | None, QueryParameter()] = None,
        sort: Annotated[str, QueryParameter()] = "rating",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        domain = domain if domain in DOMAINS else None
        sort = sort if sort in ("rating", "newest") else "rating"
        gallery = await products.gallery(domain=domain, page=page, sort=sort)
        current: dict[str, Any] = {"domain": domain, "sort": sort, "page": page}

        def query(**changes: Any) -> str:
            values = {**current, **changes}
            return urlencode({k: v for k, v in values.items() if v not in (None, "", 1) or k == "sort"})

        return render(
            request,
            "vouchers/products/gallery.html",
            gallery=gallery,
            domain=domain,
            sort=sort,
            domains=DOMAINS,
            average=average,
            q=query,
        )

    @get("/new", name="product-new", guards=[requires_login])
    async def new_form(
        self, request: Request[User, Any, Any], products: NamedDependency[ProductService]
    ) -> Template:
        opcs = await products.opc_organizations_of(request.user)
        form: dict[str, Any] = {"organization": str(opcs[0].id) if len(opcs) == 1 else ""}
        return render(
            request, "vouchers/products/form.html", mode="new", opcs=opcs, form=form, domains=DOMAINS
        )

    @post("/new", guards=[requires_login])
    async def create(
        self, request: Request[User, Any, Any], data: Form, products: NamedDependency[ProductService]
    ) -> Response[Any]:
        opcs = await products.opc_organizations_of(request.user)
        form = form_of(data, "domains")
        try:
            try:
                org_id = UUID(field(data, "organization"))
            except ValueError:
                if len(opcs) != 1:
                    raise FormError({"organization": _("Choose the OPC that makes this product.")}) from None
                org_id = opcs[0].id
            product = await products.create(
                request.user,
                org_id,
                ProductInput.from_mapping(data),
                submit=field(data, "action") == "submit",
            )
        except FormError as exc:
            return render(
                request,
                "vouchers/products/form.html",
                400,
                mode="new",
                opcs=opcs,
                form=form,
                errors=exc.errors,
                domains=DOMAINS,
            )
        flash(
            request,
            _("Submitted. An admin will review it; you will be notified.")
            if field(data, "action") == "submit"
            else _("Draft saved. Submit it for review when it is ready."),
            "success",
        )
        return Redirect(product_url(product))

    @get("/{product_id:uuid}", name="product")
    async def show(
        self,
        request: Request[Any, Any, Any],
        product_id: FromPath[UUID],
        products: NamedDependency[ProductService],
        vouchers: NamedDependency[VoucherService],
        students: NamedDependency[StudentService],
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        product, org, access = await products.get_for(viewer, product_id)
        usable = await vouchers.claimable_for_product(viewer.id, product) if viewer else []
        status = await students.status(viewer.id) if viewer else None
        return render(
            request,
            "vouchers/products/detail.html",
            product=product,
            org=org,
            access=access,
            ratings=await products.ratings(product.id),
            average=average(product),
            description_html=markdown_html(product.description),
            how_html=markdown_html(product.how_to_try),
            usable=usable,
            student=status,
            label=label,
            format_yuan=format_yuan,
        )

    @get("/{product_id:uuid}/edit", name="product-edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        product_id: FromPath[UUID],
        products: NamedDependency[ProductService],
    ) -> Template:
        product, _org, access = await products.get_for(request.user, product_id)
        if not access.can_edit:
            raise PermissionDeniedException
        return render(
            request,
            "vouchers/products/form.html",
            mode="edit",
            product=product,
            form=_form_of(product),
            domains=DOMAINS,
        )

    @post("/{product_id:uuid}/edit", guards=[requires_login])
    async def update(
        self,
        request: Request[User, Any, Any],
        product_id: FromPath[UUID],
        data: Form,
        products: NamedDependency[ProductService],
    ) -> Response[Any]:
        try:
            product, _org, access = await products.get_for(request.user, product_id)
            if not access.can_edit:
                raise Forbidden
            product = await products.update(
                request.user,
                product_id,
                ProductInput.from_mapping(data),
                submit=field(data, "action") == "submit",
            )
        except NotFound as exc:
            raise NotFoundException from exc
        except Forbidden as exc:
            raise PermissionDeniedException from exc
        except FormError as exc:
            return render(
                request,
                "vouchers/products/form.html",
                400,
                mode="edit",
                product=product,
                form=form_of(data, "domains"),
                errors=exc.errors,
                domains=DOMAINS,
            )
        flash(request, _("Saved."), "success")
        return Redirect(product_url(product))

    @post("/{product_id:uuid}/submit", guards=[requires_login])
    async def submit(
        self,
        request: Request[User, Any, Any],
        product_id: FromPath[UUID],
        products: NamedDependency[ProductService],
    ) -> Response[Any]:
        try:
            await products.submit(request.user, product_id)
        except NotFound as exc:
            raise NotFoundException from exc
        except Forbidden as exc:
            raise PermissionDeniedException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(f"/products/{product_id}/edit")
        flash(request, _("Submitted. An admin will review it; you will be notified."), "success")
        return Redirect(product_url(product_id))

    @post("/{product_id:uuid}/withdraw", guards=[requires_login])
    async def withdraw(
        self,
        request: Request[User, Any, Any],
        product_id: FromPath[UUID],
        data: Form,
        products: NamedDependency[ProductService],
    ) -> Response[Any]:
        try:
            await products.withdraw(request.user, product_id, field(data, "reason"))
        except NotFound as exc:
            raise NotFoundException from exc
        except Forbidden as exc:
            raise PermissionDeniedException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(product_url(product_id))
        flash(request, _("The product is withdrawn; vouchers can no longer be redeemed for it."), "success")
        return Redirect(product_url(product_id))
