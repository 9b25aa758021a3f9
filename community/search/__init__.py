"""One search across every zone: segmentation, backends (PostgreSQL, Meilisearch), the outbox that feeds
them, the search page and API. Knows no zone: zones declare their search types."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.search.cli import search_group
    from community.search.controllers import SearchApiController, SearchController, SynonymAdminController
    from community.zones import Zone

    return Zone(
        name="search",
        routes=[SearchController, SearchApiController, SynonymAdminController],
        cli_groups=[search_group],
    )
