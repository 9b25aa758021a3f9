"""Event pages: the list (upcoming first, filters, past events), an event with register / cancel, the
member's own registrations, the organizer's forms and registrations, and the iCalendar downloads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.accounts.models import User
from community.errors import FormError
from community.events.controllers.deps import DEPENDENCIES, Events, Feeds, Filters, Registrations
from community.events.documents import event_url
from community.events.inputs import EventFilters, EventInput
from community.events.labels import audience_choices, kind_choices, label
from community.events.models import Audience, Event, EventKind, RegistrationStatus
from community.events.services.calendar import CalendarEntry, calendar_bytes
from community.events.services.events import EventService
from community.events.services.registrations import attendees_csv
from community.events.views import EventCard, RegistrationState, attendance_chart
from community.i18n import _
from community.kernel.clock import today
from community.kernel.exports import CSV_MEDIA_TYPE, content_disposition, download_name
from community.markup import markdown_html
from community.vocabulary import DISTRICTS, district_choices, org_type_choices
from community.web import (
    Form,
    Visitor,
    act,
    errors_text,
    field,
    filter_chips,
    form_of,
    form_or_redirect,
    render,
    settings_of,
    shared_fragment,
)

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
FORM_TEMPLATE = "events/form.html"


def state_message(state: RegistrationState) -> str:
    if state.status is RegistrationStatus.REGISTERED:
        return _("You are registered. A reminder comes by email before the event.")
    return _(
        "The event is full: you are number %(n)s on the waiting list. "
        "If a place frees up, you get it and we tell you.",
        n=state.position,
    )


def _ics(request: Visitor, entries: Sequence[CalendarEntry], filename: str) -> Response[bytes]:
    settings = settings_of(request)
    return Response(
        calendar_bytes(entries, settings.base_url, settings.site_name),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename, filename)},
    )


def _filter_groups(filters: EventFilters) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    return filter_chips(
        filters,
        "/events",
        [
            (_("Kind"), "kind", kind_choices()),
            (_("On site or online"), "mode", [("onsite", _("On site")), ("online", _("Online"))]),
            (_("Who may register"), "audience", audience_choices()),
            (_("District"), "district", district_choices()),
        ],
    )


async def _form_context(events: EventService, user: User, event: Event | None = None) -> dict[str, Any]:
    return {
        "mode": "new" if event is None else "edit",
        "event": event,
        "organizers": await events.organizer_choices(user),
        "kinds": kind_choices(),
        "audiences": audience_choices(),
        "org_types": org_type_choices(),
        "districts": DISTRICTS,
    }


class EventController(Controller):
    path = "/events"
    dependencies = DEPENDENCIES

    @get("/", name="events")
    async def index(self, request: Visitor, events: Events, filters: Filters) -> Template:
        async def public_part() -> dict[str, Any]:
            return {
                "listing": await events.list_public(filters),
                "filters": filters,
                "filter_groups": _filter_groups(filters),
                "label": label,
            }

        # Everyone's list: rendered once per interval or change, per language (web.fragments).
        key = f"/events?{urlencode(filters.as_query())}&today={today().isoformat()}"
        shared = await shared_fragment(request, "events/_list_shared.html", key, public_part)
        return render(request, "events/list.html", filters=filters, shared=shared)

    @get("/calendar.ics", name="events-calendar")
    async def calendar(self, request: Visitor, events: Events) -> Response[bytes]:
        return _ics(request, await events.public_calendar(), "opc-events.ics")

    @get("/my-calendar/{token:str}", name="events-my-calendar")
    async def my_calendar(
        self, request: Visitor, token: FromPath[str], events: Events, feeds: Feeds
    ) -> Response[bytes]:
        """A member's own feed, for a calendar app (no login). A reset address is "not found"."""
        user_id = await feeds.member_of(settings_of(request).secret_key, token.removesuffix(".ics"))
        return _ics(request, await events.member_calendar(user_id), "my-events.ics")

    @post("/mine/calendar/reset", name="events-calendar-reset", guards=[requires_login])
    async def reset_calendar(self, request: Member, feeds: Feeds) -> Redirect:
        """A new address for the member's own feed; the old one stops working at once."""
        return await act(
            request,
            lambda: feeds.reset(request.user.id),
            done=_("Your calendar address is new. The old one no longer works: add the new one to your app."),
            redirect_to="/events/mine#calendar",
        )

    @get("/mine", name="events-mine", guards=[requires_login])
    async def mine(
        self, request: Member, events: Events, registrations: Registrations, feeds: Feeds
    ) -> Template:
        settings = settings_of(request)
        token = await feeds.token_for(settings.secret_key, request.user.id)
        managed = await events.manageable(request.user)
        return render(
            request,
            "events/mine.html",
            registrations=await registrations.mine(request.user),
            managed=managed,
            attendance=attendance_chart(managed),
            may_publish=bool(await events.organizer_choices(request.user)),
            feed_url=settings.base_url.rstrip("/") + f"/events/my-calendar/{token}.ics",
            label=label,
        )

    @get("/new", name="event-new", guards=[requires_login])
    async def new_form(self, request: Member, events: Events) -> Template:
        context = await _form_context(events, request.user)
        organizers = context["organizers"]
        form = EventInput(
            organization=str(organizers[0].id) if len(organizers) == 1 else "",
            kind=EventKind.TRAINING.value,
            audience=Audience.EVERYONE.value,
        )
        return render(request, FORM_TEMPLATE, form=asdict(form), **context)

    @post("/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, events: Events) -> Template | Redirect:
        publish = field(data, "action") == "publish"
        return await form_or_redirect(
            request,
            lambda: events.create(request.user, EventInput.from_mapping(data), publish=publish),
            template=FORM_TEMPLATE,
            form=form_of(data, "audience_org_types"),
            done=_("Published. Members can register now.")
            if publish
            else _("Draft saved. Publish it when it is ready."),
            redirect_to=event_url,
            context=lambda: _form_context(events, request.user),
        )

    @get("/{event_id:uuid}", name="event")
    async def show(self, request: Visitor, event_id: FromPath[UUID], events: Events) -> Template:
        view = await events.view(request.scope.get("user"), event_id, with_refusal=True)
        event = view.event
        return render(
            request,
            "events/detail.html",
            event=event,
            org=view.organization,
            access=view.access,
            state=view.active_state,
            refusal=view.refusal,
            waiting=view.waiting,
            places_left=view.places_left,
            description_html=markdown_html(event.description),
            show_link=view.show_link,
            audience_types=[dict(org_type_choices()).get(t, t) for t in event.audience_org_types],
            label=label,
        )

    @get("/{event_id:uuid}/event.ics", name="event-ics")
    async def event_ics(self, request: Visitor, event_id: FromPath[UUID], events: Events) -> Response[bytes]:
        view = await events.view(request.scope.get("user"), event_id)
        entry = CalendarEntry(view.event, view.organization.name, view.show_link)
        return _ics(request, [entry], f"event-{view.event.id}.ics")

    @post("/{event_id:uuid}/register", guards=[requires_login])
    async def register(
        self, request: Member, event_id: FromPath[UUID], registrations: Registrations
    ) -> Redirect:
        # Not ``act``: what is flashed depends on the outcome (a place, or a number on the waiting list).
        try:
            state = await registrations.register(request.user, event_id)
        except FormError as exc:
            flash(request, errors_text(exc), "error")
        else:
            flash(request, state_message(state), "success")
        return Redirect(event_url(event_id))

    @post("/{event_id:uuid}/unregister", guards=[requires_login])
    async def unregister(
        self, request: Member, event_id: FromPath[UUID], registrations: Registrations
    ) -> Redirect:
        return await act(
            request,
            lambda: registrations.cancel(request.user, event_id),
            done=_("Your registration is cancelled."),
            redirect_to=event_url(event_id),
        )

    @get("/{event_id:uuid}/edit", name="event-edit", guards=[requires_login])
    async def edit_form(self, request: Member, event_id: FromPath[UUID], events: Events) -> Template:
        event = await events.get_managed(request.user, event_id)
        context = await _form_context(events, request.user, event)
        return render(request, FORM_TEMPLATE, form=asdict(EventInput.of(event)), **context)

    @post("/{event_id:uuid}/edit", guards=[requires_login])
    async def update(
        self, request: Member, event_id: FromPath[UUID], data: Form, events: Events
    ) -> Template | Redirect:
        async def context() -> dict[str, Any]:
            return await _form_context(events, request.user, await events.get(event_id))

        return await form_or_redirect(
            request,
            lambda: events.update(request.user, event_id, EventInput.from_mapping(data)),
            template=FORM_TEMPLATE,
            form=form_of(data, "audience_org_types"),
            done=_("Saved."),
            redirect_to=event_url(event_id),
            context=context,
        )

    @post("/{event_id:uuid}/publish", guards=[requires_login])
    async def publish(self, request: Member, event_id: FromPath[UUID], events: Events) -> Redirect:
        return await act(
            request,
            lambda: events.publish(request.user, event_id),
            done=_("Published. Members can register now."),
            redirect_to=event_url(event_id),
        )

    @post("/{event_id:uuid}/cancel", guards=[requires_login])
    async def cancel(self, request: Member, event_id: FromPath[UUID], data: Form, events: Events) -> Redirect:
        return await act(
            request,
            lambda: events.cancel(request.user, event_id, field(data, "reason")),
            done=_("The event is cancelled; everyone registered is told, with your reason."),
            redirect_to=event_url(event_id),
        )

    @get("/{event_id:uuid}/registrations", name="event-registrations", guards=[requires_login])
    async def registrations_page(
        self, request: Member, event_id: FromPath[UUID], events: Events, registrations: Registrations
    ) -> Template:
        event = await events.get_managed(request.user, event_id)
        people = await registrations.attendees(event)
        waiting = [p for p in people if p.registration.status is RegistrationStatus.WAITING]
        return render(
            request,
            "events/registrations.html",
            event=event,
            registered=[p for p in people if p.registration.status is RegistrationStatus.REGISTERED],
            waiting=waiting,
            attendance=attendance_chart([EventCard(event, "", len(waiting))]),
            label=label,
        )

    @get("/{event_id:uuid}/attendees.csv", name="event-attendees-csv", guards=[requires_login])
    async def attendees_download(
        self, request: Member, event_id: FromPath[UUID], events: Events, registrations: Registrations
    ) -> Response[bytes]:
        event = await events.get_managed(request.user, event_id)
        body = attendees_csv(await registrations.attendees(event), {s: label(s) for s in RegistrationStatus})
        filename, fallback = download_name(event.title[:60], "csv", f"event-{event.id}")
        disposition = content_disposition(filename, fallback)
        return Response(body, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": disposition})
