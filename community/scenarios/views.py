"""What the scenario zone's services hand to pages: who may do what with a scenario, its timeline, and the
interest of OPCs as the owner and as each OPC sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from community.kernel.clock import today
from community.scenarios.models import InterestStatus

if TYPE_CHECKING:
    from uuid import UUID

    from community.accounts.models import Organization
    from community.scenarios.models import CapabilityProfile, Interest, InterestEvent, ScenarioEvent

# One interest's history: each step with the name of who took it (None: the site, or a deleted account).
History = dict["UUID", list[tuple["InterestEvent", "str | None"]]]


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


@dataclass(frozen=True)
class InterestView:
    """An interest as its scenario's owner sees it: the OPC, its profile and the history of answers."""

    interest: Interest
    organization: Organization
    profile: CapabilityProfile | None

    @property
    def overdue(self) -> bool:
        return self.interest.status is InterestStatus.PENDING and self.interest.respond_by < today()


@dataclass(frozen=True)
class InterestPanel:
    """The interest part of a scenario's page: every OPC's interest for the owner and the admins; the
    viewer's own OPCs' interests; and the viewer's OPCs that may still express one."""

    received: list[InterestView] = field(default_factory=list)
    received_history: History = field(default_factory=dict)
    own: list[Interest] = field(default_factory=list)
    own_history: History = field(default_factory=dict)
    can_express: list[Organization] = field(default_factory=list)

    @property
    def shortlisted(self) -> list[InterestView]:
        """The OPCs a scenario may land with."""
        return [v for v in self.received if v.interest.status is InterestStatus.SHORTLISTED]
