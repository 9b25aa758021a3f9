"""What the event zone's handlers are given: its services on the request's session, and form helpers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings
from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _reminder_hours(request: Request[Any, Any, Any]) -> int:
    settings: Settings = request.app.state.settings
    return settings.events_reminder_hours


async def provide_events(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> EventService:
    return EventService(db_session, reminder_hours=_reminder_hours(request))


async def provide_registrations(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> RegistrationService:
    return RegistrationService(db_session, reminder_hours=_reminder_hours(request))


DEPENDENCIES = {
    "events": Provide(provide_events),
    "registrations": Provide(provide_registrations),
}


def field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: the last one wins, as in a browser
        value = value[-1] if value else ""
    return str(value)


def form_of(data: dict[str, Any], *lists: str) -> dict[str, Any]:
    """What the person typed, to show the form again with every field kept."""
    form: dict[str, Any] = {
        key: field(data, key) for key in data if key not in lists and key != "_csrf_token"
    }
    for name in lists:
        value = data.get(name, [])
        form[name] = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])
    return form
