"""The student's side (verify, claim, redeem, confirm or dispute the trial, rate) and the OPC's side (confirm
delivery with the code the student gives, see settlements)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from community.accounts.guards import Member, requires_login
from community.accounts.models import User
from community.errors import FormError
from community.i18n import _
from community.notifications.email import Mailer, MailError
from community.vouchers.controllers.deps import (
    DEPENDENCIES,
    PAGE_HELPERS,
    RATING_FORM_KEY,
    Campaigns,
    Products,
    Redemptions,
    Settlement,
    Students,
    Universities,
    Vouchers,
    render_page,
)
from community.vouchers.documents import product_url
from community.vouchers.inputs import normalize_code, optional_uuid, uuid_or_404
from community.vouchers.models import OPC_CONFIRMED_STATUSES, VoucherStatus
from community.vouchers.services.products import ProductService
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.settlement import SettlementService
from community.vouchers.services.students import PROOF_MAX_BYTES, StudentService, UniversityService
from community.vouchers.views import format_code, format_yuan
from community.web import Form, Multipart, Visitor, act, client_ip, field, form_or_redirect, limit_per_account

# A little above the largest proof, for the form's other fields and the multipart framing.
UPLOAD_MAX_BODY = PROOF_MAX_BYTES + 64 * 1024
VERIFY = "vouchers/verify.html"


class VoucherController(Controller):
    path = "/vouchers"
    dependencies = DEPENDENCIES

    @get("/", name="vouchers")
    async def index(
        self,
        request: Visitor,
        campaigns: Campaigns,
        vouchers: Vouchers,
        students: Students,
        products: Products,
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        session = request.scope.get("session")
        return render_page(
            request,
            "vouchers/index.html",
            campaigns=await campaigns.list(running_only=True),
            mine=await vouchers.of_student(viewer.id) if viewer else [],
            student=await students.status(viewer.id) if viewer else None,
            opcs=await products.opc_organizations_of(viewer) if viewer else [],
            # What a refused rating typed, given back once.
            rating_form=session.pop(RATING_FORM_KEY, {}) if isinstance(session, dict) else {},
        )

    # --- verification -------------------------------------------------------------------------------------

    async def _verify_context(
        self, user: User, students: StudentService, universities: UniversityService
    ) -> dict[str, Any]:
        return {"universities": await universities.list(), "student": await students.status(user.id)}

    @get("/verify", name="student-verify", guards=[requires_login])
    async def verify_form(self, request: Member, students: Students, universities: Universities) -> Template:
        return render_page(
            request, VERIFY, **await self._verify_context(request.user, students, universities)
        )

    @post("/verify/email", guards=[requires_login], middleware=limit_per_account("student-code", 5))
    async def send_code(
        self,
        request: Member,
        data: Form,
        students: Students,
        universities: Universities,
        mailer: NamedDependency[Mailer],
    ) -> Response[Any]:
        form = {"university": field(data, "university"), "email": field(data, "email")}

        async def send() -> None:
            try:
                await students.start_email(request.user, form["university"], form["email"], mailer)
            except MailError as exc:
                raise FormError(
                    {"email": _("The code could not be sent just now. Try again in a minute.")}
                ) from exc

        return await form_or_redirect(
            request,
            send,
            template=VERIFY,
            form=form,
            done=_("We sent a code to %(email)s. Enter it below.", email=form["email"].strip()),
            redirect_to="/vouchers/verify/code",
            context=lambda: self._verify_context(request.user, students, universities),
        )

    @get("/verify/code", name="student-code", guards=[requires_login])
    async def code_form(self, request: Member, students: Students) -> Template:
        return render_page(request, "vouchers/code.html", student=await students.status(request.user.id))

    @post("/verify/code", guards=[requires_login], middleware=limit_per_account("student-confirm", 10))
    async def confirm_code(self, request: Member, data: Form, students: Students) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {"student": await students.status(request.user.id)}

        return await form_or_redirect(
            request,
            lambda: students.confirm_code(request.user, field(data, "code")),
            template="vouchers/code.html",
            form={"code": field(data, "code")[:20]},
            done=_("You are verified as a student. Claim a voucher below."),
            redirect_to="/vouchers",
            context=context,
        )

    @post(
        "/verify/proof",
        guards=[requires_login],
        request_max_body_size=UPLOAD_MAX_BODY,
        middleware=limit_per_account("student-proof", 5),
    )
    async def upload_proof(
        self, request: Member, data: Multipart, students: Students, universities: Universities
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

        async def context() -> dict[str, Any]:
            # The proof form keeps its fields under its own name: the email form shares the page.
            return {**await self._verify_context(request.user, students, universities), "proof_form": form}

        return await form_or_redirect(
            request,
            lambda: students.submit_proof(
                request.user, form["university"], filename, content_type, content, form["note"]
            ),
            template=VERIFY,
            form={},
            done=_("Thank you. An admin will review your proof; you will be notified."),
            redirect_to="/vouchers",
            context=context,
        )

    # --- claim, redeem, rate --------------------------------------------------------------------------------

    @post(
        "/claim",
        guards=[requires_login],
        middleware=limit_per_account("voucher-claim", "voucher_claim_rate_per_minute"),
    )
    async def claim(self, request: Member, data: Form, vouchers: Vouchers) -> Response[Any]:
        campaign_id = uuid_or_404(field(data, "campaign"))
        # A claimed voucher leads to the products; a refused claim stays on the campaigns.
        return await act(
            request,
            lambda: vouchers.claim(request.user, campaign_id, client_ip(request)),
            done=lambda voucher: _(
                "You claimed a voucher worth %(value)s. Choose a product to redeem it.",
                value=format_yuan(voucher.face_value_fen),
            ),
            redirect_to="/products",
            refused_to="/vouchers",
        )

    @post(
        "/{voucher_id:uuid}/redeem",
        guards=[requires_login],
        middleware=limit_per_account("voucher-redeem", "voucher_redeem_rate_per_minute"),
    )
    async def redeem(
        self, request: Member, voucher_id: FromPath[UUID], data: Form, vouchers: Vouchers
    ) -> Response[Any]:
        product_id = uuid_or_404(field(data, "product"))
        # Redeemed: to the code on the vouchers page; refused: back to the product.
        return await act(
            request,
            lambda: vouchers.redeem(request.user, voucher_id, product_id, client_ip(request)),
            done=lambda voucher: _(
                "Redeemed. Your single-use code is %(code)s: give it to the OPC when you start the trial.",
                code=format_code(voucher.redemption_code),
            ),
            redirect_to=lambda voucher: f"/vouchers#voucher-{voucher.id}",
            refused_to=product_url(product_id),
        )

    @post("/{voucher_id:uuid}/trial", guards=[requires_login])
    async def confirm_trial(
        self, request: Member, voucher_id: FromPath[UUID], vouchers: Vouchers
    ) -> Response[Any]:
        return await act(
            request,
            lambda: vouchers.confirm_trial(request.user, voucher_id, client_ip(request)),
            done=_("Thank you: the trial is confirmed by both sides. Rate the product below."),
            redirect_to=f"/vouchers#voucher-{voucher_id}",
        )

    @post("/{voucher_id:uuid}/dispute", guards=[requires_login])
    async def dispute(
        self, request: Member, voucher_id: FromPath[UUID], data: Form, vouchers: Vouchers
    ) -> Response[Any]:
        return await act(
            request,
            lambda: vouchers.dispute(request.user, voucher_id, field(data, "reason"), client_ip(request)),
            done=_("Your dispute went to the admins; they will decide and tell you."),
            redirect_to=f"/vouchers#voucher-{voucher_id}",
        )

    @post("/{voucher_id:uuid}/rate", guards=[requires_login])
    async def rate(
        self, request: Member, voucher_id: FromPath[UUID], data: Form, vouchers: Vouchers
    ) -> Response[Any]:
        async def rate() -> None:
            try:
                await vouchers.rate(request.user, voucher_id, field(data, "stars"), field(data, "review"))
            except FormError:
                # The review typed waits in the session for the vouchers page, beside the flashed reason.
                review = field(data, "review")[:2000]
                request.session[RATING_FORM_KEY] = {"voucher": str(voucher_id), "review": review}
                raise

        return await act(
            request, rate, done=_("Thank you for your rating."), redirect_to=f"/vouchers#voucher-{voucher_id}"
        )

    # --- the OPC ------------------------------------------------------------------------------------------

    @get("/opc", name="voucher-opc", guards=[requires_login])
    async def opc(
        self, request: Member, products: Products, redemptions: Redemptions, settlement: Settlement
    ) -> Template:
        context = await _opc_context(request.user, products, redemptions, settlement)
        ids = [org.id for org in context["opcs"]]
        return render_page(
            request,
            "vouchers/opc.html",
            **context,
            recent=await redemptions.of_organizations(ids, OPC_CONFIRMED_STATUSES, limit=50),
            lines=[line for org_id in ids for line in await settlement.lines(organization_id=org_id)],
        )

    @post("/opc/confirm", guards=[requires_login])
    async def confirm(
        self,
        request: Member,
        data: Form,
        products: Products,
        redemptions: Redemptions,
        settlement: Settlement,
    ) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {
                **PAGE_HELPERS,
                **await _opc_context(request.user, products, redemptions, settlement),
                "recent": [],
                "lines": [],
            }

        return await form_or_redirect(
            request,
            lambda: redemptions.confirm(
                request.user, field(data, "code"), client_ip(request), optional_uuid(field(data, "product"))
            ),
            template="vouchers/opc.html",
            form={"code": field(data, "code")[:40], "product": field(data, "product")[:40]},
            # The code confirmed is the one typed (a voucher is found by it), as the student's page shows it.
            done=_(
                "Delivery confirmed: code %(code)s is used up. The student now confirms that the trial took "
                "place.",
                code=format_code(normalize_code(field(data, "code"))),
            ),
            redirect_to="/vouchers/opc",
            context=context,
        )


async def _opc_context(
    user: User, products: ProductService, redemptions: RedemptionService, settlement: SettlementService
) -> dict[str, Any]:
    """What the OPC's page shows in any case: its OPCs, their products, the trials owed (never their codes:
    the student gives the code when the trial starts), the statements."""
    opcs = await products.opc_organizations_of(user)
    ids = [org.id for org in opcs]
    return {
        "opcs": opcs,
        "products": await products.of_organizations(ids),
        "waiting": await redemptions.of_organizations(ids, [VoucherStatus.REDEEMED]),
        "settlements": await settlement.settlements(organization_ids=ids),
    }
