"""Matching's services, each in its own module:

- ``embeddings``: stored vectors, computed when a text or the model changed;
- ``preferences``: what OPCs and members chose (exclusions, pause, mail rhythm, verdicts);
- ``matching``: the in-memory indexes and recommendations both ways;
- ``push``: the push of a published scenario, its weekly cap and its mail;
- ``common``: job kinds, weights, the week and digest calendar.
"""

from community.matching.documents import OPEN_STATUSES
from community.matching.services.common import (
    JOB_EMAIL,
    JOB_EMBED,
    JOB_PUBLISHED,
    next_digest_at,
    week_start,
    weights_of,
)
from community.matching.services.embeddings import EmbeddingService
from community.matching.services.matching import MatchingService
from community.matching.services.preferences import PreferenceService
from community.matching.services.push import PushService
from community.matching.views import reasons

__all__ = (
    "JOB_EMAIL",
    "JOB_EMBED",
    "JOB_PUBLISHED",
    "OPEN_STATUSES",
    "EmbeddingService",
    "MatchingService",
    "PreferenceService",
    "PushService",
    "next_digest_at",
    "reasons",
    "week_start",
    "weights_of",
)
