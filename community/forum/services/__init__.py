"""Rules of the technical exchange zone. Controllers call these; nothing else touches the forum tables."""

from community.forum.documents import TOPIC_DOC_TYPE, post_url, topic_documents, topic_url
from community.forum.services.catalog import CatalogService
from community.forum.services.common import DEFAULT_CATEGORIES, PostingTooSoon
from community.forum.services.drafts import DraftService
from community.forum.services.moderation import ModerationService
from community.forum.services.notify import DigestService
from community.forum.services.reading import ReadingService
from community.forum.services.tools import ToolService
from community.forum.services.topics import TopicService
from community.forum.services.trust import TrustService
from community.forum.services.votes import VoteService
from community.forum.services.watches import WatchService

__all__ = (
    "DEFAULT_CATEGORIES",
    "TOPIC_DOC_TYPE",
    "CatalogService",
    "DigestService",
    "DraftService",
    "ModerationService",
    "PostingTooSoon",
    "ReadingService",
    "ToolService",
    "TopicService",
    "TrustService",
    "VoteService",
    "WatchService",
    "post_url",
    "topic_documents",
    "topic_url",
)
