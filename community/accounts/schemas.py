"""Shapes of the JSON API for accounts and organizations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from community.accounts.models import MemberRole, Organization, User


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
        return cls(
            slug=org.slug,
            name=org.name,
            org_type=org.org_type.value,
            summary=org.summary,
            district=org.district,
            website=org.website,
            created_at=org.created_at,
        )


class MembershipOut(msgspec.Struct):
    organization: OrganizationOut
    role: str


class MeOut(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    is_admin: bool
    organizations: list[MembershipOut]

    @classmethod
    def from_user(cls, user: User, memberships: list[tuple[Organization, MemberRole]]) -> MeOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            is_admin=user.is_admin,
            organizations=[MembershipOut(OrganizationOut.from_model(o), r.value) for o, r in memberships],
        )
