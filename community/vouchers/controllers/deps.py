"""What the voucher zone's handlers share: its services on the request's session, the mailer, the gallery's
filters read once from the query string, and the page renderer that gives the zone's templates their words
and formats."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from community.storage import upload_store
from community.vouchers.inputs import GalleryFilters
from community.vouchers.labels import label
from community.vouchers.services.campaigns import CampaignService
from community.vouchers.services.moderation import ModerationService
from community.vouchers.services.products import ProductService
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.reports import ReportService
from community.vouchers.services.settlement import SettlementService
from community.vouchers.services.students import StudentService
from community.vouchers.services.universities import UniversityService
from community.vouchers.services.vouchers import VoucherService
from community.vouchers.views import format_code, format_yuan
from community.web import MAILER, provide_service_with_settings, render, services

Domain = Annotated[str | None, QueryParameter()]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]


def gallery_filters(
    domain: Domain = None, sort: Annotated[str, QueryParameter()] = "rating", page: PageNumber = 1
) -> GalleryFilters:
    return GalleryFilters.clean(domain=domain, sort=sort, page=page)


def gallery_api_filters(
    domain: Domain = None,
    sort: Annotated[str, QueryParameter(pattern="^(rating|newest)$")] = "rating",
    page: PageNumber = 1,
) -> GalleryFilters:
    """The API refuses an order it does not know (400); the page drops it, so a stale link still shows."""
    return GalleryFilters.clean(domain=domain, sort=sort, page=page)


DEPENDENCIES = {
    **services(
        products=ProductService,
        campaigns=CampaignService,
        vouchers=VoucherService,
        redemptions=RedemptionService,
        moderation=ModerationService,
        universities=UniversityService,
        settlement=SettlementService,
        reports=ReportService,
    ),
    "students": provide_service_with_settings(
        lambda db, settings: StudentService(db, upload_store(settings, db))
    ),
    "mailer": MAILER,
    "filters": Provide(gallery_filters, sync_to_thread=False),
}
API_DEPENDENCIES = DEPENDENCIES | {"filters": Provide(gallery_api_filters, sync_to_thread=False)}
# The zone's words and formats, given to each of its pages (their names are the zone's own: other zones
# have a ``label`` and a ``format_yuan`` of their own, so they are not site-wide template globals).
PAGE_HELPERS = {"label": label, "format_yuan": format_yuan, "format_code": format_code}
RATING_FORM_KEY = "_rating_form"


def render_page(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Template:
    """A page of the zone, with its helpers and the rating a refused rating left in the session."""
    session = request.scope.get("session")
    if isinstance(session, dict):
        context.setdefault("rating_form", session.pop(RATING_FORM_KEY, {}))
    return render(request, template, status_code, **{**PAGE_HELPERS, **context})


# Handler parameter types: the zone's services as its handlers receive them.
Campaigns = NamedDependency[CampaignService]
Filters = NamedDependency[GalleryFilters]
Moderation = NamedDependency[ModerationService]
Products = NamedDependency[ProductService]
Redemptions = NamedDependency[RedemptionService]
Reports = NamedDependency[ReportService]
Settlement = NamedDependency[SettlementService]
Students = NamedDependency[StudentService]
Universities = NamedDependency[UniversityService]
Vouchers = NamedDependency[VoucherService]
