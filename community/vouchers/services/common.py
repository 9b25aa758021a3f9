"""What the voucher zone's services share: time, money in fen, validation helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from community.accounts.services import clean_text
from community.i18n import _

SITE_TZ = ZoneInfo("Asia/Shanghai")
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,490}$", re.IGNORECASE)
# Amounts a campaign may hold: a yuan to a hundred million yuan.
MAX_YUAN = Decimal("100000000")


def now() -> datetime:
    return datetime.now(UTC)


def yuan_to_fen(raw: str, errors: dict[str, str], field: str) -> int:
    """'1,234.5' yuan → 123450 fen; a wrong amount leaves a message beside its field."""
    text = clean_text(raw).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
    if not text:
        errors[field] = _("Enter an amount in yuan.")
        return 0
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter an amount in yuan, like 50 or 12.50.")
        return 0
    if not value.is_finite() or value <= 0 or value > MAX_YUAN or value != value.quantize(Decimal("0.01")):
        errors[field] = _("Enter an amount above 0 and at most 100,000,000 yuan, to the fen.")
        return 0
    return int(value * 100)


def format_yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    yuan, cents = divmod(int(fen), 100)
    return f"¥{yuan:,}" if cents == 0 else f"¥{yuan:,}.{cents:02d}"


def positive_int(raw: str, errors: dict[str, str], field: str, *, maximum: int = 1_000_000) -> int:
    text = clean_text(raw)
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        errors[field] = _("Enter a whole number from 1 to %(n)s.", n=maximum)
        return 0
    return int(text)


def parse_local_datetime(raw: str, errors: dict[str, str], field: str) -> datetime | None:
    """A date or date-time typed in Wuhan's time zone (the browser's datetime-local format)."""
    text = clean_text(raw)
    if not text:
        errors[field] = _("Enter a date.")
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SITE_TZ).astimezone(UTC)
        except ValueError:
            continue
    errors[field] = _("Enter a date like 2026-12-31 or 2026-12-31T18:00.")
    return None


def required_reason(raw: str, errors: dict[str, str], field: str = "reason") -> str:
    reason = clean_text(raw)
    if not reason:
        errors[field] = _("Give a reason; the person concerned reads it.")
    elif len(reason) > 1000:
        errors[field] = _("Use at most %(n)s characters.", n=1000)
    return reason
