"""What the event zone's handlers are given: its services on the request's session, reminders as many hours
before an event as the app's settings say, and the public list's filters read once from the query string."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from community.events.inputs import EventFilters
from community.events.services.calendar import CalendarFeedService
from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService
from community.web import provide_service, provide_service_with_settings

Code = Annotated[str | None, QueryParameter()]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]


def event_filters(
    kind: Code = None,
    district: Code = None,
    mode: Code = None,
    audience: Code = None,
    when: Code = None,
    page: PageNumber = 1,
) -> EventFilters:
    return EventFilters.clean(
        kind=kind, district=district, mode=mode, audience=audience, when=when, page=page
    )


def event_api_filters(
    kind: Code = None,
    district: Code = None,
    mode: Annotated[str | None, QueryParameter(pattern="^(online|onsite)$")] = None,
    audience: Code = None,
    when: Annotated[str, QueryParameter(pattern="^(upcoming|past)$")] = "upcoming",
    page: PageNumber = 1,
) -> EventFilters:
    """The API's filters: the same, but a mode or a time it does not know is refused (400), not dropped
    as on the page, where a stale link should still show a list."""
    return EventFilters.clean(
        kind=kind, district=district, mode=mode, audience=audience, when=when, page=page
    )


DEPENDENCIES = {
    "events": provide_service_with_settings(
        lambda db, settings: EventService(db, reminder_hours=settings.events_reminder_hours)
    ),
    "registrations": provide_service_with_settings(
        lambda db, settings: RegistrationService(db, reminder_hours=settings.events_reminder_hours)
    ),
    "feeds": provide_service(CalendarFeedService),
    "filters": Provide(event_filters, sync_to_thread=False),
}
API_DEPENDENCIES = DEPENDENCIES | {"filters": Provide(event_api_filters, sync_to_thread=False)}

# Handler parameter types: the zone's services as its handlers receive them.
Events = NamedDependency[EventService]
Feeds = NamedDependency[CalendarFeedService]
Filters = NamedDependency[EventFilters]
Registrations = NamedDependency[RegistrationService]
