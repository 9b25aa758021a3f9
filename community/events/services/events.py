"""Events: admins and members of organizations write, publish, change and cancel them; everyone reads the
published ones, upcoming first; search indexes what a visitor may read (never the online link)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from community.accounts.models import Organization, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.events import notices
from community.events.documents import EVENT_DOC_TYPE, event_document, event_url
from community.events.inputs import EventFilters, EventInput, cancel_reason
from community.events.models import Audience, Event, EventKind, EventStatus, Registration, RegistrationStatus
from community.events.services.calendar import CalendarEntry, calendar_view, revise
from community.events.services.registrations import JOB_CANCELLED, RegistrationService, get_event
from community.events.views import EventAccess, EventCard, EventView
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import now
from community.kernel.models import Page
from community.notifications.services import NotificationService
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

PAGE_SIZE = 20


def _waiting_count() -> Any:
    return (
        select(func.count())
        .where(Registration.event_id == Event.id, Registration.status == RegistrationStatus.WAITING)
        .correlate(Event)
        .scalar_subquery()
    )


class EventService:
    def __init__(self, db: AsyncSession, *, reminder_hours: int = 24) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.registrations = RegistrationService(db, reminder_hours=reminder_hours)

    # --- reading -----------------------------------------------------------------------------------------

    async def get(self, event_id: UUID, *, lock: bool = False) -> Event:
        return await get_event(self.db, event_id, lock=lock)

    async def access(self, viewer: User | None, event: Event) -> EventAccess:
        if viewer is None:
            return EventAccess(False, False)
        org = await self.organizations.by_id(event.organization_id)
        return EventAccess(await self.organizations.role_of(viewer, org) is not None, viewer.is_admin)

    async def get_for(self, viewer: User | None, event_id: UUID) -> tuple[Event, Organization, EventAccess]:
        """An event as the viewer may see it: drafts only for their organizer and admins."""
        event = await self.get(event_id)
        access = await self.access(viewer, event)
        if event.status is EventStatus.DRAFT and not access.can_manage:
            raise NotFound
        return event, await self.organizations.by_id(event.organization_id), access

    async def view(self, viewer: User | None, event_id: UUID, *, with_refusal: bool = False) -> EventView:
        """An event as the viewer may see it, with their registration; ``with_refusal``: also why they may not
        register, when they hold no place."""
        event, org, access = await self.get_for(viewer, event_id)
        state = await self.registrations.state_of(viewer.id, event.id) if viewer else None
        view = EventView(event, org, access, state, await self.waiting_count(event.id))
        if with_refusal and viewer is not None and view.active_state is None:
            view = replace(view, refusal=await self.registrations.refusal(viewer, event))
        return view

    async def get_managed(self, user: User, event_id: UUID, *, lock: bool = False) -> Event:
        event = await self.get(event_id, lock=lock)
        access = await self.access(user, event)
        if not access.can_manage:
            if event.status is EventStatus.DRAFT:
                raise NotFound
            raise Forbidden
        return event

    async def organizer_choices(self, user: User) -> list[Organization]:
        """Organizations the user may publish for: their own; an admin may publish for any."""
        if user.is_admin:
            return list(await self.db.scalars(select(Organization).order_by(Organization.name).limit(1000)))
        return [org for org, _role in await self.organizations.organizations_of(user)]

    async def list_public(self, filters: EventFilters, *, per_page: int = PAGE_SIZE) -> Page[EventCard]:
        where: list[Any] = [Event.status == EventStatus.PUBLISHED]
        current = now()
        if filters.when == "past":
            where.append(Event.ends_at < current)
            order = [Event.starts_at.desc(), Event.id]
        else:
            where.append(Event.ends_at >= current)
            order = [Event.starts_at, Event.id]
        if filters.kind:
            where.append(Event.kind == EventKind(filters.kind))
        if filters.district:
            where.append(Event.district == filters.district)
        if filters.mode:
            where.append(Event.online.is_(filters.mode == "online"))
        if filters.audience:
            where.append(Event.audience == Audience(filters.audience))
        total = int(await self.db.scalar(select(func.count()).select_from(Event).where(*where)) or 0)
        page = min(filters.page, max(1, -(-total // per_page)))
        rows = await self.db.execute(
            select(Event, Organization.name, _waiting_count())
            .join(Organization, Organization.id == Event.organization_id)
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        items = [EventCard(event, name, int(waiting or 0)) for event, name, waiting in rows]
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def upcoming(self, limit: int = 3) -> Sequence[EventCard]:
        return (await self.list_public(EventFilters(), per_page=limit)).items

    async def public_calendar(self) -> list[CalendarEntry]:
        """The feed of upcoming events anyone may subscribe to."""
        listing = await self.list_public(EventFilters(), per_page=500)
        return [CalendarEntry(card.event, card.organization) for card in listing.items]

    async def member_calendar(self, user_id: UUID | None) -> list[CalendarEntry]:
        """A member's own feed: the events they hold a place in (with the online link) or wait for."""
        user = await self.db.get(User, user_id) if user_id else None
        if user is None:
            raise NotFound
        entries = []
        for mine in await self.registrations.mine(user):
            org = await self.organizations.by_id(mine.event.organization_id)
            held = mine.registration.status is RegistrationStatus.REGISTERED
            entries.append(CalendarEntry(mine.event, org.name, show_link=held))
        return entries

    async def manageable(self, user: User) -> list[EventCard]:
        """Every event the user may manage, newest start first (an admin: all of them)."""
        query = (
            select(Event, Organization.name, _waiting_count())
            .join(Organization, Organization.id == Event.organization_id)
            .order_by(Event.starts_at.desc())
            .limit(500)
        )
        if not user.is_admin:
            org_ids = [org.id for org, _role in await self.organizations.organizations_of(user)]
            query = query.where(Event.organization_id.in_(org_ids))
        return [
            EventCard(event, name, int(waiting or 0)) for event, name, waiting in await self.db.execute(query)
        ]

    async def waiting_count(self, event_id: UUID) -> int:
        return int(
            await self.db.scalar(
                select(func.count()).where(
                    Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITING
                )
            )
            or 0
        )

    # --- writing -----------------------------------------------------------------------------------------

    async def _organizer(self, user: User, raw: str) -> Organization:
        choices = {str(org.id): org for org in await self.organizer_choices(user)}
        if raw not in choices:
            if len(choices) == 1 and not raw:
                return next(iter(choices.values()))
            raise FormError({"organization": _("Choose the organization that holds the event.")})
        return choices[raw]

    async def create(
        self, user: User, data: EventInput, *, publish: bool = False, allow_past: bool = False
    ) -> Event:
        errors: dict[str, str] = {}
        org: Organization | None = None
        try:
            org = await self._organizer(user, data.organization)
        except FormError as exc:
            errors.update(exc.errors)
        try:
            values = data.parse(allow_past=allow_past)
        except FormError as exc:
            errors.update(exc.errors)
        if errors or org is None:
            raise FormError(errors)
        event = Event(organization_id=org.id, created_by_id=user.id, status=EventStatus.DRAFT, **values)
        self.db.add(event)
        await self.db.flush()
        if publish:
            await self._publish(event, org)
        return event

    async def update(
        self, user: User, event_id: UUID, data: EventInput, *, allow_past: bool = False
    ) -> Event:
        # The row lock: a registration running now sees the new capacity, or this waits for it.
        event = await self.get_managed(user, event_id, lock=True)
        if event.status is EventStatus.CANCELLED:
            raise FormError({"event": _("A cancelled event cannot be changed.")})
        values = data.parse(allow_past=allow_past or event.starts_at <= now())
        if values["capacity"] < event.registered_count:
            raise FormError(
                {
                    "capacity": _(
                        "%(n)s people are already registered; the capacity cannot be lower.",
                        n=event.registered_count,
                    )
                }
            )
        moved = (values["starts_at"], values["online"], values["address"], values["online_url"]) != (
            event.starts_at,
            event.online,
            event.address,
            event.online_url,
        )
        shown = calendar_view(event)
        for key, value in values.items():
            setattr(event, key, value)
        if calendar_view(event) != shown:
            revise(event)
        await self.db.flush()
        if event.status is EventStatus.PUBLISHED:
            registrations = self.registrations
            await registrations.promote(event)
            org = await self.organizations.by_id(event.organization_id)
            enqueue_upsert(self.db, event_document(event, org.name))
            if moved:
                people = await registrations.people(event.id)
                await NotificationService(self.db).notify_many(
                    people, notices.CHANGED, event_url(event), {"title": event.title}, actor_id=user.id
                )
                await registrations.schedule_reminders(event)
        return event

    async def publish(self, user: User, event_id: UUID) -> Event:
        event = await self.get_managed(user, event_id, lock=True)
        if event.status is not EventStatus.DRAFT:
            raise FormError({"event": _("Only a draft can be published.")})
        if event.starts_at <= now():
            raise FormError({"event": _("The event must start in the future.")})
        await self._publish(event, await self.organizations.by_id(event.organization_id))
        return event

    async def _publish(self, event: Event, org: Organization) -> None:
        event.status = EventStatus.PUBLISHED
        event.published_at = event.revised_at = now()  # calendars first see it now
        await self.db.flush()
        enqueue_upsert(self.db, event_document(event, org.name))

    async def cancel(self, user: User, event_id: UUID, reason_raw: str) -> Event:
        """Cancel an event; everyone registered or waiting is told, with the reason, here and by email."""
        event = await self.get_managed(user, event_id, lock=True)
        reason = cancel_reason(reason_raw)
        if event.status is EventStatus.CANCELLED:
            raise FormError({"event": _("This event is already cancelled.")})
        was_published = event.status is EventStatus.PUBLISHED
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now()
        event.cancel_reason = reason
        revise(event)  # calendars show it cancelled
        await self.db.flush()
        if was_published:
            enqueue_delete(self.db, EVENT_DOC_TYPE, str(event.id))
            people = await self.registrations.people(event.id)
            await NotificationService(self.db).notify_many(
                people,
                notices.CANCELLED,
                event_url(event),
                {"title": event.title, "reason": reason},
                actor_id=user.id,
            )
            if people:
                await enqueue(self.db, JOB_CANCELLED, {"event_id": str(event.id)})
        return event
