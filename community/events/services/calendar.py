"""iCalendar (RFC 5545) for events: one event's .ics, the feed of upcoming events, a member's own feed.

Times are written in Asia/Shanghai with its VTIMEZONE, so that a calendar shows them as the event page
does; the UID is the event's id and stays the same across changes, and SEQUENCE rises with each change a
calendar shows (``revise``), so calendar apps replace the entry they hold instead of keeping the old one.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

import icalendar
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.events.models import CalendarFeedKey, Event, EventStatus
from community.kernel.clock import SITE_TZ, now
from community.kernel.tokens import member_token, read_member_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PRODID = "-//Wuhan OPC Community//Events//ZH"
# The purpose of a member's signed calendar-feed address (community.kernel.tokens): a calendar app fetches it
# without logging in. A member's feed secret (CalendarFeedKey) is part of the purpose, so resetting it
# revokes the address; a member who never reset keeps the address first given out (the bare purpose).
FEED_PURPOSE = "events-feed"


def _purpose(feed_secret: str | None) -> str:
    return f"{FEED_PURPOSE}:{feed_secret}" if feed_secret else FEED_PURPOSE


def _member_part(token: str) -> UUID | None:
    """Whose address a token claims to be (unchecked: the signature is checked against their secret)."""
    try:
        user_part = token.split(".", 1)[0]
        return UUID(bytes=base64.urlsafe_b64decode(user_part + "=" * (-len(user_part) % 4)))
    except (ValueError, TypeError):
        return None


class CalendarFeedService:
    """Members' personal calendar-feed addresses: made, read, and reset (which revokes the old one)."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def _secret_of(self, user_id: UUID) -> str | None:
        return await self.db.scalar(select(CalendarFeedKey.secret).where(CalendarFeedKey.user_id == user_id))

    async def token_for(self, site_key: str, user_id: UUID) -> str:
        """The member's current feed token."""
        return member_token(site_key, _purpose(await self._secret_of(user_id)), user_id)

    async def member_of(self, site_key: str, token: str) -> UUID | None:
        """The member whose current address this is; None for a forged, mistyped or revoked one."""
        user_id = _member_part(token)
        if user_id is None:
            return None
        return read_member_token(site_key, _purpose(await self._secret_of(user_id)), token)

    async def reset(self, user_id: UUID) -> None:
        """A new secret: the member's old feed address stops working at once. Only ever the caller's own
        (the handler passes the member signed in); one row per member, held by a unique key."""
        secret = secrets.token_urlsafe(24)
        statement = insert(CalendarFeedKey).values(user_id=user_id, secret=secret)
        await self.db.execute(
            statement.on_conflict_do_update(
                constraint="uq_event_calendar_feed_key_user",
                set_={"secret": secret, "updated_at": func.now()},
            )
        )


@dataclass(frozen=True)
class CalendarEntry:
    event: Event
    organization: str
    # The online link goes only to people registered and to the organizer.
    show_link: bool = False


# What an event's calendar entry is made of (``_component``): a change to any of these is a new revision.
CALENDAR_FIELDS = (
    "title",
    "summary",
    "starts_at",
    "ends_at",
    "online",
    "address",
    "district",
    "online_url",
    "status",
    "cancel_reason",
)


def calendar_view(event: Event) -> tuple[Any, ...]:
    """What calendars show of ``event``, to compare before and after a change."""
    return tuple(getattr(event, name) for name in CALENDAR_FIELDS)


def revise(event: Event) -> None:
    """A change calendars must take: the next SEQUENCE, stamped now. Called under the event's row lock."""
    event.sequence += 1
    event.revised_at = now()


def event_uid(event: Event, base_url: str) -> str:
    return f"event-{event.id}@{urlsplit(base_url).hostname or 'localhost'}"


def _component(entry: CalendarEntry, base_url: str) -> icalendar.Event:
    event = entry.event
    page = base_url.rstrip("/") + f"/events/{event.id}"
    item = icalendar.Event()
    item.add("uid", event_uid(event, base_url))
    # With no METHOD, DTSTAMP is when the entry was last revised (RFC 5545, 3.8.7.2), not when it was fetched.
    item.add("dtstamp", event.revised_at)
    item.add("last-modified", event.revised_at)
    item.add("sequence", event.sequence)
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
