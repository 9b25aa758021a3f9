"""Scenarios: who may write, read and move them, and the timeline of every move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from community.accounts.models import Membership, Organization, OrgType, User
from community.accounts.services import OrganizationService, clean_text
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.notifications.services import NotificationService
from community.scenarios.models import (
    PUBLIC_STATUSES,
    ConfidentialityAcceptance,
    Interest,
    InterestStatus,
    Scenario,
    ScenarioEvent,
    ScenarioKind,
    ScenarioScale,
    ScenarioStatus,
)
from community.scenarios.services.validation import (
    ScenarioInput,
    ScenarioValues,
    budget_mode_of,
    validate_scenario,
)
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
SCENARIO_DOC_TYPE = "scenario"
SITE_TZ = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 20
REASON_MAX = 2000
CONFIDENTIALITY_TERMS_VERSION = "2026-11"
# Organization types that publish needs (measures 7 and 8: enterprises and government units).
AUTHOR_ORG_TYPES = (OrgType.ENTERPRISE, OrgType.GOVERNMENT)
EDITABLE_STATUSES = (
    ScenarioStatus.DRAFT,
    ScenarioStatus.RETURNED,
    ScenarioStatus.SUBMITTED,
    ScenarioStatus.PUBLISHED,
    ScenarioStatus.DOCKING,
)
OPEN_FOR_INTEREST = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
# Budget filter buckets in yuan (code, lowest, highest): a scenario matches when its range touches one.
BUDGET_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("lt100k", 0, 99_999),
    ("100k-500k", 100_000, 500_000),
    ("500k-1m", 500_001, 1_000_000),
    ("1m-5m", 1_000_001, 5_000_000),
    ("gt5m", 5_000_001, None),
)
SORTS = ("newest", "deadline")


def today() -> date:
    return datetime.now(SITE_TZ).date()


def now() -> datetime:
    return datetime.now(UTC)


def scenario_url(scenario: Scenario | UUID) -> str:
    return f"/scenarios/{scenario.id if isinstance(scenario, Scenario) else scenario}"


def scenario_document(scenario: Scenario, organization_name: str) -> SearchDocument:
    """How a public scenario appears in search: only what a visitor may read (never the details)."""
    return SearchDocument(
        doc_type=SCENARIO_DOC_TYPE,
        doc_id=str(scenario.id),
        title=scenario.title,
        body=f"{scenario.abstract}\n{organization_name}",
        url=scenario_url(scenario),
        domains=list(scenario.domains),
        district=scenario.district,
        status=scenario.status.value,
        published_at=scenario.published_at,
        extra={"meta": organization_name},
    )


async def scenario_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every public scenario, for rebuilding the index."""
    rows = await db.stream(
        select(Scenario, Organization.name)
        .join(Organization, Organization.id == Scenario.organization_id)
        .where(Scenario.status.in_(PUBLIC_STATUSES))
        .order_by(Scenario.published_at)
    )
    async for scenario, org_name in rows:
        yield scenario_document(scenario, org_name)


@dataclass(frozen=True)
class ScenarioFilters:
    domain: str | None = None
    district: str | None = None
    kind: str | None = None
    scale: str | None = None
    status: str | None = None
    budget: str | None = None
    demonstration: bool = False
    sort: str = "newest"
    page: int = 1

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (for links that change one of them)."""
        values = {
            "domain": self.domain,
            "district": self.district,
            "kind": self.kind,
            "scale": self.scale,
            "status": self.status,
            "budget": self.budget,
            "demonstration": "1" if self.demonstration else None,
            "sort": self.sort if self.sort != "newest" else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class ScenarioAccess:
    """What one viewer may do with one scenario; pages show buttons from this, services check it again."""

    is_owner: bool
    is_admin: bool
    opc_orgs: tuple[Organization, ...]
    accepted_terms: bool

    @property
    def can_edit(self) -> bool:
        return self.is_owner or self.is_admin

    @property
    def can_read_details(self) -> bool:
        return self.is_owner or self.is_admin or (bool(self.opc_orgs) and self.accepted_terms)

    @property
    def may_accept_terms(self) -> bool:
        return bool(self.opc_orgs) and not self.accepted_terms and not self.is_owner


@dataclass(frozen=True)
class TimelineEntry:
    event: ScenarioEvent
    actor_name: str | None


class ScenarioService:
    def __init__(self, db: AsyncSession, *, response_days: int = 14) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)
        self.response_days = response_days

    # --- reading -------------------------------------------------------------------------------------------

    async def get(self, scenario_id: UUID, *, lock: bool = False) -> Scenario:
        query = (
            select(Scenario)
            .where(Scenario.id == scenario_id)
            .options(selectinload(Scenario.organization), selectinload(Scenario.landed_with))
        )
        if lock:
            query = query.with_for_update(of=Scenario)
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
        if viewer is None:
            return ScenarioAccess(False, False, (), False)
        owner = await self.is_owner(viewer, scenario)
        opc_orgs = tuple(await self.opc_organizations_of(viewer))
        accepted = bool(
            await self.db.scalar(
                select(ConfidentialityAcceptance.id).where(
                    ConfidentialityAcceptance.scenario_id == scenario.id,
                    ConfidentialityAcceptance.user_id == viewer.id,
                )
            )
        )
        return ScenarioAccess(owner, viewer.is_admin, opc_orgs, accepted)

    async def opc_organizations_of(self, user: User) -> list[Organization]:
        return [
            org
            for org, _role in await self.organizations.organizations_of(user)
            if org.org_type is OrgType.OPC
        ]

    async def author_organizations_of(self, user: User) -> list[Organization]:
        return [
            org
            for org, _role in await self.organizations.organizations_of(user)
            if org.org_type in AUTHOR_ORG_TYPES
        ]

    async def timeline(self, scenario: Scenario) -> list[TimelineEntry]:
        rows = await self.db.execute(
            select(ScenarioEvent, User.display_name)
            .outerjoin(User, User.id == ScenarioEvent.actor_id)
            .where(ScenarioEvent.scenario_id == scenario.id)
            .order_by(ScenarioEvent.created_at, ScenarioEvent.id)
        )
        return [TimelineEntry(event, name) for event, name in rows]

    def _filtered(self, query: Select[Any], filters: ScenarioFilters) -> Select[Any]:
        if filters.domain:
            query = query.where(Scenario.domains.contains([filters.domain]))
        if filters.district:
            query = query.where(Scenario.district == filters.district)
        if filters.kind in {k.value for k in ScenarioKind}:
            query = query.where(Scenario.kind == ScenarioKind(filters.kind))
        if filters.scale in {s.value for s in ScenarioScale}:
            query = query.where(Scenario.scale == ScenarioScale(filters.scale))
        if filters.status in {s.value for s in PUBLIC_STATUSES}:
            query = query.where(Scenario.status == ScenarioStatus(filters.status))
        if filters.demonstration:
            query = query.where(Scenario.demonstration_year.is_not(None))
        if filters.budget == "negotiable":
            query = query.where(Scenario.budget_negotiable.is_(True))
        else:
            for code, low, high in BUDGET_BUCKETS:
                if filters.budget == code:
                    query = query.where(Scenario.budget_max >= low)
                    if high is not None:
                        query = query.where(Scenario.budget_min <= high)
        return query

    async def list_public(self, filters: ScenarioFilters, per_page: int = PAGE_SIZE) -> Page[Scenario]:
        base = select(Scenario).where(Scenario.status.in_(PUBLIC_STATUSES))
        base = self._filtered(base, filters)
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
                base.options(selectinload(Scenario.organization))
                .order_by(*order)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        ).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def list_of_organization(self, organization_id: UUID) -> Sequence[Scenario]:
        return (
            await self.db.scalars(
                select(Scenario)
                .where(Scenario.organization_id == organization_id)
                .order_by(Scenario.updated_at.desc())
                .options(selectinload(Scenario.organization))
            )
        ).all()

    async def list_by_status(self, status: ScenarioStatus, limit: int = 200) -> Sequence[Scenario]:
        return (
            await self.db.scalars(
                select(Scenario)
                .where(Scenario.status == status)
                .order_by(Scenario.submitted_at.asc().nulls_last(), Scenario.updated_at)
                .options(selectinload(Scenario.organization))
                .limit(limit)
            )
        ).all()

    async def stale_drafts(self, days: int, limit: int = 200) -> Sequence[Scenario]:
        return (
            await self.db.scalars(
                select(Scenario)
                .where(
                    Scenario.status.in_((ScenarioStatus.DRAFT, ScenarioStatus.RETURNED)),
                    Scenario.updated_at < now() - timedelta(days=days),
                )
                .order_by(Scenario.updated_at)
                .options(selectinload(Scenario.organization))
                .limit(limit)
            )
        ).all()

    # --- writing -------------------------------------------------------------------------------------------

    def _apply(self, scenario: Scenario, values: ScenarioValues) -> None:
        scenario.title = values.title
        if values.kind is not None:
            scenario.kind = values.kind
        if values.scale is not None:
            scenario.scale = values.scale
        scenario.domains = values.domains
        scenario.district = values.district
        scenario.abstract = values.abstract
        scenario.description = values.description
        scenario.expected_outcome = values.expected_outcome
        scenario.budget_min = values.budget_min
        scenario.budget_max = values.budget_max
        scenario.budget_negotiable = values.budget_negotiable
        scenario.deadline = values.deadline
        scenario.contact_name = values.contact_name
        scenario.contact_phone = values.contact_phone
        scenario.contact_email = values.contact_email

    async def _author_org(self, actor: User, organization_id: UUID) -> Organization:
        org = await self.db.get(Organization, organization_id)
        if org is None:
            raise NotFound
        if org.org_type not in AUTHOR_ORG_TYPES:
            raise FormError({"organization": _("Only enterprises and government units publish scenarios.")})
        if await self.organizations.role_of(actor, org) is None and not actor.is_admin:
            raise Forbidden
        return org

    async def create(
        self, actor: User, organization_id: UUID, data: ScenarioInput, *, submit: bool = False
    ) -> Scenario:
        org = await self._author_org(actor, organization_id)
        values, errors = validate_scenario(data, complete=submit, today=today())
        if errors:
            raise FormError(errors)
        scenario = Scenario(
            organization_id=org.id,
            created_by_id=actor.id,
            kind=values.kind or ScenarioKind.NEED,
            scale=values.scale or ScenarioScale.FOCUSED,
            status=ScenarioStatus.DRAFT,
        )
        self._apply(scenario, values)
        # A draft may leave these open; the columns are not null, so keep what the form will show.
        if not data.kind:
            scenario.kind = ScenarioKind.NEED
        if not data.scale:
            scenario.scale = ScenarioScale.FOCUSED
        self.db.add(scenario)
        await self.db.flush()
        self._event(scenario, actor, None, ScenarioStatus.DRAFT, "created")
        if submit:
            await self._move(scenario, actor, ScenarioStatus.SUBMITTED, "submitted")
            scenario.submitted_at = now()
        await self.db.flush()
        scenario.organization = org
        return scenario

    async def update(self, actor: User, scenario_id: UUID, data: ScenarioInput) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        if scenario.status not in EDITABLE_STATUSES:
            raise FormError({"title": _("A landed or closed scenario can no longer be changed.")})
        # Once it has been submitted, every edit must keep it complete.
        complete = (
            scenario.status is not ScenarioStatus.DRAFT and scenario.status is not ScenarioStatus.RETURNED
        )
        values, errors = validate_scenario(data, complete=complete, today=today())
        if errors:
            raise FormError(errors)
        self._apply(scenario, values)
        if scenario.status in PUBLIC_STATUSES:
            self._event(scenario, actor, scenario.status, scenario.status, "edited")
            enqueue_upsert(self.db, scenario_document(scenario, scenario.organization.name))
        await self.db.flush()
        return scenario

    async def _require_editor(self, actor: User, scenario: Scenario) -> None:
        if not (actor.is_admin or await self.is_owner(actor, scenario)):
            raise Forbidden

    def _event(
        self,
        scenario: Scenario,
        actor: User | None,
        from_status: ScenarioStatus | None,
        to_status: ScenarioStatus,
        action: str,
        reason: str = "",
    ) -> None:
        self.db.add(
            ScenarioEvent(
                scenario_id=scenario.id,
                actor_id=actor.id if actor else None,
                from_status=from_status,
                to_status=to_status,
                action=action,
                reason=reason,
            )
        )

    async def _move(
        self, scenario: Scenario, actor: User | None, to: ScenarioStatus, action: str, reason: str = ""
    ) -> None:
        before = scenario.status
        scenario.status = to
        self._event(scenario, actor, before, to, action, reason)
        await self.db.flush()
        if to in PUBLIC_STATUSES:
            enqueue_upsert(self.db, scenario_document(scenario, scenario.organization.name))
        elif before in PUBLIC_STATUSES:
            enqueue_delete(self.db, SCENARIO_DOC_TYPE, str(scenario.id))

    @staticmethod
    def _reason(reason: str, *, required: bool) -> str:
        text = clean_text(reason)
        if required and not text:
            raise FormError({"reason": _("Give a reason; the other side reads it.")})
        if len(text) > REASON_MAX:
            raise FormError({"reason": _("Use at most %(n)s characters for the reason.", n=REASON_MAX)})
        return text

    @staticmethod
    def _require_status(scenario: Scenario, *allowed: ScenarioStatus) -> None:
        if scenario.status not in allowed:
            raise FormError(
                {"status": _("This scenario has moved on meanwhile; reload the page to see where it is.")}
            )

    async def _tell_owner(self, scenario: Scenario, actor: User | None, kind: str, subject: str) -> None:
        recipients = await self.organizations.member_ids(scenario.organization_id)
        await self.notifications.notify_many(
            recipients, kind, subject, scenario_url(scenario), actor_id=actor.id if actor else None
        )

    async def submit(self, actor: User, scenario_id: UUID) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.DRAFT, ScenarioStatus.RETURNED)
        current = ScenarioInput(
            title=scenario.title,
            kind=scenario.kind.value,
            scale=scenario.scale.value,
            domains=tuple(scenario.domains),
            district=scenario.district,
            abstract=scenario.abstract,
            description=scenario.description,
            expected_outcome=scenario.expected_outcome,
            budget_mode=budget_mode_of(scenario.budget_min, scenario.budget_max, scenario.budget_negotiable),
            budget_min=str(scenario.budget_min or ""),
            budget_max=str(scenario.budget_max or ""),
            deadline=scenario.deadline.isoformat() if scenario.deadline else "",
            contact_name=scenario.contact_name,
            contact_phone=scenario.contact_phone,
            contact_email=scenario.contact_email,
        )
        _values, errors = validate_scenario(current, complete=True, today=today())
        if errors:
            raise FormError(errors)
        await self._move(scenario, actor, ScenarioStatus.SUBMITTED, "submitted")
        scenario.submitted_at = now()
        return scenario

    async def publish(self, admin: User, scenario_id: UUID) -> Scenario:
        if not admin.is_admin:
            raise Forbidden
        scenario = await self.get(scenario_id, lock=True)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        if scenario.deadline and scenario.deadline < today():
            raise FormError(
                {"status": _("Its deadline has passed; return it so that the owner sets a new one.")}
            )
        scenario.published_at = now()
        await self._move(scenario, admin, ScenarioStatus.PUBLISHED, "published")
        await self._tell_owner(
            scenario,
            admin,
            "scenario.published",
            _("Your scenario “%(title)s” is published.", title=scenario.title),
        )
        return scenario

    async def return_to_owner(self, admin: User, scenario_id: UUID, reason: str) -> Scenario:
        if not admin.is_admin:
            raise Forbidden
        text = self._reason(reason, required=True)
        scenario = await self.get(scenario_id, lock=True)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        await self._move(scenario, admin, ScenarioStatus.RETURNED, "returned", text)
        await self._tell_owner(
            scenario,
            admin,
            "scenario.returned",
            _("Your scenario “%(title)s” was returned: %(reason)s", title=scenario.title, reason=text),
        )
        return scenario

    async def withdraw(self, actor: User, scenario_id: UUID) -> Scenario:
        """The owner takes a submitted scenario back to draft (to change it before review)."""
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        await self._move(scenario, actor, ScenarioStatus.DRAFT, "withdrawn")
        return scenario

    async def start_docking(self, actor: User | None, scenario_id: UUID, reason: str = "") -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        if actor is not None:
            await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED)
        await self._move(
            scenario, actor, ScenarioStatus.DOCKING, "docking", self._reason(reason, required=False)
        )
        return scenario

    async def land(
        self, actor: User, scenario_id: UUID, reason: str = "", partner_id: UUID | None = None
    ) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
        text = self._reason(reason, required=False)
        if partner_id is not None:
            shortlisted = await self.db.scalar(
                select(Interest.id).where(
                    Interest.scenario_id == scenario.id,
                    Interest.organization_id == partner_id,
                    Interest.status == InterestStatus.SHORTLISTED,
                )
            )
            if shortlisted is None:
                raise FormError({"partner": _("Choose one of the shortlisted OPCs, or none.")})
            scenario.landed_with_id = partner_id
        await self._move(scenario, actor, ScenarioStatus.LANDED, "landed", text)
        await self._close_interests(scenario, actor, landed=True)
        return scenario

    async def close(self, actor: User, scenario_id: UUID, reason: str) -> Scenario:
        text = self._reason(reason, required=True)
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
        await self._move(scenario, actor, ScenarioStatus.CLOSED, "closed", text)
        await self._close_interests(scenario, actor, landed=False, reason=text)
        return scenario

    async def _close_interests(
        self, scenario: Scenario, actor: User, *, landed: bool, reason: str = ""
    ) -> None:
        """Nobody is left waiting: every interest still open gets its answer when the scenario ends."""
        from community.scenarios.services.interests import InterestService

        await InterestService(self.db, response_days=self.response_days).scenario_ended(
            scenario, actor, landed=landed, reason=reason
        )

    async def set_demonstration(self, admin: User, scenario_id: UUID, year: int | None) -> Scenario:
        if not admin.is_admin:
            raise Forbidden
        scenario = await self.get(scenario_id, lock=True)
        if scenario.status not in PUBLIC_STATUSES:
            raise FormError({"year": _("Only published scenarios can be demonstration scenarios.")})
        if year is not None and not 2020 <= year <= today().year + 1:
            raise FormError(
                {"year": _("Choose a year between %(low)s and %(high)s.", low=2020, high=today().year + 1)}
            )
        scenario.demonstration_year = year
        reason = str(year) if year else ""
        self._event(scenario, admin, scenario.status, scenario.status, "demonstration", reason)
        await self.db.flush()
        return scenario

    async def accept_terms(self, viewer: User, scenario_id: UUID) -> None:
        """An OPC member agrees to keep the details confidential; asking twice records it once."""
        scenario, access = await self.get_for(viewer, scenario_id)
        if not access.opc_orgs:
            raise FormError(
                {"terms": _("Only members of an OPC can read the details. Create or join an OPC first.")}
            )
        if access.accepted_terms:
            return
        try:
            async with self.db.begin_nested():  # a rolled-back savepoint also forgets the object
                self.db.add(
                    ConfidentialityAcceptance(
                        scenario_id=scenario.id,
                        user_id=viewer.id,
                        organization_id=access.opc_orgs[0].id,
                        terms_version=CONFIDENTIALITY_TERMS_VERSION,
                    )
                )
                await self.db.flush()
        except IntegrityError:
            pass  # a double click: the first one counted

    async def readers(self, scenario: Scenario) -> list[tuple[str, str, datetime]]:
        """Who accepted the terms (name, organization, when): the owner sees who read the details."""
        rows = await self.db.execute(
            select(User.display_name, Organization.name, ConfidentialityAcceptance.created_at)
            .join(User, User.id == ConfidentialityAcceptance.user_id)
            .join(Organization, Organization.id == ConfidentialityAcceptance.organization_id)
            .where(ConfidentialityAcceptance.scenario_id == scenario.id)
            .order_by(ConfidentialityAcceptance.created_at)
        )
        return [(name, org, at) for name, org, at in rows]
