"""The site's clock: Wuhan's time zone for what people read (dates, deadlines, 09:00 digests), UTC for
what is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
