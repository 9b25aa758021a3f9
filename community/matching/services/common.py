"""What matching's services share: job kinds, the ranker's weights from settings, and the week and digest
calendar (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from community.kernel.clock import SITE_TZ
from community.matching.ranker import Weights

if TYPE_CHECKING:
    from community.config import Settings

ALL_ROWS = 1_000_000
# Job kinds other zones enqueue by name (they never import matching).
JOB_EMBED = "matching.embed"
JOB_PUBLISHED = "matching.scenario_published"
JOB_EMAIL = "matching.email"


def weights_of(settings: Settings) -> Weights:
    return Weights(
        semantic=settings.matching_weight_semantic,
        lexical=settings.matching_weight_lexical,
        domain=settings.matching_weight_domain,
        district=settings.matching_weight_district,
        feedback=settings.matching_weight_feedback,
    )


def week_start(moment: datetime | None = None) -> date:
    """Monday of the week (Asia/Shanghai) that ``moment`` falls in."""
    local = (moment or datetime.now(UTC)).astimezone(SITE_TZ).date()
    return local - timedelta(days=local.weekday())


def next_digest_at(rhythm: str, moment: datetime | None = None) -> datetime:
    """When the next digest of a rhythm goes out: now, 09:00 tomorrow or 09:00 next Monday (Asia/Shanghai)."""
    now = (moment or datetime.now(UTC)).astimezone(SITE_TZ)
    if rhythm == "daily":
        day = now.date() + timedelta(days=1)
    elif rhythm == "weekly":
        day = now.date() + timedelta(days=7 - now.weekday())
    else:
        return now.astimezone(UTC)
    return datetime(day.year, day.month, day.day, 9, tzinfo=SITE_TZ).astimezone(UTC)
