"""Places under real concurrency: many sessions on many connections register at once, as many app
processes would; the waiting list follows the order registrations were committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import User
from community.errors import FormError
from community.events.models import Event, Registration, RegistrationStatus
from community.events.services.registrations import AlreadyRegistered, RegistrationService
from community.events.views import RegistrationState
from community.notifications.models import Notification
from tests.conftest import run_concurrently
from tests.events.conftest import World, make_event, members


async def test_30_concurrent_registrations_for_20_places_give_20_registered_and_10_waiting_in_order(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="20")
    await db.commit()
    people = await members(db, 30)

    def register(user_id: Any) -> Any:
        async def job(session: AsyncSession) -> RegistrationState:
            me = await session.get(User, user_id)
            assert me is not None
            return await RegistrationService(session).register(me, event.id)

        return job

    results = await run_concurrently(settings.database_url, [register(p.id) for p in people])

    assert not [r for r in results if isinstance(r, FormError)]
    statuses = [r.status for r in results]
    assert statuses.count(RegistrationStatus.REGISTERED) == 20
    assert statuses.count(RegistrationStatus.WAITING) == 10
    fresh = await db.scalar(
        select(Event).where(Event.id == event.id).execution_options(populate_existing=True)
    )
    assert fresh is not None and fresh.registered_count == 20
    rows = (
        await db.scalars(
            select(Registration).where(Registration.event_id == event.id).order_by(Registration.queue_no)
        )
    ).all()
    # Queue numbers follow commit order: the first 20 committed hold the places, the next 10 wait.
    assert [r.queue_no for r in rows] == list(range(1, 31))
    assert [r.status for r in rows] == [RegistrationStatus.REGISTERED] * 20 + [
        RegistrationStatus.WAITING
    ] * 10
    # Each waiting person was told the position they hold now, 1..10 in the order of the queue.
    by_user = {r.registration.user_id: r.position for r in results}
    assert [by_user[r.user_id] for r in rows[20:]] == list(range(1, 11))

    # A registered person cancels: the first waiting person moves up and is told; the others move up one.
    first_waiting, second_waiting = rows[20].user_id, rows[21].user_id
    leaver = await db.get(User, rows[3].user_id)
    assert leaver is not None
    await RegistrationService(db).cancel(leaver, event.id)
    await db.commit()
    moved = await RegistrationService(db).state_of(first_waiting, event.id)
    assert moved is not None and moved.status is RegistrationStatus.REGISTERED
    second = await RegistrationService(db).state_of(second_waiting, event.id)
    assert second is not None and second.position == 1
    told = (await db.scalars(select(Notification).where(Notification.recipient_id == first_waiting))).all()
    assert [n.kind for n in told] == ["event_promoted"]
    fresh = await db.scalar(
        select(Event).where(Event.id == event.id).execution_options(populate_existing=True)
    )
    assert fresh is not None and fresh.registered_count == 20


async def test_double_clicks_of_one_member_give_one_registration(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="5")
    await db.commit()
    (person,) = await members(db, 1)

    async def job(session: AsyncSession) -> RegistrationState:
        me = await session.get(User, person.id)
        assert me is not None
        return await RegistrationService(session).register(me, event.id)

    results = await run_concurrently(settings.database_url, [job] * 10)
    assert sum(isinstance(r, RegistrationState) for r in results) == 1
    assert all(isinstance(r, AlreadyRegistered) for r in results if not isinstance(r, RegistrationState))
    fresh = await db.scalar(
        select(Event).where(Event.id == event.id).execution_options(populate_existing=True)
    )
    assert fresh is not None and fresh.registered_count == 1
