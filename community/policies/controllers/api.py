"""JSON API (/api/v1) for policies: the published list and one policy for everybody, one organization's
eligibility for its members, and writing for admins.

Errors are problem details: a broken rule is 400 with ``errors`` per field; a policy or organization the
caller may not see is 404; a member asking to write is 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from community.accounts.guards import Member, requires_admin, requires_login
from community.kernel.models import from_attributes
from community.policies.controllers.deps import DEPENDENCIES, Filters, Policies
from community.policies.inputs import PolicyInput
from community.policies.models import Policy
from community.policies.services.eligibility import Conditions, Verdict
from community.policies.views import benefits_of, policy_url
from community.web import Visitor


class BenefitIO(msgspec.Struct):
    kind: str
    description: str
    amount: str = ""
    cap_yuan: int | None = None
    months: int | None = None


class ConditionsIO(msgspec.Struct, omit_defaults=True):
    org_types: list[str] = []
    age_min_months: int | None = None
    age_max_months: int | None = None
    domains: list[str] = []
    districts: list[str] = []
    stages: list[str] = []
    team_min: int | None = None
    team_max: int | None = None
    verified_capability: bool = False
    approved_product: bool = False
    activities: list[str] = []


class PolicyOut(msgspec.Struct):
    id: UUID
    slug: str
    title: str
    summary: str
    source_measure: str
    issuing_unit: str
    how_to_apply: str
    apply_url: str | None
    deadline: date | None
    auto_granted: bool
    status: str
    version: int
    published_at: datetime | None
    benefits: list[BenefitIO]
    conditions: ConditionsIO
    url: str

    @classmethod
    def from_model(cls, policy: Policy) -> PolicyOut:
        conditions = Conditions.from_json(policy.conditions).to_json()
        url = policy_url(policy)
        return from_attributes(cls, policy, benefits=benefits_of(policy), conditions=conditions, url=url)


class PolicyListOut(msgspec.Struct):
    items: list[PolicyOut]
    total: int
    page: int
    pages: int


class ConditionOut(msgspec.Struct):
    condition: str
    status: str  # met, missing or unknown
    text: str
    fact: str | None = None


class EligibilityOut(msgspec.Struct):
    policy: str
    organization: str
    qualifies: bool
    conditions: list[ConditionOut]
    missing: list[str]
    unknown_facts: list[str]

    @classmethod
    def from_verdict(cls, policy: Policy, org_slug: str, verdict: Verdict) -> EligibilityOut:
        return cls(
            policy=policy.slug,
            organization=org_slug,
            qualifies=verdict.qualifies,
            conditions=[
                ConditionOut(
                    condition=c.code,
                    status="met" if c.ok else ("unknown" if c.ok is None else "missing"),
                    text=c.text,
                    fact=c.fact or None,
                )
                for c in verdict.checks
            ],
            missing=[c.text for c in verdict.missing],
            unknown_facts=verdict.unknown_facts,
        )


class PolicyIn(msgspec.Struct):
    title: str
    slug: str
    summary: str
    issuing_unit: str
    benefits: list[BenefitIO]
    conditions: ConditionsIO = msgspec.field(default_factory=ConditionsIO)
    source_measure: str = ""
    how_to_apply: str = ""
    apply_url: str = ""
    deadline: date | None = None
    auto_granted: bool = False
    publish: bool = False

    def to_input(self) -> PolicyInput:
        def text(value: Any) -> str:
            return "" if value is None else str(value)

        return PolicyInput(
            title=self.title,
            slug=self.slug,
            summary=self.summary,
            source_measure=self.source_measure,
            issuing_unit=self.issuing_unit,
            how_to_apply=self.how_to_apply,
            apply_url=self.apply_url,
            deadline=self.deadline.isoformat() if self.deadline else "",
            auto_granted=self.auto_granted,
            benefits=tuple(
                {
                    "kind": b.kind,
                    "description": b.description,
                    "amount": b.amount,
                    "cap_yuan": text(b.cap_yuan),
                    "months": text(b.months),
                }
                for b in self.benefits
            ),
            conditions=msgspec.to_builtins(self.conditions),
        )


class PolicyApiController(Controller):
    path = "/api/v1/policies"
    dependencies = DEPENDENCIES
    tags = ["policies"]

    @get("/", summary="Published policies, with their benefits and conditions")
    async def list_policies(self, policies: Policies, filters: Filters) -> PolicyListOut:
        listing = await policies.list_public(filters)
        return PolicyListOut(
            items=[PolicyOut.from_model(p) for p in listing.items],
            total=listing.total,
            page=listing.page,
            pages=listing.pages,
        )

    @get("/{slug:str}", summary="One policy")
    async def get_policy(self, request: Visitor, slug: FromPath[str], policies: Policies) -> PolicyOut:
        return PolicyOut.from_model(await policies.by_slug(slug, request.scope.get("user")))

    @get(
        "/{slug:str}/eligibility",
        guards=[requires_login],
        summary="Whether one of the caller's organizations qualifies, condition by condition",
    )
    async def eligibility(
        self,
        request: Member,
        slug: FromPath[str],
        policies: Policies,
        organization: Annotated[str, QueryParameter(min_length=1, max_length=80)],
    ) -> EligibilityOut:
        policy = await policies.by_slug(slug, request.user)
        org, verdict = await policies.eligibility(request.user, policy, organization)
        return EligibilityOut.from_verdict(policy, org.slug, verdict)

    @post(
        "/",
        guards=[requires_admin],
        status_code=201,
        summary="Create a policy (admins); publish with publish: true",
    )
    async def create_policy(self, request: Member, data: JSONBody[PolicyIn], policies: Policies) -> PolicyOut:
        policy = await policies.create(request.user, data.to_input(), publish=data.publish)
        return PolicyOut.from_model(policy)

    @put(
        "/{slug:str}",
        guards=[requires_admin],
        summary="Replace a policy (admins); publish a draft with publish: true",
    )
    async def update_policy(
        self, request: Member, slug: FromPath[str], data: JSONBody[PolicyIn], policies: Policies
    ) -> PolicyOut:
        policy = await policies.by_slug(slug, request.user)
        policy = await policies.update(request.user, policy.id, data.to_input(), publish=data.publish)
        return PolicyOut.from_model(policy)
