"""What the platform's wiring takes from search: the configured backend, the outbox delivery, its health,
and jieba's warm-up."""

from community.search.backends import make_search_backend
from community.search.services import OutboxDelivery, search_health
from community.search.text import ensure_jieba

__all__ = ("OutboxDelivery", "ensure_jieba", "make_search_backend", "search_health")
