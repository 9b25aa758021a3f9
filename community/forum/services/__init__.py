"""Rules of the technical exchange zone. Controllers call these; nothing else touches the forum tables."""

from community.forum.services.common import (
    DEFAULT_CATEGORIES,
    PostingTooSoon,
    TopicInput,
    topic_url,
)
from community.forum.services.moderation import ModerationService
from community.forum.services.notify import DigestService, WatchService
from community.forum.services.tools import ToolService
from community.forum.services.topics import TOPIC_DOC_TYPE, TopicService, topic_documents
from community.forum.services.trust import TrustService

__all__ = (
    "DEFAULT_CATEGORIES",
    "TOPIC_DOC_TYPE",
    "DigestService",
    "ModerationService",
    "PostingTooSoon",
    "ToolService",
    "TopicInput",
    "TopicService",
    "TrustService",
    "WatchService",
    "topic_documents",
    "topic_url",
)
