"""The pages: forms that keep what was typed, hostile text, the organizer's registrations and CSV, who may
see what, the list's filters, search and the home page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from community.events.models import Event
from community.events.services.registrations import RegistrationService
from tests.conftest import outbox_drained
from tests.events.conftest import World, add_user, event_form, local, make_event

HOSTILE_TITLE = "<script>alert(1)</script> 路演 Roadshow 🚀 '; DROP TABLE event;--"


async def _login(make_client: Any, email: str) -> Any:
    person = await make_client()
    response = await person.login(email)
    assert response.status_code == 200, response.text
    return person


async def test_a_form_with_mistakes_comes_back_with_every_field_kept_and_each_error_beside_it(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    organizer = await _login(make_client, "organizer@example.com")
    form = event_form(
        organization=str(world.center.id),
        title=HOSTILE_TITLE,
        capacity="abc",
        ends_at=local(timedelta(days=2)),  # before the start
        mode="online",
        online_url="javascript:alert(1)",
        audience="org_types",
    )
    response = await organizer.submit("/events/new", {**form, "action": "publish"})
    assert response.status_code == 400
    page = response.text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 路演 Roadshow 🚀" in page  # kept, escaped
    assert "请填写 1 到 100000 之间的整数名额。" in page
    assert "结束时间必须晚于开始时间。" in page
    assert "请填写以 http:// 或 https:// 开头的网址。" in page or "http://" in page
    assert "请选择可以报名的组织类型。" in page
    assert 'value="光谷软件园 F3 栋 201"' in page
    assert await services.scalar(select(func.count()).select_from(Event)) == 0

    # Enormous text is refused beside its field, not by a crash.
    huge = await organizer.submit(
        "/events/new", event_form(organization=str(world.center.id), summary="长" * 5000, capacity="10")
    )
    assert huge.status_code == 400 and "最多" in huge.text

    # Corrected, it is published and shows on the list, the home page and in search.
    good = event_form(organization=str(world.center.id), title=HOSTILE_TITLE)
    created = await organizer.submit("/events/new", {**good, "action": "publish"})
    assert created.status_code == 200
    assert "已发布" in created.text
    listing = await organizer.get("/events?kind=training")
    assert "路演 Roadshow 🚀" in listing.text and "<script>alert(1)" not in listing.text
    assert "路演 Roadshow 🚀" not in (await organizer.get("/events?kind=roadshow")).text
    assert "路演 Roadshow 🚀" not in (await organizer.get("/events?when=past")).text
    assert "近期培训与活动" in (await organizer.get("/")).text


async def test_search_finds_a_published_event(
    world: World, services: AsyncSession, make_client: Any, db: Any
) -> None:
    event = await make_event(services, world.organizer, world.center, title="智能体应用专项培训（医疗）")
    await services.commit()
    visitor = await make_client()
    await visitor.get("/")  # the app is running: its search worker delivers the outbox
    await outbox_drained(db)

    async def found() -> str:
        return re.sub(r"</?mark>", "", (await visitor.get("/search?q=智能体应用&type=event")).text)

    assert "智能体应用专项培训（医疗）" in await found()
    organizer = await _login(make_client, "organizer@example.com")
    await organizer.submit(f"/events/{event.id}/cancel", {"reason": "场地检修"})
    await outbox_drained(db)
    assert "智能体应用专项培训（医疗）" not in await found()


async def test_the_organizer_sees_registrations_and_a_safe_csv_others_do_not(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="1")
    draft_form = event_form(organization=str(world.center.id))
    await db.commit()
    sneaky = await add_user(db, "sneaky@example.com", '=HYPERLINK("http://evil.example")')
    waiting = await add_user(db, "wait@example.com", "候补者")
    await RegistrationService(db).register(sneaky, event.id)
    await RegistrationService(db).register(waiting, event.id)
    await db.commit()

    organizer = await _login(make_client, "organizer@example.com")
    page = await organizer.get(f"/events/{event.id}/registrations")
    assert page.status_code == 200
    assert "候补名单" in page.text and "wait@example.com" in page.text
    csv = await organizer.get(f"/events/{event.id}/attendees.csv")
    assert csv.status_code == 200
    assert csv.content.startswith("\ufeff".encode())
    text = csv.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert "候补者" in text

    other = await _login(make_client, "opc@example.com")
    assert (await other.get(f"/events/{event.id}/registrations")).status_code == 403
    assert (await other.get(f"/events/{event.id}/attendees.csv")).status_code == 403
    draft = await organizer.submit("/events/new", {**draft_form, "action": "save"})
    draft_url = str(draft.url)
    assert "草稿已保存" in draft.text
    assert (await other.get(draft_url)).status_code == 404
    visitor = await make_client()
    assert (await visitor.get(draft_url)).status_code == 404

    # Capacity cannot go below the people registered.
    lower = event_form(organization=str(world.center.id), capacity="0")
    response = await organizer.submit(f"/events/{event.id}/edit", lower)
    assert response.status_code == 400 and "1 到 100000" in response.text


async def test_the_event_page_shows_places_the_waiting_count_and_my_position(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="1")
    await db.commit()
    await add_user(db, "a@example.com")
    await add_user(db, "b@example.com")
    await db.commit()
    a = await _login(make_client, "a@example.com")
    b = await _login(make_client, "b@example.com")
    first = await a.submit(f"/events/{event.id}/register")
    assert "报名成功" in first.text
    second = await b.submit(f"/events/{event.id}/register")
    assert "您是候补第 1 位" in second.text
    assert "1 人候补" in second.text and "剩余 0 个名额" in second.text
    again = await b.submit(f"/events/{event.id}/register")
    assert "您已在本活动的候补名单中。" in again.text
    await a.submit(f"/events/{event.id}/unregister")
    assert "您已报名。" in (await b.get(f"/events/{event.id}")).text
    mine = await b.get("/events/mine")
    assert event.title in mine.text
