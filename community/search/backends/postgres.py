"""The default search backend: PostgreSQL full-text search over jieba-segmented lexemes.

Lexemes are computed in Python (community.search.text) and stored in a GIN-indexed tsvector with positions
and weights (title A, body B). A query is the AND of its words, each Chinese word also accepted as its
character bigrams; when that finds nothing, any of the words. English titles tolerate typos through pg_trgm.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, cast, delete, func, literal, literal_column, select, text, union_all
from sqlalchemy.dialects.postgresql import TSQUERY, insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import ColumnElement

from community.search import text as searchtext
from community.search.models import SearchDocumentRow
from community.search.schemas import SearchDocument, SearchHit, SearchQuery, SearchResults

# Rank at most this many matches of a query; a vaguer query than that is answered from a sample and the
# searcher is told to narrow it. Keeps every query's cost bounded whatever the index size.
RANK_CANDIDATES = 2000
TITLE_CANDIDATES = 500
FACET_SAMPLE = 2000
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
                    set_={
                        c: stmt.excluded[c]
                        for c in (
                            "title",
                            "body",
                            "url",
                            "domains",
                            "tags",
                            "district",
                            "status",
                            "extra",
                            "published_at",
                            "tsv",
                            "title_tsv",
                        )
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
        async with self.sessions() as db:
            tsq = cast(literal(searchtext.tsquery(terms)), TSQUERY)
            scored, facets, total, bound = await self._matches(db, query, tsq)
            if not scored and query.page == 1 and len(terms) > 1:
                # Nothing has every word: show what has some of them, and say so.
                tsq = cast(literal(searchtext.tsquery(terms, any_term=True)), TSQUERY)
                scored, facets, total, bound = await self._matches(db, query, tsq)
                results.partial = bool(scored)
            if query.page == 1 and len(scored) < query.per_page and _looks_latin(query.q):
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
        """Title matches first: their index is small, and when they fill the page the body index (large for
        common words) is not read at all. Otherwise every match, title or body, is ranked."""
        row = SearchDocumentRow
        filters = self._filters(query)
        in_title = row.title_tsv.op("@@")(tsq)
        anywhere = row.tsv.op("@@")(tsq)
        title_ids = select(row.id).where(in_title, *filters).limit(TITLE_CANDIDATES)
        in_titles = int(await db.scalar(select(func.count()).select_from(title_ids.subquery())) or 0)
        if in_titles >= query.offset + query.per_page:
            scored = await self._ranked(db, query, tsq, title_ids.subquery("candidates"))
            facets, total = await self._facets(db, query, in_title)
            return scored, facets, total, True
        candidates = select(row.id).where(anywhere, *filters).limit(RANK_CANDIDATES).subquery("candidates")
        scored = await self._ranked(db, query, tsq, candidates)
        facets, total = await self._facets(db, query, anywhere)
        return scored, facets, total, total >= FACET_SAMPLE

    async def _ranked(
        self, db: Any, query: SearchQuery, tsq: Any, candidates: Any
    ) -> list[tuple[SearchDocumentRow, float]]:
        row = SearchDocumentRow
        score = func.ts_rank_cd(literal_column(f"'{RANK_WEIGHTS}'::float4[]"), row.tsv, tsq, 32).label(
            "score"
        )
        rows = (
            await db.execute(
                select(row, score)
                .join(candidates, candidates.c.id == row.id)
                .order_by(score.desc(), row.published_at.desc().nulls_last(), row.id.desc())
                .limit(query.per_page)
                .offset(query.offset)
            )
        ).all()
        return [(r, float(s)) for r, s in rows]

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

    async def _facets(
        self, db: Any, query: SearchQuery, matches: ColumnElement[bool]
    ) -> tuple[dict[str, dict[str, int]], int]:
        """Counts per type, domain, district, tag and status over (a bounded sample of) the matches, in one
        query. The type counts ignore the type filter, so that the other types show how many they have."""
        row = SearchDocumentRow
        sample = (
            select(row.doc_type, row.domains, row.district, row.tags, row.status)
            .where(matches, *self._filters(query, skip="doc_type"))
            .limit(FACET_SAMPLE)
            .cte("sample")
        )
        in_type = sample.c.doc_type.in_(query.types) if query.types else literal(True)
        domain = select(func.unnest(sample.c.domains).label("value")).where(in_type).subquery("domain")
        tag = select(func.unnest(sample.c.tags).label("value")).where(in_type).subquery("tag")
        parts = [
            select(
                literal("doc_type").label("facet"), sample.c.doc_type.label("value"), func.count()
            ).group_by(sample.c.doc_type),
            select(literal("district"), sample.c.district, func.count())
            .where(in_type, sample.c.district.is_not(None))
            .group_by(sample.c.district),
            select(literal("status"), sample.c.status, func.count())
            .where(in_type, sample.c.status.is_not(None))
            .group_by(sample.c.status),
            select(literal("domains"), domain.c.value, func.count()).group_by(domain.c.value),
            select(literal("tags"), tag.c.value, func.count()).group_by(tag.c.value),
        ]
        rows = (await db.execute(union_all(*parts))).all()
        facets: dict[str, dict[str, int]] = {}
        for facet, value, count in rows:
            facets.setdefault(facet, {})[str(value)] = int(count)
        for name, counts in facets.items():
            facets[name] = dict(sorted(counts.items(), key=lambda kv: -kv[1])[:30])
        type_counts = facets.get("doc_type", {})
        total = sum(n for t, n in type_counts.items() if not query.types or t in query.types)
        return facets, total

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
