"""What matching's services share: job kinds, the ranker's weights from settings, and the week and digest
calendar (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from community.kernel.clock import SITE_TZ
from community.kernel.clock import next_digest_at as next_digest_at  # matching's digests keep this calendar
from community.matching.ranker import Weights

if TYPE_CHECKING:
    from community.config import Settings

ALL_ROWS = 1_000_000
# Job kinds other zones enqueue by name (they never import matching).
JOB_EMBED = "matching.embed"
JOB_PUBLISHED = "matching.scenario_published"
JOB_EMAIL = "matching.email"
# Periodic: every vector of the configured model exists; a follow-up job continues while there is more to do.
JOB_VECTORS_CURRENT = "matching.vectors_current"
JOB_CATCH_UP = "matching.catch_up"


NO_MODEL = "none"


def weights_of(settings: Settings, model: str | None = None) -> Weights:
    """The hybrid's weights for vectors of ``model``: its entry in ``matching_model_weights`` (tuned per
    model: the scale of cosine similarity differs from one model to another), else the matching_weight_*
    settings; with the weights of the entry "none" for a ranking without meaning."""
    weights = _weights(settings, model or NO_MODEL)
    if model == NO_MODEL:
        return weights
    return replace(weights, without_meaning=_weights(settings, NO_MODEL))


def _weights(settings: Settings, model: str) -> Weights:
    tuned = settings.matching_model_weights.get(model, {})
    return Weights(
        semantic=tuned.get("semantic", settings.matching_weight_semantic),
        lexical=tuned.get("lexical", settings.matching_weight_lexical),
        domain=tuned.get("domain", settings.matching_weight_domain),
        district=tuned.get("district", settings.matching_weight_district),
        feedback=settings.matching_weight_feedback,
        semantic_floor=tuned.get("semantic_floor", 0.0),
    )


def week_start(moment: datetime | None = None) -> date:
    """Monday of the week (Asia/Shanghai) that ``moment`` falls in."""
    local = (moment or datetime.now(UTC)).astimezone(SITE_TZ).date()
    return local - timedelta(days=local.weekday())
