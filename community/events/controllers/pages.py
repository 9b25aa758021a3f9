"""Event pages: the list (upcoming first, filters, past events), an event with register / cancel, the
member's own registrations, the organizer's forms and registrations, and the iCalendar downloads."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.config import Settings
from community.errors import Forbidden, FormError, NotFound
from community.events.controllers.deps import DEPENDENCIES, Form, field, form_of
from community.events.labels import audience_choices, kind_choices, label
from community.events.models import Audience, Event, EventKind, RegistrationStatus
from community.events.services.calendar import CalendarEntry, calendar_bytes
from community.events.services.common import local_input
from community.events.services.events import EventFilters, EventInput, EventService, event_url
from community.events.services.registrations import RegistrationService, RegistrationState, attendees_csv
from community.events.services.tokens import feed_token, read_feed_token
from community.i18n import _
from community.markup import markdown_html
from community.vocabulary import DISTRICTS, org_type_choices
from community.web import render

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _form_of(event: Event) -> dict[str, Any]:
    return {
        "organization": str(event.organization_id),
        "kind": event.kind.value,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "starts_at": local_input(event.starts_at),
        "ends_at": local_input(event.ends_at),
        "registration_deadline": local_input(event.registration_deadline),
        "mode": "online" if event.online else "onsite",
        "address": event.address,
        "district": event.district or "",
        "online_url": event.online_url,
        "capacity": str(event.capacity),
        "audience": event.audience.value,
        "audience_org_types": list(event.audience_org_types),
    }


def state_message(state: RegistrationState) -> str:
    if state.status is RegistrationStatus.REGISTERED:
        return _("You are registered. A reminder comes by email before the event.")
    return _(
        "The event is full: you are number %(n)s on the waiting list. "
        "If a place frees up, you get it and we tell you.",
        n=state.position,
    )


def _ics(body: bytes, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class EventController(Controller):
    path = "/events"
    dependencies = DEPENDENCIES

    @get("/", name="events")
    async def index(
        self,
        request: Request[Any, Any, Any],
        events: NamedDependency[EventService],
        kind: Annotated[str | None, QueryParameter()] = None,
        district: Annotated[str | None, QueryParameter()] = None,
        mode: Annotated[str | None, QueryParameter()] = None,
        audience: Annotated[str | None, QueryParameter()] = None,
        when: Annotated[str | None, QueryParameter()] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = EventFilters.clean(
            kind=kind, district=district, mode=mode, audience=audience, when=when, page=page
        )
        listing = await events.list_public(filters)

        def chips(name: str, options: list[tuple[str, str]]) -> list[tuple[str, str, bool]]:
            current = getattr(filters, name)
            return [
                (
                    text,
                    "/events?"
                    + urlencode(
                        filters.as_query(**{name: None if current == value else value, "page": None})
                    ),
                    current == value,
                )
                for value, text in options
            ]

        groups = [
            (_("Kind"), chips("kind", kind_choices())),
            (_("On site or online"), chips("mode", [("onsite", _("On site")), ("online", _("Online"))])),
            (_("Who may register"), chips("audience", audience_choices())),
            (_("District"), chips("district", [(d, d) for d in DISTRICTS])),
        ]
        return render(
            request, "events/list.html", listing=listing, filters=filters, filter_groups=groups, label=label
        )

    @get("/calendar.ics", name="events-calendar")
    async def calendar(
        self, request: Request[Any, Any, Any], events: NamedDependency[EventService]
    ) -> Response[bytes]:
        settings = _settings(request)
        listing = await events.list_public(EventFilters(), per_page=500)
        entries = [CalendarEntry(card.event, card.organization) for card in listing.items]
        return _ics(calendar_bytes(entries, settings.base_url, settings.site_name), "opc-events.ics")

    @get("/my-calendar/{token:str}", name="events-my-calendar")
    async def my_calendar(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Response[bytes]:
        settings = _settings(request)
        user_id = read_feed_token(settings.secret_key, token.removesuffix(".ics"))
        user = await events.db.get(User, user_id) if user_id else None
        if user is None:
            raise NotFoundException
        entries = []
        for mine in await registrations.mine(user):
            org = await events.organizations.by_id(mine.event.organization_id)
            held = mine.registration.status is RegistrationStatus.REGISTERED
            entries.append(CalendarEntry(mine.event, org.name, show_link=held))
        return _ics(calendar_bytes(entries, settings.base_url, settings.site_name), "my-events.ics")

    @get("/mine", name="events-mine", guards=[requires_login])
    async def mine(
        self,
        request: Request[User, Any, Any],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Template:
        settings = _settings(request)
        token = feed_token(settings.secret_key, request.user.id)
        return render(
            request,
            "events/mine.html",
            registrations=await registrations.mine(request.user),
            managed=await events.manageable(request.user),
            may_publish=bool(await events.organizer_choices(request.user)),
            feed_url=settings.base_url.rstrip("/") + f"/events/my-calendar/{token}.ics",
            label=label,
        )

    def _form_page(
        self,
        request: Request[Any, Any, Any],
        *,
        mode: str,
        organizers: list[Any],
        form: dict[str, Any],
        errors: dict[str, str] | None = None,
        event: Event | None = None,
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "events/form.html",
            status_code,
            mode=mode,
            event=event,
            organizers=organizers,
            form=form,
            errors=errors or {},
            kinds=kind_choices(),
            audiences=audience_choices(),
            org_types=org_type_choices(),
            districts=DISTRICTS,
        )

    @get("/new", name="event-new", guards=[requires_login])
    async def new_form(
        self, request: Request[User, Any, Any], events: NamedDependency[EventService]
    ) -> Template:
        organizers = await events.organizer_choices(request.user)
        form: dict[str, Any] = {
            "organization": str(organizers[0].id) if len(organizers) == 1 else "",
            "kind": EventKind.TRAINING.value,
            "mode": "onsite",
            "audience": Audience.EVERYONE.value,
            "audience_org_types": [],
        }
        return self._form_page(request, mode="new", organizers=organizers, form=form)

    @post("/new", guards=[requires_login])
    async def create(
        self, request: Request[User, Any, Any], data: Form, events: NamedDependency[EventService]
    ) -> Response[Any]:
        organizers = await events.organizer_choices(request.user)
        publish = field(data, "action") == "publish"
        try:
            event = await events.create(request.user, EventInput.from_mapping(data), publish=publish)
        except FormError as exc:
            return self._form_page(
                request,
                mode="new",
                organizers=organizers,
                form=form_of(data, "audience_org_types"),
                errors=exc.errors,
                status_code=400,
            )
        flash(
            request,
            _("Published. Members can register now.")
            if publish
            else _("Draft saved. Publish it when it is ready."),
            "success",
        )
        return Redirect(event_url(event))

    @get("/{event_id:uuid}", name="event")
    async def show(
        self,
        request: Request[Any, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        event, org, access = await events.get_for(viewer, event_id)
        state = await registrations.state_of(viewer.id, event.id) if viewer else None
        holds = state is not None and state.status is not RegistrationStatus.CANCELLED
        refusal = None
        if viewer and not holds:
            refusal = await registrations.refusal(viewer, event)
        return render(
            request,
            "events/detail.html",
            event=event,
            org=org,
            access=access,
            state=state if holds else None,
            refusal=refusal,
            waiting=await events.waiting_count(event.id),
            places_left=max(0, event.capacity - event.registered_count),
            description_html=markdown_html(event.description),
            show_link=access.can_manage
            or (state is not None and state.status is RegistrationStatus.REGISTERED),
            audience_types=[dict(org_type_choices()).get(t, t) for t in event.audience_org_types],
            label=label,
        )

    @get("/{event_id:uuid}/event.ics", name="event-ics")
    async def event_ics(
        self,
        request: Request[Any, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Response[bytes]:
        viewer: User | None = request.scope.get("user")
        event, org, access = await events.get_for(viewer, event_id)
        state = await registrations.state_of(viewer.id, event.id) if viewer else None
        show_link = access.can_manage or (state is not None and state.status is RegistrationStatus.REGISTERED)
        settings = _settings(request)
        body = calendar_bytes(
            [CalendarEntry(event, org.name, show_link)], settings.base_url, settings.site_name
        )
        return _ics(body, f"event-{event.id}.ics")

    @post("/{event_id:uuid}/register", guards=[requires_login])
    async def register(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        registrations: NamedDependency[RegistrationService],
    ) -> Redirect:
        try:
            state = await registrations.register(request.user, event_id)
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(event_url(event_id))
        flash(request, state_message(state), "success")
        return Redirect(event_url(event_id))

    @post("/{event_id:uuid}/unregister", guards=[requires_login])
    async def unregister(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        registrations: NamedDependency[RegistrationService],
    ) -> Redirect:
        try:
            await registrations.cancel(request.user, event_id)
        except NotFound as exc:
            raise NotFoundException from exc
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(event_url(event_id))
        flash(request, _("Your registration is cancelled."), "success")
        return Redirect(event_url(event_id))

    @get("/{event_id:uuid}/edit", name="event-edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
    ) -> Template:
        event = await self._managed(request.user, event_id, events)
        organizers = await events.organizer_choices(request.user)
        return self._form_page(request, mode="edit", organizers=organizers, form=_form_of(event), event=event)

    @post("/{event_id:uuid}/edit", guards=[requires_login])
    async def update(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        data: Form,
        events: NamedDependency[EventService],
    ) -> Response[Any]:
        event = await self._managed(request.user, event_id, events)
        try:
            await events.update(request.user, event_id, EventInput.from_mapping(data))
        except FormError as exc:
            return self._form_page(
                request,
                mode="edit",
                organizers=await events.organizer_choices(request.user),
                form=form_of(data, "audience_org_types"),
                errors=exc.errors,
                event=event,
                status_code=400,
            )
        flash(request, _("Saved."), "success")
        return Redirect(event_url(event_id))

    async def _managed(self, user: User, event_id: UUID, events: EventService) -> Event:
        try:
            return await events.get_managed(user, event_id)
        except NotFound as exc:
            raise NotFoundException from exc
        except Forbidden as exc:
            raise PermissionDeniedException from exc

    @post("/{event_id:uuid}/publish", guards=[requires_login])
    async def publish(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
    ) -> Redirect:
        await self._managed(request.user, event_id, events)
        try:
            await events.publish(request.user, event_id)
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(event_url(event_id))
        flash(request, _("Published. Members can register now."), "success")
        return Redirect(event_url(event_id))

    @post("/{event_id:uuid}/cancel", guards=[requires_login])
    async def cancel(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        data: Form,
        events: NamedDependency[EventService],
    ) -> Redirect:
        await self._managed(request.user, event_id, events)
        try:
            await events.cancel(request.user, event_id, field(data, "reason"))
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(event_url(event_id))
        flash(request, _("The event is cancelled; everyone registered is told, with your reason."), "success")
        return Redirect(event_url(event_id))

    @get("/{event_id:uuid}/registrations", name="event-registrations", guards=[requires_login])
    async def registrations_page(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Template:
        event = await self._managed(request.user, event_id, events)
        people = await registrations.attendees(event)
        return render(
            request,
            "events/registrations.html",
            event=event,
            registered=[p for p in people if p.registration.status is RegistrationStatus.REGISTERED],
            waiting=[p for p in people if p.registration.status is RegistrationStatus.WAITING],
            label=label,
        )

    @get("/{event_id:uuid}/attendees.csv", name="event-attendees-csv", guards=[requires_login])
    async def attendees_download(
        self,
        request: Request[User, Any, Any],
        event_id: FromPath[UUID],
        events: NamedDependency[EventService],
        registrations: NamedDependency[RegistrationService],
    ) -> Response[bytes]:
        event = await self._managed(request.user, event_id, events)
        people = await registrations.attendees(event)
        body = attendees_csv(people, {s: label(s) for s in RegistrationStatus})
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(event.title[:60])}.csv"},
        )
