"""What the event zone's services share: the clock, Wuhan's time zone, reading dates typed in forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from community.i18n import _
from community.markup import clean_line

SITE_TZ = ZoneInfo("Asia/Shanghai")
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,490}$", re.IGNORECASE)
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def now() -> datetime:
    return datetime.now(UTC)


def local_input(value: datetime | None) -> str:
    """A stored time as the form's datetime-local value, in Wuhan's time."""
    return value.astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def parse_local(raw: str, errors: dict[str, str], field: str, *, required: bool = True) -> datetime | None:
    """A date-time typed in Wuhan's time zone (the browser's datetime-local format), stored in UTC."""
    text = clean_line(raw)
    if not text:
        if required:
            errors[field] = _("Enter a date and time.")
        return None
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SITE_TZ).astimezone(UTC)
        except ValueError:
            continue
    errors[field] = _("Enter a date and time like 2026-12-31T14:00.")
    return None
