"""The site's clock: Wuhan's time zone for what people read (dates, deadlines, 09:00 digests), UTC for
what is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The moment, in UTC (what columns store)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Wuhan: a deadline "today" ends at Wuhan's midnight, not UTC's."""
    return datetime.now(SITE_TZ).date()


def local(moment: datetime) -> datetime:
    """A stored moment as Wuhan's wall-clock time."""
    return moment.astimezone(SITE_TZ)


def next_digest_at(rhythm: str, moment: datetime | None = None) -> datetime:
    """When the next mail of a rhythm goes out: now ("immediate"), 09:00 tomorrow ("daily") or 09:00 next
    Monday ("weekly"), Wuhan time. Every digest the site mails keeps this calendar."""
    current = (moment or now()).astimezone(SITE_TZ)
    if rhythm == "daily":
        day = current.date() + timedelta(days=1)
    elif rhythm == "weekly":
        day = current.date() + timedelta(days=7 - current.weekday())
    else:
        return current.astimezone(UTC)
    return datetime(day.year, day.month, day.day, 9, tzinfo=SITE_TZ).astimezone(UTC)
