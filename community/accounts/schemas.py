"""Shapes of the JSON API for accounts and organizations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from community.accounts.models import MemberRole, Organization, User

T = TypeVar("T")


class _Attributes:
    """An object's attributes, with some given instead (what an output has that the object has not)."""

    __slots__ = ("_given", "_obj")

    def __init__(self, obj: object, given: dict[str, Any]) -> None:
        self._obj = obj
        self._given = given

    def __getattr__(self, name: str) -> Any:
        return self._given[name] if name in self._given else getattr(self._obj, name)


def from_attributes(cls: type[T], obj: object, /, **given: Any) -> T:
    """An output struct of the JSON API from the attributes of the same names of ``obj`` (a row, a view),
    by msgspec's own conversion: checked against the struct's types (a ``StrEnum`` fills a ``str`` field and
    is sent as its value; nested structs are converted the same way); ``given`` holds the fields the object
    has not, or has otherwise."""
    return msgspec.convert(_Attributes(obj, given) if given else obj, cls, from_attributes=True)


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


class MeOut(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    is_admin: bool
    organizations: list[MembershipOut]

    @classmethod
    def from_user(cls, user: User, memberships: list[tuple[Organization, MemberRole]]) -> MeOut:
        organizations = [MembershipOut(OrganizationOut.from_model(o), r.value) for o, r in memberships]
        return from_attributes(cls, user, organizations=organizations)
