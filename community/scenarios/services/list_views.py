"""What a list issue shows of its items: the snapshot frozen when the issue is published, and the view made
from it in the reader's language.

A snapshot is plain JSON kept in the item's row, so it is read defensively: a field of the wrong type or an
unknown code (written by another version) shows as empty or as itself, never as an error. The same view
serves the issue page, the print view, the exports and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from community.scenarios.labels import format_budget, issue_title, label
from community.scenarios.models import ListKind, Maturity, ScenarioKind, ScenarioScale, ScenarioStatus
from community.scenarios.services.capabilities import capability_url
from community.scenarios.services.scenarios import scenario_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from community.accounts.models import Organization
    from community.scenarios.models import CapabilityProfile, ListIssue, ListIssueItem, Scenario

SNAPSHOT_VERSION = 1


def issue_url(kind: ListKind | str, number: int) -> str:
    return f"/lists/{ListKind(kind).value}/{number}"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- snapshots ---------------------------------------------------------------------------------------------


def scenario_snapshot(scenario: Scenario, organization: Organization) -> dict[str, Any]:
    """Everything the issue page, the exports and the API show of a scenario, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "title": scenario.title,
        "kind": scenario.kind.value,
        "scale": scenario.scale.value,
        "domains": list(scenario.domains),
        "district": scenario.district,
        "abstract": scenario.abstract,
        "budget_min": scenario.budget_min,
        "budget_max": scenario.budget_max,
        "budget_negotiable": scenario.budget_negotiable,
        "deadline": _iso(scenario.deadline),
        "organization": organization.name,
        "organization_slug": organization.slug,
        "status": scenario.status.value,
        "published_at": _iso(scenario.published_at),
        "url": scenario_url(scenario),
    }


def capability_snapshot(profile: CapabilityProfile, organization: Organization) -> dict[str, Any]:
    """Everything the issue page, the exports and the API show of a capability profile, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "organization": organization.name,
        "organization_slug": organization.slug,
        "summary": profile.summary,
        "district": profile.district,
        "team_size": profile.team_size,
        "domains": list(profile.domains),
        "items": [
            {"domain": item.domain, "technology": item.technology, "maturity": item.maturity.value}
            for item in profile.items
        ],
        "verified_at": _iso(profile.verified_at),
        "url": capability_url(organization.slug),
    }


# --- reading a snapshot back -------------------------------------------------------------------------------


code_label = label.of_code


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# The views are msgspec structs: the API answers with them as they are (tagged by "type").


class ScenarioView(msgspec.Struct, frozen=True, tag_field="type", tag="scenario"):
    """A scenario as it was when the issue was published (codes, and their words in the reader's language)."""

    position: int
    source_id: UUID | None
    title: str
    kind: str
    kind_label: str
    scale: str
    scale_label: str
    domains: list[str]
    district: str
    abstract: str
    budget_min: int | None
    budget_max: int | None
    budget_negotiable: bool
    budget_text: str
    deadline: date | None
    organization: str
    status: str
    status_label: str
    url: str


class CapabilityEntryView(msgspec.Struct, frozen=True):
    domain: str
    technology: str
    maturity: str
    maturity_label: str


class CapabilityView(msgspec.Struct, frozen=True, tag_field="type", tag="capability"):
    """A verified capability profile as it was when the issue was published."""

    position: int
    source_id: UUID | None
    organization: str
    organization_slug: str
    summary: str
    district: str
    team_size: int | None
    domains: list[str]
    items: list[CapabilityEntryView]
    verified_at: datetime | None
    url: str

    @property
    def title(self) -> str:
        return self.organization


ItemView = ScenarioView | CapabilityView


def scenario_view(position: int, source_id: UUID | None, snap: dict[str, Any]) -> ScenarioView:
    low, high = _int(snap.get("budget_min")), _int(snap.get("budget_max"))
    negotiable = snap.get("budget_negotiable") is True
    return ScenarioView(
        position=position,
        source_id=source_id,
        title=_str(snap.get("title")),
        kind=_str(snap.get("kind")),
        kind_label=code_label(ScenarioKind, snap.get("kind")),
        scale=_str(snap.get("scale")),
        scale_label=code_label(ScenarioScale, snap.get("scale")),
        domains=_strs(snap.get("domains")),
        district=_str(snap.get("district")),
        abstract=_str(snap.get("abstract")),
        budget_min=low,
        budget_max=high,
        budget_negotiable=negotiable,
        budget_text=format_budget(low, high, negotiable),
        deadline=_date(snap.get("deadline")),
        organization=_str(snap.get("organization")),
        status=_str(snap.get("status")),
        status_label=code_label(ScenarioStatus, snap.get("status")),
        url=_str(snap.get("url")),
    )


def capability_view(position: int, source_id: UUID | None, snap: dict[str, Any]) -> CapabilityView:
    entries = [
        CapabilityEntryView(
            domain=_str(raw.get("domain")),
            technology=_str(raw.get("technology")),
            maturity=_str(raw.get("maturity")),
            maturity_label=code_label(Maturity, raw.get("maturity")),
        )
        for raw in snap.get("items") or []
        if isinstance(raw, dict)
    ]
    return CapabilityView(
        position=position,
        source_id=source_id,
        organization=_str(snap.get("organization")),
        organization_slug=_str(snap.get("organization_slug")),
        summary=_str(snap.get("summary")),
        district=_str(snap.get("district")),
        team_size=_int(snap.get("team_size")),
        domains=_strs(snap.get("domains")),
        items=entries,
        verified_at=_datetime(snap.get("verified_at")),
        url=_str(snap.get("url")),
    )


def view_of(kind: ListKind, position: int, source_id: UUID | None, snap: Any) -> ItemView:
    make = scenario_view if kind is ListKind.SCENARIOS else capability_view
    return make(position, source_id, snap if isinstance(snap, dict) else {})


def item_views(kind: ListKind, items: Iterable[ListIssueItem]) -> list[ItemView]:
    """The items of a published issue, numbered 1..n in their order, from their snapshots only."""
    return [
        view_of(kind, index, item.source_id, item.snapshot)
        for index, item in enumerate(sorted(items, key=lambda i: i.position), start=1)
    ]


# --- what the admin pages list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueSummary:
    issue: ListIssue
    item_count: int

    @property
    def title(self) -> str:
        return issue_title(self.issue.list_kind, self.issue.number)


@dataclass(frozen=True)
class Candidate:
    """A scenario or profile an admin may put into a draft."""

    source_id: UUID
    title: str
    organization: str
    domains: list[str]
    district: str
    status_label: str
    listed_in: list[int] = field(default_factory=list)  # published issues of this list that hold it
    in_issue: bool = False  # already in the draft being composed


@dataclass(frozen=True)
class DraftItem:
    """An item of a draft: its current content (not frozen yet) and whether it may still be published."""

    item: ListIssueItem
    view: ItemView | None  # None: its scenario or profile is gone
    eligible: bool
