"""The admins' side: approve products and their revisions, review students' proofs, run campaigns, decide
disputed trials, settle and export, read funders' reports, look at flagged patterns, void vouchers,
suspend accounts, keep the university list."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from community.accounts.guards import Member, requires_admin
from community.i18n import _
from community.kernel.clock import today
from community.kernel.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, content_disposition
from community.storage import private_download
from community.vocabulary import DOMAINS
from community.vouchers.controllers.deps import (
    DEPENDENCIES,
    Campaigns,
    Moderation,
    Products,
    Reports,
    Settlement,
    Students,
    Universities,
    render_page,
)
from community.vouchers.inputs import (
    CampaignInput,
    GalleryFilters,
    ProofReview,
    UniversityInput,
    optional_uuid,
    uuid_or_404,
)
from community.vouchers.models import VoucherStatus
from community.vouchers.services.products import ProductService
from community.vouchers.services.settlement import settlement_csv, settlement_xlsx
from community.vouchers.views import FLAG_KINDS, PRODUCT_FIELDS, funder_charts
from community.web import Form, act, field, form_of, form_or_redirect, render

HUB = "/admin/vouchers"
EXPORTS = {"csv": (settlement_csv, CSV_MEDIA_TYPE), "xlsx": (settlement_xlsx, XLSX_MEDIA_TYPE)}


def _campaign_url(campaign_id: UUID, part: str = "") -> str:
    return f"{HUB}/campaigns/{campaign_id}{part}"


class VoucherAdminController(Controller):
    path = HUB
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="voucher-admin")
    async def hub(
        self,
        request: Member,
        products: Products,
        students: Students,
        campaigns: Campaigns,
        moderation: Moderation,
        reports: Reports,
    ) -> Template:
        await campaigns.expire_due()
        return render_page(
            request,
            "vouchers/admin/hub.html",
            awaiting=await products.awaiting_review(),
            revisions=await products.revisions_awaiting_review(),
            disputes=await moderation.disputes(),
            product_fields=PRODUCT_FIELDS,
            proofs=await students.pending_reviews(),
            campaigns=await campaigns.list(),
            flags=await reports.flags(),
            flag_kinds={kind: _(text) for kind, text in FLAG_KINDS.items()},
            suspensions=await moderation.suspensions(),
        )

    # --- products and proofs -----------------------------------------------------------------------------

    @post("/products/{product_id:uuid}/review")
    async def review_product(
        self, request: Member, product_id: FromPath[UUID], data: Form, products: Products
    ) -> Response[Any]:
        name = (await products.get(product_id)).name
        approve = field(data, "decision") == "publish"
        return await act(
            request,
            lambda: products.review(request.user, product_id, approve, field(data, "reason")),
            done=_("Published: %(name)s.", name=name)
            if approve
            else _("Returned with your reason: %(name)s.", name=name),
            redirect_to=f"{HUB}#products",
        )

    @post("/products/{product_id:uuid}/revision")
    async def review_revision(
        self, request: Member, product_id: FromPath[UUID], data: Form, products: Products
    ) -> Response[Any]:
        approve = field(data, "decision") == "publish"
        return await act(
            request,
            lambda: products.review_revision(
                request.user, product_id, approve, field(data, "reason"), field(data, "version")
            ),
            done=lambda product: (
                _("The changes are published: %(name)s.", name=product.name)
                if approve
                else _("The changes were returned with your reason: %(name)s.", name=product.name)
            ),
            redirect_to=f"{HUB}#revisions",
        )

    @get("/students/{verification_id:uuid}/proof", name="student-proof")
    async def proof(self, verification_id: FromPath[UUID], students: Students) -> Response[bytes]:
        row = await students.get(verification_id)
        extension, content = await students.proof_file(row)
        return private_download(
            content,
            filename=f"proof-{row.id}.{extension}",
            media_type=row.proof_content_type or "application/octet-stream",
            cache_control="no-store",
        )

    @post("/students/{verification_id:uuid}/review")
    async def review_proof(
        self, request: Member, verification_id: FromPath[UUID], data: Form, students: Students
    ) -> Response[Any]:
        return await act(
            request,
            lambda: students.review(request.user, verification_id, ProofReview.parse(data)),
            done=_("Verified.") if field(data, "decision") == "approve" else _("Rejected with your reason."),
            redirect_to=f"{HUB}#proofs",
        )

    # --- campaigns ---------------------------------------------------------------------------------------

    @get("/campaigns/new", name="campaign-new")
    async def new_campaign(self, request: Member, products: Products) -> Template:
        return render(
            request,
            "vouchers/admin/campaign_form.html",
            form={"per_student_cap": "1", "per_product_cap": "100"},
            **await _campaign_form_context(products),
        )

    @post("/campaigns/new")
    async def create_campaign(
        self, request: Member, data: Form, campaigns: Campaigns, products: Products
    ) -> Response[Any]:
        return await form_or_redirect(
            request,
            lambda: campaigns.create(request.user, CampaignInput.parse(data)),
            template="vouchers/admin/campaign_form.html",
            form=form_of(data, "eligible_domains", "eligible_products"),
            done=_("The campaign is created."),
            redirect_to=lambda campaign: _campaign_url(campaign.id),
            context=lambda: _campaign_form_context(products),
        )

    @get("/campaigns/{campaign_id:uuid}", name="campaign")
    async def campaign(
        self,
        request: Member,
        campaign_id: FromPath[UUID],
        campaigns: Campaigns,
        moderation: Moderation,
        settlement: Settlement,
        reports: Reports,
        status: Annotated[str | None, QueryParameter()] = None,
    ) -> Template:
        await campaigns.expire_due(campaign_id)
        report = await reports.funder_report(campaign_id)
        chosen = VoucherStatus(status) if status in {s.value for s in VoucherStatus} else None
        return render_page(
            request,
            "vouchers/admin/campaign.html",
            report=report,
            charts=funder_charts(report),
            campaign=report.campaign,
            lines=await settlement.lines(campaign_id=campaign_id),
            settlements=await settlement.settlements(campaign_id=campaign_id),
            vouchers=await moderation.vouchers_of_campaign(campaign_id, chosen),
            status=chosen.value if chosen else "",
            statuses=list(VoucherStatus),
        )

    @post("/campaigns/{campaign_id:uuid}/close")
    async def close_campaign(
        self, request: Member, campaign_id: FromPath[UUID], campaigns: Campaigns
    ) -> Response[Any]:
        return await act(
            request,
            lambda: campaigns.close(request.user, campaign_id),
            done=_("The campaign is closed; unredeemed vouchers have expired."),
            redirect_to=_campaign_url(campaign_id),
        )

    @post("/campaigns/{campaign_id:uuid}/settle")
    async def settle(
        self, request: Member, campaign_id: FromPath[UUID], data: Form, settlement: Settlement
    ) -> Response[Any]:
        organization_id = uuid_or_404(field(data, "organization"))
        return await act(
            request,
            lambda: settlement.settle(request.user, campaign_id, organization_id),
            done=lambda made: _(
                "Settlement made: %(n)s vouchers. Mark it paid once the money is sent.", n=made.voucher_count
            ),
            redirect_to=_campaign_url(campaign_id, "#settlement"),
        )

    @post("/settlements/{settlement_id:uuid}/paid")
    async def mark_paid(
        self, request: Member, settlement_id: FromPath[UUID], data: Form, settlement: Settlement
    ) -> Response[Any]:
        # Once paid, back to its campaign, which the settlement names.
        return await act(
            request,
            lambda: settlement.mark_paid(request.user, settlement_id, field(data, "reference")),
            done=_("Marked paid."),
            redirect_to=lambda paid: _campaign_url(paid.campaign_id, "#settlement"),
            refused_to=f"{HUB}/settlement",
        )

    @get("/settlement", name="voucher-settlement")
    async def settlement_page(
        self,
        request: Member,
        settlement: Settlement,
        campaign: Annotated[str | None, QueryParameter()] = None,
        organization: Annotated[str | None, QueryParameter()] = None,
        format_: Annotated[str | None, QueryParameter(name="format")] = None,
    ) -> Response[Any]:
        campaign_id = optional_uuid(campaign)
        lines = await settlement.lines(campaign_id=campaign_id, organization_id=optional_uuid(organization))
        if format_ in EXPORTS:
            build, media_type = EXPORTS[format_]
            filename = f"voucher-settlement-{today().isoformat()}.{format_}"
            return Response(
                build(lines),
                media_type=media_type,
                headers={"Content-Disposition": content_disposition(filename, filename)},
            )
        return render_page(
            request,
            "vouchers/admin/settlement.html",
            lines=lines,
            settlements=await settlement.settlements(campaign_id=campaign_id),
            query=request.url.query,
        )

    # --- vouchers and accounts -----------------------------------------------------------------------------

    @get("/disputes", name="voucher-disputes")
    async def disputes(self, request: Member, moderation: Moderation) -> Template:
        return render_page(request, "vouchers/admin/disputes.html", disputes=await moderation.disputes())

    @post("/vouchers/{voucher_id:uuid}/resolve")
    async def resolve(
        self, request: Member, voucher_id: FromPath[UUID], data: Form, moderation: Moderation
    ) -> Response[Any]:
        uphold = field(data, "decision") == "uphold"
        return await act(
            request,
            lambda: moderation.resolve(request.user, voucher_id, uphold, field(data, "reason")),
            done=_("Decided: the trial took place; the voucher can be settled.")
            if uphold
            else _("Decided: the voucher is voided; its value is back in the budget."),
            redirect_to=f"{HUB}/disputes",
        )

    @get("/vouchers/{voucher_id:uuid}", name="voucher-admin-detail")
    async def voucher(self, request: Member, voucher_id: FromPath[UUID], moderation: Moderation) -> Template:
        return render_page(
            request,
            "vouchers/admin/voucher.html",
            voucher=await moderation.voucher(voucher_id),
            history=await moderation.history(voucher_id),
        )

    @post("/vouchers/{voucher_id:uuid}/void")
    async def void(
        self, request: Member, voucher_id: FromPath[UUID], data: Form, moderation: Moderation
    ) -> Response[Any]:
        return await act(
            request,
            lambda: moderation.void(request.user, voucher_id, field(data, "reason")),
            done=_("The voucher is voided; its value is back in the budget."),
            redirect_to=f"{HUB}/vouchers/{voucher_id}",
        )

    @post("/suspensions")
    async def suspend(self, request: Member, data: Form, moderation: Moderation) -> Response[Any]:
        return await act(
            request,
            lambda: moderation.suspend_email(request.user, field(data, "email"), field(data, "reason")),
            done=_("The account is suspended from the voucher programme."),
            redirect_to=f"{HUB}#suspensions",
        )

    @post("/suspensions/{suspension_id:uuid}/lift")
    async def lift(
        self, request: Member, suspension_id: FromPath[UUID], moderation: Moderation
    ) -> Response[Any]:
        return await act(
            request,
            lambda: moderation.lift_suspension(request.user, suspension_id),
            done=_("The suspension is lifted."),
            redirect_to=f"{HUB}#suspensions",
        )

    # --- the university list --------------------------------------------------------------------------------

    @get("/universities", name="universities")
    async def universities_page(self, request: Member, universities: Universities) -> Template:
        return render(
            request,
            "vouchers/admin/universities.html",
            universities=await universities.list(active_only=False),
        )

    @post("/universities")
    async def save_university(self, request: Member, data: Form, universities: Universities) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {"universities": await universities.list(active_only=False)}

        return await form_or_redirect(
            request,
            lambda: universities.save(UniversityInput.parse(data)),
            template="vouchers/admin/universities.html",
            form=form_of(data),
            done=_("Saved."),
            redirect_to=f"{HUB}/universities",
            context=context,
        )


async def _campaign_form_context(products: ProductService) -> dict[str, Any]:
    """The campaign form's choices: the domains and the published products, newest first."""
    gallery = await products.gallery(GalleryFilters(sort="newest"))
    return {"domains": DOMAINS, "products": gallery.items}
