"""Who belongs to an organization: the members page, removing a member, leaving."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from community.accounts.models import MemberRole, Membership, Organization, User
from community.accounts.services.invitations import InvitationService
from community.accounts.services.organizations import OrganizationService
from community.accounts.views import MembersPage, MemberView
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession


class MembershipService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)

    async def members(self, org: Organization) -> list[MemberView]:
        rows = await self.db.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org.id)
            .order_by(Membership.role.desc(), Membership.created_at)
        )
        return [
            MemberView(user.id, user.display_name, user.email, membership.role, membership.created_at)
            for membership, user in rows
        ]

    async def page(self, user: User, org: Organization) -> MembersPage:
        """The members page, for the organization's members and site admins only."""
        access = await self.organizations.access(user, org)
        if not access.is_member:
            raise Forbidden
        invitations = await InvitationService(self.db).open_for(org) if access.is_owner else []
        return MembersPage(org, access, await self.members(org), invitations)

    async def remove(self, actor: User, org: Organization, user_id: UUID) -> None:
        """Owners remove members; anyone may leave. The last owner cannot leave the organization ownerless."""
        if actor.id != user_id:
            await self.organizations.require_owner(actor, org)
        # One membership change per organization at a time: two owners removing each other at the same
        # moment must not leave it without an owner.
        await self.db.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
        membership = await self.db.scalar(
            select(Membership)
            .where(Membership.organization_id == org.id, Membership.user_id == user_id)
            .with_for_update()
        )
        if membership is None:
            raise NotFound
        if membership.role is MemberRole.OWNER:
            owners = await self.db.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.organization_id == org.id, Membership.role == MemberRole.OWNER)
            )
            if (owners or 0) <= 1:
                raise FormError({"member": _("An organization needs at least one owner.")})
        await self.db.delete(membership)
        await self.db.flush()
