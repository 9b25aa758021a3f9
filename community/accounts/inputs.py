"""What the accounts pages read from a form or a query string, in one shape each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from community.accounts.models import OrgType
from community.kernel.models import page_number
from community.web import field

if TYPE_CHECKING:
    from community.accounts.models import Organization

ORG_TYPES = frozenset(t.value for t in OrgType)


@dataclass(frozen=True)
class OrganizationInput:
    """An organization's form as typed; ``OrganizationService`` cleans and checks it."""

    name: str = ""
    org_type: str = ""
    slug: str = ""
    summary: str = ""
    district: str = ""
    website: str = ""
    contact_email: str = ""
    internal_notes: str = ""

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> OrganizationInput:
        return cls(**{f.name: field(data, f.name) for f in fields(cls)})

    @classmethod
    def of(cls, org: Organization) -> OrganizationInput:
        """What the edit form starts with: the organization as it is."""
        values = {f.name: getattr(org, f.name) or "" for f in fields(cls)}
        return cls(**{**values, "org_type": org.org_type.value})

    def as_form(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class OrganizationFilters:
    """The organizations listing: one type or all, and a page."""

    org_type: str | None = None
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> OrganizationFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        org_type = values.get("org_type")
        return cls(org_type=org_type if org_type in ORG_TYPES else None, page=page_number(values.get("page")))

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {"type": self.org_type, "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}
