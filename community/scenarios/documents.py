"""Where the scenario zone's things live on the site, and how the public ones appear in search."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.accounts.documents import documents_with_organization
from community.accounts.models import Organization
from community.kernel.search_text import search_text
from community.scenarios.models import PUBLIC_STATUSES, CapabilityProfile, ProfileStatus, Scenario
from community.search.schemas import SearchDocument

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

SCENARIO_DOC_TYPE = "scenario"
CAPABILITY_DOC_TYPE = "capability"


def scenario_url(scenario: Scenario | UUID) -> str:
    return f"/scenarios/{scenario.id if isinstance(scenario, Scenario) else scenario}"


def capability_url(org_slug: str) -> str:
    return f"/capabilities/{org_slug}"


def scenario_document(scenario: Scenario, organization_name: str) -> SearchDocument:
    """How a public scenario appears in search: only what a visitor may read (never the details)."""
    return SearchDocument(
        doc_type=SCENARIO_DOC_TYPE,
        doc_id=str(scenario.id),
        title=scenario.title,
        body=search_text(scenario.abstract, organization_name),
        url=scenario_url(scenario),
        domains=list(scenario.domains),
        district=scenario.district,
        status=scenario.status.value,
        published_at=scenario.published_at,
        extra={"meta": organization_name},
    )


def scenario_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every public scenario, for rebuilding the index."""
    public = Scenario.status.in_(PUBLIC_STATUSES)
    return documents_with_organization(db, Scenario, public, scenario_document)


def capability_document(profile: CapabilityProfile, org: Organization) -> SearchDocument:
    """How a verified profile appears in search: its summary and what it offers, under its OPC's name."""
    return SearchDocument(
        doc_type=CAPABILITY_DOC_TYPE,
        doc_id=str(profile.id),
        title=org.name,
        body=search_text(profile.summary, "；".join(item.technology for item in profile.items)),
        url=capability_url(org.slug),
        domains=list(profile.domains),
        district=profile.district,
        status=profile.status.value,
        published_at=profile.verified_at,
        extra={"meta": profile.district},
    )


async def capability_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every verified profile, for rebuilding the index."""
    rows = await db.scalars(
        select(CapabilityProfile)
        .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
        .options(selectinload(CapabilityProfile.items), selectinload(CapabilityProfile.organization))
        .order_by(CapabilityProfile.verified_at)
    )
    for profile in rows:
        yield capability_document(profile, profile.organization)
