"""What a page or the API shows of a policy and of an organization's policy facts: plain data, kept across
requests (the compiled list of published policies holds cards, not rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community.i18n import _
from community.kernel.models import from_attributes
from community.policies.labels import benefit_kind_label
from community.policies.models import Policy
from community.web.charts import Chart, Series

if TYPE_CHECKING:
    from collections.abc import Sequence

    from community.accounts.models import Organization
    from community.policies.models import OrganizationFacts
    from community.policies.services.eligibility import Facts, Verdict


def policy_url(policy: Policy | str) -> str:
    """A policy's page, from the policy or its web name."""
    return f"/policies/{policy.slug if isinstance(policy, Policy) else policy}"


@dataclass(frozen=True)
class Benefit:
    kind: str
    description: str
    amount: str = ""
    cap_yuan: int | None = None
    months: int | None = None

    @property
    def kind_label(self) -> str:
        return benefit_kind_label(self.kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "amount": self.amount,
            "cap_yuan": self.cap_yuan,
            "months": self.months,
        }


def benefits_of(policy: Policy) -> list[Benefit]:
    return [
        Benefit(
            kind=str(b.get("kind", "")),
            description=str(b.get("description", "")),
            amount=str(b.get("amount") or ""),
            cap_yuan=b.get("cap_yuan"),
            months=b.get("months"),
        )
        for b in policy.benefits
    ]


@dataclass(frozen=True)
class PolicyCard:
    id: UUID
    slug: str
    title: str
    summary: str
    source_measure: str
    issuing_unit: str
    deadline: date | None
    auto_granted: bool
    version: int
    benefits: tuple[Benefit, ...]

    @property
    def url(self) -> str:
        return policy_url(self.slug)


def policy_card(policy: Policy) -> PolicyCard:
    return from_attributes(PolicyCard, policy, benefits=tuple(benefits_of(policy)))


@dataclass(frozen=True)
class PolicyStats:
    """For the admins: how many organizations qualify now, were told (any version) and opened it."""

    qualify_now: int
    told: int
    opened: int


@dataclass(frozen=True)
class OrganizationPolicies:
    """为我匹配, one of the member's organizations: the policies it qualifies for, then the others (the
    nearest first); ``is_owner`` says whether the member may edit its policy facts."""

    org: Organization
    is_owner: bool
    qualifying: list[tuple[PolicyCard, Verdict]]
    others: list[tuple[PolicyCard, Verdict]]


@dataclass(frozen=True)
class FactsView:
    """The facts page: what is saved, and where each default comes from."""

    organization: Organization
    saved: OrganizationFacts | None
    facts: Facts
    profile_team_size: int | None
    profile_domains: tuple[str, ...]
    verified_capability: bool
    approved_product: bool
    can_edit: bool  # the organization's owners and site admins say what it is


def reach_chart(rows: Sequence[tuple[Policy, PolicyStats]], chart_id: str = "chart-reach") -> Chart:
    """Policy reach drawn: for each policy, the organizations that qualify now, were told and opened it."""
    return Chart(
        id=chart_id,
        title=_("Policy reach"),
        description=_(
            "For each policy, the organizations that qualify now, those that were told of it and those that "
            "opened it; the figures are in the table that follows."
        ),
        kind="bars",
        stacked=False,
        series=[
            Series("qualify", _("Qualify now")),
            Series("told", _("Were told")),
            Series("opened", _("Opened it")),
        ],
        categories=[policy.title for policy, _stats in rows],
        values=[(stats.qualify_now, stats.told, stats.opened) for _policy, stats in rows],
    )
