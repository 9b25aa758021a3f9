"""The default search backend: PostgreSQL full-text search over jieba-segmented lexemes.

Lexemes are computed in Python (community.search.text) and stored in a GIN-indexed tsvector with positions
and weights (title A, body B). A query is the AND of its words, each Chinese word also accepted as its
character bigrams; when that finds nothing, any of the words. English titles tolerate typos through pg_trgm.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import load_only
from sqlalchemy.sql import ColumnElement

from community.kernel.clock import now
from community.search import text as searchtext
from community.search.models import INDEXED_COLUMNS, SearchDocumentRow, Synonym, TermStat, TermStatState
from community.search.schemas import SearchDocument, SearchHit, SearchQuery, SearchResults, shown_title

# Rank at most this many matches of a query; a vaguer query than that is answered from a sample and the
# searcher is told to narrow it. Keeps every query's cost bounded whatever the index size. (Lower caps were
# measured at 1,000,000 documents: 800/300/100 took p99 from about 160 to 60 ms on a loaded machine but
# nDCG@10 on the bench's relevance set from 0.85 to 0.83, a relevant title beyond the 300th title match.)
RANK_CANDIDATES = 2000
TITLE_CANDIDATES = 500
# Of those, at most this many (the best by what the small columns and the titles tell) have their body's
# lexemes read (ts_rank_cd, which words the body holds): reading a long tsvector is most of a query's cost.
DETAIL_CANDIDATES = 200
# Title matches alone answer a query when they fill a page of the site (the body's index is then not read;
# the bench measured a higher bar costing about twice the time at 100,000 documents).
TITLE_ENOUGH = 20
SNIPPET_CHARS = 160
TRGM_THRESHOLD = 0.45
TYPO_MIN_WORD = 4
# ts_rank_cd weights for D, C, B, A: a word in the title counts 2.5 times one in the body.
RANK_WEIGHTS = "{0.05, 0.1, 0.4, 1.0}"
# The ranking: holding every group of the query comes first (+2); then the share of the query's weight a
# document holds (rare words weigh more), again with a word in the body counting BODY_SHARE of one in the
# title; a kind the question names adds KIND_BOOST; ts_rank_cd (frequency, proximity) breaks near-ties.
BODY_SHARE = 0.5
KIND_BOOST = 1.0
RANK_SHARE = 0.2
SYNONYMS_TTL_SECONDS = 5.0
SEARCH_WORK_MEM = "32MB"
# "At least m of the n words" is asked as the OR of every m-subset while there are this few of them.
MAX_COMBINATIONS = 12
# Term statistics: counted over every document up to STATS_SAMPLE, over a sample of that size beyond.
STATS_SAMPLE = 50_000
STATS_MIN_CHANGES = 20
STATS_MAX_AGE = timedelta(days=1)
STATS_LOCK_KEY = 7_202_612
# A rebuild fills this table beside the live one, then takes its place (and its index and constraint names).
LIVE_TABLE = "search_document"
NEXT_TABLE = "search_document_next"
NEXT_SUFFIX = "__next"
# The switch waits at most this long for the searches under way on the live table (then fails, harmlessly).
SWITCH_LOCK_TIMEOUT = "10s"
# A column read as the driver sends it, without the column type's conversion.
_AS_SENT = sa.types.NullType()
_LIVE: sa.Table = SearchDocumentRow.__table__  # type: ignore[assignment]
_NEXT = _LIVE.to_metadata(sa.MetaData(), name=NEXT_TABLE)


class PostgresSearchBackend:
    name = "postgres"

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._synonyms: dict[str, list[str]] | None = None
        self._synonyms_read = 0.0

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

    async def apply(
        self, upserts: list[SearchDocument], deletes: list[tuple[str, str]], db: AsyncSession | None = None
    ) -> None:
        if db is not None:
            # In the delivery's transaction (a savepoint, so a failed batch can be tried one by one): one
            # connection, and the documents are written exactly when their entries are marked delivered.
            # A second connection would wait behind any lock taken on search_document while this one holds
            # the outbox's rows: a deadlock PostgreSQL cannot see.
            async with db.begin_nested():
                await self._apply_in(db, upserts, deletes)
            return
        async with self.sessions() as own, own.begin():
            await self._apply_in(own, upserts, deletes)

    async def _apply_in(
        self, db: AsyncSession, upserts: list[SearchDocument], deletes: list[tuple[str, str]]
    ) -> None:
        await self._write(db, _LIVE, upserts, deletes)
        # What the term statistics have not counted yet; the outbox worker recounts when it is much.
        changed = len(upserts) + len(deletes)
        if changed:
            await db.execute(
                update(TermStatState)
                .where(TermStatState.id == 1)
                .values(changes=TermStatState.changes + changed)
            )

    @staticmethod
    async def _write(
        db: Any, table: sa.Table, upserts: list[SearchDocument], deletes: list[tuple[str, str]]
    ) -> None:
        for doc_type, doc_id in deletes:
            await db.execute(delete(table).where(table.c.doc_type == doc_type, table.c.doc_id == doc_id))
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
                    # The domains too (智慧医疗): a question names a field more often than a title does.
                    "tsv": searchtext.tsvector_literal(
                        [(d.title, "A"), (d.body, "B"), (" ".join(d.tags), "A"), (" ".join(d.domains), "B")]
                    ),
                }
                for d in upserts
            ]
            stmt = insert(table).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=["doc_type", "doc_id"],
                set_={c: stmt.excluded[c] for c in INDEXED_COLUMNS} | {"indexed_at": func.now()},
            )
            await db.execute(stmt)

    async def reset(self) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(text("TRUNCATE search_document"))

    # --- rebuilding beside the live table ------------------------------------------------------------------

    async def begin_rebuild(self) -> None:
        """An empty copy of the live table (columns, defaults, generated columns, identity) with its keys;
        its search indexes are built once it is full (``rebuild_ready``), which is much faster than
        keeping them up to date row by row."""
        async with self.sessions() as db, db.begin():
            await db.execute(text(f"DROP TABLE IF EXISTS {NEXT_TABLE}"))
            await db.execute(
                text(
                    f"CREATE TABLE {NEXT_TABLE} (LIKE {LIVE_TABLE} "
                    "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY)"
                )
            )
            constraints = await db.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'c', 'x') "
                    "ORDER BY conname"
                ).bindparams(table=LIVE_TABLE)
            )
            for name, definition in constraints.all():
                await db.execute(
                    text(f'ALTER TABLE {NEXT_TABLE} ADD CONSTRAINT "{name}{NEXT_SUFFIX}" {definition}')
                )

    async def rebuild_apply(self, upserts: list[SearchDocument], deletes: list[tuple[str, str]]) -> None:
        async with self.sessions() as db, db.begin():
            await self._write(db, _NEXT, upserts, deletes)

    async def rebuild_ready(self) -> None:
        """The live table's other indexes (GIN over the lexemes, trigrams of titles), built on the full new
        table, and the planner's statistics of it."""
        async with self.sessions() as db, db.begin():
            await db.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            for name, definition in await _plain_indexes(db, LIVE_TABLE):
                ddl, replaced = re.subn(
                    rf"^CREATE (UNIQUE )?INDEX {re.escape(name)} ON (\w+\.)?{LIVE_TABLE} ",
                    rf'CREATE \1INDEX "{name}{NEXT_SUFFIX}" ON {NEXT_TABLE} ',
                    definition,
                )
                if replaced != 1:
                    raise RuntimeError(f"cannot copy the index {name}: {definition}")
                await db.execute(text(ddl))
            await db.execute(text(f"ANALYZE {NEXT_TABLE}"))

    async def rebuild_switch(self) -> None:
        """In one transaction: the live table goes, the new one takes its name, and its constraints,
        indexes and identity sequence take the live ones' names. Searches wait for the moment of the swap
        (a lock taken at the end) and then read the new table."""
        async with self.sessions() as db, db.begin():
            await db.execute(text(f"SET LOCAL lock_timeout = '{SWITCH_LOCK_TIMEOUT}'"))
            await db.execute(text(f"LOCK TABLE {LIVE_TABLE}, {NEXT_TABLE} IN ACCESS EXCLUSIVE MODE"))
            sequence = await db.scalar(text(f"SELECT pg_get_serial_sequence('{LIVE_TABLE}', 'id')"))
            await db.execute(text(f"DROP TABLE {LIVE_TABLE}"))
            await db.execute(text(f"ALTER TABLE {NEXT_TABLE} RENAME TO {LIVE_TABLE}"))
            constraints = await db.execute(
                text(
                    "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass)"
                ).bindparams(table=LIVE_TABLE)
            )
            for (name,) in constraints.all():
                if name.endswith(NEXT_SUFFIX):
                    live_name = name[: -len(NEXT_SUFFIX)]
                    await db.execute(
                        text(f'ALTER TABLE {LIVE_TABLE} RENAME CONSTRAINT "{name}" TO "{live_name}"')
                    )
            for name, _definition in await _plain_indexes(db, LIVE_TABLE):
                if name.endswith(NEXT_SUFFIX):
                    await db.execute(text(f'ALTER INDEX "{name}" RENAME TO "{name[: -len(NEXT_SUFFIX)]}"'))
            new_sequence = await db.scalar(text(f"SELECT pg_get_serial_sequence('{LIVE_TABLE}', 'id')"))
            if sequence and new_sequence and new_sequence != sequence:
                await db.execute(
                    text(f"ALTER SEQUENCE {new_sequence} RENAME TO {sequence.rsplit('.', 1)[-1]}")
                )

    async def rebuild_abandon(self) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(text(f"DROP TABLE IF EXISTS {NEXT_TABLE}"))

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

    # --- what the index knows about its words ------------------------------------------------------------

    async def synonyms(self) -> dict[str, list[str]]:
        """The admins' synonyms (term -> other spellings), read at most every few seconds per process."""
        moment = time.monotonic()
        if self._synonyms is None or moment - self._synonyms_read > SYNONYMS_TTL_SECONDS:
            async with self.sessions() as db:
                rows = (await db.execute(select(Synonym.term, Synonym.expansions))).all()
            self._synonyms = {searchtext.synonym_key(t): list(e) for t, e in rows}
            self._synonyms_read = moment
        return self._synonyms

    async def update_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """An admin changed the synonyms: this process uses them at once (others within seconds)."""
        self._synonyms = {searchtext.synonym_key(t): list(e) for t, e in synonyms.items()}
        self._synonyms_read = time.monotonic()

    async def refresh_statistics(self, only_if_stale: bool = False) -> bool:
        """Count how many documents hold each lexeme (PostgreSQL's ts_stat over the index, or over a sample
        of a large one, scaled). Readers keep the previous counts until the new ones commit. Returns whether
        it counted."""
        async with self.sessions() as db, db.begin():
            # One counter at a time; a second caller finds the counts fresh once it gets the lock.
            await db.execute(select(func.pg_advisory_xact_lock(STATS_LOCK_KEY)))
            state = await db.get(TermStatState, 1)
            if only_if_stale and state is not None and not _stale(state):
                return False
            documents = int(await db.scalar(select(func.count()).select_from(SearchDocumentRow)) or 0)
            source = "SELECT tsv FROM search_document"
            scale = 1.0
            if documents > STATS_SAMPLE:
                percent = 100.0 * STATS_SAMPLE / documents
                source += f" TABLESAMPLE BERNOULLI ({percent:.6f}) REPEATABLE (7)"
                scale = documents / STATS_SAMPLE
            await db.execute(delete(TermStat))
            await db.execute(
                text(
                    "INSERT INTO search_term_stat (lexeme, documents) "
                    "SELECT word, greatest(1, round(ndoc * :scale))::int FROM ts_stat(:source)"
                ).bindparams(scale=scale, source=source)
            )
            values = {"documents": documents, "scale": scale, "changes": 0, "refreshed_at": now()}
            stmt = insert(TermStatState).values(id=1, **values)
            await db.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        return True

    async def _weights(self, db: Any, groups: tuple[searchtext.TermGroup, ...]) -> list[float]:
        """How much each group weighs: BM25's inverse document frequency from the term statistics (a group
        is as common as its commonest spelling). Equal weights before anything was counted.

        The same statement sets this transaction's settings (no JIT compilation: tens of milliseconds, more
        than any of these queries takes; room for an exact bitmap of a common word's matches, a lossy one
        making every row of its pages be checked again, each reading its lexemes): one round trip, not three.
        """
        lexemes = sorted({lx for g in groups for t in g.all_terms for lx in searchtext.term_lexemes(t)})
        found = (
            await db.execute(
                text(
                    "SELECT set_config('jit', 'off', true), set_config('work_mem', :work_mem, true), "
                    "s.documents, s.scale, t.lexemes, t.counts "
                    "FROM (SELECT 1) AS one LEFT JOIN search_term_stat_state s ON s.id = 1 "
                    "CROSS JOIN (SELECT array_agg(lexeme) AS lexemes, array_agg(documents) AS counts "
                    "FROM search_term_stat WHERE lexeme = ANY(CAST(:lexemes AS text[]))) AS t"
                ).bindparams(work_mem=SEARCH_WORK_MEM, lexemes=lexemes)
            )
        ).one()
        documents, scale = found[2], found[3]
        if not documents:
            return [1.0] * len(groups)
        counts = dict(zip(found[4] or [], found[5] or [], strict=True))
        unseen = max(1.0, float(scale) / 2)  # not in the counts: rarer than one sampled document

        def term_count(term: searchtext.QueryTerm) -> float:
            whole, *bigrams = searchtext.term_lexemes(term)
            if whole in counts:
                return float(counts[whole])
            return float(min((counts.get(b, unseen) for b in bigrams), default=unseen))

        n = float(documents)
        weights = []
        for group in groups:
            df = max(min(term_count(t) for t in option) for option in group.options)
            weights.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        return [max(w, 0.01) for w in weights]

    # --- searching -----------------------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchResults:
        plan = searchtext.plan_query(query.q, await self.synonyms())
        results = SearchResults(query=query)
        if not plan.groups:
            return results
        terms = plan.highlight_terms
        async with self.sessions() as db:
            weights = await self._weights(db, plan.groups)
            scored, facets, total, bound, complete = await self._matches(db, query, plan, weights)
            results.partial = bool(scored) and not complete
            if query.page == 1 and not scored and _may_be_a_typo(query.q):
                # No word matched as typed: perhaps a typo in an English title word.
                scored += await self._typo_matches(db, query, {r.id for r, _ in scored})
                total = max(total, len(scored))
            results.hits = [self._hit(r, s, terms) for r, s in scored]
            results.total = max(total, query.offset + len(scored))
            results.total_is_lower_bound = bound
            results.facets = facets
        return results

    async def _matches(
        self, db: Any, query: SearchQuery, plan: searchtext.QueryPlan, weights: list[float]
    ) -> tuple[list[tuple[SearchDocumentRow, float]], dict[str, dict[str, int]], int, bool, bool]:
        """Documents holding every group first; when they do not fill a page, those holding all but the
        commonest group, and so on down to any group. Each step asks the index for title matches first
        (a small index that, when it fills a page, spares reading the body's), then any match. What is read
        depends on the first page only, so that every page of one search ranks the same candidates.

        One query per step reads the candidates' small columns and which groups their titles hold (not the
        body's lexemes, whose reading is most of the cost); one more reads the body's for those that can
        still reach the page (``_detail``); ranking, facets and the count are made from them here, and a
        last query fetches the full rows of the page only."""
        row = SearchDocumentRow
        groups = [searchtext.group_tsquery(g) for g in plan.groups]
        order = sorted(range(len(groups)), key=lambda i: -weights[i])  # rarest first
        candidates: dict[int, _Candidate] = {}
        bound = False
        complete = False
        for number, step in enumerate(_steps(order, groups)):
            tsq = cast(literal(step), TSQUERY)
            every = number == 0  # the first step asks for every group
            found = await self._candidates(
                db, query, row.title_tsv.op("@@")(tsq), groups, TITLE_CANDIDATES, every=every
            )
            if len(found) < max(query.per_page, TITLE_ENOUGH):
                found = await self._candidates(
                    db, query, row.tsv.op("@@")(tsq), groups, RANK_CANDIDATES, every=every
                )
                bound = bound or len(found) >= RANK_CANDIDATES
            else:
                bound = True
                if plan.kinds and query.types != plan.kinds:
                    # Titles of other kinds must not crowd out the kind asked for, named in a body only.
                    kinds = SearchDocumentRow.doc_type.in_(plan.kinds)
                    found += await self._candidates(
                        db, query, and_(row.tsv.op("@@")(tsq), kinds), groups, TITLE_CANDIDATES, every=every
                    )
            for c in found:
                candidates.setdefault(c.id, c)
            if number == 0:
                complete = bool(found)
            if len(candidates) >= query.per_page:
                break
        ranking = _Ranking(weights, plan.kinds)
        await self._detail(db, list(candidates.values()), groups, ranking, query)
        ranked = sorted(candidates.values(), key=ranking.key)
        type_counts: Counter[str] | None = None
        if query.types:  # the type facet shows every type's count, not only the chosen one's
            tsq = cast(literal(" & ".join(f"({g})" for g in groups)), TSQUERY)
            others = await self._candidates(
                db, query, row.tsv.op("@@")(tsq), groups, RANK_CANDIDATES, with_types=False
            )
            type_counts = Counter(c.doc_type for c in others) if others else None
        facets = _facet_counts(ranked, type_counts)
        page = ranked[query.offset : query.offset + query.per_page]
        scored: list[tuple[SearchDocumentRow, float]] = []
        if page:
            rows = {r.id: r for r in await _shown_rows(db, [c.id for c in page])}
            scored = [(rows[c.id], ranking.score(c)) for c in page if c.id in rows]
        return scored, facets, len(ranked), bound, complete

    async def _candidates(
        self,
        db: Any,
        query: SearchQuery,
        matches: Any,
        groups: list[str],
        limit: int,
        with_types: bool = True,
        every: bool = False,
    ) -> list[_Candidate]:
        row = SearchDocumentRow
        held = [
            row.title_tsv.op("@@")(cast(literal(g), TSQUERY)).label(f"t{i}") for i, g in enumerate(groups)
        ]
        columns = (
            row.id,
            row.doc_type,
            # The driver's own lists and datetime: the column types' conversions (item by item for an array),
            # per row of up to thousands, cost more than the query's reading of them.
            type_coerce(row.domains, _AS_SENT).label("domains"),
            row.district,
            type_coerce(row.tags, _AS_SENT).label("tags"),
            row.status,
            type_coerce(row.published_at, sa.DateTime(timezone=True)).label("published_at"),
            *held,
        )
        filters = self._filters(query, skip=None if with_types else "doc_type")
        # Through the connection: the session's ORM result machinery has nothing to do for plain columns
        # but costs per row.
        connection = await db.connection()
        result = await connection.execute(select(*columns).where(matches, *filters).limit(limit))
        sure = (every,) * len(groups)
        return [
            _Candidate(
                id=r[0],
                doc_type=r[1],
                domains=r[2],
                district=r[3],
                tags=r[4],
                status=r[5],
                published_at=r[6],
                title=tuple(bool(b) for b in r[7:]),
                sure=sure,
            )
            for r in result.all()
        ]

    async def _detail(
        self, db: Any, candidates: list[_Candidate], groups: list[str], ranking: _Ranking, query: SearchQuery
    ) -> None:
        """Which groups each candidate's body holds and its ts_rank_cd, read for those that can reach the
        page asked for (their best possible score against the page's worst sure one), at most
        DETAIL_CANDIDATES of them, the likeliest first; the others keep what their titles tell."""
        if not candidates:
            return
        reach = query.offset + query.per_page
        floor = heapq.nlargest(reach, (ranking.bound(c, upper=False) for c in candidates))[-1]
        best = {c.id: ranking.bound(c, upper=True) for c in candidates}
        hopeful = [c for c in candidates if best[c.id] + RANK_SHARE >= floor - 1e-9]
        hopeful.sort(key=lambda c: _order_key(c, best[c.id]))
        chosen = {c.id: c for c in hopeful[: max(DETAIL_CANDIDATES, reach)]}
        row = SearchDocumentRow
        # Each use of a stored tsvector reads it again (from TOAST, decompressed); a copy made once per row in
        # a subquery the planner keeps apart (OFFSET 0) is read from memory by the rank and every match.
        lexemes = (
            select(row.id, row.tsv.op("||")(cast(literal(""), TSVECTOR)).label("tsv"))
            .where(row.id.in_(list(chosen)))
            .offset(0)
            .subquery()
        )
        everything = cast(literal(" | ".join(f"({g})" for g in groups)), TSQUERY)
        score = func.ts_rank_cd(literal_column(f"'{RANK_WEIGHTS}'::float4[]"), lexemes.c.tsv, everything, 32)
        held = [lexemes.c.tsv.op("@@")(cast(literal(g), TSQUERY)) for g in groups]
        result = await (await db.connection()).execute(select(lexemes.c.id, score, *held))
        for r in result.all():
            c = chosen[r[0]]
            c.score = float(r[1])
            c.body = tuple(bool(b) for b in r[2:])

    async def _typo_matches(
        self, db: Any, query: SearchQuery, seen: set[int]
    ) -> list[tuple[SearchDocumentRow, float]]:
        row = SearchDocumentRow
        needle = searchtext.normalize(query.q)[: searchtext.MAX_QUERY_CHARS].strip()
        if len(needle) < 3:
            return []
        await db.execute(text(f"SET LOCAL pg_trgm.word_similarity_threshold = {TRGM_THRESHOLD}"))
        similarity = func.word_similarity(needle, row.title_folded).label("similarity")
        # The best few by id first (the sort carries two numbers, not whole rows), then those rows.
        found = (
            await db.execute(
                select(row.id, similarity)
                .where(bindparam("needle", needle).op("<%")(row.title_folded), *self._filters(query))
                .order_by(similarity.desc(), row.id.desc())
                .limit(query.per_page)
            )
        ).all()
        best = {int(i): float(s) for i, s in found if i not in seen}
        if not best:
            return []
        rows = await _shown_rows(db, list(best))
        return sorted(((r, best[r.id] * 0.01) for r in rows), key=lambda pair: (-pair[1], -pair[0].id))

    @staticmethod
    def _hit(row: SearchDocumentRow, score: float, terms: list[searchtext.QueryTerm]) -> SearchHit:
        return SearchHit(
            doc_type=row.doc_type,
            doc_id=row.doc_id,
            url=row.url,
            title_html=searchtext.highlight(shown_title(row.title, row.extra), terms),
            snippet_html=searchtext.highlight(row.body, terms, SNIPPET_CHARS),
            score=score,
            published_at=row.published_at,
            extra=row.extra or {},
        )


async def _shown_rows(db: Any, ids: list[int]) -> list[SearchDocumentRow]:
    """The rows of these hits with what a hit shows. Not the lexemes: a tsvector is sent as text, long and
    slow to write out, and read from TOAST first."""
    row = SearchDocumentRow
    shown = load_only(
        row.id, row.doc_type, row.doc_id, row.url, row.title, row.body, row.extra, row.published_at
    )
    return list((await db.scalars(select(row).options(shown).where(row.id.in_(ids)))).all())


async def _plain_indexes(db: Any, table: str) -> list[tuple[str, str]]:
    """A table's indexes that no constraint owns: (name, CREATE INDEX statement)."""
    result = await db.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = CAST(:table AS regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname"
        ).bindparams(table=table)
    )
    return [(str(name), str(definition)) for name, definition in result.all()]


def _steps(order: list[int], groups: list[str]) -> list[str]:
    """The tsqueries asked in turn: every group; then at least all but one (any of them missing), all but
    two ... while that stays a handful of combinations, else the rarest ones; last, any group."""
    n = len(order)
    steps = []
    for m in range(n, 0, -1):
        if m < n and math.comb(n, m) <= MAX_COMBINATIONS:
            subsets = itertools.combinations(sorted(order), m)
            steps.append(" | ".join("(" + " & ".join(f"({groups[i]})" for i in s) + ")" for s in subsets))
        else:
            steps.append(" & ".join(f"({groups[i]})" for i in order[:m]))
    if n > 1 and math.comb(n, 1) > MAX_COMBINATIONS:
        steps.append(" | ".join(f"({groups[i]})" for i in order))
    return steps


def _stale(state: TermStatState) -> bool:
    """Recount when a tenth of the index (and at least a few documents) changed, or once a day after any
    change."""
    if state.refreshed_at is None:
        return True
    if state.changes > max(STATS_MIN_CHANGES, state.documents // 10):
        return True
    return state.changes > 0 and now() - state.refreshed_at > STATS_MAX_AGE


@dataclass(slots=True)
class _Candidate:
    """A match's small columns, which groups its title holds, and (once read) which its body holds and its
    ts_rank_cd."""

    id: int
    doc_type: str
    domains: list[str] | None
    district: str | None
    tags: list[str] | None
    status: str | None
    published_at: datetime | None
    title: tuple[bool, ...]
    sure: tuple[bool, ...]  # the groups the body surely holds (the query that found it asked for all)
    body: tuple[bool, ...] | None = None
    score: float = 0.0


class _Ranking:
    """A query's scores. What a candidate scores without ts_rank_cd depends only on which groups its title
    and its body hold and on its kind: a handful of patterns for thousands of candidates, so each pattern is
    worked out once (the loop over the groups, per candidate and three times over, was a tenth of a common
    word's search)."""

    def __init__(self, weights: list[float], kinds: tuple[str, ...]) -> None:
        self.weights = weights
        self.kinds = kinds
        self.total = sum(weights) or 1.0
        self.everything = (True,) * len(weights)
        self._known: dict[tuple[tuple[bool, ...], tuple[bool, ...], bool], float] = {}

    def coverage(self, title: tuple[bool, ...], body: tuple[bool, ...]) -> tuple[bool, float, float]:
        """(holds every group, the share of the query's weight it holds, the same counting a title match in
        full and a body-only match in part)."""
        held = placed = 0.0
        every = True
        for weight, in_title, in_body in zip(self.weights, title, body, strict=True):
            if in_title:
                held += weight
                placed += weight
            elif in_body:
                held += weight
                placed += weight * BODY_SHARE
            else:
                every = False
        return every, held / self.total, placed / self.total

    def base(self, title: tuple[bool, ...], body: tuple[bool, ...], doc_type: str) -> float:
        """The score without ts_rank_cd: every group held (+2), the shares held, the kind asked for."""
        kind = doc_type in self.kinds
        key = (title, body, kind)
        found = self._known.get(key)
        if found is None:
            every, held, placed = self.coverage(title, body)
            found = float(every) * 2 + held + placed + (KIND_BOOST if kind else 0.0)
            self._known[key] = found
        return found

    def bound(self, candidate: _Candidate, upper: bool) -> float:
        """The score without ts_rank_cd, a body not yet read counted as holding every group (upper) or
        only those it surely holds."""
        body = candidate.body
        if body is None:
            body = self.everything if upper else candidate.sure
        return self.base(candidate.title, body, candidate.doc_type)

    def score(self, candidate: _Candidate) -> float:
        body = candidate.body if candidate.body is not None else candidate.sure
        return self.base(candidate.title, body, candidate.doc_type) + RANK_SHARE * float(candidate.score)

    def key(self, candidate: _Candidate) -> tuple[float, float, int]:
        return _order_key(candidate, self.score(candidate))


def _order_key(candidate: _Candidate, score: float) -> tuple[float, float, int]:
    """Higher ``score`` first, then the newer, then the later made."""
    published = candidate.published_at.timestamp() if candidate.published_at else 0.0
    return (-round(score, 6), -published, -candidate.id)


def _facet_counts(
    candidates: list[_Candidate], type_counts: Counter[str] | None
) -> dict[str, dict[str, int]]:
    """Counts per type, domain, district, tag and status over the candidates."""
    # Each counted in one pass of Counter's own loop (thousands of candidates; an update per row costs more).
    counters: dict[str, Counter[str]] = {
        "doc_type": type_counts if type_counts is not None else Counter(c.doc_type for c in candidates),
        "domains": Counter(itertools.chain.from_iterable(c.domains or () for c in candidates)),
        "district": Counter(c.district for c in candidates if c.district),
        "tags": Counter(itertools.chain.from_iterable(c.tags or () for c in candidates)),
        "status": Counter(c.status for c in candidates if c.status),
    }
    return {name: dict(counter.most_common(30)) for name, counter in counters.items() if counter}


def _may_be_a_typo(q: str) -> bool:
    """Only an English query with a word of TYPO_MIN_WORD letters or more is worth the trigram search of the
    titles: a shorter word has too few trigrams to be told from others (and is matched exactly anyway)."""
    letters = [ch for ch in q if ch.isalpha()]
    if not letters or not all(ch.isascii() for ch in letters):
        return False
    return any(len(word) >= TYPO_MIN_WORD for word in _ASCII_WORD.findall(q))


_ASCII_WORD = re.compile(r"[A-Za-z]+")
