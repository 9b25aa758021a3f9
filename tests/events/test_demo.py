"""The event demo: about fifteen events from the seed text, upcoming and past, with registrations and one
full salon with a waiting list; loading it again adds nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from community.config import Settings
from community.demo import load_demo
from community.events.models import Event, EventStatus, Registration, RegistrationStatus
from community.kernel.clock import now


async def test_the_demo_holds_believable_events_and_a_second_load_adds_nothing(
    services: Any, settings: Settings
) -> None:
    db = services
    report = await load_demo(db, settings, zones=("vouchers", "events"))
    await db.commit()
    assert any(line.startswith("Events: 15 created") for line in report)
    events = (await db.scalars(select(Event))).all()
    titles = " ".join(e.title for e in events)
    for words in ("智能体应用专项培训", "武创荟", "投融资对接", "引才", "创投沙龙", "智能体开发框架"):
        assert words in titles
    assert all(e.status is EventStatus.PUBLISHED for e in events)
    assert sum(e.starts_at < now() for e in events) >= 3 and sum(e.starts_at > now() for e in events) >= 10
    salon = next(e for e in events if "创投沙龙" in e.title)
    assert salon.registered_count == salon.capacity == 3
    waiting = await db.scalar(
        select(func.count()).where(
            Registration.event_id == salon.id, Registration.status == RegistrationStatus.WAITING
        )
    )
    assert waiting == 1
    rows = await db.scalar(select(func.count()).select_from(Registration))

    again = await load_demo(db, settings, zones=("vouchers", "events"))
    await db.commit()
    assert any(line.startswith("Events: 0 created, 15 already there; 0 registrations") for line in again)
    assert await db.scalar(select(func.count()).select_from(Event)) == 15
    assert await db.scalar(select(func.count()).select_from(Registration)) == rows
