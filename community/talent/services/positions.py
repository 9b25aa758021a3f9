"""招聘岗位: positions that members of an organization post (OPCs first; any organization type may), who may
see and change them, closing them (every waiting application is answered) and taking them down."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import now, today
from community.kernel.models import Page, contains_pattern
from community.kernel.text import clean_line
from community.notifications.services import NotificationService
from community.search.services import enqueue_delete, enqueue_upsert
from community.talent import notices
from community.talent.documents import POSITION_DOC_TYPE, position_document, position_url
from community.talent.inputs import (
    QUERY_MAX,
    SKILL_MAX,
    PositionFilters,
    PositionInput,
    normalize_skill,
    note_text,
)
from community.talent.models import PUBLIC_POSITION_STATUSES, EmploymentType, Position, PositionStatus
from community.talent.services.common import JOB_EMBED, one_or_404, page_of
from community.talent.views import PositionAccess

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

REASON_MAX = 2000
PAGE_SIZE = 20


class PositionService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)

    # --- reading -------------------------------------------------------------------------------------------

    async def get(self, position_id: UUID, *, lock: bool = False) -> Position:
        position: Position = await one_or_404(
            self.db,
            select(Position).where(Position.id == position_id).options(selectinload(Position.organization)),
            lock_of=Position if lock else None,
        )
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
            query = query.where(Position.skills.contains([normalize_skill(filters.skill)[:SKILL_MAX]]))
        if filters.district:
            query = query.where(or_(Position.district == filters.district, Position.remote.is_(True)))
        if filters.remote:
            query = query.where(Position.remote.is_(True))
        if filters.employment_type:
            query = query.where(Position.employment_type == EmploymentType(filters.employment_type))
        q = clean_line(filters.q)[:QUERY_MAX]
        if q:
            pattern = contains_pattern(q)
            query = query.where(
                or_(
                    Position.title.ilike(pattern),
                    Organization.name.ilike(pattern),
                    Position.skills.contains([normalize_skill(q)[:SKILL_MAX]]),
                )
            )
        return await page_of(
            self.db,
            query,
            filters.page,
            per_page,
            Position.published_at.desc().nulls_last(),
            Position.id.desc(),
            options=[selectinload(Position.organization)],
        )

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

    @staticmethod
    def _apply(position: Position, values: PositionInput) -> None:
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
        values = PositionInput.parse(data)
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
            self._open(position)
        self.db.add(position)
        await self.db.flush()
        await self._indexed(position)
        return position

    async def _require_member(self, actor: User, position: Position) -> None:
        if await self.organizations.role_of(actor, position.organization) is None:
            if actor.is_admin:
                raise Forbidden
            raise NotFound if position.status not in PUBLIC_POSITION_STATUSES else Forbidden

    async def get_to_manage(self, actor: User, position_id: UUID, *, lock: bool = False) -> Position:
        """A position its organization's member may change; for anyone else forbidden, or, when they may not
        even see it, not found."""
        position = await self.get(position_id, lock=lock)
        await self._require_member(actor, position)
        return position

    @staticmethod
    def _open(position: Position) -> None:
        if position.deadline is not None and position.deadline < today():
            raise FormError({"deadline": _("The deadline has passed; choose a later one first.")})
        position.status = PositionStatus.OPEN
        position.published_at = now()

    async def update(
        self, actor: User, position_id: UUID, data: Mapping[str, Any], *, publish: bool = False
    ) -> Position:
        """Change a position; ``publish`` publishes it too when it is a draft."""
        position = await self.get_to_manage(actor, position_id, lock=True)
        if position.status is PositionStatus.TAKEN_DOWN:
            raise FormError({"title": _("An admin took this position down; it can no longer be changed.")})
        self._apply(position, PositionInput.parse(data))
        if publish and position.status is PositionStatus.DRAFT:
            self._open(position)
        await self.db.flush()
        await self._indexed(position)
        return position

    async def publish(self, actor: User, position_id: UUID) -> Position:
        position = await self.get_to_manage(actor, position_id, lock=True)
        if position.status is not PositionStatus.DRAFT:
            raise FormError({"status": _("Only a draft can be published.")})
        self._open(position)
        await self.db.flush()
        await self._indexed(position)
        return position

    @staticmethod
    def _reason(raw: str) -> str:
        required = _("Give a reason; every applicant still waiting reads it.")
        return note_text(raw, "reason", maximum=REASON_MAX, required=required)

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
        position = await self.get_to_manage(actor, position_id, lock=True)
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
            notices.POSITION_TAKEN_DOWN,
            position_url(position.id),
            {"title": position.title, "reason": text},
            actor_id=admin.id,
        )
        return position
