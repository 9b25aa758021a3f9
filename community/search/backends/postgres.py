"""The default search backend: PostgreSQL full-text search over jieba-segmented lexemes.

Lexemes are computed in Python (community.search.text) and stored in a GIN-indexed tsvector with positions
and weights (title A, body B). A query is the AND of its words, each Chinese word also accepted as its
character bigrams; when that finds nothing, any of the words. English titles tolerate typos through pg_trgm.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import bindparam, cast, delete, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY, insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import ColumnElement

from community.search import text as searchtext
from community.search.models import INDEXED_COLUMNS, SearchDocumentRow
from community.search.schemas import SearchDocument, SearchHit, SearchQuery, SearchResults

# Rank at most this many matches of a query; a vaguer query than that is answered from a sample and the
# searcher is told to narrow it. Keeps every query's cost bounded whatever the index size.
RANK_CANDIDATES = 2000
TITLE_CANDIDATES = 500
SNIPPET_CHARS = 160
TRGM_THRESHOLD = 0.45
# ts_rank_cd weights for D, C, B, A: a word in the title counts 2.5 times one in the body.
RANK_WEIGHTS = "{0.05, 0.1, 0.4, 1.0}"


class PostgresSearchBackend:
    name = "postgres"

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def startup(self) -> None:
        """Nothing to set up: the table and its indexes come with the migrations."""

    async def close(self) -> None:
        """The engine belongs to the app; nothing of ours to close."""

    async def ping(self) -> dict[str, Any]:
        async with self.sessions() as db:
            await db.execute(text("SELECT 1 FROM search_document LIMIT 1"))  # raises when the index is gone
            count = await db.scalar(
                text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'search_document'")
            )
            if (count or 0) < 10_000:  # the planner's estimate is rough (or -1) for a small, new table
                count = await db.scalar(text("SELECT count(*) FROM search_document"))
        return {"documents": max(int(count or 0), 0)}

    async def apply(self, upserts: list[SearchDocument], deletes: list[tuple[str, str]]) -> None:
        async with self.sessions() as db, db.begin():
            if deletes:
                for doc_type, doc_id in deletes:
                    await db.execute(
                        delete(SearchDocumentRow).where(
                            SearchDocumentRow.doc_type == doc_type, SearchDocumentRow.doc_id == doc_id
                        )
                    )
            if upserts:
                rows = [
                    {
                        "doc_type": d.doc_type,
                        "doc_id": d.doc_id,
                        "title": d.title,
                        "body": d.body,
                        "url": d.url,
                        "domains": d.domains,
                        "tags": d.tags,
                        "district": d.district,
                        "status": d.status,
                        "extra": d.extra,
                        "published_at": d.published_at,
                        "title_tsv": searchtext.tsvector_literal([(d.title, "A"), (" ".join(d.tags), "A")]),
                        "tsv": searchtext.tsvector_literal(
                            [(d.title, "A"), (d.body, "B"), (" ".join(d.tags), "A")]
                        ),
                    }
                    for d in upserts
                ]
                stmt = insert(SearchDocumentRow).values(rows)
                stmt = stmt.on_conflict_do_update(
                    constraint="uq_search_document_ref",
                    set_={c: stmt.excluded[c] for c in INDEXED_COLUMNS} | {"indexed_at": func.now()},
                )
                await db.execute(stmt)

    async def reset(self) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(text("TRUNCATE search_document"))

    def _filters(self, query: SearchQuery, skip: str | None = None) -> list[ColumnElement[bool]]:
        row = SearchDocumentRow
        conditions: list[ColumnElement[bool]] = []
        if query.types and skip != "doc_type":
            conditions.append(row.doc_type.in_(query.types))
        if query.domain and skip != "domains":
            conditions.append(row.domains.contains([query.domain]))
        if query.tag and skip != "tags":
            conditions.append(row.tags.contains([query.tag]))
        if query.district and skip != "district":
            conditions.append(row.district == query.district)
        if query.status and skip != "status":
            conditions.append(row.status == query.status)
        return conditions

    async def search(self, query: SearchQuery) -> SearchResults:
        terms = searchtext.query_terms(query.q)
        results = SearchResults(query=query)
        if not terms:
            return results
        async with self.sessions() as db:
            tsq = cast(literal(searchtext.tsquery(terms)), TSQUERY)
            scored, facets, total, bound = await self._matches(db, query, tsq)
            if not scored and query.page == 1 and len(terms) > 1:
                # Nothing has every word: show what has some of them, and say so.
                tsq = cast(literal(searchtext.tsquery(terms, any_term=True)), TSQUERY)
                scored, facets, total, bound = await self._matches(db, query, tsq)
                results.partial = bool(scored)
            if query.page == 1 and not scored and _looks_latin(query.q):
                # No word matched as typed: perhaps a typo in an English title word.
                scored += await self._typo_matches(db, query, {r.id for r, _ in scored})
                total = max(total, len(scored))
            results.hits = [self._hit(r, s, terms) for r, s in scored]
            results.total = max(total, query.offset + len(scored))
            results.total_is_lower_bound = bound
            results.facets = facets
        return results

    async def _matches(
        self, db: Any, query: SearchQuery, tsq: Any
    ) -> tuple[list[tuple[SearchDocumentRow, float]], dict[str, dict[str, int]], int, bool]:
        """Title matches first: their index is small, and when they fill a page the body index (large for
        common words) is not read at all. Otherwise every match, title or body, is a candidate. The choice
        depends on the first page only, so that every page of one search ranks the same candidates.

        One query reads the candidates' small columns and scores; ranking, facets and the count come from
        them here, and a second query fetches the full rows of the page only."""
        row = SearchDocumentRow
        matches = row.title_tsv.op("@@")(tsq)
        candidates = await self._candidates(db, query, matches, tsq, TITLE_CANDIDATES)
        bound = True
        if len(candidates) < query.per_page:
            matches = row.tsv.op("@@")(tsq)
            candidates = await self._candidates(db, query, matches, tsq, RANK_CANDIDATES)
            bound = len(candidates) >= RANK_CANDIDATES
        type_counts: Counter[str] | None = None
        if query.types:  # the type facet shows every type's count, not only the chosen one's
            others = await self._candidates(db, query, matches, tsq, RANK_CANDIDATES, with_types=False)
            type_counts = Counter(c.doc_type for c in others)
        facets = _facet_counts(candidates, type_counts)
        page = sorted(candidates, key=_rank_key)[query.offset : query.offset + query.per_page]
        scored: list[tuple[SearchDocumentRow, float]] = []
        if page:
            found = (await db.scalars(select(row).where(row.id.in_([c.id for c in page])))).all()
            rows = {r.id: r for r in found}
            scored = [(rows[c.id], float(c.score)) for c in page if c.id in rows]
        return scored, facets, len(candidates), bound

    async def _candidates(
        self, db: Any, query: SearchQuery, matches: Any, tsq: Any, limit: int, with_types: bool = True
    ) -> list[Any]:
        row = SearchDocumentRow
        score = func.ts_rank_cd(literal_column(f"'{RANK_WEIGHTS}'::float4[]"), row.tsv, tsq, 32).label(
            "score"
        )
        columns = (
            row.id,
            row.doc_type,
            row.domains,
            row.district,
            row.tags,
            row.status,
            row.published_at,
            score,
        )
        filters = self._filters(query, skip=None if with_types else "doc_type")
        result = await db.execute(select(*columns).where(matches, *filters).limit(limit))
        return list(result.all())

    async def _typo_matches(
        self, db: Any, query: SearchQuery, seen: set[int]
    ) -> list[tuple[SearchDocumentRow, float]]:
        row = SearchDocumentRow
        needle = searchtext.normalize(query.q)[: searchtext.MAX_QUERY_CHARS].strip()
        if len(needle) < 3:
            return []
        await db.execute(text(f"SET LOCAL pg_trgm.word_similarity_threshold = {TRGM_THRESHOLD}"))
        similarity = func.word_similarity(needle, row.title_folded).label("similarity")
        found = (
            await db.execute(
                select(row, similarity)
                .where(bindparam("needle", needle).op("<%")(row.title_folded), *self._filters(query))
                .order_by(similarity.desc())
                .limit(query.per_page)
            )
        ).all()
        return [(r, float(s) * 0.01) for r, s in found if r.id not in seen][: query.per_page]

    @staticmethod
    def _hit(row: SearchDocumentRow, score: float, terms: list[searchtext.QueryTerm]) -> SearchHit:
        return SearchHit(
            doc_type=row.doc_type,
            doc_id=row.doc_id,
            url=row.url,
            title_html=searchtext.highlight(row.title, terms),
            snippet_html=searchtext.highlight(row.body, terms, SNIPPET_CHARS),
            score=score,
            published_at=row.published_at,
            extra=row.extra or {},
        )


def _rank_key(candidate: Any) -> tuple[float, float, int]:
    published = candidate.published_at.timestamp() if candidate.published_at else 0.0
    return (-float(candidate.score), -published, -candidate.id)


def _facet_counts(candidates: list[Any], type_counts: Counter[str] | None) -> dict[str, dict[str, int]]:
    """Counts per type, domain, district, tag and status over the candidates."""
    counters: dict[str, Counter[str]] = {
        name: Counter() for name in ("doc_type", "domains", "district", "tags", "status")
    }
    counters["doc_type"] = type_counts if type_counts is not None else Counter(c.doc_type for c in candidates)
    for c in candidates:
        counters["domains"].update(c.domains or [])
        counters["tags"].update(c.tags or [])
        if c.district:
            counters["district"][c.district] += 1
        if c.status:
            counters["status"][c.status] += 1
    return {name: dict(counter.most_common(30)) for name, counter in counters.items() if counter}


def _looks_latin(q: str) -> bool:
    letters = [ch for ch in q if ch.isalpha()]
    return bool(letters) and all(ch.isascii() for ch in letters)
