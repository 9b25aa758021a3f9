"""The JSON API (problem details, 201/200/409/404) and the iCalendar downloads, parsed as a calendar app
would parse them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy.ext.asyncio import AsyncSession

from community.events.inputs import EventInput
from community.events.models import Event
from community.events.services.events import EventService
from tests.events.conftest import World, add_org, add_user, event_form, local, make_event


async def _login(make_client: Any, email: str) -> Any:
    person = await make_client()
    response = await person.login(email)
    assert response.status_code == 200, response.text
    return person


async def test_registration_through_the_api_answers_state_position_and_problem_details(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="1")
    draft = await EventService(db).create(
        world.organizer, EventInput.from_mapping(event_form(organization=str(world.center.id))), publish=False
    )
    opc_only = await make_event(
        db, world.organizer, world.center, audience="org_types", audience_org_types=["opc"]
    )
    await add_user(db, "second@example.com", "第二位")
    await db.commit()
    first = await _login(make_client, "opc@example.com")
    second = await _login(make_client, "second@example.com")
    visitor = await make_client()
    url = f"/api/v1/events/{event.id}/registration"

    listing = (await visitor.get("/api/v1/events")).json()
    assert {item["id"] for item in listing["items"]} == {str(event.id), str(opc_only.id)}  # no draft
    response = await visitor.get(f"/api/v1/events/{draft.id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")

    anonymous = await visitor.post(url, headers={"x-csrftoken": await visitor.csrf_token()})
    assert anonymous.status_code == 401

    headers = {"x-csrftoken": await first.csrf_token()}
    created = await first.post(url, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() == {"event_id": str(event.id), "status": "registered", "waiting_position": None}
    again = await first.post(url, headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["detail"] == "您已报名本活动。"

    waiting = await second.post(url, headers={"x-csrftoken": await second.csrf_token()})
    assert waiting.status_code == 201
    assert waiting.json()["status"] == "waiting" and waiting.json()["waiting_position"] == 1
    detail = (await second.get(f"/api/v1/events/{event.id}")).json()
    assert detail["places_left"] == 0 and detail["waiting"] == 1

    cancelled = await first.delete(url, headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    detail = (await second.get(f"/api/v1/events/{event.id}")).json()
    assert detail["my_registration"] == {
        "event_id": str(event.id),
        "status": "registered",
        "waiting_position": None,
    }
    gone = await first.delete(url, headers=headers)
    assert gone.status_code == 400 and gone.json()["errors"]["registration"] == "您没有报名本活动。"

    refused = await second.post(
        f"/api/v1/events/{opc_only.id}/registration", headers={"x-csrftoken": await second.csrf_token()}
    )
    assert refused.status_code == 400
    assert "OPC" in refused.json()["errors"]["registration"]
    hidden = await second.post(
        f"/api/v1/events/{draft.id}/registration", headers={"x-csrftoken": await second.csrf_token()}
    )
    assert hidden.status_code == 404

    schema = (await visitor.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/events/{event_id}/registration"]["post"]
    assert {"201", "400", "404", "409"} <= set(operation["responses"])


def _events(body: bytes) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


async def test_the_ics_download_and_feeds_parse_with_uid_times_and_time_zone(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    online = await make_event(
        db,
        world.organizer,
        world.center,
        title="AI 编程工具线上课 Online",
        mode="online",
        online_url="https://meeting.example.com/j/987",
        starts_at="2031-03-05T14:30",
        ends_at="2031-03-05T17:00",
    )
    onsite = await make_event(db, world.organizer, world.center, title="武创荟 OPC 专场路演")
    draft = await EventService(db).create(
        world.organizer, EventInput.from_mapping(event_form(organization=str(world.center.id))), publish=False
    )
    await db.commit()
    visitor = await make_client()

    response = await visitor.get(f"/events/{online.id}/event.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    (item,) = _events(response.content)
    assert str(item["UID"]) == f"event-{online.id}@testserver.local"
    start = item.decoded("DTSTART")
    assert start.tzinfo == ZoneInfo("Asia/Shanghai")
    assert (start.hour, start.minute) == (14, 30)
    assert start == online.starts_at
    assert item.decoded("DTEND") - start == timedelta(hours=2, minutes=30)
    assert "Asia/Shanghai" in [
        str(tz["TZID"]) for tz in icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")
    ]
    assert "meeting.example.com" not in response.text  # the link is for people registered

    member = await _login(make_client, "opc@example.com")
    await member.submit(f"/events/{online.id}/register")
    mine = await member.get(f"/events/{online.id}/event.ics")
    assert "https://meeting.example.com/j/987" in str(_events(mine.content)[0]["DESCRIPTION"])

    feed = await visitor.get("/events/calendar.ics")
    uids = {str(e["UID"]) for e in _events(feed.content)}
    assert uids == {f"event-{online.id}@testserver.local", f"event-{onsite.id}@testserver.local"}
    assert (await visitor.get(f"/events/{draft.id}/event.ics")).status_code == 404

    # The personal feed: a signed address on the member's page; a changed token is not found.
    page = await member.get("/events/mine")
    feed_url = page.text.split('class="feed-url">', 1)[1].split("<", 1)[0]
    path = feed_url.removeprefix("http://testserver.local")
    personal = await visitor.get(path)
    assert personal.status_code == 200
    (entry,) = _events(personal.content)
    assert str(entry["UID"]) == f"event-{online.id}@testserver.local"
    assert "meeting.example.com" in str(entry["DESCRIPTION"])
    assert (await visitor.get(path[:-8] + "AAAA.ics")).status_code == 404


async def test_a_moved_event_tells_the_people_registered(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center)
    await db.commit()
    first_start = event.starts_at
    member = await _login(make_client, "opc@example.com")
    await member.submit(f"/events/{event.id}/register")
    organizer = await _login(make_client, "organizer@example.com")
    form = event_form(organization=str(world.center.id), starts_at=local(timedelta(days=4)))
    form["ends_at"] = local(timedelta(days=4, hours=2))
    response = await organizer.submit(f"/events/{event.id}/edit", form)
    assert response.status_code == 200
    inbox = await member.get("/notifications")
    assert "时间或地点有变" in inbox.text
    fresh = await db.get(Event, event.id)
    assert fresh is not None
    await db.refresh(fresh)
    assert fresh.starts_at - first_start == timedelta(days=1)
    # An organizer of another organization may not change it.
    stranger = await add_user(db, "stranger@example.com")
    await add_org(db, stranger, "别家公司", "other", world.opc.org_type)
    await db.commit()
    other = await _login(make_client, "stranger@example.com")
    assert (await other.submit(f"/events/{event.id}/edit", form)).status_code == 403


def _has_link(response: Any) -> bool:
    return any("meeting.example.com/j/42" in str(e["DESCRIPTION"]) for e in _events(response.content))


def _feed_path(page: Any) -> str:
    feed_url = str(page.text).split('class="feed-url">', 1)[1].split("<", 1)[0]
    return feed_url.removeprefix("http://testserver.local")


async def test_resetting_the_calendar_address_revokes_the_old_one_at_once(
    world: World, services: AsyncSession, make_client: Any, db: Any
) -> None:
    """A personal feed carries online meeting links: a member who shared the address by mistake resets it;
    the old address answers 404 from then on, the new one serves the feed. Nobody else can reset it."""
    online = await make_event(
        services, world.organizer, world.center, mode="online", online_url="https://meeting.example.com/j/42"
    )
    await add_user(services, "other@example.com", "另一位")
    await services.commit()
    member = await _login(make_client, "opc@example.com")
    await member.submit(f"/events/{online.id}/register")
    other = await _login(make_client, "other@example.com")
    calendar_app = await make_client()

    old = _feed_path(await member.get("/events/mine"))
    served = await calendar_app.get(old)
    assert served.status_code == 200 and _has_link(served)

    # Another member's reset is theirs alone (there is no way to name someone else's address).
    await other.submit("/events/mine/calendar/reset")
    assert (await calendar_app.get(old)).status_code == 200
    # A reset needs the form's token: another site cannot make a member reset theirs.
    forged = await member.client.post("/events/mine/calendar/reset", follow_redirects=False)
    assert forged.status_code == 403 and (await calendar_app.get(old)).status_code == 200

    reset = await member.submit("/events/mine/calendar/reset")
    assert reset.status_code == 200 and str(reset.url.path) == "/events/mine"
    new = _feed_path(reset)
    assert new != old
    revoked = await calendar_app.get(old)
    assert revoked.status_code == 404 and "meeting.example.com" not in revoked.text
    fresh = await calendar_app.get(new)
    assert fresh.status_code == 200 and _has_link(fresh)
    assert _feed_path(await member.get("/events/mine")) == new  # the page keeps showing the new one
    assert db.fetchval("SELECT count(*) FROM event_calendar_feed_key") == 2

    # Reset again: the second address goes the way of the first.
    again = _feed_path(await member.submit("/events/mine/calendar/reset"))
    assert (await calendar_app.get(new)).status_code == 404
    assert (await calendar_app.get(again)).status_code == 200


async def test_calendar_apps_take_an_events_changes_its_uid_kept_its_sequence_raised(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    """A calendar app replaces the entry it holds only for a higher SEQUENCE of the same UID (RFC 5545)."""
    db = services
    event = await make_event(db, world.organizer, world.center)
    await db.commit()
    member = await _login(make_client, "opc@example.com")
    await member.submit(f"/events/{event.id}/register")
    feed = _feed_path(await member.get("/events/mine"))
    visitor = await make_client()

    async def seen() -> list[tuple[str, int, Any, Any, str | None]]:
        """The entry as the .ics download and the personal feed give it: UID, SEQUENCE, stamps, status."""
        entries = [
            *_events((await visitor.get(f"/events/{event.id}/event.ics")).content),
            *_events((await visitor.get(feed)).content),
        ]
        return [
            (
                str(e["UID"]),
                int(e["SEQUENCE"]),
                e.decoded("DTSTAMP"),
                e.decoded("LAST-MODIFIED"),
                str(e.get("STATUS")),
            )
            for e in entries
        ]

    before = await seen()
    uid = f"event-{event.id}@testserver.local"
    assert [(u, s, st) for u, s, _d, _m, st in before] == [(uid, 0, "CONFIRMED")] * 2
    assert before == await seen()  # fetching again is not a change: the same stamps

    organizer = await _login(make_client, "organizer@example.com")
    moved = event_form(organization=str(world.center.id), starts_at=local(timedelta(days=5)))
    moved["ends_at"] = local(timedelta(days=5, hours=2))
    assert (await organizer.submit(f"/events/{event.id}/edit", moved)).status_code == 200
    after = await seen()
    assert [(u, s, st) for u, s, _d, _m, st in after] == [(uid, 1, "CONFIRMED")] * 2
    # Stamped when revised (iCalendar keeps whole seconds, so a quick edit may share the second).
    assert all(a[2] >= b[2] and a[3] >= b[3] for a, b in zip(after, before, strict=True))

    # Saving the same form again changes nothing a calendar shows: the same revision.
    assert (await organizer.submit(f"/events/{event.id}/edit", moved)).status_code == 200
    assert await seen() == after

    cancelled = await organizer.submit(f"/events/{event.id}/cancel", {"reason": "讲师临时生病"})
    assert cancelled.status_code == 200
    entries = _events((await visitor.get(feed)).content)
    assert [(str(e["UID"]), int(e["SEQUENCE"]), str(e["STATUS"])) for e in entries] == [(uid, 2, "CANCELLED")]
