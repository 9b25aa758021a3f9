"""The search page (/search) across zones and its JSON twin (/api/v1/search)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from community.i18n import _, gettext
from community.search.schemas import DOC_TYPES, MAX_PAGE, QUERY_MAX, SearchQuery, SearchResults
from community.search.services import SearchService
from community.web import Visitor, render


def search_url(query: SearchQuery, **changes: Any) -> str:
    """The address of this search with some filters changed (None removes one); back to page 1."""
    return "/search?" + urlencode(query.as_query(**{"page": None, **changes}))


def provide_search(request: Visitor) -> SearchService:
    return SearchService(request.app.state.search_backend)


# Handler parameter types: the services as the handlers receive them.
Search = NamedDependency[SearchService]


class SearchController(Controller):
    dependencies = {"search": Provide(provide_search, sync_to_thread=False)}

    @get("/search", name="search")
    async def page(
        self,
        request: Visitor,
        search: Search,
        q: FromQuery[str | None] = None,
        doc_type: Annotated[str | None, QueryParameter(name="type")] = None,
        domain: FromQuery[str | None] = None,
        district: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        query = SearchQuery.clean(
            q=q, type=doc_type, domain=domain, district=district, tag=tag, status=status, page=page
        )
        notice = None
        if q and len(q) > QUERY_MAX:
            notice = _("Your search was long; only its beginning was used.")
        results = await search.search(query) if query.q else SearchResults(query=query)
        return render(
            request,
            "search/results.html",
            results=results,
            query=query,
            notice=notice,
            type_labels={k: gettext(v) for k, v in DOC_TYPES.items()},
            search_url=lambda **changes: search_url(query, **changes),
        )


class SearchHitOut(msgspec.Struct, rename={"doc_type": "type", "doc_id": "id"}):
    doc_type: str
    doc_id: str
    url: str
    title_html: str
    snippet_html: str
    score: float


class SearchOut(msgspec.Struct):
    query: str
    page: int
    per_page: int
    total: int
    total_is_lower_bound: bool
    partial: bool
    degraded: bool
    message: str | None
    facets: dict[str, dict[str, int]]
    hits: list[SearchHitOut]


class SearchApiController(Controller):
    path = "/api/v1"
    tags = ["search"]
    dependencies = SearchController.dependencies

    @get("/search")
    async def search_api(
        self,
        search: Search,
        q: Annotated[str, QueryParameter(min_length=1, max_length=QUERY_MAX)],
        doc_type: Annotated[str | None, QueryParameter(name="type")] = None,
        domain: FromQuery[str | None] = None,
        district: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
    ) -> SearchOut:
        """Search every zone. Words are ANDed; `partial` says only some matched. Snippets are safe HTML."""
        query = SearchQuery.clean(
            q=q, type=doc_type, domain=domain, district=district, tag=tag, status=status, page=page
        )
        results = await search.search(query)
        return SearchOut(
            query=query.q,
            page=query.page,
            per_page=query.per_page,
            total=results.total,
            total_is_lower_bound=results.total_is_lower_bound,
            partial=results.partial,
            degraded=results.degraded,
            message=results.message,
            facets=results.facets,
            hits=msgspec.convert(results.hits, list[SearchHitOut], from_attributes=True),
        )
