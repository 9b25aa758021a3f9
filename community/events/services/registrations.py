"""Registrations: one per member and event, places that never run over, a waiting list in the order
registrations were committed, and the first person waiting moved up (and told) when a place frees.

Every change of an event's registrations locks the event row first (SELECT … FOR UPDATE); the counter of
registered people and the queue numbers are changed only under that lock, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select, update

from community.accounts.models import Membership, Organization, User
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.events import notices
from community.events.documents import event_url
from community.events.models import Audience, Event, EventStatus, Registration, RegistrationStatus
from community.events.views import Attendee, MyRegistration, RegistrationState
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import now
from community.kernel.exports import to_csv
from community.notifications.services import NotificationService
from community.vocabulary import org_type_label
from community.vouchers.services.students import StudentService

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

JOB_REMINDER = "events.reminder"
JOB_PROMOTED = "events.promoted"
JOB_CANCELLED = "events.cancelled"


class AlreadyRegistered(FormError):
    """The member already holds a place or a place on the waiting list."""


async def get_event(db: AsyncSession, event_id: UUID, *, lock: bool = False) -> Event:
    """The event row as the database holds it now; ``lock`` holds the row (SELECT … FOR UPDATE) until the
    transaction ends, as every change of its registrations does first."""
    query = select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    event = await db.scalar(query.with_for_update() if lock else query)
    if event is None:
        raise NotFound
    return event


class RegistrationService:
    def __init__(self, db: AsyncSession, *, reminder_hours: int = 24) -> None:
        self.db = db
        self.reminder_hours = reminder_hours
        self.organizations = OrganizationService(db)

    async def _registration_of(
        self, user_id: UUID, event_id: UUID, *, lock: bool = False
    ) -> Registration | None:
        query = select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id)
        if lock:
            query = query.with_for_update()
        return await self.db.scalar(query.execution_options(populate_existing=True))

    async def refusal(self, user: User, event: Event, at: datetime | None = None) -> str | None:
        """Why ``user`` may not register for ``event`` now, in words; None when they may."""
        at = at or now()
        if event.status is EventStatus.CANCELLED:
            return _("This event is cancelled.")
        if event.status is not EventStatus.PUBLISHED:
            return _("This event is not open for registration yet.")
        if event.starts_at <= at:
            return _("This event has already started.")
        if event.registration_deadline <= at:
            return _("Registration for this event has closed.")
        if event.audience is Audience.STUDENTS:
            if not (await StudentService(self.db).status(user.id)).verified:
                return _(
                    "This event is for verified students of Wuhan's universities. "
                    "Verify your student status first."
                )
        elif event.audience is Audience.ORG_TYPES:
            mine = {org.org_type.value for org, _role in await self.organizations.organizations_of(user)}
            if not mine & set(event.audience_org_types):
                names = org_type_label.join(event.audience_org_types)
                return _(
                    "This event is for members of: %(types)s. You are not a member of such an organization.",
                    types=names,
                )
        return None

    async def position(self, registration: Registration) -> int | None:
        if registration.status is not RegistrationStatus.WAITING:
            return None
        ahead = await self.db.scalar(
            select(func.count()).where(
                Registration.event_id == registration.event_id,
                Registration.status == RegistrationStatus.WAITING,
                Registration.queue_no < registration.queue_no,
            )
        )
        return int(ahead or 0) + 1

    async def state_of(self, user_id: UUID, event_id: UUID) -> RegistrationState | None:
        registration = await self._registration_of(user_id, event_id)
        if registration is None:
            return None
        return RegistrationState(registration, await self.position(registration))

    async def register(self, user: User, event_id: UUID) -> RegistrationState:
        """A place if one is free, else the end of the waiting list; refused with the reason otherwise."""
        event = await get_event(self.db, event_id, lock=True)
        if event.status is EventStatus.DRAFT:
            raise NotFound
        if reason := await self.refusal(user, event):
            raise FormError({"registration": reason})
        registration = await self._registration_of(user.id, event.id, lock=True)
        if registration is not None and registration.status is not RegistrationStatus.CANCELLED:
            raise AlreadyRegistered(
                {
                    "registration": _("You are already registered for this event.")
                    if registration.status is RegistrationStatus.REGISTERED
                    else _("You are already on the waiting list of this event.")
                }
            )
        event.queue_counter += 1
        status = (
            RegistrationStatus.REGISTERED
            if event.registered_count < event.capacity
            else RegistrationStatus.WAITING
        )
        if status is RegistrationStatus.REGISTERED:
            event.registered_count += 1
        if registration is None:
            registration = Registration(event_id=event.id, user_id=user.id, status=status, queue_no=0)
            self.db.add(registration)
        registration.status = status
        registration.queue_no = event.queue_counter  # again after cancelling: the end of the list
        registration.cancelled_at = None
        registration.registered_at = now() if status is RegistrationStatus.REGISTERED else None
        await self.db.flush()
        if status is RegistrationStatus.REGISTERED:
            await self._schedule_reminder(event, registration)
        return RegistrationState(registration, await self.position(registration))

    async def cancel(self, user: User, event_id: UUID) -> RegistrationState:
        """Give up a place (or a place in the queue); the first person waiting moves up and is told."""
        event = await get_event(self.db, event_id, lock=True)
        registration = await self._registration_of(user.id, event.id, lock=True)
        if registration is None or registration.status is RegistrationStatus.CANCELLED:
            if event.status is EventStatus.DRAFT:
                raise NotFound
            raise FormError({"registration": _("You are not registered for this event.")})
        held_place = registration.status is RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now()
        if held_place:
            event.registered_count -= 1
        await self.db.flush()
        if held_place and event.status is EventStatus.PUBLISHED:
            await self.promote(event)
        return RegistrationState(registration, None)

    async def promote(self, event: Event) -> list[Registration]:
        """Fill free places from the waiting list, first come first; call with the event row locked."""
        moved: list[Registration] = []
        if event.status is not EventStatus.PUBLISHED or event.ends_at <= now():
            return moved
        while event.registered_count < event.capacity:
            first = await self.db.scalar(
                select(Registration)
                .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITING)
                .order_by(Registration.queue_no)
                .limit(1)
                .with_for_update()
            )
            if first is None:
                break
            first.status = RegistrationStatus.REGISTERED
            first.registered_at = now()
            event.registered_count += 1
            await self.db.flush()
            moved.append(first)
            await NotificationService(self.db).notify(
                first.user_id, notices.PROMOTED, event_url(event.id), {"title": event.title}
            )
            await enqueue(self.db, JOB_PROMOTED, {"registration_id": str(first.id)})
            await self._schedule_reminder(event, first)
        return moved

    def reminder_time(self, event: Event) -> datetime:
        return event.starts_at - timedelta(hours=self.reminder_hours)

    async def _schedule_reminder(self, event: Event, registration: Registration) -> None:
        # Keyed by the start time too: when the event moves, a new reminder is due at the new time, and
        # the old one finds it is early and does nothing.
        await enqueue(
            self.db,
            JOB_REMINDER,
            {"registration_id": str(registration.id)},
            run_at=max(self.reminder_time(event), now()),
            dedupe_key=f"{JOB_REMINDER}:{registration.id}:{int(event.starts_at.timestamp())}",
        )

    async def schedule_reminders(self, event: Event) -> None:
        rows = await self.db.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.REGISTERED,
                Registration.reminded_at.is_(None),
            )
        )
        for registration in rows.all():
            await self._schedule_reminder(event, registration)

    async def _registration_row(self, registration_id: UUID) -> tuple[Registration, Event, User] | None:
        row = (
            await self.db.execute(
                select(Registration, Event, User)
                .join(Event, Event.id == Registration.event_id)
                .join(User, User.id == Registration.user_id)
                .where(Registration.id == registration_id)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def claim_reminder(self, registration_id: UUID) -> tuple[Event, User] | None:
        """Mark a reminder as sent, once, when it is still due: the person holds a place in a published
        event that has not started. None when there is nothing to send."""
        row = await self._registration_row(registration_id)
        if row is None:
            return None
        registration, event, user = row
        current = now()
        if (
            registration.status is not RegistrationStatus.REGISTERED
            or event.status is not EventStatus.PUBLISHED
            or event.starts_at <= current
            or self.reminder_time(event) > current + timedelta(minutes=1)  # early: the event moved later
        ):
            return None
        claimed = await self.db.scalar(
            update(Registration)
            .where(Registration.id == registration.id, Registration.reminded_at.is_(None))
            .values(reminded_at=current)
            .returning(Registration.id)
        )
        return (event, user) if claimed else None

    async def promotion_notice(self, registration_id: UUID) -> tuple[Event, User] | None:
        """Whom to tell they moved up from the waiting list, for which event; None when they have cancelled
        again meanwhile (or the event has), so that there is nothing to announce."""
        row = await self._registration_row(registration_id)
        if row is None:
            return None
        registration, event, user = row
        if (
            registration.status is not RegistrationStatus.REGISTERED
            or event.status is not EventStatus.PUBLISHED
        ):
            return None
        return event, user

    async def cancellation_notice(self, event_id: UUID) -> tuple[Event, list[User]] | None:
        """A cancelled event and everyone who held a place or waited; None when it is not cancelled."""
        event = await self.db.get(Event, event_id)
        if event is None or event.status is not EventStatus.CANCELLED:
            return None
        people = await self.people(event.id)
        return event, list((await self.db.scalars(select(User).where(User.id.in_(people)))).all())

    async def people(self, event_id: UUID) -> list[UUID]:
        """Everyone holding a place or waiting, in queue order."""
        rows = await self.db.scalars(
            select(Registration.user_id)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)),
            )
            .order_by(Registration.queue_no)
        )
        return list(rows)

    async def mine(self, user: User) -> list[MyRegistration]:
        rows = await self.db.execute(
            select(Registration, Event)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.user_id == user.id,
                Registration.status != RegistrationStatus.CANCELLED,
                Event.status != EventStatus.DRAFT,
            )
            .order_by(Event.ends_at < now(), Event.starts_at)  # upcoming first, soonest first
        )
        return [MyRegistration(r, e, await self.position(r)) for r, e in rows]

    async def attendees(self, event: Event) -> list[Attendee]:
        """People holding a place, in the order they registered, then the waiting list in its order."""
        rows = (
            await self.db.execute(
                select(Registration, User)
                .join(User, User.id == Registration.user_id)
                .where(
                    Registration.event_id == event.id,
                    Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)),
                )
                .order_by(Registration.status, Registration.queue_no)
            )
        ).all()
        names: dict[UUID, list[str]] = {}
        memberships = await self.db.execute(
            select(Membership.user_id, Organization.name)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id.in_([user.id for _registration, user in rows]))
            .order_by(Organization.name)
        )
        for user_id, org_name in memberships:
            names.setdefault(user_id, []).append(org_name)
        result: list[Attendee] = []
        waiting = 0
        for registration, user in sorted(
            rows, key=lambda r: (r[0].status is not RegistrationStatus.REGISTERED, r[0].queue_no)
        ):
            position = None
            if registration.status is RegistrationStatus.WAITING:
                waiting += 1
                position = waiting
            orgs = "、".join(names.get(user.id, []))
            result.append(Attendee(registration, user.display_name, user.email, orgs, position))
        return result


def attendees_csv(attendees: Sequence[Attendee], status_label: Mapping[RegistrationStatus, str]) -> bytes:
    """The organizer's list for a spreadsheet: places in the order taken, then the waiting list."""
    header = (
        _("No."),
        _("Full name"),
        _("Email"),
        _("Organizations"),
        _("Registration status"),
        _("Waiting position"),
    )
    rows = (
        (
            n,
            person.name,
            person.email,
            person.organizations,
            status_label[person.registration.status],
            person.position,
        )
        for n, person in enumerate(attendees, 1)
    )
    return to_csv(header, rows)
