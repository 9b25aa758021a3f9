"""Shapes of the JSON API for accounts and organizations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from community.accounts.models import MemberRole, Organization, User
from community.kernel.models import from_attributes


class OrganizationOut(msgspec.Struct):
    slug: str
    name: str
    org_type: str
    summary: str
    district: str | None
    website: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, org: Organization) -> OrganizationOut:
        return from_attributes(cls, org)


class MembershipOut(msgspec.Struct):
    organization: OrganizationOut
    role: str


class HandleOut(msgspec.Struct):
    """A member as the mention picker shows them: their handle and name, nothing else."""

    handle: str
    display_name: str


class MeOut(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    handle: str
    is_admin: bool
    organizations: list[MembershipOut]

    @classmethod
    def from_user(cls, user: User, memberships: list[tuple[Organization, MemberRole]]) -> MeOut:
        organizations = [MembershipOut(OrganizationOut.from_model(o), r.value) for o, r in memberships]
        return from_attributes(cls, user, organizations=organizations)
