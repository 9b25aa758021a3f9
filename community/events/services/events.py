"""Events: admins and members of organizations write, publish, change and cancel them; everyone reads the
published ones, upcoming first; search indexes what a visitor may read (never the online link)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select

from community.accounts.models import Organization, OrgType
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.events.models import Audience, Event, EventKind, EventStatus, Registration, RegistrationStatus
from community.events.services.common import URL_RE, now, parse_local
from community.events.services.registrations import JOB_CANCELLED, RegistrationService
from community.i18n import _
from community.jobs import enqueue
from community.markup import clean_body, clean_line
from community.notifications.services import NotificationService
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

EVENT_DOC_TYPE = "event"
PAGE_SIZE = 20
MAX_CAPACITY = 100_000
MAX_DURATION = timedelta(days=60)
TITLE_MAX = 120
SUMMARY_MAX = 300
DESCRIPTION_MAX = 20_000
ADDRESS_MAX = 200
KIND_NAMES_ZH = {
    EventKind.COURSE: "课程",
    EventKind.TRAINING: "专项培训",
    EventKind.ROADSHOW: "路演",
    EventKind.INVESTMENT: "投融资对接",
    EventKind.SALON: "沙龙",
}


def event_url(event: Event | UUID) -> str:
    return f"/events/{event.id if isinstance(event, Event) else event}"


def event_document(event: Event, organization_name: str) -> SearchDocument:
    """A published event as search shows it: what a visitor reads on its page, never the online link."""
    place = "线上 online" if event.online else event.address
    return SearchDocument(
        doc_type=EVENT_DOC_TYPE,
        doc_id=str(event.id),
        title=event.title,
        body="\n".join(
            (KIND_NAMES_ZH[event.kind], event.summary, organization_name, place, event.description[:4000])
        ),
        url=event_url(event),
        district=event.district,
        status=event.status.value,
        published_at=event.published_at,
        extra={"meta": organization_name},
    )


async def event_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    rows = await db.stream(
        select(Event, Organization.name)
        .join(Organization, Organization.id == Event.organization_id)
        .where(Event.status == EventStatus.PUBLISHED)
        .order_by(Event.published_at)
    )
    async for event, org_name in rows:
        yield event_document(event, org_name)


@dataclass(frozen=True)
class EventInput:
    """What a form or the API sent, as text; ``parse`` checks it and says what is wrong beside each field."""

    organization: str = ""
    kind: str = ""
    title: str = ""
    summary: str = ""
    description: str = ""
    starts_at: str = ""
    ends_at: str = ""
    registration_deadline: str = ""
    mode: str = "onsite"
    address: str = ""
    district: str = ""
    online_url: str = ""
    capacity: str = ""
    audience: str = Audience.EVERYONE.value
    audience_org_types: list[str] = field(default_factory=list)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EventInput:
        def one(key: str, default: str = "") -> str:
            value = data.get(key, default)
            if isinstance(value, list):
                value = value[-1] if value else default
            return str(value if value is not None else default)

        raw_types = data.get("audience_org_types", [])
        types = [str(t) for t in raw_types] if isinstance(raw_types, list) else [str(raw_types)]
        return cls(
            organization=one("organization"),
            kind=one("kind"),
            title=one("title"),
            summary=one("summary"),
            description=one("description"),
            starts_at=one("starts_at"),
            ends_at=one("ends_at"),
            registration_deadline=one("registration_deadline"),
            mode=one("mode", "onsite") or "onsite",
            address=one("address"),
            district=one("district"),
            online_url=one("online_url"),
            capacity=one("capacity"),
            audience=one("audience", Audience.EVERYONE.value) or Audience.EVERYONE.value,
            audience_org_types=[t for t in dict.fromkeys(clean_line(t) for t in types) if t],
        )

    def parse(self, *, allow_past: bool = False) -> dict[str, Any]:
        """The values to store; a FormError naming every wrong field otherwise."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        try:
            values["kind"] = EventKind(self.kind)
        except ValueError:
            errors["kind"] = _("Choose the kind of event.")
        title = clean_line(self.title)
        if not title:
            errors["title"] = _("Enter a title.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters.", n=TITLE_MAX)
        summary = clean_line(self.summary)
        if not summary:
            errors["summary"] = _("Say in a sentence what the event is and who it is for.")
        elif len(summary) > SUMMARY_MAX:
            errors["summary"] = _("Use at most %(n)s characters.", n=SUMMARY_MAX)
        description = clean_body(self.description)
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = _("Use at most %(n)s characters.", n=DESCRIPTION_MAX)
        values.update(title=title, summary=summary, description=description)

        starts = parse_local(self.starts_at, errors, "starts_at")
        ends = parse_local(self.ends_at, errors, "ends_at")
        deadline = parse_local(self.registration_deadline, errors, "registration_deadline", required=False)
        if starts and not allow_past and starts <= now():
            errors["starts_at"] = _("The event must start in the future.")
        if starts and ends:
            if ends <= starts:
                errors["ends_at"] = _("The end must come after the start.")
            elif ends - starts > MAX_DURATION:
                errors["ends_at"] = _("An event may last at most %(n)s days.", n=MAX_DURATION.days)
        if deadline and starts and deadline > starts:
            errors["registration_deadline"] = _("Registration must close by the time the event starts.")
        values.update(starts_at=starts, ends_at=ends, registration_deadline=deadline or starts)

        online = self.mode == "online"
        if self.mode not in ("online", "onsite"):
            errors["mode"] = _("Choose on site or online.")
        address = clean_line(self.address)
        district = clean_line(self.district)
        online_url = clean_line(self.online_url)
        if online:
            if not online_url:
                errors["online_url"] = _("Enter the link people use to join.")
            elif not URL_RE.match(online_url):
                errors["online_url"] = _("Enter a web address starting with http:// or https://.")
        else:
            if not address:
                errors["address"] = _("Enter the address of the venue.")
            elif len(address) > ADDRESS_MAX:
                errors["address"] = _("Use at most %(n)s characters.", n=ADDRESS_MAX)
        if district and district not in DISTRICTS:
            errors["district"] = _("Choose a district from the list.")
        values.update(
            online=online,
            address="" if online else address,
            district=district or None,
            online_url=online_url if online else "",
        )

        capacity_text = clean_line(self.capacity)
        if not capacity_text.isdigit() or not 1 <= int(capacity_text) <= MAX_CAPACITY:
            errors["capacity"] = _("Enter a whole number of places from 1 to %(n)s.", n=MAX_CAPACITY)
        else:
            values["capacity"] = int(capacity_text)

        try:
            audience = Audience(self.audience)
        except ValueError:
            audience = Audience.EVERYONE
            errors["audience"] = _("Choose who may register.")
        org_types: list[str] = []
        if audience is Audience.ORG_TYPES:
            valid = {t.value for t in OrgType}
            org_types = [t for t in self.audience_org_types if t in valid]
            if not org_types or len(org_types) != len(self.audience_org_types):
                errors["audience_org_types"] = _("Choose the organization types whose members may register.")
        values.update(audience=audience, audience_org_types=org_types)
        if errors:
            raise FormError(errors)
        return values


@dataclass(frozen=True)
class EventAccess:
    is_organizer: bool
    is_admin: bool

    @property
    def can_manage(self) -> bool:
        return self.is_organizer or self.is_admin


@dataclass(frozen=True)
class EventFilters:
    kind: str | None = None
    district: str | None = None
    mode: str | None = None  # "online" | "onsite"
    audience: str | None = None
    when: str = "upcoming"  # "upcoming" | "past"
    page: int = 1

    @classmethod
    def clean(cls, **raw: Any) -> EventFilters:
        kind = raw.get("kind") if raw.get("kind") in {k.value for k in EventKind} else None
        audience = raw.get("audience") if raw.get("audience") in {a.value for a in Audience} else None
        return cls(
            kind=kind,
            district=raw.get("district") if raw.get("district") in DISTRICTS else None,
            mode=raw.get("mode") if raw.get("mode") in ("online", "onsite") else None,
            audience=audience,
            when="past" if raw.get("when") == "past" else "upcoming",
            page=max(1, min(int(raw.get("page") or 1), 10_000)),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "kind": self.kind,
            "district": self.district,
            "mode": self.mode,
            "audience": self.audience,
            "when": self.when if self.when != "upcoming" else None,
            "page": self.page if self.page != 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class EventCard:
    event: Event
    organization: str
    waiting: int

    @property
    def places_left(self) -> int:
        return max(0, self.event.capacity - self.event.registered_count)


@dataclass(frozen=True)
class EventPage:
    items: Sequence[EventCard]
    total: int
    page: int
    pages: int


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
        self.reminder_hours = reminder_hours

    # --- reading -----------------------------------------------------------------------------------------

    async def get(self, event_id: UUID, *, lock: bool = False) -> Event:
        query = select(Event).where(Event.id == event_id)
        if lock:
            query = query.with_for_update()
        event = await self.db.scalar(query.execution_options(populate_existing=True))
        if event is None:
            raise NotFound
        return event

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

    async def list_public(self, filters: EventFilters, *, per_page: int = PAGE_SIZE) -> EventPage:
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
        pages = max(1, math.ceil(total / per_page))
        page = min(filters.page, pages)
        rows = await self.db.execute(
            select(Event, Organization.name, _waiting_count())
            .join(Organization, Organization.id == Event.organization_id)
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        items = [EventCard(event, name, int(waiting or 0)) for event, name, waiting in rows]
        return EventPage(items=items, total=total, page=page, pages=pages)

    async def upcoming(self, limit: int = 3) -> Sequence[EventCard]:
        return (await self.list_public(EventFilters(), per_page=limit)).items

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
        for key, value in values.items():
            setattr(event, key, value)
        await self.db.flush()
        if event.status is EventStatus.PUBLISHED:
            registrations = RegistrationService(self.db, reminder_hours=self.reminder_hours)
            await registrations.promote(event)
            org = await self.organizations.by_id(event.organization_id)
            enqueue_upsert(self.db, event_document(event, org.name))
            if moved:
                people = await registrations.people(event.id)
                await NotificationService(self.db).notify_many(
                    people,
                    "event_changed",
                    _("The time or place of “%(title)s” changed", title=event.title),
                    event_url(event),
                    actor_id=user.id,
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
        event.published_at = now()
        await self.db.flush()
        enqueue_upsert(self.db, event_document(event, org.name))

    async def cancel(self, user: User, event_id: UUID, reason_raw: str) -> Event:
        """Cancel an event; everyone registered or waiting is told, with the reason, here and by email."""
        event = await self.get_managed(user, event_id, lock=True)
        reason = clean_body(reason_raw)
        if not reason:
            raise FormError({"reason": _("Give a reason; everyone registered reads it.")})
        if len(reason) > 1000:
            raise FormError({"reason": _("Use at most %(n)s characters.", n=1000)})
        if event.status is EventStatus.CANCELLED:
            raise FormError({"event": _("This event is already cancelled.")})
        was_published = event.status is EventStatus.PUBLISHED
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now()
        event.cancel_reason = reason
        await self.db.flush()
        if was_published:
            enqueue_delete(self.db, EVENT_DOC_TYPE, str(event.id))
            people = await RegistrationService(self.db).people(event.id)
            await NotificationService(self.db).notify_many(
                people,
                "event_cancelled",
                _("“%(title)s” is cancelled: %(reason)s", title=event.title, reason=reason),
                event_url(event),
                actor_id=user.id,
            )
            if people:
                await enqueue(self.db, JOB_CANCELLED, {"event_id": str(event.id)})
        return event


def started(event: Event, at: datetime | None = None) -> bool:
    return event.starts_at <= (at or now())
