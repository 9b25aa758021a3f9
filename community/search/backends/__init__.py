"""Search backends: PostgreSQL full-text search (the default) or Meilisearch when configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig

    from community.config import Settings
    from community.search.backends.base import SearchBackend


def make_search_backend(settings: Settings, alchemy_config: SQLAlchemyAsyncConfig) -> SearchBackend:
    """Meilisearch when ``MEILISEARCH_URL`` is set, PostgreSQL otherwise."""
    if settings.meilisearch_url:
        from community.search.backends.meilisearch import MeilisearchBackend

        return MeilisearchBackend(
            settings.meilisearch_url, settings.meilisearch_api_key, settings.meilisearch_index
        )
    from community.search.backends.postgres import PostgresSearchBackend

    return PostgresSearchBackend(alchemy_config.get_engine())
