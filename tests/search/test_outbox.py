"""Nothing is lost between the database and the index: the outbox holds every change while the index is
unreachable, and the background worker delivers all of it, in order, once it is back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import FormClient


async def _wait_for(predicate: Any, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def _found(client: FormClient, q: str) -> list[str]:
    response = await client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200
    return [hit["url"] for hit in response.json()["hits"]]


async def test_changes_made_while_the_index_is_down_all_arrive_afterwards(client: FormClient, db) -> None:
    await client.register("owner@example.com", "负责人")
    await client.submit(
        "/orgs/new",
        {"name": "光谷向量科技", "org_type": "opc", "slug": "vector", "summary": "向量数据库选型咨询"},
    )
    await _wait_for(lambda: _has(client, "向量数据库", "/orgs/vector"))

    # The index goes away: every delivery now fails for real.
    db.fetchval("ALTER TABLE search_document RENAME TO search_document_away")
    try:
        await client.submit(
            "/orgs/vector/edit",
            {
                "name": "光谷知识图谱科技",
                "org_type": "opc",
                "slug": "vector",
                "summary": "知识图谱与 GraphRAG 落地",
            },
        )
        await client.submit(
            "/orgs/new",
            {
                "name": "江城 Agent 工坊",
                "org_type": "opc",
                "slug": "agent-lab",
                "summary": "智能体编排与测试",
            },
        )
        await _wait_for(lambda: _failed_attempts(db))
        health = (await client.get("/healthz")).json()
        assert health["status"] == "degraded"  # search is not critical: the site still serves
        assert health["checks"]["search"]["status"] == "down"
        assert db.fetchval("SELECT count(*) FROM search_outbox") == 2
        page = await client.get("/search", params={"q": "智能体"})
        assert page.status_code == 200
        assert "暂时不可用" in page.text
    finally:
        db.fetchval("ALTER TABLE search_document_away RENAME TO search_document")

    # Time passes (the backoff runs out) and the worker delivers the backlog.
    db.fetchval("UPDATE search_outbox SET next_attempt_at = now()")
    await _wait_for(lambda: _empty_outbox(db))
    assert await _found(client, "知识图谱") == ["/orgs/vector"]
    assert await _found(client, "向量数据库") == []  # the old text is gone from the index
    assert await _found(client, "agent 编排") == ["/orgs/agent-lab"]
    health = (await client.get("/healthz")).json()
    assert health["checks"]["search"]["backlog"] == 0


async def _has(client: FormClient, q: str, url: str) -> bool:
    return url in await _found(client, q)


async def _failed_attempts(db: Any) -> bool:
    return bool(db.fetchval("SELECT coalesce(max(attempts), 0) > 0 FROM search_outbox"))


async def _empty_outbox(db: Any) -> bool:
    return bool(db.fetchval("SELECT count(*) = 0 FROM search_outbox"))


async def test_entries_of_one_document_are_applied_in_order(settings, database_url: str, db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from community.search.backends.postgres import PostgresSearchBackend
    from community.search.schemas import SearchDocument, SearchQuery
    from community.search.services import OutboxDelivery, enqueue_delete, enqueue_upsert

    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    backend = PostgresSearchBackend(engine)
    try:
        async with sessions() as session, session.begin():
            for version in range(1, 6):
                enqueue_upsert(session, SearchDocument("post", "p1", f"版本{version} 智能体", "", "/p1"))
            enqueue_upsert(session, SearchDocument("post", "p2", "将被删除的帖子 智能体", "", "/p2"))
            enqueue_delete(session, "post", "p2")
        report = await OutboxDelivery(sessions, backend).drain()
        assert report.delivered == 2
        hits = (await backend.search(SearchQuery(q="智能体"))).hits
        assert [(h.doc_id, h.title_html.split(" ")[0]) for h in hits] == [("p1", "版本5")]
        assert db.fetchval("SELECT count(*) FROM search_outbox") == 0
    finally:
        await engine.dispose()


async def test_a_document_that_keeps_failing_does_not_hold_up_the_others(database_url: str, db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from community.search.backends.postgres import PostgresSearchBackend
    from community.search.schemas import SearchDocument, SearchQuery
    from community.search.services import OutboxDelivery, enqueue_upsert

    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    backend = PostgresSearchBackend(engine)
    try:
        async with sessions() as session, session.begin():
            enqueue_upsert(session, SearchDocument("post", "stuck", "卡住的帖子", "", "/stuck"))
            for i in range(3):
                enqueue_upsert(
                    session, SearchDocument("post", f"ok{i}", f"正常帖子 {i} 智能体", "", f"/ok{i}")
                )
        # The first document is backing off after failures (as if the engine had refused it).
        db.fetchval(
            "UPDATE search_outbox SET attempts = 5, next_attempt_at = now() + interval '1 hour' "
            "WHERE doc_id = 'stuck'"
        )
        report = await OutboxDelivery(sessions, backend).drain()
        assert report.delivered == 3 and report.waiting == 1
        assert len((await backend.search(SearchQuery(q="智能体"))).hits) == 3
        assert db.fetchval("SELECT doc_id FROM search_outbox") == "stuck"
    finally:
        await engine.dispose()


async def test_a_huge_word_is_left_out_of_the_index_rather_than_blocking_it(database_url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from community.search.backends.postgres import PostgresSearchBackend
    from community.search.schemas import SearchDocument, SearchQuery

    engine = create_async_engine(database_url)
    backend = PostgresSearchBackend(engine)
    try:
        body = "㎉" * 2000 + " " + "a" * 5000 + " 正文 RAG"
        await backend.apply([SearchDocument("post", "big", "超长单词", body, "/big")], [])
        assert [h.doc_id for h in (await backend.search(SearchQuery(q="rag 正文"))).hits] == ["big"]
    finally:
        await engine.dispose()


async def test_the_outbox_is_delivered_through_one_database_connection(
    settings: Any, services: Any, db: Any
) -> None:
    """The delivery writes the documents in its own transaction: with a pool of one connection it still
    delivers. A second connection would wait behind any lock on search_document while the first holds the
    outbox's rows (a deadlock PostgreSQL cannot see), and behind PgBouncer it would need a second server
    connection."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from community.search.backends.postgres import PostgresSearchBackend
    from community.search.schemas import SearchDocument
    from community.search.services import OutboxDelivery, enqueue_upsert

    enqueue_upsert(services, SearchDocument("post", "one-conn", "单连接投递", "向量检索的索引选型", "/one"))
    await services.commit()
    engine = create_async_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=3)
    try:
        delivery = OutboxDelivery(
            async_sessionmaker(engine, expire_on_commit=False), PostgresSearchBackend(engine)
        )
        report = await delivery.drain()
        assert report.failed == 0 and report.delivered >= 1
    finally:
        await engine.dispose()
    assert db.fetchval("SELECT count(*) FROM search_document WHERE doc_id = 'one-conn'") == 1
    pending = "SELECT count(*) FROM search_outbox WHERE doc_id = 'one-conn' AND delivered_at IS NULL"
    assert db.fetchval(pending) == 0
