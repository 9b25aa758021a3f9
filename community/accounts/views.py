"""What the accounts pages show: who may do what with an organization, its members, an invitation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from community.accounts.models import MemberRole

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from community.accounts.models import Invitation, Organization


@dataclass(frozen=True)
class OrgAccess:
    """One person and one organization: its members (and site admins) read its private pages, its owners
    (and site admins) change it and decide who belongs."""

    role: MemberRole | None
    is_admin: bool = False

    @property
    def is_member(self) -> bool:
        return self.role is not None or self.is_admin

    @property
    def is_owner(self) -> bool:
        return self.role is MemberRole.OWNER or self.is_admin


@dataclass(frozen=True)
class MemberView:
    user_id: UUID
    display_name: str
    email: str
    role: MemberRole
    joined_at: datetime


@dataclass(frozen=True)
class MembersPage:
    """An organization's members page: everyone in it, and for its owners the invitations still open."""

    org: Organization
    access: OrgAccess
    members: Sequence[MemberView]
    invitations: Sequence[Invitation]


@dataclass(frozen=True)
class InvitationView:
    """An invitation as the person following its link sees it, with why it cannot be accepted (if so)."""

    invitation: Invitation
    problem: str | None

    @property
    def org(self) -> Organization:
        return self.invitation.organization
