"""What the event zone's services hand the pages and the API: an event as a viewer may see it, what the
viewer may do with it, a registration with its place in the queue, the organizer's list of people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from community.events.models import RegistrationStatus

if TYPE_CHECKING:
    from community.accounts.models import Organization
    from community.events.models import Event, Registration


@dataclass(frozen=True)
class EventAccess:
    is_organizer: bool
    is_admin: bool

    @property
    def can_manage(self) -> bool:
        return self.is_organizer or self.is_admin


@dataclass(frozen=True)
class RegistrationState:
    registration: Registration
    # 1 for the first person waiting; None when registered or cancelled.
    position: int | None

    @property
    def status(self) -> RegistrationStatus:
        return self.registration.status


@dataclass(frozen=True)
class EventCard:
    event: Event
    organization: str
    waiting: int

    @property
    def places_left(self) -> int:
        return max(0, self.event.capacity - self.event.registered_count)


@dataclass(frozen=True)
class EventView:
    """An event as one viewer sees it: the viewer's registration (a cancelled one too, or None), and why
    they may not register when that was asked."""

    event: Event
    organization: Organization
    access: EventAccess
    state: RegistrationState | None
    waiting: int
    refusal: str | None = None

    @property
    def places_left(self) -> int:
        return max(0, self.event.capacity - self.event.registered_count)

    @property
    def active_state(self) -> RegistrationState | None:
        """The viewer's place or place in the queue; None when they hold neither."""
        if self.state is None or self.state.status is RegistrationStatus.CANCELLED:
            return None
        return self.state

    @property
    def holds_place(self) -> bool:
        return self.state is not None and self.state.status is RegistrationStatus.REGISTERED

    @property
    def show_link(self) -> bool:
        """The online link goes only to people holding a place and to the organizer."""
        return self.access.can_manage or self.holds_place


@dataclass(frozen=True)
class Attendee:
    registration: Registration
    name: str
    email: str
    organizations: str
    position: int | None


@dataclass(frozen=True)
class MyRegistration:
    registration: Registration
    event: Event
    position: int | None
