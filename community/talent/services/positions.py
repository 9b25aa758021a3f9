"""招聘岗位: positions that members of an organization post (OPCs first; any organization type may), who may
see and change them, closing them (every waiting application is answered) and taking them down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.markup import clean_body, clean_line
from community.notifications.services import NotificationService
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert
from community.talent.models import PUBLIC_POSITION_STATUSES, EmploymentType, Position, PositionStatus
from community.talent.services.common import (
    JOB_EMBED,
    Page,
    normalize_skill,
    now,
    parse_skills,
    position_url,
    today,
    whole_number,
)
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

POSITION_DOC_TYPE = "position"
TITLE_MAX = 100
DESCRIPTION_MAX = 10_000
PAY_MAX = 1_000_000  # yuan a month
HEADCOUNT_MAX = 999
REASON_MAX = 2000
PAGE_SIZE = 20
FORM_FIELDS = (
    "title",
    "skills",
    "description",
    "pay_mode",
    "pay_min",
    "pay_max",
    "district",
    "remote",
    "employment_type",
    "headcount",
    "deadline",
)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class PositionValues:
    title: str
    skills: list[str]
    description: str
    pay_min: int | None
    pay_max: int | None
    pay_negotiable: bool
    district: str
    remote: bool
    employment_type: EmploymentType
    headcount: int
    deadline: date | None


def validate_position(data: Mapping[str, Any]) -> PositionValues:
    errors: dict[str, str] = {}
    title = clean_line(_text(data, "title"))
    if len(title) < 2:
        errors["title"] = _("Give the position a title, like “大模型应用开发工程师”.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(n)s characters.", n=TITLE_MAX)
    skills = parse_skills(_text(data, "skills"), errors)
    if not skills and "skills" not in errors:
        errors["skills"] = _("List at least one skill, separated by commas.")
    description = clean_body(_text(data, "description"))
    if len(description) < 10:
        errors["description"] = _("Describe the work in at least %(n)s characters.", n=10)
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(n)s characters.", n=DESCRIPTION_MAX)
    negotiable = _text(data, "pay_mode") == "negotiable"
    pay_min = pay_max = None
    if not negotiable:
        pay_min = whole_number(_text(data, "pay_min"), errors, "pay_min", low=1, high=PAY_MAX)
        pay_max = whole_number(_text(data, "pay_max"), errors, "pay_max", low=1, high=PAY_MAX)
        if pay_min is None and "pay_min" not in errors:
            errors["pay_min"] = _("Give the monthly pay in yuan, or choose “negotiable”.")
        if pay_min is not None and pay_max is not None and pay_max < pay_min:
            errors["pay_max"] = _("The highest pay must not be below the lowest.")
    district = clean_line(_text(data, "district"))
    if district and district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    remote = _text(data, "remote") in ("yes", "on", "true", "1")
    if not district and not remote:
        errors["district"] = _("Choose where the work is, or say it can be done remotely.")
    try:
        employment_type = EmploymentType(_text(data, "employment_type"))
    except ValueError:
        errors["employment_type"] = _("Choose the kind of work.")
        employment_type = EmploymentType.FULL_TIME
    headcount = whole_number(_text(data, "headcount") or "1", errors, "headcount", low=1, high=HEADCOUNT_MAX)
    deadline: date | None = None
    raw = clean_line(_text(data, "deadline"))
    if raw:
        try:
            deadline = date.fromisoformat(raw[:10].replace("/", "-"))
        except ValueError:
            errors["deadline"] = _("Enter the date as a date, like 2027-03-31.")
        else:
            if not today() <= deadline <= today() + timedelta(days=731):
                errors["deadline"] = _("Choose a date from today to two years ahead.")
    if errors:
        raise FormError(errors)
    return PositionValues(
        title=title,
        skills=skills,
        description=description,
        pay_min=pay_min,
        pay_max=pay_max,
        pay_negotiable=negotiable,
        district=district,
        remote=remote,
        employment_type=employment_type,
        headcount=headcount or 1,
        deadline=deadline,
    )


def position_form(position: Position) -> dict[str, Any]:
    return {
        "title": position.title,
        "skills": "，".join(position.skills),
        "description": position.description,
        "pay_mode": "negotiable" if position.pay_negotiable else "range",
        "pay_min": "" if position.pay_min is None else str(position.pay_min),
        "pay_max": "" if position.pay_max is None else str(position.pay_max),
        "district": position.district,
        "remote": "yes" if position.remote else "",
        "employment_type": position.employment_type.value,
        "headcount": str(position.headcount),
        "deadline": position.deadline.isoformat() if position.deadline else "",
    }


def position_document(position: Position, organization_name: str) -> SearchDocument:
    """An open position in search: what any visitor reads on its page."""
    return SearchDocument(
        doc_type=POSITION_DOC_TYPE,
        doc_id=str(position.id),
        title=position.title,
        body=f"{position.description}\n{' '.join(position.skills)}\n{organization_name}",
        url=position_url(position.id),
        tags=list(position.skills),
        district=position.district or None,
        status=position.status.value,
        published_at=position.published_at,
        extra={"meta": organization_name},
    )


async def position_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every open position, for rebuilding the index."""
    rows = await db.stream(
        select(Position, Organization.name)
        .join(Organization, Organization.id == Position.organization_id)
        .where(Position.status == PositionStatus.OPEN)
        .order_by(Position.published_at)
    )
    async for position, org_name in rows:
        yield position_document(position, org_name)


@dataclass(frozen=True)
class PositionAccess:
    """What one viewer may do with one position; pages show buttons from this, services check it again."""

    is_member: bool
    is_admin: bool

    @property
    def can_manage(self) -> bool:
        return self.is_member


@dataclass(frozen=True)
class PositionFilters:
    q: str = ""
    skill: str = ""
    district: str = ""
    employment_type: str = ""
    remote: bool = False
    page: int = 1

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "q": self.q or None,
            "skill": self.skill or None,
            "district": self.district or None,
            "type": self.employment_type or None,
            "remote": "1" if self.remote else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PositionService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)

    # --- reading -------------------------------------------------------------------------------------------

    async def get(self, position_id: UUID, *, lock: bool = False) -> Position:
        query = (
            select(Position).where(Position.id == position_id).options(selectinload(Position.organization))
        )
        if lock:
            query = query.with_for_update(of=Position)
        position = await self.db.scalar(query)
        if position is None:
            raise NotFound
        return position

    async def access(self, viewer: User | None, position: Position) -> PositionAccess:
        is_member = (
            viewer is not None and await self.organizations.role_of(viewer, position.organization) is not None
        )
        return PositionAccess(is_member=is_member, is_admin=bool(viewer and viewer.is_admin))

    async def get_for(self, viewer: User | None, position_id: UUID) -> tuple[Position, PositionAccess]:
        """A position as ``viewer`` may see it: drafts and taken-down positions only for its organization
        and the admins; for anyone else they do not exist."""
        position = await self.get(position_id)
        access = await self.access(viewer, position)
        if position.status not in PUBLIC_POSITION_STATUSES and not (access.is_member or access.is_admin):
            raise NotFound
        return position, access

    async def poster_organizations_of(self, user: User) -> list[Organization]:
        """The organizations ``user`` may post positions for: all of theirs, OPCs first."""
        orgs = [org for org, _role in await self.organizations.organizations_of(user)]
        return sorted(orgs, key=lambda org: (org.org_type is not OrgType.OPC, org.name))

    async def list_open(self, filters: PositionFilters, per_page: int = PAGE_SIZE) -> Page[Position]:
        query = (
            select(Position)
            .join(Organization, Organization.id == Position.organization_id)
            .where(Position.status == PositionStatus.OPEN)
        )
        if filters.skill:
            query = query.where(Position.skills.contains([normalize_skill(filters.skill)[:40]]))
        if filters.district:
            query = query.where(or_(Position.district == filters.district, Position.remote.is_(True)))
        if filters.remote:
            query = query.where(Position.remote.is_(True))
        if filters.employment_type:
            query = query.where(Position.employment_type == EmploymentType(filters.employment_type))
        q = clean_line(filters.q)[:100]
        if q:
            pattern = f"%{_escape_like(q)}%"
            query = query.where(
                or_(
                    Position.title.ilike(pattern),
                    Organization.name.ilike(pattern),
                    Position.skills.contains([normalize_skill(q)[:40]]),
                )
            )
        total = int(await self.db.scalar(select(func.count()).select_from(query.subquery())) or 0)
        page = max(1, min(filters.page, 10_000))
        items = (
            await self.db.scalars(
                query.options(selectinload(Position.organization))
                .order_by(Position.published_at.desc().nulls_last(), Position.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        ).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def of_organizations(self, organization_ids: Sequence[UUID]) -> Sequence[Position]:
        if not organization_ids:
            return []
        order = case({s: i for i, s in enumerate(PositionStatus)}, value=Position.status)
        return (
            await self.db.scalars(
                select(Position)
                .where(Position.organization_id.in_(organization_ids))
                .options(selectinload(Position.organization))
                .order_by(order, Position.created_at.desc())
                .limit(500)
            )
        ).all()

    async def open_for_board(self, limit: int = 1000) -> Sequence[Position]:
        """Open positions whose deadline has not passed: what a 招贤榜 may list (and matching recommends)."""
        return (
            await self.db.scalars(
                select(Position)
                .where(
                    Position.status == PositionStatus.OPEN,
                    or_(Position.deadline.is_(None), Position.deadline >= today()),
                )
                .options(selectinload(Position.organization))
                .order_by(Position.published_at.desc(), Position.id)
                .limit(limit)
            )
        ).all()

    async def count_by_status(self) -> dict[PositionStatus, int]:
        rows = await self.db.execute(select(Position.status, func.count()).group_by(Position.status))
        return {status: int(n) for status, n in rows}

    # --- writing -------------------------------------------------------------------------------------------

    def _apply(self, position: Position, values: PositionValues) -> None:
        position.title = values.title
        position.skills = values.skills
        position.description = values.description
        position.pay_min = values.pay_min
        position.pay_max = values.pay_max
        position.pay_negotiable = values.pay_negotiable
        position.district = values.district
        position.remote = values.remote
        position.employment_type = values.employment_type
        position.headcount = values.headcount
        position.deadline = values.deadline

    async def _member_org(self, actor: User, organization_id: UUID) -> Organization:
        org = await self.db.get(Organization, organization_id)
        if org is None or await self.organizations.role_of(actor, org) is None:
            raise FormError({"organization": _("Choose one of your organizations.")})
        return org

    async def _indexed(self, position: Position) -> None:
        """Search and matching follow the change, in the same transaction."""
        if position.status is PositionStatus.OPEN:
            enqueue_upsert(self.db, position_document(position, position.organization.name))
        else:
            enqueue_delete(self.db, POSITION_DOC_TYPE, str(position.id))
        await enqueue(
            self.db,
            JOB_EMBED,
            {"owner_type": "position", "owner_id": str(position.id)},
            dedupe_key=f"{JOB_EMBED}:position:{position.id}",
        )

    async def create(
        self, actor: User, organization_id: UUID, data: Mapping[str, Any], *, publish: bool
    ) -> Position:
        org = await self._member_org(actor, organization_id)
        values = validate_position(data)
        position = Position(
            organization_id=org.id,
            created_by_id=actor.id,
            status=PositionStatus.DRAFT,
            title=values.title,
            employment_type=values.employment_type,
        )
        self._apply(position, values)
        position.organization = org
        if publish:
            position.status = PositionStatus.OPEN
            position.published_at = now()
        self.db.add(position)
        await self.db.flush()
        await self._indexed(position)
        return position

    async def _require_member(self, actor: User, position: Position) -> None:
        if await self.organizations.role_of(actor, position.organization) is None:
            if actor.is_admin:
                raise Forbidden
            raise NotFound if position.status not in PUBLIC_POSITION_STATUSES else Forbidden

    async def update(self, actor: User, position_id: UUID, data: Mapping[str, Any]) -> Position:
        position = await self.get(position_id, lock=True)
        await self._require_member(actor, position)
        if position.status is PositionStatus.TAKEN_DOWN:
            raise FormError({"title": _("An admin took this position down; it can no longer be changed.")})
        self._apply(position, validate_position(data))
        await self.db.flush()
        await self._indexed(position)
        return position

    async def publish(self, actor: User, position_id: UUID) -> Position:
        position = await self.get(position_id, lock=True)
        await self._require_member(actor, position)
        if position.status is not PositionStatus.DRAFT:
            raise FormError({"status": _("Only a draft can be published.")})
        if position.deadline is not None and position.deadline < today():
            raise FormError({"deadline": _("The deadline has passed; choose a later one first.")})
        position.status = PositionStatus.OPEN
        position.published_at = now()
        await self.db.flush()
        await self._indexed(position)
        return position

    @staticmethod
    def _reason(raw: str) -> str:
        reason = clean_body(raw)
        if not reason:
            raise FormError({"reason": _("Give a reason; every applicant still waiting reads it.")})
        if len(reason) > REASON_MAX:
            raise FormError({"reason": _("Use at most %(n)s characters.", n=REASON_MAX)})
        return reason

    async def _end(self, actor: User, position: Position, status: PositionStatus, reason: str) -> None:
        from community.talent.services.applications import ApplicationService

        position.status = status
        position.closed_at = now()
        position.close_reason = reason
        await self.db.flush()
        await self._indexed(position)
        await ApplicationService(self.db).position_ended(actor, position, reason)

    async def close(self, actor: User, position_id: UUID, reason: str) -> Position:
        """Close a position: every application still waiting is answered with the reason."""
        text = self._reason(reason)
        position = await self.get(position_id, lock=True)
        await self._require_member(actor, position)
        if position.status not in (PositionStatus.DRAFT, PositionStatus.OPEN):
            raise FormError({"reason": _("This position is closed already.")})
        await self._end(actor, position, PositionStatus.CLOSED, text)
        return position

    async def take_down(self, admin: User, position_id: UUID, reason: str) -> Position:
        if not admin.is_admin:
            raise Forbidden
        text = self._reason(reason)
        position = await self.get(position_id, lock=True)
        if position.status is PositionStatus.TAKEN_DOWN:
            raise FormError({"reason": _("This position is taken down already.")})
        await self._end(admin, position, PositionStatus.TAKEN_DOWN, text)
        await NotificationService(self.db).notify_many(
            await self.organizations.member_ids(position.organization_id),
            "talent.position_taken_down",
            _("An admin took down “%(title)s”: %(reason)s", title=position.title, reason=text),
            position_url(position.id),
            actor_id=admin.id,
        )
        return position
