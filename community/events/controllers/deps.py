"""What the event zone's handlers are given: its services on the request's session, reminders as many hours
before an event as the app's settings say."""

from __future__ import annotations

from litestar.di import NamedDependency

from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService
from community.web import provide_service_with_settings

DEPENDENCIES = {
    "events": provide_service_with_settings(
        lambda db, settings: EventService(db, reminder_hours=settings.events_reminder_hours)
    ),
    "registrations": provide_service_with_settings(
        lambda db, settings: RegistrationService(db, reminder_hours=settings.events_reminder_hours)
    ),
}

# Handler parameter types: the zone's services as its handlers receive them.
Events = NamedDependency[EventService]
Registrations = NamedDependency[RegistrationService]
