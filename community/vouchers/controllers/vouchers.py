"""The student's side (verify, claim, redeem, rate) and the OPC's side (confirm trials, see settlements)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.errors import FormError, NotFound
from community.i18n import _
from community.notifications.email import Mailer, MailError
from community.vouchers.controllers.deps import DEPENDENCIES, Form, client_ip, field
from community.vouchers.labels import label
from community.vouchers.models import VoucherStatus
from community.vouchers.services.campaigns import VoucherService, format_code
from community.vouchers.services.common import format_yuan
from community.vouchers.services.products import ProductService, product_url
from community.vouchers.services.reports import ReportService
from community.vouchers.services.students import PROOF_MAX_BYTES, StudentService, UniversityService
from community.web import limit_per_account

# A little above the largest proof, for the form's other fields and the multipart framing.
UPLOAD_MAX_BODY = PROOF_MAX_BYTES + 64 * 1024


def _flash_errors(request: Request[Any, Any, Any], exc: FormError) -> None:
    flash(request, " ".join(exc.errors.values()), "error")


class VoucherController(Controller):
    path = "/vouchers"
    dependencies = DEPENDENCIES

    @get("/", name="vouchers")
    async def index(
        self,
        request: Request[Any, Any, Any],
        vouchers: NamedDependency[VoucherService],
        students: NamedDependency[StudentService],
        products: NamedDependency[ProductService],
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        mine = await vouchers.of_student(viewer.id) if viewer else []
        opcs = await products.opc_organizations_of(viewer) if viewer else []
        return render_page(
            request,
            "vouchers/index.html",
            campaigns=await vouchers.campaigns(running_only=True),
            mine=mine,
            student=await students.status(viewer.id) if viewer else None,
            opcs=opcs,
        )

    # --- verification -------------------------------------------------------------------------------------

    @get("/verify", name="student-verify", guards=[requires_login])
    async def verify_form(
        self,
        request: Request[User, Any, Any],
        students: NamedDependency[StudentService],
        universities: NamedDependency[UniversityService],
    ) -> Template:
        return render_page(
            request,
            "vouchers/verify.html",
            universities=await universities.list(),
            student=await students.status(request.user.id),
        )

    @post(
        "/verify/email",
        guards=[requires_login],
        middleware=limit_per_account("student-code", 5),
    )
    async def send_code(
        self,
        request: Request[User, Any, Any],
        data: Form,
        students: NamedDependency[StudentService],
        universities: NamedDependency[UniversityService],
        mailer: NamedDependency[Mailer],
    ) -> Response[Any]:
        form = {"university": field(data, "university"), "email": field(data, "email")}
        try:
            await students.start_email(request.user, form["university"], form["email"], mailer)
        except (FormError, MailError) as exc:
            errors = (
                exc.errors
                if isinstance(exc, FormError)
                else {"email": _("The code could not be sent just now. Try again in a minute.")}
            )
            return render_page(
                request,
                "vouchers/verify.html",
                400,
                universities=await universities.list(),
                student=await students.status(request.user.id),
                form=form,
                errors=errors,
            )
        flash(
            request, _("We sent a code to %(email)s. Enter it below.", email=form["email"].strip()), "success"
        )
        return Redirect("/vouchers/verify/code")

    @get("/verify/code", name="student-code", guards=[requires_login])
    async def code_form(
        self, request: Request[User, Any, Any], students: NamedDependency[StudentService]
    ) -> Template:
        return render_page(request, "vouchers/code.html", student=await students.status(request.user.id))

    @post("/verify/code", guards=[requires_login], middleware=limit_per_account("student-confirm", 10))
    async def confirm_code(
        self, request: Request[User, Any, Any], data: Form, students: NamedDependency[StudentService]
    ) -> Response[Any]:
        try:
            await students.confirm_code(request.user, field(data, "code"))
        except FormError as exc:
            return render_page(
                request,
                "vouchers/code.html",
                400,
                student=await students.status(request.user.id),
                form={"code": field(data, "code")[:20]},
                errors=exc.errors,
            )
        flash(request, _("You are verified as a student. Claim a voucher below."), "success")
        return Redirect("/vouchers")

    @post(
        "/verify/proof",
        guards=[requires_login],
        request_max_body_size=UPLOAD_MAX_BODY,
        middleware=limit_per_account("student-proof", 5),
    )
    async def upload_proof(
        self,
        request: Request[User, Any, Any],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        students: NamedDependency[StudentService],
        universities: NamedDependency[UniversityService],
    ) -> Response[Any]:
        upload = data.get("proof")
        if isinstance(upload, list):
            upload = upload[-1] if upload else None
        content = b""
        filename, content_type = "", ""
        if isinstance(upload, UploadFile):
            content = await upload.read(PROOF_MAX_BYTES + 1)
            filename, content_type = upload.filename or "", upload.content_type or ""
        form = {"university": field(data, "university"), "note": field(data, "note")}
        try:
            await students.submit_proof(
                request.user, form["university"], filename, content_type, content, form["note"]
            )
        except FormError as exc:
            return render_page(
                request,
                "vouchers/verify.html",
                400,
                universities=await universities.list(),
                student=await students.status(request.user.id),
                proof_form=form,
                errors=exc.errors,
            )
        flash(request, _("Thank you. An admin will review your proof; you will be notified."), "success")
        return Redirect("/vouchers")

    # --- claim, redeem, rate --------------------------------------------------------------------------------

    @post(
        "/claim",
        guards=[requires_login],
        middleware=limit_per_account("voucher-claim", "voucher_claim_rate_per_minute"),
    )
    async def claim(
        self, request: Request[User, Any, Any], data: Form, vouchers: NamedDependency[VoucherService]
    ) -> Response[Any]:
        try:
            campaign_id = UUID(field(data, "campaign"))
            voucher = await vouchers.claim(request.user, campaign_id, client_ip(request))
        except ValueError as exc:
            raise NotFoundException from exc
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            _flash_errors(request, exc)
            return Redirect("/vouchers")
        flash(
            request,
            _(
                "You claimed a voucher worth %(value)s. Choose a product to redeem it.",
                value=format_yuan(voucher.face_value_fen),
            ),
            "success",
        )
        return Redirect("/products")

    @post(
        "/{voucher_id:uuid}/redeem",
        guards=[requires_login],
        middleware=limit_per_account("voucher-redeem", "voucher_redeem_rate_per_minute"),
    )
    async def redeem(
        self,
        request: Request[User, Any, Any],
        voucher_id: FromPath[UUID],
        data: Form,
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        raw_product = field(data, "product")
        try:
            product_id = UUID(raw_product)
        except ValueError as exc:
            raise NotFoundException from exc
        try:
            voucher = await vouchers.redeem(request.user, voucher_id, product_id, client_ip(request))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            _flash_errors(request, exc)
            return Redirect(product_url(product_id))
        flash(
            request,
            _(
                "Redeemed. Your single-use code is %(code)s: give it to the OPC when you start the trial.",
                code=format_code(voucher.redemption_code),
            ),
            "success",
        )
        return Redirect(f"/vouchers#voucher-{voucher.id}")

    @post("/{voucher_id:uuid}/rate", guards=[requires_login])
    async def rate(
        self,
        request: Request[User, Any, Any],
        voucher_id: FromPath[UUID],
        data: Form,
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        try:
            await vouchers.rate(request.user, voucher_id, field(data, "stars"), field(data, "review"))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            _flash_errors(request, exc)
            request.session["_rating_form"] = {
                "voucher": str(voucher_id),
                "review": field(data, "review")[:2000],
            }
            return Redirect(f"/vouchers#voucher-{voucher_id}")
        flash(request, _("Thank you for your rating."), "success")
        return Redirect(f"/vouchers#voucher-{voucher_id}")

    # --- the OPC ------------------------------------------------------------------------------------------

    @get("/opc", name="voucher-opc", guards=[requires_login])
    async def opc(
        self,
        request: Request[User, Any, Any],
        products: NamedDependency[ProductService],
        vouchers: NamedDependency[VoucherService],
        reports: NamedDependency[ReportService],
    ) -> Template:
        opcs = await products.opc_organizations_of(request.user)
        ids = [org.id for org in opcs]
        return render_page(
            request,
            "vouchers/opc.html",
            opcs=opcs,
            products=await products.of_organizations(ids),
            waiting=await vouchers.redemptions_of_organizations(ids, [VoucherStatus.REDEEMED]),
            recent=await vouchers.redemptions_of_organizations(
                ids, [VoucherStatus.CONFIRMED, VoucherStatus.SETTLED], limit=50
            ),
            lines=[line for org_id in ids for line in await reports.settlement_lines(organization_id=org_id)],
            settlements=await reports.settlements(organization_ids=ids),
        )

    @post("/opc/confirm", guards=[requires_login])
    async def confirm(
        self,
        request: Request[User, Any, Any],
        data: Form,
        vouchers: NamedDependency[VoucherService],
        products: NamedDependency[ProductService],
        reports: NamedDependency[ReportService],
    ) -> Response[Any]:
        try:
            voucher = await vouchers.confirm(request.user, field(data, "code"), client_ip(request))
        except FormError as exc:
            opcs = await products.opc_organizations_of(request.user)
            ids = [org.id for org in opcs]
            return render_page(
                request,
                "vouchers/opc.html",
                400,
                opcs=opcs,
                products=await products.of_organizations(ids),
                waiting=await vouchers.redemptions_of_organizations(ids, [VoucherStatus.REDEEMED]),
                recent=[],
                lines=[],
                settlements=await reports.settlements(organization_ids=ids),
                form={"code": field(data, "code")[:40]},
                errors=exc.errors,
            )
        flash(
            request,
            _("Confirmed: code %(code)s is used up.", code=format_code(voucher.redemption_code)),
            "success",
        )
        return Redirect("/vouchers/opc")


def render_page(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Template:
    from community.web import render

    context.setdefault("label", label)
    context.setdefault("format_yuan", format_yuan)
    context.setdefault("format_code", format_code)
    session = request.scope.get("session")
    if isinstance(session, dict):
        context.setdefault("rating_form", session.pop("_rating_form", {}))
    return render(request, template, status_code, **context)
