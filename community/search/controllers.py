"""The search page (/search) across zones and its JSON twin (/api/v1/search)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin
from community.i18n import _, gettext
from community.search.schemas import DOC_TYPES, MAX_PAGE, QUERY_MAX, SearchQuery, SearchResults
from community.search.services import SearchService
from community.search.synonyms import EXPANSIONS_MAX, TERM_MAX, SynonymService
from community.web import Form, Visitor, act, field, form_of, form_or_redirect, render, services


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


Synonyms = NamedDependency[SynonymService]
SYNONYMS_PAGE = "/admin/search/synonyms"


class SynonymAdminController(Controller):
    """The admins' synonyms: what people type, and what the documents call it."""

    path = SYNONYMS_PAGE
    guards = [requires_admin]
    include_in_schema = False
    dependencies = services(synonyms=SynonymService)

    @staticmethod
    async def _page(synonyms: SynonymService) -> dict[str, Any]:
        return {"synonyms": await synonyms.all(), "term_max": TERM_MAX, "expansions_max": EXPANSIONS_MAX}

    @get("/", name="admin-search-synonyms")
    async def index(self, request: Member, synonyms: Synonyms) -> Template:
        return render(request, "search/synonyms.html", form={}, **await self._page(synonyms))

    @post("/")
    async def add(self, request: Member, data: Form, synonyms: Synonyms) -> Template | Redirect:
        async def save() -> None:
            await synonyms.add(field(data, "term"), field(data, "expansions"))
            await request.app.state.search_backend.update_synonyms(await synonyms.as_map())

        return await form_or_redirect(
            request,
            save,
            template="search/synonyms.html",
            form=form_of(data),
            done=_("Saved. Searches use it now."),
            redirect_to=SYNONYMS_PAGE,
            context=lambda: self._page(synonyms),
        )

    @post("/{synonym_id:int}/delete")
    async def remove(self, request: Member, synonym_id: FromPath[int], synonyms: Synonyms) -> Redirect:
        async def step() -> None:
            await synonyms.remove(synonym_id)
            await request.app.state.search_backend.update_synonyms(await synonyms.as_map())

        return await act(request, step, done=_("Removed."), redirect_to=SYNONYMS_PAGE)
