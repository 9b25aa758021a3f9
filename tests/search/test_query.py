"""What a visitor's search becomes before any backend sees it, and the links that change it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from community.search.controllers import search_url
from community.search.schemas import DOC_TYPES, MAX_PAGE, QUERY_MAX, SearchQuery


def test_unknown_types_are_dropped_and_characters_postgres_refuses_are_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(DOC_TYPES, "event", "Events and trainings")
    query = SearchQuery.clean(q=" 智能体\x00培训 ", type="nonsense", district="", tag="  ", page="abc")
    assert query.q == "智能体培训"
    assert query.types == ()
    assert query.district is None and query.tag is None
    assert query.page == 1
    assert SearchQuery.clean(q="rag", type="event").types == ("event",)


def test_a_long_query_is_cut_and_pages_stop_at_the_deepest_one() -> None:
    query = SearchQuery.clean(q="词" * (QUERY_MAX + 50), page=10_000)
    assert len(query.q) == QUERY_MAX
    assert query.page == MAX_PAGE


def test_links_keep_the_query_and_go_back_to_the_first_page() -> None:
    query = SearchQuery.clean(q="知识库", district="洪山区", page=3)
    q, district = urlencode({"q": "知识库"}), urlencode({"district": "洪山区"})
    assert search_url(query, tag="RAG") == f"/search?{q}&{district}&tag=RAG"
    assert search_url(query, district=None) == f"/search?{q}"
    assert search_url(query, page=2).endswith("&page=2")
    assert "page" not in search_url(query, page=1)
