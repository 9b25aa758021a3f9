"""JSON API for scenarios and capability profiles (/api/v1): list, filter, read, and write as a member.

Errors are problem details: a rule broken by the input is 400 with ``errors`` per field; an object the
caller may not see is 404; one they may see but not change is 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from community.accounts.guards import Member, requires_login
from community.errors import FormError
from community.i18n import _
from community.kernel.models import Page, from_attributes
from community.scenarios.controllers.deps import (
    DEPENDENCIES,
    Capabilities,
    CapabilityListFilters,
    ListFilters,
    Scenarios,
)
from community.scenarios.documents import capability_url, scenario_url
from community.scenarios.inputs import SORTS, CapabilityInput, CapabilityItemInput, ScenarioInput
from community.scenarios.models import CapabilityProfile, Scenario
from community.scenarios.views import ScenarioAccess
from community.web import Visitor

PerPage = Annotated[int, QueryParameter(ge=1, le=100)]


def _paging(listing: Page[Any]) -> dict[str, int]:
    return {"total": listing.total, "page": listing.page, "pages": listing.pages}


class BudgetOut(msgspec.Struct):
    min: int | None
    max: int | None
    negotiable: bool


class ScenarioDetailsOut(msgspec.Struct):
    description: str
    expected_outcome: str
    contact_name: str
    contact_phone: str
    contact_email: str


class ScenarioOut(msgspec.Struct):
    id: UUID
    title: str
    kind: str
    scale: str
    status: str
    domains: list[str]
    district: str
    abstract: str
    budget: BudgetOut
    deadline: date | None
    organization: str
    organization_slug: str
    published_at: datetime | None
    demonstration_year: int | None
    url: str
    # Present only when ScenarioAccess.can_read_details (the owner, admins, and members of a verified OPC
    # who accepted the confidentiality terms and whose access the owner has not withdrawn).
    details: ScenarioDetailsOut | None = None

    @classmethod
    def from_model(cls, s: Scenario, access: ScenarioAccess | None = None) -> ScenarioOut:
        details = None
        if access is not None and access.can_read_details:
            details = from_attributes(ScenarioDetailsOut, s)
        return from_attributes(
            cls,
            s,
            budget=BudgetOut(min=s.budget_min, max=s.budget_max, negotiable=s.budget_negotiable),
            organization=s.organization.name,
            organization_slug=s.organization.slug,
            url=scenario_url(s),
            details=details,
        )


class ScenarioListOut(msgspec.Struct):
    items: list[ScenarioOut]
    total: int
    page: int
    pages: int


class ScenarioIn(msgspec.Struct, forbid_unknown_fields=True):
    """A scenario to create.

    ``budget``: {"negotiable": true}, {"min": 200000}, or {"min": 100000, "max": 500000} (yuan)."""

    organization: str
    title: str
    kind: str = ""
    scale: str = ""
    domains: list[str] = []
    district: str = ""
    abstract: str = ""
    description: str = ""
    expected_outcome: str = ""
    budget: BudgetOut | None = None
    deadline: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    submit: bool = False

    def to_input(self) -> ScenarioInput:
        mode, low, high = "", "", ""
        if self.budget is not None:
            if self.budget.negotiable:
                mode = "negotiable"
            elif self.budget.min is not None:
                low = str(self.budget.min)
                high = str(self.budget.max if self.budget.max is not None else self.budget.min)
                mode = "amount" if low == high else "range"
        return ScenarioInput(
            title=self.title,
            kind=self.kind,
            scale=self.scale,
            domains=tuple(self.domains),
            district=self.district,
            abstract=self.abstract,
            description=self.description,
            expected_outcome=self.expected_outcome,
            budget_mode=mode,
            budget_min=low,
            budget_max=high,
            deadline=self.deadline,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            contact_email=self.contact_email,
        )


class CapabilityItemOut(msgspec.Struct):
    domain: str
    technology: str
    maturity: str


class CapabilityOut(msgspec.Struct):
    organization: str
    organization_slug: str
    status: str
    summary: str
    cases: str
    team_size: int
    district: str
    domains: list[str]
    items: list[CapabilityItemOut]
    verified_at: datetime | None
    url: str

    @classmethod
    def from_model(cls, p: CapabilityProfile) -> CapabilityOut:
        org = p.organization
        return from_attributes(
            cls, p, organization=org.name, organization_slug=org.slug, url=capability_url(org.slug)
        )


class CapabilityListOut(msgspec.Struct):
    items: list[CapabilityOut]
    total: int
    page: int
    pages: int


class CapabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    summary: str
    district: str
    items: list[CapabilityItemOut]
    cases: str = ""
    team_size: int = 1
    submit: bool = True


class ScenarioApiController(Controller):
    path = "/api/v1"
    dependencies = DEPENDENCIES
    tags = ["scenarios"]

    @get("/scenarios")
    async def list_scenarios(
        self,
        scenarios: Scenarios,
        scenario_filters: ListFilters,
        sort: Annotated[str, QueryParameter()] = "newest",
        per_page: PerPage = 20,
    ) -> ScenarioListOut:
        """Published scenarios (published, docking, landed, closed), newest first or by deadline. A filter
        code this version does not know is left out; an unknown sort is refused."""
        if sort not in SORTS:
            raise FormError({"sort": _("Sort by %(choices)s.", choices=", ".join(SORTS))})
        listing = await scenarios.list_public(scenario_filters, per_page=per_page)
        return ScenarioListOut(items=[ScenarioOut.from_model(s) for s in listing.items], **_paging(listing))

    @get("/scenarios/{scenario_id:uuid}")
    async def get_scenario(
        self, request: Visitor, scenario_id: FromPath[UUID], scenarios: Scenarios
    ) -> ScenarioOut:
        scenario, access = await scenarios.get_for(request.scope.get("user"), scenario_id)
        return ScenarioOut.from_model(scenario, access)

    @post("/scenarios", guards=[requires_login], status_code=201)
    async def create_scenario(
        self, request: Member, data: JSONBody[ScenarioIn], scenarios: Scenarios
    ) -> ScenarioOut:
        """Create a draft (or submit it for review with ``submit: true``) for an enterprise or government
        organization the caller belongs to."""
        org = await scenarios.organizations.by_slug(data.organization.strip())
        scenario = await scenarios.create(request.user, org.id, data.to_input(), submit=data.submit)
        _scenario, access = await scenarios.get_for(request.user, scenario.id)
        return ScenarioOut.from_model(scenario, access)

    @get("/capabilities")
    async def list_capabilities(
        self, capabilities: Capabilities, capability_filters: CapabilityListFilters, per_page: PerPage = 20
    ) -> CapabilityListOut:
        """Verified capability profiles of OPCs: the technical capability list as it stands today."""
        listing = await capabilities.list_verified(capability_filters, per_page)
        items = [CapabilityOut.from_model(p) for p in listing.items]
        return CapabilityListOut(items=items, **_paging(listing))

    @get("/capabilities/{slug:str}")
    async def get_capability(
        self, request: Visitor, slug: FromPath[str], capabilities: Capabilities
    ) -> CapabilityOut:
        _org, profile, _member = await capabilities.public_by_slug(request.scope.get("user"), slug)
        return CapabilityOut.from_model(profile)

    @put("/capabilities/{slug:str}", guards=[requires_login])
    async def put_capability(
        self, request: Member, slug: FromPath[str], data: JSONBody[CapabilityIn], capabilities: Capabilities
    ) -> CapabilityOut:
        """Create or replace the capability profile of an OPC the caller belongs to (submitted for
        verification unless ``submit`` is false)."""
        org = await capabilities.organizations.by_slug(slug)
        profile = await capabilities.save(
            request.user,
            org.id,
            CapabilityInput(
                summary=data.summary,
                cases=data.cases,
                team_size=str(data.team_size),
                district=data.district,
                items=tuple(CapabilityItemInput(i.domain, i.technology, i.maturity) for i in data.items),
            ),
            submit=data.submit,
        )
        return CapabilityOut.from_model(profile)
