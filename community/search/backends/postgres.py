"""The default search backend: PostgreSQL full-text search over jieba-segmented lexemes.

Lexemes are computed in Python (community.search.text) and stored in a GIN-indexed tsvector with positions
and weights (title A, body B). A query is the AND of its words, each Chinese word also accepted as its
character bigrams; when that finds nothing, any of the words. English titles tolerate typos through pg_trgm.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, cast, delete, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import ColumnElement

from community.search import text as searchtext
from community.search.models import SearchDocumentRow
from community.search.schemas import SearchDocument, SearchHit, SearchQuery, SearchResults

# Rank at most this many matches of a query; a vaguer query than that is answered from a sample and the
# searcher is told to narrow it. Keeps every query's cost bounded whatever the index size.
RANK_CANDIDATES = 5000
COUNT_CAP = 1000
FACET_SAMPLE = 5000
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
            count = await db.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'search_document'"))
        return {"documents_estimate": max(int(count or 0), 0)}

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
                        "tsv": searchtext.tsvector_literal([(d.title, "A"), (d.body, "B"), (" ".join(d.tags), "A")]),
                    }
                    for d in upserts
                ]
                stmt = insert(SearchDocumentRow).values(rows)
                stmt = stmt.on_conflict_do_update(
                    constraint="uq_search_document_ref",
                    set_={
                        c: stmt.excluded[c]
                        for c in ("title", "body", "url", "domains", "tags", "district", "status", "extra",
                                  "published_at", "tsv")
                    }
                    | {"indexed_at": func.now()},
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
        row = SearchDocumentRow
        async with self.sessions() as db:
            partial = False
            tsq = cast(literal(searchtext.tsquery(terms)), TSQUERY)
            matches = row.tsv.op("@@")(tsq)
            total = await self._count(db, [matches, *self._filters(query)])
            if total == 0 and len(terms) > 1:
                tsq = cast(literal(searchtext.tsquery(terms, any_term=True)), TSQUERY)
                matches = row.tsv.op("@@")(tsq)
                total = await self._count(db, [matches, *self._filters(query)])
                partial = total > 0
            candidates = (
                select(row.id).where(matches, *self._filters(query)).limit(RANK_CANDIDATES).subquery("candidates")
            )
            score = func.ts_rank_cd(literal_column(f"'{RANK_WEIGHTS}'::float4[]"), row.tsv, tsq, 32).label("score")
            page_rows = (
                await db.execute(
                    select(row, score)
                    .join(candidates, candidates.c.id == row.id)
                    .order_by(score.desc(), row.published_at.desc().nulls_last(), row.id.desc())
                    .limit(query.per_page)
                    .offset(query.offset)
                )
            ).all()
            scored: list[tuple[SearchDocumentRow, float]] = [(r, float(s)) for r, s in page_rows]
            if query.page == 1 and len(scored) < query.per_page and _looks_latin(query.q):
                scored += await self._typo_matches(db, query, {r.id for r, _ in scored})
                total = max(total, len(scored))
            results.hits = [self._hit(r, s, terms) for r, s in scored]
            results.total = total
            results.total_is_lower_bound = total >= COUNT_CAP
            results.partial = partial
            results.facets = await self._facets(db, query, matches)
        return results

    async def _count(self, db: Any, conditions: list[ColumnElement[bool]]) -> int:
        capped = select(SearchDocumentRow.id).where(*conditions).limit(COUNT_CAP).subquery()
        return int(await db.scalar(select(func.count()).select_from(capped)) or 0)

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

    async def _facets(self, db: Any, query: SearchQuery, matches: ColumnElement[bool]) -> dict[str, dict[str, int]]:
        row = SearchDocumentRow
        facets: dict[str, dict[str, int]] = {}
        for name, column, is_array in (
            ("doc_type", row.doc_type, False),
            ("domains", row.domains, True),
            ("district", row.district, False),
            ("tags", row.tags, True),
            ("status", row.status, False),
        ):
            sample = select(column.label("value")).where(matches, *self._filters(query, skip=name))
            sample_sq = sample.limit(FACET_SAMPLE).subquery()
            value = func.unnest(sample_sq.c.value) if is_array else sample_sq.c.value
            inner = select(value.label("v")).subquery()
            counts = (
                await db.execute(
                    select(inner.c.v, func.count())
                    .where(inner.c.v.is_not(None))
                    .group_by(inner.c.v)
                    .order_by(func.count().desc())
                    .limit(30)
                )
            ).all()
            if counts:
                facets[name] = {str(v): int(n) for v, n in counts}
        return facets

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


def _looks_latin(q: str) -> bool:
    letters = [ch for ch in q if ch.isalpha()]
    return bool(letters) and all(ch.isascii() for ch in letters)
