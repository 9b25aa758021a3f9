"""JSON API (/api/v1) for events: the published events and a member's registration.

Errors are problem details: a refused registration is 400 with the reason under ``errors``; registering
twice is 409; a draft of someone else's is 404 (as if it did not exist).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from community.accounts.guards import Member, requires_login
from community.events.controllers.deps import API_DEPENDENCIES, Events, Filters, Registrations
from community.events.documents import event_url
from community.events.models import Event
from community.events.services.registrations import AlreadyRegistered
from community.events.views import RegistrationState
from community.kernel.models import from_attributes
from community.web import Visitor, errors_text


class EventOut(msgspec.Struct):
    id: UUID
    kind: str
    title: str
    summary: str
    organization: str
    status: str
    starts_at: datetime
    ends_at: datetime
    registration_deadline: datetime
    online: bool
    address: str
    district: str | None
    capacity: int
    places_left: int
    waiting: int
    audience: str
    audience_org_types: list[str]
    url: str
    ics_url: str


class RegistrationOut(msgspec.Struct):
    event_id: UUID
    status: str
    # 1 for the first person waiting; null when registered or cancelled.
    waiting_position: int | None


class EventDetailOut(EventOut):
    description: str = ""
    # Only for people holding a place and for the organizer.
    online_url: str | None = None
    my_registration: RegistrationOut | None = None


class EventPageOut(msgspec.Struct):
    items: list[EventOut]
    total: int
    page: int
    pages: int


class ProblemOut(msgspec.Struct):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


PROBLEMS = {
    400: ResponseSpec(ProblemOut, description="Registration refused; the reason is under errors"),
    404: ResponseSpec(ProblemOut, description="No such event (or a draft of another organization)"),
    409: ResponseSpec(ProblemOut, description="Already registered or on the waiting list"),
}


def _event_out(event: Event, organization: str, waiting: int) -> EventOut:
    url = event_url(event)
    places_left = max(0, event.capacity - event.registered_count)
    return from_attributes(
        EventOut,
        event,
        organization=organization,
        places_left=places_left,
        waiting=waiting,
        url=url,
        ics_url=url + "/event.ics",
    )


def _registration_out(state: RegistrationState) -> RegistrationOut:
    return RegistrationOut(
        event_id=state.registration.event_id, status=state.status.value, waiting_position=state.position
    )


class EventApiController(Controller):
    path = "/api/v1/events"
    dependencies = API_DEPENDENCIES
    tags = ["events"]

    @get("/", summary="Published events, upcoming first (or past ones with when=past)")
    async def list_events(self, events: Events, filters: Filters) -> EventPageOut:
        listing = await events.list_public(filters)
        return EventPageOut(
            items=[_event_out(c.event, c.organization, c.waiting) for c in listing.items],
            total=listing.total,
            page=listing.page,
            pages=listing.pages,
        )

    @get("/{event_id:uuid}", summary="One event", responses={404: PROBLEMS[404]})
    async def get_event(self, request: Visitor, event_id: FromPath[UUID], events: Events) -> EventDetailOut:
        view = await events.view(request.scope.get("user"), event_id)
        event = view.event
        base = _event_out(event, view.organization.name, view.waiting)
        return from_attributes(
            EventDetailOut,
            base,
            description=event.description,
            online_url=event.online_url if event.online and view.show_link else None,
            my_registration=_registration_out(view.state) if view.state else None,
        )

    @post(
        "/{event_id:uuid}/registration",
        guards=[requires_login],
        status_code=201,
        summary="Register the caller: a place if one is free, else the end of the waiting list",
        responses=PROBLEMS,
    )
    async def register(
        self, request: Member, event_id: FromPath[UUID], registrations: Registrations
    ) -> RegistrationOut:
        try:
            state = await registrations.register(request.user, event_id)
        except AlreadyRegistered as exc:  # a conflict, not a refusal: the site's handler would answer 400
            raise HTTPException(status_code=409, detail=errors_text(exc)) from exc
        return _registration_out(state)

    @delete(
        "/{event_id:uuid}/registration",
        guards=[requires_login],
        status_code=200,
        summary="Cancel the caller's registration; the first person waiting moves up",
        responses={400: PROBLEMS[400], 404: PROBLEMS[404]},
    )
    async def unregister(
        self, request: Member, event_id: FromPath[UUID], registrations: Registrations
    ) -> RegistrationOut:
        return _registration_out(await registrations.cancel(request.user, event_id))
