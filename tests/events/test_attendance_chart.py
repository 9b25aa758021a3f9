"""The organizer sees registrations against capacity drawn, for each of their events and on an event's
registrations page, as the registrations are."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService
from tests.chart_figures import charts_of
from tests.events.conftest import World, make_event, members


async def test_attendance_against_capacity_is_drawn_for_the_organizer(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    roadshow = await make_event(db, world.organizer, world.center, capacity="2", title="武创荟 OPC 专场路演")
    salon = await make_event(db, world.organizer, world.center, capacity="5", title="AI 产品沙龙")
    cancelled = await make_event(db, world.organizer, world.center, capacity="5", title="取消的活动")
    await db.commit()
    people = await members(db, 4)
    registrations = RegistrationService(db)
    for person in people:  # two take the roadshow's places, two wait
        await registrations.register(person, roadshow.id)
    await registrations.register(people[0], salon.id)
    await EventService(db).cancel(world.organizer, cancelled.id, "场地变更")
    await db.commit()

    organizer = await make_client()
    await organizer.login("organizer@example.com")
    mine = charts_of((await organizer.get("/events/mine")).text)["chart-attendance"]
    assert mine.title == "报名与名额"
    assert mine.series("registered") == {"武创荟 OPC 专场路演": 2, "AI 产品沙龙": 1}
    assert mine.series("left") == {"武创荟 OPC 专场路演": 0, "AI 产品沙龙": 4}
    assert mine.series("waiting") == {"武创荟 OPC 专场路演": 2, "AI 产品沙龙": 0}

    page = (await organizer.get(f"/events/{roadshow.id}/registrations")).text
    one = charts_of(page)["chart-attendance"]
    assert (one.total("registered"), one.total("left"), one.total("waiting")) == (2, 0, 2)
    assert "已报名 2 人（共 2 个名额）" in page  # the page says what the chart draws
