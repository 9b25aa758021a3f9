"""政策画像: an organization's facts as the policies ask them. What the site already knows (type, district,
the capability profile's domains, team size and verification, published products) comes through those
zones' services; what only the organization knows (founding date, stage, activities) is kept here and
edited by its owners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import Organization, User
from community.accounts.services import OrganizationService
from community.errors import FormError
from community.i18n import _
from community.jobs import enqueue
from community.policies.labels import ACTIVITIES
from community.policies.models import OrganizationFacts, Stage
from community.policies.services.eligibility import TEAM_MAX, Facts
from community.scenarios.models import ProfileStatus
from community.scenarios.services.capabilities import CapabilityService
from community.vouchers.models import ProductStatus
from community.vouchers.services.products import ProductService

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SITE_TZ = ZoneInfo("Asia/Shanghai")
# By name: matching tells the organization of the policies it now qualifies for (policies never imports it).
JOB_POLICY_FACTS_CHANGED = "matching.policy_facts_changed"
EARLIEST_FOUNDING = date(1949, 10, 1)


def today() -> date:
    return datetime.now(SITE_TZ).date()


@dataclass(frozen=True)
class FactsInput:
    founded_on: str = ""
    stage: str = ""
    team_size: str = ""
    activities: tuple[str, ...] = ()


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

    async def view(self, org: Organization) -> FactsView:
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
        )

    @staticmethod
    def validate(data: FactsInput, on: date) -> tuple[dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"founded_on": None, "stage": None, "team_size": None}
        raw_date = data.founded_on.strip()
        if raw_date:
            try:
                founded = date.fromisoformat(raw_date)
            except ValueError:
                errors["founded_on"] = _("Enter the date as YYYY-MM-DD, for example 2025-03-18.")
            else:
                if founded > on:
                    errors["founded_on"] = _("The founding date cannot be in the future.")
                elif founded < EARLIEST_FOUNDING:
                    errors["founded_on"] = _("Check the year of the founding date.")
                else:
                    values["founded_on"] = founded
        if data.stage:
            try:
                values["stage"] = Stage(data.stage)
            except ValueError:
                errors["stage"] = _("Choose a stage from the list.")
        raw_team = data.team_size.strip()
        if raw_team:
            try:
                size = int(raw_team)
            except ValueError:
                errors["team_size"] = _("Enter a whole number.")
            else:
                if not 1 <= size <= TEAM_MAX:
                    errors["team_size"] = _(
                        "Enter a number between %(low)s and %(high)s.", low=1, high=TEAM_MAX
                    )
                else:
                    values["team_size"] = size
        activities = list(dict.fromkeys(a for a in data.activities if a))
        if any(a not in ACTIVITIES for a in activities):
            errors["activities"] = _("Choose activities from the list.")
        values["activities"] = [a for a in activities if a in ACTIVITIES]
        return values, errors

    async def save(self, actor: User, org: Organization, data: FactsInput) -> OrganizationFacts:
        """Only the organization's owners (and site admins) say what it is; one row per organization."""
        await self.organizations.require_owner(actor, org)
        values, errors = self.validate(data, today())
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

    @staticmethod
    def form_of(saved: OrganizationFacts | None) -> dict[str, Any]:
        if saved is None:
            return {"activities": []}
        return {
            "founded_on": saved.founded_on.isoformat() if saved.founded_on else "",
            "stage": saved.stage.value if saved.stage else "",
            "team_size": str(saved.team_size or ""),
            "activities": list(saved.activities),
        }


def facts_input(data: Mapping[str, Any]) -> FactsInput:
    def one(name: str) -> str:
        value = data.get(name, "")
        if isinstance(value, list):
            value = value[-1] if value else ""
        return str(value)

    raw = data.get("activities", [])
    activities = tuple(str(v) for v in raw) if isinstance(raw, list) else ((str(raw),) if raw else ())
    return FactsInput(
        founded_on=one("founded_on"), stage=one("stage"), team_size=one("team_size"), activities=activities
    )
