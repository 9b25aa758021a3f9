"""政策画像: an organization's facts as the policies ask them. What the site already knows (type, district,
the capability profile's domains, team size and verification, published products) comes through those
zones' services; what only the organization knows (founding date, stage, activities) is kept here and
edited by its owners."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import MemberRole, Organization, User
from community.accounts.services import OrganizationService
from community.errors import FormError
from community.jobs import enqueue
from community.kernel.clock import today
from community.policies.inputs import FactsInput
from community.policies.models import OrganizationFacts
from community.policies.services.eligibility import Facts
from community.policies.views import FactsView
from community.scenarios.models import ProfileStatus
from community.scenarios.services.capabilities import CapabilityService
from community.vouchers.models import ProductStatus
from community.vouchers.services.products import ProductService

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ("JOB_POLICY_FACTS_CHANGED", "FactsInput", "FactsService", "today")

# By name: matching tells the organization of the policies it now qualifies for (policies never imports it).
JOB_POLICY_FACTS_CHANGED = "matching.policy_facts_changed"


class FactsService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.capabilities = CapabilityService(db)
        self.products = ProductService(db)

    async def saved(self, organization_id: UUID) -> OrganizationFacts | None:
        found: OrganizationFacts | None = await self.db.scalar(
            select(OrganizationFacts).where(OrganizationFacts.organization_id == organization_id)
        )
        return found

    async def facts_of(self, org: Organization, on: date | None = None) -> Facts:
        return (await self.facts_of_many([org], on))[org.id]

    async def facts_of_many(self, orgs: Sequence[Organization], on: date | None = None) -> dict[UUID, Facts]:
        """Every organization's facts with four queries, whatever the number of organizations."""
        ids = [org.id for org in orgs]
        if not ids:
            return {}
        saved = {
            row.organization_id: row
            for row in await self.db.scalars(
                select(OrganizationFacts).where(OrganizationFacts.organization_id.in_(ids))
            )
        }
        profiles = await self.capabilities.of_organizations(ids)
        products = await self.products.of_organizations(ids)
        published: dict[UUID, set[str]] = {}
        for product in products:
            if product.status is ProductStatus.PUBLISHED:
                published.setdefault(product.organization_id, set()).update(product.domains)
        day = on or today()
        out: dict[UUID, Facts] = {}
        for org in orgs:
            row = saved.get(org.id)
            profile = profiles.get(org.id)
            domains = set(profile.domains) if profile is not None else set()
            domains |= published.get(org.id, set())
            out[org.id] = Facts(
                organization_id=org.id,
                org_type=org.org_type,
                founded_on=row.founded_on if row else None,
                stage=row.stage if row else None,
                team_size=(row.team_size if row and row.team_size else None)
                or (profile.team_size if profile is not None else None),
                domains=frozenset(domains),
                district=org.district or (profile.district if profile is not None else None),
                verified_capability=profile is not None and profile.status is ProfileStatus.VERIFIED,
                approved_product=org.id in published,
                activities=frozenset(row.activities) if row is not None else None,
                today=day,
            )
        return out

    async def view(self, actor: User, org: Organization) -> FactsView:
        """The facts page, for the organization's members (and admins); only its owners may edit."""
        role = await self.organizations.require_member(actor, org)
        profile = (await self.capabilities.of_organizations([org.id])).get(org.id)
        facts = await self.facts_of(org)
        return FactsView(
            organization=org,
            saved=await self.saved(org.id),
            facts=facts,
            profile_team_size=profile.team_size if profile is not None else None,
            profile_domains=tuple(profile.domains) if profile is not None else (),
            verified_capability=facts.verified_capability,
            approved_product=facts.approved_product,
            can_edit=role is MemberRole.OWNER or actor.is_admin,
        )

    async def save(self, actor: User, org: Organization, data: FactsInput) -> OrganizationFacts:
        """Only the organization's owners (and site admins) say what it is; one row per organization."""
        await self.organizations.require_owner(actor, org)
        values, errors = data.validate(today())
        if errors:
            raise FormError(errors)
        statement = insert(OrganizationFacts).values(organization_id=org.id, updated_by_id=actor.id, **values)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["organization_id"],
                set_={**values, "updated_by_id": actor.id, "updated_at": func.now()},
            )
        )
        saved = await self.saved(org.id)
        assert saved is not None
        await self.db.refresh(saved)
        await enqueue(
            self.db,
            JOB_POLICY_FACTS_CHANGED,
            {"organization_id": str(org.id)},
            dedupe_key=f"{JOB_POLICY_FACTS_CHANGED}:{org.id}",
        )
        return saved
