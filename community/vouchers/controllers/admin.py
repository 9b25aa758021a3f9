"""The admins' side: approve products, review students' proofs, run campaigns, settle and export, read
funders' reports, look at flagged patterns, void vouchers, suspend accounts, keep the university list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.accounts.services import AccountService
from community.errors import FormError, NotFound
from community.i18n import _
from community.vocabulary import DOMAINS
from community.vouchers.controllers.deps import DEPENDENCIES, Form, field, form_of
from community.vouchers.controllers.vouchers import render_page
from community.vouchers.models import ProductStatus, VoucherStatus
from community.vouchers.services.campaigns import CampaignInput, VoucherService
from community.vouchers.services.common import parse_local_datetime
from community.vouchers.services.products import ProductService
from community.vouchers.services.reports import FLAG_KINDS, ReportService, settlement_csv, settlement_xlsx
from community.vouchers.services.students import StudentService, UniversityService

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _uuid(raw: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError as exc:
        raise NotFoundException from exc


class VoucherAdminController(Controller):
    path = "/admin/vouchers"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="voucher-admin")
    async def hub(
        self,
        request: Request[User, Any, Any],
        products: NamedDependency[ProductService],
        students: NamedDependency[StudentService],
        vouchers: NamedDependency[VoucherService],
        reports: NamedDependency[ReportService],
    ) -> Template:
        await vouchers.expire_due()
        return render_page(
            request,
            "vouchers/admin/hub.html",
            awaiting=await products.awaiting_review(),
            proofs=await students.pending_reviews(),
            campaigns=await vouchers.campaigns(),
            flags=await reports.flags(),
            flag_kinds={kind: _(text) for kind, text in FLAG_KINDS.items()},
            suspensions=await vouchers.suspensions(),
        )

    # --- products and proofs -----------------------------------------------------------------------------

    @post("/products/{product_id:uuid}/review")
    async def review_product(
        self,
        request: Request[User, Any, Any],
        product_id: FromPath[UUID],
        data: Form,
        products: NamedDependency[ProductService],
    ) -> Response[Any]:
        approve = field(data, "decision") == "publish"
        try:
            product = await products.review(request.user, product_id, approve, field(data, "reason"))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect("/admin/vouchers#products")
        flash(
            request,
            _("Published: %(name)s.", name=product.name)
            if product.status is ProductStatus.PUBLISHED
            else _("Returned with your reason: %(name)s.", name=product.name),
            "success",
        )
        return Redirect("/admin/vouchers#products")

    @get("/students/{verification_id:uuid}/proof", name="student-proof")
    async def proof(self, verification_id: FromPath[UUID], students: NamedDependency[StudentService]) -> File:
        try:
            row = await students.get(verification_id)
            path = students.proof_file(row)
        except NotFound as exc:
            raise NotFoundException from exc
        return File(
            path=path,
            filename=f"proof-{row.id}.{path.suffix.lstrip('.')}",
            media_type=row.proof_content_type or "application/octet-stream",
            content_disposition_type="attachment",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @post("/students/{verification_id:uuid}/review")
    async def review_proof(
        self,
        request: Request[User, Any, Any],
        verification_id: FromPath[UUID],
        data: Form,
        students: NamedDependency[StudentService],
    ) -> Response[Any]:
        approve = field(data, "decision") == "approve"
        errors: dict[str, str] = {}
        until = (
            parse_local_datetime(field(data, "valid_until"), errors, "valid_until")
            if field(data, "valid_until").strip()
            else None
        )
        try:
            if errors:
                raise FormError(errors)
            await students.review(request.user, verification_id, approve, field(data, "reason"), until)
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect("/admin/vouchers#proofs")
        flash(request, _("Verified.") if approve else _("Rejected with your reason."), "success")
        return Redirect("/admin/vouchers#proofs")

    # --- campaigns ---------------------------------------------------------------------------------------

    @get("/campaigns/new", name="campaign-new")
    async def new_campaign(
        self, request: Request[User, Any, Any], products: NamedDependency[ProductService]
    ) -> Template:
        return render_page(
            request,
            "vouchers/admin/campaign_form.html",
            form={"per_student_cap": "1", "per_product_cap": "100"},
            domains=DOMAINS,
            products=(await products.gallery(sort="newest")).items,
        )

    @post("/campaigns/new")
    async def create_campaign(
        self,
        request: Request[User, Any, Any],
        data: Form,
        vouchers: NamedDependency[VoucherService],
        products: NamedDependency[ProductService],
    ) -> Response[Any]:
        try:
            campaign = await vouchers.create_campaign(request.user, CampaignInput.parse(data))
        except FormError as exc:
            return render_page(
                request,
                "vouchers/admin/campaign_form.html",
                400,
                form=form_of(data, "eligible_domains", "eligible_products"),
                errors=exc.errors,
                domains=DOMAINS,
                products=(await products.gallery(sort="newest")).items,
            )
        flash(request, _("The campaign is created."), "success")
        return Redirect(f"/admin/vouchers/campaigns/{campaign.id}")

    @get("/campaigns/{campaign_id:uuid}", name="campaign")
    async def campaign(
        self,
        request: Request[User, Any, Any],
        campaign_id: FromPath[UUID],
        vouchers: NamedDependency[VoucherService],
        reports: NamedDependency[ReportService],
        status: Annotated[str | None, QueryParameter()] = None,
    ) -> Template:
        try:
            await vouchers.expire_due(campaign_id)
            report = await reports.funder_report(campaign_id)
        except NotFound as exc:
            raise NotFoundException from exc
        chosen = VoucherStatus(status) if status in {s.value for s in VoucherStatus} else None
        return render_page(
            request,
            "vouchers/admin/campaign.html",
            report=report,
            campaign=report.campaign,
            lines=await reports.settlement_lines(campaign_id=campaign_id),
            settlements=await reports.settlements(campaign_id=campaign_id),
            vouchers=await vouchers.vouchers_of_campaign(campaign_id, chosen),
            status=chosen.value if chosen else "",
            statuses=list(VoucherStatus),
        )

    @post("/campaigns/{campaign_id:uuid}/close")
    async def close_campaign(
        self,
        request: Request[User, Any, Any],
        campaign_id: FromPath[UUID],
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        await vouchers.close_campaign(request.user, campaign_id)
        flash(request, _("The campaign is closed; unredeemed vouchers have expired."), "success")
        return Redirect(f"/admin/vouchers/campaigns/{campaign_id}")

    @post("/campaigns/{campaign_id:uuid}/settle")
    async def settle(
        self,
        request: Request[User, Any, Any],
        campaign_id: FromPath[UUID],
        data: Form,
        reports: NamedDependency[ReportService],
    ) -> Response[Any]:
        try:
            settlement = await reports.settle(request.user, campaign_id, _uuid(field(data, "organization")))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(f"/admin/vouchers/campaigns/{campaign_id}#settlement")
        flash(
            request,
            _(
                "Settlement made: %(n)s vouchers. Mark it paid once the money is sent.",
                n=settlement.voucher_count,
            ),
            "success",
        )
        return Redirect(f"/admin/vouchers/campaigns/{campaign_id}#settlement")

    @post("/settlements/{settlement_id:uuid}/paid")
    async def mark_paid(
        self,
        request: Request[User, Any, Any],
        settlement_id: FromPath[UUID],
        data: Form,
        reports: NamedDependency[ReportService],
    ) -> Response[Any]:
        try:
            settlement = await reports.mark_paid(request.user, settlement_id, field(data, "reference"))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect("/admin/vouchers/settlement")
        flash(request, _("Marked paid."), "success")
        return Redirect(f"/admin/vouchers/campaigns/{settlement.campaign_id}#settlement")

    @get("/settlement", name="voucher-settlement")
    async def settlement(
        self,
        request: Request[User, Any, Any],
        reports: NamedDependency[ReportService],
        campaign: Annotated[str | None, QueryParameter()] = None,
        organization: Annotated[str | None, QueryParameter()] = None,
        format_: Annotated[str | None, QueryParameter(name="format")] = None,
    ) -> Response[Any]:
        campaign_id = _optional_uuid(campaign)
        org_id = _optional_uuid(organization)
        lines = await reports.settlement_lines(campaign_id=campaign_id, organization_id=org_id)
        stamp = date.today().isoformat()
        if format_ == "csv":
            return Response(
                settlement_csv(lines),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="voucher-settlement-{stamp}.csv"'},
            )
        if format_ == "xlsx":
            return Response(
                settlement_xlsx(lines),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="voucher-settlement-{stamp}.xlsx"'},
            )
        return render_page(
            request,
            "vouchers/admin/settlement.html",
            lines=lines,
            settlements=await reports.settlements(campaign_id=campaign_id),
            query=request.url.query,
        )

    # --- vouchers and accounts -----------------------------------------------------------------------------

    @get("/vouchers/{voucher_id:uuid}", name="voucher-admin-detail")
    async def voucher(
        self,
        request: Request[User, Any, Any],
        voucher_id: FromPath[UUID],
        vouchers: NamedDependency[VoucherService],
    ) -> Template:
        from community.vouchers.models import Voucher

        voucher = await vouchers.db.get(Voucher, voucher_id)
        if voucher is None:
            raise NotFoundException
        return render_page(
            request,
            "vouchers/admin/voucher.html",
            voucher=voucher,
            history=await vouchers.history(voucher_id),
        )

    @post("/vouchers/{voucher_id:uuid}/void")
    async def void(
        self,
        request: Request[User, Any, Any],
        voucher_id: FromPath[UUID],
        data: Form,
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        try:
            await vouchers.void(request.user, voucher_id, field(data, "reason"))
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(f"/admin/vouchers/vouchers/{voucher_id}")
        flash(request, _("The voucher is voided; its value is back in the budget."), "success")
        return Redirect(f"/admin/vouchers/vouchers/{voucher_id}")

    @post("/suspensions")
    async def suspend(
        self,
        request: Request[User, Any, Any],
        data: Form,
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        account = await AccountService(vouchers.db).by_email(field(data, "email"))
        try:
            if account is None:
                raise FormError({"email": _("No account has this email address.")})
            await vouchers.suspend(request.user, account.id, field(data, "reason"))
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect("/admin/vouchers#suspensions")
        flash(request, _("The account is suspended from the voucher programme."), "success")
        return Redirect("/admin/vouchers#suspensions")

    @post("/suspensions/{suspension_id:uuid}/lift")
    async def lift(
        self,
        request: Request[User, Any, Any],
        suspension_id: FromPath[UUID],
        vouchers: NamedDependency[VoucherService],
    ) -> Response[Any]:
        await vouchers.lift_suspension(request.user, suspension_id)
        flash(request, _("The suspension is lifted."), "success")
        return Redirect("/admin/vouchers#suspensions")

    # --- the university list --------------------------------------------------------------------------------

    @get("/universities", name="universities")
    async def universities_page(
        self, request: Request[User, Any, Any], universities: NamedDependency[UniversityService]
    ) -> Template:
        return render_page(
            request,
            "vouchers/admin/universities.html",
            universities=await universities.list(active_only=False),
        )

    @post("/universities")
    async def save_university(
        self, request: Request[User, Any, Any], data: Form, universities: NamedDependency[UniversityService]
    ) -> Response[Any]:
        raw_id = field(data, "id").strip()
        try:
            await universities.save(
                _uuid(raw_id) if raw_id else None,
                field(data, "name"),
                field(data, "name_en"),
                field(data, "email_domains"),
                field(data, "active") in ("on", "1", "true"),
            )
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            return render_page(
                request,
                "vouchers/admin/universities.html",
                400,
                universities=await universities.list(active_only=False),
                form=form_of(data),
                errors=exc.errors,
            )
        flash(request, _("Saved."), "success")
        return Redirect("/admin/vouchers/universities")


def _optional_uuid(raw: str | None) -> UUID | None:
    if not raw:
        return None
    try:
        return UUID(raw.strip())
    except ValueError:
        return None
