"""What a list issue lists, its sources: the scenarios or capability profiles that may go into an issue,
what each says now (the snapshot publishing freezes), and the search admins choose them with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization
from community.kernel.models import Page, contains_pattern
from community.scenarios.labels import label
from community.scenarios.models import (
    CapabilityProfile,
    ListIssue,
    ListIssueItem,
    ListKind,
    ProfileStatus,
    Scenario,
    ScenarioStatus,
)
from community.scenarios.services.list_views import Candidate, capability_snapshot, scenario_snapshot

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.scenarios.services.list_inputs import CandidateFilters

CANDIDATES_PAGE = 50
# Scenarios that may go into a scenario opportunity list: published and still alive (or landed, to show it).
ELIGIBLE_SCENARIO_STATUSES = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING, ScenarioStatus.LANDED)

Snapshots = dict[UUID, tuple[dict[str, Any], bool]]


async def current_snapshots(
    db: AsyncSession, kind: ListKind, source_ids: Sequence[UUID], *, lock: bool = False
) -> Snapshots:
    """The current snapshot of each source that still exists, and whether it may be listed. With ``lock``
    nobody closes or edits a source between this check and the commit."""
    if not source_ids:
        return {}
    result: Snapshots = {}
    if kind is ListKind.SCENARIOS:
        scenarios = (
            select(Scenario, Organization)
            .join(Organization, Organization.id == Scenario.organization_id)
            .where(Scenario.id.in_(source_ids))
        )
        if lock:
            scenarios = scenarios.with_for_update(of=Scenario, read=True)
        for scenario, org in await db.execute(scenarios):
            eligible = scenario.status in ELIGIBLE_SCENARIO_STATUSES
            result[scenario.id] = (scenario_snapshot(scenario, org), eligible)
    else:
        profiles = (
            select(CapabilityProfile, Organization)
            .join(Organization, Organization.id == CapabilityProfile.organization_id)
            .where(CapabilityProfile.id.in_(source_ids))
            .options(selectinload(CapabilityProfile.items))
        )
        if lock:
            profiles = profiles.with_for_update(of=CapabilityProfile, read=True)
        for profile, org in await db.execute(profiles):
            eligible = profile.status is ProfileStatus.VERIFIED
            result[profile.id] = (capability_snapshot(profile, org), eligible)
    return result


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _eligible(kind: ListKind, filters: CandidateFilters) -> tuple[Any, Any, Any]:
    """The eligible sources of ``kind`` that match the filters (rows of (source, organization)), their id
    column and their newest-first order."""
    pattern = contains_pattern(filters.q)
    if kind is ListKind.SCENARIOS:
        scenarios = (
            select(Scenario, Organization)
            .join(Organization, Organization.id == Scenario.organization_id)
            .where(Scenario.status.in_(ELIGIBLE_SCENARIO_STATUSES))
        )
        if filters.q:
            scenarios = scenarios.where(
                or_(
                    Scenario.title.ilike(pattern),
                    Organization.name.ilike(pattern),
                    Scenario.id == _uuid_or_none(filters.q),
                )
            )
        if filters.domain:
            scenarios = scenarios.where(Scenario.domains.contains([filters.domain]))
        return scenarios, Scenario.id, Scenario.published_at.desc().nulls_last()
    profiles = (
        select(CapabilityProfile, Organization)
        .join(Organization, Organization.id == CapabilityProfile.organization_id)
        .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
    )
    if filters.q:
        profiles = profiles.where(
            or_(Organization.name.ilike(pattern), CapabilityProfile.summary.ilike(pattern))
        )
    if filters.domain:
        profiles = profiles.where(CapabilityProfile.domains.contains([filters.domain]))
    return profiles, CapabilityProfile.id, CapabilityProfile.verified_at.desc().nulls_last()


def _published_items(kind: ListKind) -> Any:
    return (
        select(ListIssueItem.source_id, ListIssue.number)
        .join(ListIssue, ListIssue.id == ListIssueItem.issue_id)
        .where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
    )


async def find_candidates(
    db: AsyncSession, kind: ListKind, filters: CandidateFilters, in_issue: Collection[UUID]
) -> Page[Candidate]:
    """What may go into an issue of ``kind``: by default only what no published issue of this list holds
    yet; with ``show_all`` everything eligible, the not-yet-listed first. ``in_issue``: what the draft
    holds already."""
    base, source_id, newest = _eligible(kind, filters)
    was_listed = exists(_published_items(kind).where(ListIssueItem.source_id == source_id))
    if not filters.show_all:
        base = base.where(~was_listed)
    total = int(await db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    page = max(1, min(filters.page, 10_000))
    rows = (
        await db.execute(
            base.order_by(case((was_listed, 1), else_=0), newest, source_id)
            .limit(CANDIDATES_PAGE)
            .offset((page - 1) * CANDIDATES_PAGE)
        )
    ).all()
    numbers: dict[UUID, list[int]] = {}
    if rows:
        listed = _published_items(kind).where(ListIssueItem.source_id.in_([row[0].id for row in rows]))
        for source, number in await db.execute(listed.order_by(ListIssue.number)):
            numbers.setdefault(source, []).append(int(number))
    items = [
        Candidate(
            source_id=obj.id,
            title=obj.title if isinstance(obj, Scenario) else org.name,
            organization=org.name,
            domains=list(obj.domains),
            district=obj.district,
            status_label=label(obj.status),
            listed_in=numbers.get(obj.id, []),
            in_issue=obj.id in in_issue,
        )
        for obj, org in rows
    ]
    return Page(items=items, total=total, page=page, per_page=CANDIDATES_PAGE)
