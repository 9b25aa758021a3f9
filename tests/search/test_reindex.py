"""`community search reindex` builds the new index beside the live one and switches at the end: search
answers in full for the whole run, and what changes meanwhile reaches the new index."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from community.config import Settings
from community.search.backends.postgres import PostgresSearchBackend
from community.search.services import reindex
from tests.conftest import FormClient, outbox_drained
from tests.forum.conftest import admin, ask, open_levels, topic_id

# The live table's indexes, constraints and identity sequence, by name and definition.
SCHEMA = """
SELECT string_agg(item, ' | ' ORDER BY item) FROM (
  SELECT indexname || ': ' || indexdef AS item FROM pg_indexes WHERE tablename = 'search_document'
  UNION ALL SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = 'search_document'::regclass
  UNION ALL SELECT pg_get_serial_sequence('search_document', 'id')
) AS parts
"""


async def _urls(client: FormClient, q: str) -> list[str]:
    response = await client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200
    return [hit["url"] for hit in response.json()["hits"]]


async def _until(predicate: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


async def _site(client: FormClient, member: Any, services: Any) -> tuple[int, int]:
    """Two organizations and a question with an answer; returns the topic's and the answer's ids."""
    await client.register("owner@example.com")
    for slug, name, summary in [
        ("deploy", "大模型的部署工作室", "帮企业把 Qwen 部署到内网。"),
        ("langchain", "LangChain 应用工坊", "Agent 与 RAG 应用开发。"),
    ]:
        made = await client.submit(
            "/orgs/new", {"name": name, "org_type": "opc", "slug": slug, "summary": summary}
        )
        assert made.status_code == 200
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    tid = topic_id(await ask(alice, title="FastAPI 里如何复用 embedding 模型？"))
    answer = await alice.submit(f"/forum/t/{tid}/reply", {"body": "补充：用 lru_cache 包一层单例加载器。"})
    post_id = int(re.search(r"#p(\d+)", str(answer.url)).group(1))  # type: ignore[union-attr]
    return tid, post_id


async def _everything_found(client: FormClient, tid: int) -> None:
    assert await _urls(client, "部署大模型") == ["/orgs/deploy"]
    assert await _urls(client, "langchain") == ["/orgs/langchain"]
    assert any(u.startswith(f"/forum/t/{tid}/") for u in await _urls(client, "FastAPI embedding"))
    assert any("#p" in u for u in await _urls(client, "lru_cache 单例"))


async def test_search_answers_in_full_while_the_index_is_rebuilt_and_after(  # type: ignore[no-untyped-def]
    client: FormClient, member, services, settings: Settings, db
) -> None:
    tid, _post = await _site(client, member, services)
    await outbox_drained(db)
    indexed = db.fetchval("SELECT count(*) FROM search_document")
    await _everything_found(client, tid)
    schema = db.fetchval(SCHEMA)

    seen: list[tuple[Any, ...]] = []

    async def progress(*report: Any) -> None:  # every step of the rebuild: search still answers in full
        seen.append(report)
        await _everything_found(client, tid)
        assert db.fetchval("SELECT count(*) FROM search_document") == indexed

    engine = create_async_engine(settings.database_url)
    try:
        counts = await reindex(
            async_sessionmaker(engine, expire_on_commit=False), PostgresSearchBackend(engine), progress
        )
    finally:
        await engine.dispose()
    assert len(seen) >= 3 and sum(counts.values()) == indexed
    await _everything_found(client, tid)
    assert db.fetchval("SELECT count(*) FROM search_document") == indexed
    assert db.fetchval("SELECT to_regclass('search_document_next')") is None  # nothing left beside it
    assert db.fetchval(SCHEMA) == schema  # the same indexes, constraints and sequence, by name


async def test_changes_made_during_a_rebuild_reach_the_new_index(  # type: ignore[no-untyped-def]
    client: FormClient, member, make_client, services, settings: Settings, db
) -> None:
    tid, post_id = await _site(client, member, services)
    moderator = await admin(make_client, services)
    await outbox_drained(db)

    async def meanwhile() -> None:
        """Between the build and the switch: an edit, a new organization, a hidden answer; the outbox
        delivers them to the live index (search shows them at once) while the new one is complete."""
        edited = await client.submit(
            "/orgs/deploy/edit",
            {
                "name": "光谷知识图谱科技",
                "org_type": "opc",
                "slug": "deploy",
                "summary": "知识图谱与 GraphRAG 落地",
            },
        )
        assert edited.status_code == 200
        made = await client.submit(
            "/orgs/new",
            {"name": "江城 Agent 工坊", "org_type": "opc", "slug": "agent-lab", "summary": "智能体编排"},
        )
        assert made.status_code == 200
        await moderator.submit(f"/forum/p/{post_id}/moderate", {"action": "hide"})

        async def delivered() -> bool:
            return (
                await _urls(client, "知识图谱") == ["/orgs/deploy"]
                and "/orgs/agent-lab" in await _urls(client, "江城 Agent 工坊")
                and await _urls(client, "lru_cache 单例") == []
            )

        await _until(delivered)

    engine = create_async_engine(settings.database_url)
    try:
        await reindex(
            async_sessionmaker(engine, expire_on_commit=False),
            PostgresSearchBackend(engine),
            before_switch=meanwhile,
        )
    finally:
        await engine.dispose()
    assert await _urls(client, "知识图谱") == ["/orgs/deploy"]
    assert await _urls(client, "部署大模型") == []
    assert (await _urls(client, "江城 Agent 工坊"))[0] == "/orgs/agent-lab"
    assert await _urls(client, "lru_cache 单例") == []
    assert any(u.startswith(f"/forum/t/{tid}/") for u in await _urls(client, "FastAPI embedding"))
    assert db.fetchval("SELECT count(*) FROM search_outbox WHERE delivered_at IS NOT NULL") == 0
    # Later changes go to the new index as usual.
    await client.submit(
        "/orgs/agent-lab/edit",
        {"name": "江城 Agent 工坊", "org_type": "opc", "slug": "agent-lab", "summary": "多智能体测试平台"},
    )
    await outbox_drained(db)
    assert await _urls(client, "多智能体测试平台") == ["/orgs/agent-lab"]
