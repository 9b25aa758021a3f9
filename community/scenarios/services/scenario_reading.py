"""Reading scenarios: one as a viewer may see it, what that viewer may do with it, its timeline, and the
lists (public, an organization's own, the admins' queues)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.orm import defer, selectinload

from community.accounts.models import Membership, Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now, today
from community.kernel.models import Page
from community.notifications.services import NotificationService
from community.scenarios.inputs import BUDGET_BUCKETS, ScenarioFilters, ScenarioInput, optional_uuid
from community.scenarios.labels import format_budget, label
from community.scenarios.models import (
    PUBLIC_STATUSES,
    CapabilityProfile,
    ConfidentialityAcceptance,
    ProfileStatus,
    RevisionStatus,
    Scenario,
    ScenarioEvent,
    ScenarioKind,
    ScenarioRevision,
    ScenarioScale,
    ScenarioStatus,
)
from community.scenarios.services.validation import ScenarioValues, validate_scenario
from community.scenarios.views import Reader, RevisionChange, ScenarioAccess, TimelineEntry
from community.vocabulary import district_label, domain_label

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

PAGE_SIZE = 20
# Statuses in which readers see a scenario and its owner may still change it: an owner's edit then waits for
# an admin as a revision (``ScenarioRevision``), and readers go on seeing the approved text.
REVIEWED_STATUSES = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)


def revision_input(revision: ScenarioRevision) -> ScenarioInput:
    """A revision's values as typed (stored as JSON), to check and apply them as if typed again."""
    return ScenarioInput.from_mapping(revision.values)


# Organization types that publish needs (measures 7 and 8: enterprises and government units).
AUTHOR_ORG_TYPES = (OrgType.ENTERPRISE, OrgType.GOVERNMENT)


class ScenarioReading:
    """The reading half of ``ScenarioService`` (which adds writing and moving scenarios)."""

    def __init__(self, db: AsyncSession, *, response_days: int = 14) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)
        self.response_days = response_days

    async def get(self, scenario_id: UUID, *, lock: bool = False) -> Scenario:
        query = (
            select(Scenario)
            .where(Scenario.id == scenario_id)
            .options(selectinload(Scenario.organization), selectinload(Scenario.landed_with))
        )
        if lock:
            # Locked to be changed: read the row as it is now, even if this request read it before.
            query = query.with_for_update(of=Scenario).execution_options(populate_existing=True)
        scenario = await self.db.scalar(query)
        if scenario is None:
            raise NotFound
        return scenario

    async def is_owner(self, user: User | None, scenario: Scenario) -> bool:
        if user is None:
            return False
        role = await self.db.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.organization_id == scenario.organization_id
            )
        )
        return role is not None

    async def get_for(self, viewer: User | None, scenario_id: UUID) -> tuple[Scenario, ScenarioAccess]:
        """A scenario as ``viewer`` may see it. Unpublished ones do not exist for outsiders (by id either)."""
        scenario = await self.get(scenario_id)
        access = await self.access(viewer, scenario)
        if scenario.status not in PUBLIC_STATUSES and not (access.is_owner or access.is_admin):
            raise NotFound
        return scenario, access

    async def access(self, viewer: User | None, scenario: Scenario) -> ScenarioAccess:
        """The one decision on who may read a scenario's confidential part; see ``ScenarioAccess``.

        Reading the details takes a verified capability profile, not only an organization that calls itself
        an OPC (anyone can create one), and the terms accepted for that OPC, not withdrawn by the owner."""
        if viewer is None:
            return ScenarioAccess(False, False, (), False)
        owner = await self.is_owner(viewer, scenario)
        opc_orgs = tuple(await self.opc_organizations_of(viewer))
        standing = await self.profile_standing([org.id for org in opc_orgs])
        verified = frozenset(org for org, status in standing.items() if status is ProfileStatus.VERIFIED)
        pending = frozenset(org for org, status in standing.items() if status is ProfileStatus.PENDING)
        acceptance = await self.acceptance_of(viewer, scenario)
        withdrawn = acceptance is not None and acceptance.revoked_at is not None
        in_force = acceptance is not None and not withdrawn and acceptance.organization_id in verified
        return ScenarioAccess(
            owner,
            viewer.is_admin,
            opc_orgs,
            in_force,
            verified_opc_ids=verified,
            pending_opc_ids=pending,
            withdrawn=withdrawn,
        )

    async def profile_standing(self, organization_ids: Sequence[UUID]) -> dict[UUID, ProfileStatus]:
        """The status of each organization's capability profile (organizations without one are left out)."""
        if not organization_ids:
            return {}
        rows = await self.db.execute(
            select(CapabilityProfile.organization_id, CapabilityProfile.status).where(
                CapabilityProfile.organization_id.in_(list(organization_ids))
            )
        )
        return {row[0]: row[1] for row in rows}

    async def acceptance_of(
        self, viewer: User, scenario: Scenario, *, lock: bool = False
    ) -> ConfidentialityAcceptance | None:
        query = select(ConfidentialityAcceptance).where(
            ConfidentialityAcceptance.scenario_id == scenario.id,
            ConfidentialityAcceptance.user_id == viewer.id,
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        acceptance: ConfidentialityAcceptance | None = await self.db.scalar(query)
        return acceptance

    async def _organizations_of(self, user: User, *types: OrgType) -> list[Organization]:
        memberships = await self.organizations.organizations_of(user)
        return [org for org, _role in memberships if org.org_type in types]

    async def opc_organizations_of(self, user: User) -> list[Organization]:
        return await self._organizations_of(user, OrgType.OPC)

    async def author_organizations_of(self, user: User) -> list[Organization]:
        return await self._organizations_of(user, *AUTHOR_ORG_TYPES)

    async def chosen_author(self, user: User, raw_id: str) -> UUID:
        """The organization a scenario form names: one of the user's own enterprises or government units
        (the only one, when the form leaves it out)."""
        authors = await self.author_organizations_of(user)
        chosen = optional_uuid(raw_id) or (authors[0].id if len(authors) == 1 else None)
        if chosen is None or chosen not in {org.id for org in authors}:
            raise FormError({"organization": _("Choose the organization that publishes this scenario.")})
        return chosen

    async def timeline(self, scenario: Scenario) -> list[TimelineEntry]:
        rows = await self.db.execute(
            select(ScenarioEvent, User.display_name)
            .outerjoin(User, User.id == ScenarioEvent.actor_id)
            .where(ScenarioEvent.scenario_id == scenario.id)
            .order_by(ScenarioEvent.created_at, ScenarioEvent.id)
        )
        return [TimelineEntry(event, name) for event, name in rows]

    async def readers(self, scenario: Scenario) -> list[Reader]:
        """Who accepted the terms (name, organization, when, whether withdrawn): the owner sees who read the
        details, and withdraws a reader's access from this list."""
        rows = await self.db.execute(
            select(
                ConfidentialityAcceptance.id,
                User.display_name,
                Organization.name,
                ConfidentialityAcceptance.created_at,
                ConfidentialityAcceptance.revoked_at,
            )
            .join(User, User.id == ConfidentialityAcceptance.user_id)
            .join(Organization, Organization.id == ConfidentialityAcceptance.organization_id)
            .where(ConfidentialityAcceptance.scenario_id == scenario.id)
            .order_by(ConfidentialityAcceptance.created_at)
        )
        return [Reader(*row) for row in rows]

    # --- revisions of published scenarios -----------------------------------------------------------------

    async def pending_revision(self, scenario: Scenario, *, lock: bool = False) -> ScenarioRevision | None:
        query = select(ScenarioRevision).where(
            ScenarioRevision.scenario_id == scenario.id, ScenarioRevision.status == RevisionStatus.PENDING
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        revision: ScenarioRevision | None = await self.db.scalar(query)
        return revision

    async def revisions_to_review(self, limit: int = 200) -> Sequence[ScenarioRevision]:
        """Changes owners made to published scenarios, oldest first, for the admins."""
        return (
            await self.db.scalars(
                select(ScenarioRevision)
                .where(ScenarioRevision.status == RevisionStatus.PENDING)
                .options(selectinload(ScenarioRevision.scenario).selectinload(Scenario.organization))
                .order_by(ScenarioRevision.updated_at)
                .limit(limit)
            )
        ).all()

    @staticmethod
    def revision_changes(scenario: Scenario, revision: ScenarioRevision) -> list[RevisionChange]:
        """What a pending revision changes, field by field, published beside proposed (for the owner and
        the admins only: the confidential fields are among them)."""
        published, _e = validate_scenario(ScenarioInput.of(scenario), complete=False, today=today())
        proposed, _e = validate_scenario(revision_input(revision), complete=False, today=today())

        def show(values: ScenarioValues) -> dict[str, tuple[str, str]]:
            return {
                "title": (_("Title"), values.title),
                "kind": (_("Kind"), label(values.kind) if values.kind else ""),
                "scale": (_("Scale"), label(values.scale) if values.scale else ""),
                "domains": (_("Domains"), domain_label.join(values.domains)),
                "district": (_("District"), district_label(values.district)),
                "abstract": (_("Abstract"), values.abstract),
                "description": (_("Details"), values.description),
                "expected_outcome": (_("Expected outcome"), values.expected_outcome),
                "budget": (
                    _("Budget"),
                    format_budget(values.budget_min, values.budget_max, values.budget_negotiable),
                ),
                "deadline": (_("Deadline"), values.deadline.isoformat() if values.deadline else ""),
                "contact_name": (_("Contact"), values.contact_name),
                "contact_phone": (_("Phone"), values.contact_phone),
                "contact_email": (_("Email"), values.contact_email),
            }

        before, after = show(published), show(proposed)
        return [
            RevisionChange(name, before[key][1], text)
            for key, (name, text) in after.items()
            if before[key][1] != text
        ]

    # --- lists ---------------------------------------------------------------------------------------------

    @staticmethod
    def _filtered(query: Select[Any], filters: ScenarioFilters) -> Select[Any]:
        if filters.domain:
            query = query.where(Scenario.domains.contains([filters.domain]))
        if filters.district:
            query = query.where(Scenario.district == filters.district)
        if filters.kind:
            query = query.where(Scenario.kind == ScenarioKind(filters.kind))
        if filters.scale:
            query = query.where(Scenario.scale == ScenarioScale(filters.scale))
        if filters.status:
            query = query.where(Scenario.status == ScenarioStatus(filters.status))
        if filters.demonstration:
            query = query.where(Scenario.demonstration_year.is_not(None))
        if filters.budget == "negotiable":
            query = query.where(Scenario.budget_negotiable.is_(True))
        for code, low, high in BUDGET_BUCKETS:
            if filters.budget == code:
                query = query.where(Scenario.budget_max >= low)
                if high is not None:
                    query = query.where(Scenario.budget_min <= high)
        return query

    async def list_public(self, filters: ScenarioFilters, per_page: int = PAGE_SIZE) -> Page[Scenario]:
        base = self._filtered(select(Scenario).where(Scenario.status.in_(PUBLIC_STATUSES)), filters)
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        if filters.sort == "deadline":
            # Soonest open deadline first; passed and open-ended ones after.
            order: list[Any] = [
                (Scenario.deadline < today()).nulls_last(),
                Scenario.deadline.asc().nulls_last(),
                Scenario.published_at.desc(),
            ]
        else:
            order = [Scenario.published_at.desc(), Scenario.id.desc()]
        page = max(1, filters.page)
        items = (
            await self.db.scalars(
                base.options(
                    selectinload(Scenario.organization),
                    # A list shows the public abstract; the long confidential texts stay in the database.
                    defer(Scenario.description, raiseload=True),
                    defer(Scenario.expected_outcome, raiseload=True),
                    defer(Scenario.contact_name, raiseload=True),
                    defer(Scenario.contact_phone, raiseload=True),
                    defer(Scenario.contact_email, raiseload=True),
                )
                .order_by(*order)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        ).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def _with_organization(self, query: Select[Scenario]) -> Sequence[Scenario]:
        return (await self.db.scalars(query.options(selectinload(Scenario.organization)))).all()

    async def list_of_organization(self, organization_id: UUID) -> Sequence[Scenario]:
        return await self._with_organization(
            select(Scenario)
            .where(Scenario.organization_id == organization_id)
            .order_by(Scenario.updated_at.desc())
        )

    async def list_by_status(self, status: ScenarioStatus, limit: int = 200) -> Sequence[Scenario]:
        return await self._with_organization(
            select(Scenario)
            .where(Scenario.status == status)
            .order_by(Scenario.submitted_at.asc().nulls_last(), Scenario.updated_at)
            .limit(limit)
        )

    async def stale_drafts(self, days: int, limit: int = 200) -> Sequence[Scenario]:
        return await self._with_organization(
            select(Scenario)
            .where(
                Scenario.status.in_((ScenarioStatus.DRAFT, ScenarioStatus.RETURNED)),
                Scenario.updated_at < now() - timedelta(days=days),
            )
            .order_by(Scenario.updated_at)
            .limit(limit)
        )
