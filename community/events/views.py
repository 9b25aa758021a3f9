"""What the event zone's services hand the pages and the API: an event as a viewer may see it, what the
viewer may do with it, a registration with its place in the queue, the organizer's list of people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from community.events.models import EventStatus, RegistrationStatus
from community.i18n import _
from community.web.charts import Chart, Series

if TYPE_CHECKING:
    from collections.abc import Sequence

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


ATTENDANCE_CHART_EVENTS = 12  # the organizer's chart shows this many events, the latest first


def attendance_chart(cards: Sequence[EventCard]) -> Chart:
    """Registrations against capacity: for each event, the places taken, the places left and the people
    waiting beyond them; cancelled events are left out."""
    shown = [c for c in cards if c.event.status is not EventStatus.CANCELLED][:ATTENDANCE_CHART_EVENTS]
    return Chart(
        id="chart-attendance",
        title=_("Registrations against capacity"),
        description=_(
            "For each event, the places taken, the places still free (together, its capacity) and the people "
            "on the waiting list; the figures are in the table that follows."
        ),
        kind="bars",
        series=[
            Series("registered", _("Registered")),
            Series("left", _("Places left")),
            Series("waiting", _("Waiting list")),
        ],
        categories=[c.event.title for c in shown],
        values=[(c.event.registered_count, c.places_left, c.waiting) for c in shown],
    )
