"""iCalendar (RFC 5545) for events: one event's .ics, the feed of upcoming events, a member's own feed.

Times are written in Asia/Shanghai with its VTIMEZONE, so that a calendar shows them as the event page
does; the UID is the event's id and stays the same across changes, so calendars update the entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import icalendar

from community.events.models import Event, EventStatus
from community.kernel.clock import SITE_TZ, now

PRODID = "-//Wuhan OPC Community//Events//ZH"
# The purpose of a member's signed calendar-feed address (community.kernel.tokens): a calendar app fetches it
# without logging in. Addresses already given out keep working: the kernel makes the same tokens.
FEED_PURPOSE = "events-feed"


@dataclass(frozen=True)
class CalendarEntry:
    event: Event
    organization: str
    # The online link goes only to people registered and to the organizer.
    show_link: bool = False


def event_uid(event: Event, base_url: str) -> str:
    return f"event-{event.id}@{urlsplit(base_url).hostname or 'localhost'}"


def _component(entry: CalendarEntry, base_url: str) -> icalendar.Event:
    event = entry.event
    page = base_url.rstrip("/") + f"/events/{event.id}"
    item = icalendar.Event()
    item.add("uid", event_uid(event, base_url))
    item.add("dtstamp", now())
    item.add("last-modified", event.updated_at)
    item.add("dtstart", event.starts_at.astimezone(SITE_TZ))
    item.add("dtend", event.ends_at.astimezone(SITE_TZ))
    item.add("summary", event.title)
    lines = [event.summary, "", entry.organization]
    if event.online:
        location = "线上 / Online"
        if entry.show_link and event.online_url:
            lines.append(event.online_url)
    else:
        location = " ".join(x for x in (event.district or "", event.address) if x)
    item.add("location", location)
    if event.status is EventStatus.CANCELLED:
        item.add("status", "CANCELLED")
        lines.append(event.cancel_reason)
    else:
        item.add("status", "CONFIRMED")
    lines.append(page)
    item.add("description", "\n".join(lines))
    item.add("url", page)
    return item


def calendar_bytes(entries: Iterable[CalendarEntry], base_url: str, name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for entry in entries:
        cal.add_component(_component(entry, base_url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
