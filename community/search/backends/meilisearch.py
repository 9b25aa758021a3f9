"""The Meilisearch backend, used when MEILISEARCH_URL is set; same interface as the PostgreSQL one.

Meilisearch segments Chinese itself (charabia, jieba-based). Index settings (searchable, filterable and
sortable attributes, ranking rules, synonyms) are applied by ``startup()`` so that a fresh engine is ready.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.models.settings import MeilisearchSettings

from community.search import text as searchtext
from community.search.schemas import SearchDocument, SearchHit, SearchQuery, SearchResults, shown_title

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PRE, POST = "\x02", "\x03"  # private markers: the text is escaped first, then the markers become <mark>

SYNONYMS: dict[str, list[str]] = {
    "大模型": ["llm", "大语言模型"],
    "llm": ["大模型", "大语言模型"],
    "智能体": ["agent", "ai agent"],
    "agent": ["智能体"],
    "知识库": ["rag"],
    "rag": ["知识库", "检索增强生成"],
    "微调": ["fine-tuning", "finetune"],
    "opc": ["一人公司"],
    "一人公司": ["opc"],
}

SETTINGS = MeilisearchSettings(
    searchable_attributes=["title", "tags", "body", "domains"],
    filterable_attributes=["doc_type", "domains", "district", "tags", "status"],
    sortable_attributes=["published_ts"],
    displayed_attributes=["*"],
    ranking_rules=["words", "typo", "proximity", "attribute", "sort", "exactness", "published_ts:desc"],
    synonyms=SYNONYMS,
    # How people ask weighs nothing (怎么, 如何, 哪些, how, what ...); Meilisearch ignores them when other
    # words are there.
    stop_words=sorted(searchtext.FUNCTION_WORDS),
)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _marked_to_html(value: str) -> str:
    return html.escape(value).replace(PRE, "<mark>").replace(POST, "</mark>")


class MeilisearchBackend:
    name = "meilisearch"

    def __init__(self, url: str, api_key: str | None, index: str = "community") -> None:
        self.client = AsyncClient(url, api_key, timeout=5)
        self.index_name = index

    @property
    def index(self) -> Any:
        return self.client.index(self.index_name)

    async def startup(self) -> None:
        await self.client.get_or_create_index(self.index_name, primary_key="uid")
        task = await self.index.update_settings(SETTINGS)
        await self.client.wait_for_task(task.task_uid, timeout_in_ms=30_000, raise_for_status=True)

    async def close(self) -> None:
        await self.client.aclose()

    async def refresh_statistics(self, only_if_stale: bool = False) -> bool:
        """Meilisearch weighs words itself."""
        return False

    async def update_synonyms(self, synonyms: dict[str, list[str]]) -> None:
        """The admins' synonyms (one way, as they wrote them) on top of the built-in ones."""
        merged = {key: list(values) for key, values in SYNONYMS.items()}
        for term, expansions in synonyms.items():
            merged.setdefault(term, [])
            merged[term] += [searchtext.normalize(e) for e in expansions if e not in merged[term]]
        task = await self.index.update_synonyms(merged)
        await self.client.wait_for_task(task.task_uid, timeout_in_ms=30_000, raise_for_status=True)

    async def ping(self) -> dict[str, Any]:
        health = await self.client.health()
        stats = await self.index.get_stats()
        return {"engine": health.status, "documents": stats.number_of_documents}

    async def apply(
        self, upserts: list[SearchDocument], deletes: list[tuple[str, str]], db: AsyncSession | None = None
    ) -> None:
        await self._write(
            self.index, upserts, deletes
        )  # another engine: the delivery's transaction is not ours

    async def _write(self, index: Any, upserts: list[SearchDocument], deletes: list[tuple[str, str]]) -> None:
        if deletes:
            task = await index.delete_documents([f"{t}-{i}" for t, i in deletes])
            await self.client.wait_for_task(task.task_uid, timeout_in_ms=30_000, raise_for_status=True)
        if upserts:
            documents = []
            for doc in upserts:
                payload = doc.to_payload()
                for key in ("title", "body"):  # our highlight markers must only come from Meilisearch
                    payload[key] = payload[key].replace(PRE, "").replace(POST, "")
                payload["uid"] = doc.uid
                payload["published_ts"] = int(doc.published_at.timestamp()) if doc.published_at else 0
                documents.append(payload)
            task = await index.add_documents(documents, primary_key="uid")
            await self.client.wait_for_task(task.task_uid, timeout_in_ms=30_000, raise_for_status=True)

    async def reset(self) -> None:
        task = await self.index.delete_all_documents()
        await self.client.wait_for_task(task.task_uid, timeout_in_ms=60_000, raise_for_status=True)
        await self.startup()

    # --- rebuilding beside the live index: a new index, then Meilisearch's atomic swap --------------------

    @property
    def next_index_name(self) -> str:
        return f"{self.index_name}_next"

    async def begin_rebuild(self) -> None:
        """A new, empty index with the live one's settings (the admins' synonyms included)."""
        await self.client.delete_index_if_exists(self.next_index_name)
        await self.client.get_or_create_index(self.index_name, primary_key="uid")
        synonyms = await self.index.get_synonyms()
        await self.client.create_index(self.next_index_name, primary_key="uid")
        index = self.client.index(self.next_index_name)
        task = await index.update_settings(SETTINGS)
        await self.client.wait_for_task(task.task_uid, timeout_in_ms=60_000, raise_for_status=True)
        if synonyms:
            task = await index.update_synonyms(synonyms)
            await self.client.wait_for_task(task.task_uid, timeout_in_ms=60_000, raise_for_status=True)

    async def rebuild_apply(self, upserts: list[SearchDocument], deletes: list[tuple[str, str]]) -> None:
        await self._write(self.client.index(self.next_index_name), upserts, deletes)

    async def rebuild_ready(self) -> None:
        """Meilisearch indexes each batch as it is written (``_write`` waits for it)."""

    async def rebuild_switch(self) -> None:
        """Meilisearch's swap-indexes exchanges the two names in one task; the old index (now under the
        new one's name) is then deleted."""
        task = await self.client.swap_indexes([(self.index_name, self.next_index_name)])
        await self.client.wait_for_task(task.task_uid, timeout_in_ms=60_000, raise_for_status=True)
        await self.client.delete_index_if_exists(self.next_index_name)

    async def rebuild_abandon(self) -> None:
        await self.client.delete_index_if_exists(self.next_index_name)

    @staticmethod
    def _filter(query: SearchQuery) -> list[Any]:
        clauses: list[Any] = []
        if query.types:
            clauses.append([f"doc_type = {_quote(t)}" for t in query.types])
        if query.domain:
            clauses.append(f"domains = {_quote(query.domain)}")
        if query.tag:
            clauses.append(f"tags = {_quote(query.tag)}")
        if query.district:
            clauses.append(f"district = {_quote(query.district)}")
        if query.status:
            clauses.append(f"status = {_quote(query.status)}")
        return clauses

    async def _search(self, q: str, query: SearchQuery, strategy: str, limit: int | None = None) -> Any:
        return await self.index.search(
            q,
            offset=query.offset,
            limit=query.per_page if limit is None else limit,
            filter=self._filter(query) or None,
            facets=["doc_type", "domains", "district", "tags", "status"],
            attributes_to_highlight=["title", "body"],
            attributes_to_crop=["body"],
            crop_length=60,
            crop_marker="…",
            highlight_pre_tag=PRE,
            highlight_post_tag=POST,
            matching_strategy=strategy,
            show_ranking_score=True,
        )

    async def search(self, query: SearchQuery) -> SearchResults:
        results = SearchResults(query=query)
        q = query.q[: searchtext.MAX_QUERY_CHARS].strip()
        if not searchtext.query_terms(q):
            return results
        found = await self._search(q, query, "all")
        if not found.hits and query.page == 1 and len(searchtext.query_terms(q)) > 1:
            found = await self._search(q, query, "last")  # not every word: as many as possible
            results.partial = bool(found.hits)
        for hit in found.hits:
            formatted = hit.get("_formatted", {})
            published = hit.get("published_at")
            results.hits.append(
                SearchHit(
                    doc_type=hit["doc_type"],
                    doc_id=hit["doc_id"],
                    url=hit["url"],
                    title_html=_marked_to_html(formatted.get("title") or hit["title"])
                    or html.escape(shown_title("", hit.get("extra"))),
                    snippet_html=_marked_to_html(formatted.get("body", "")),
                    score=float(hit.get("_rankingScore", 0.0)),
                    published_at=datetime.fromisoformat(published) if published else None,
                    extra=hit.get("extra") or {},
                )
            )
        results.total = int(found.estimated_total_hits or found.total_hits or len(found.hits))
        results.facets = {k: dict(v) for k, v in (found.facet_distribution or {}).items() if v}
        if query.types:
            # The type facet counts every type, so that the other types show how many they would have.
            all_types = await self._search(
                q, replace(query, types=()), "all" if not results.partial else "last", 0
            )
            results.facets["doc_type"] = dict((all_types.facet_distribution or {}).get("doc_type", {}))
        return results
