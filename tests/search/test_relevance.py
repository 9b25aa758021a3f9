"""The PostgreSQL backend meets the relevance set in tests/data: each query finds its document first."""

from __future__ import annotations

from statistics import mean
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from community.config import PROJECT_ROOT
from community.search.backends.postgres import PostgresSearchBackend
from community.search.evaluation import load_relevance_set, ndcg_at, reciprocal_rank
from community.search.schemas import SearchDocument, SearchQuery

RELEVANCE_FILE = PROJECT_ROOT / "tests" / "data" / "search_relevance.json"


def _document(raw: dict[str, Any]) -> SearchDocument:
    return SearchDocument(
        doc_type=raw["type"],
        doc_id=raw["id"],
        title=raw["title"],
        body=raw["body"],
        url=f"/r/{raw['id']}",
        tags=raw.get("tags", []),
        domains=raw.get("domains", []),
    )


async def test_postgres_backend_meets_the_relevance_set(database_url: str) -> None:
    documents, cases = load_relevance_set(RELEVANCE_FILE)
    assert len(cases) >= 40
    engine = create_async_engine(database_url)
    backend = PostgresSearchBackend(engine)
    try:
        await backend.reset()
        await backend.apply([_document(d) for d in documents], [])
        misses, ndcgs, rrs = [], [], []
        for case in cases:
            results = await backend.search(SearchQuery(q=case.q, per_page=10))
            ranking = [hit.doc_id for hit in results.hits]
            ndcgs.append(ndcg_at(ranking, case.qrels))
            rrs.append(reciprocal_rank(ranking, case.qrels))
            if not ranking or ranking[0] != case.first:
                misses.append((case.q, case.first, ranking[:3]))
        assert not misses, f"{len(misses)} of {len(cases)} queries miss their first document: {misses}"
        assert mean(ndcgs) >= 0.9, mean(ndcgs)
        assert mean(rrs) >= 0.95
    finally:
        await engine.dispose()
