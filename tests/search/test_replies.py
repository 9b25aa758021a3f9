"""Replies are searchable, as on Discourse and Stack Overflow: a search for a reply's words finds the reply
itself (its page and anchor, under its topic's title), and only while readers may see it and its topic."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import FormClient, outbox_drained
from tests.forum.conftest import admin, ask, open_levels, topic_id


async def _hits(client: FormClient, q: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200
    return list(response.json()["hits"])


async def _urls(client: FormClient, q: str) -> list[str]:
    return [hit["url"] for hit in await _hits(client, q)]


async def test_a_reply_is_found_by_its_words_and_leads_to_the_reply(  # type: ignore[no-untyped-def]
    member, services, client, db
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    tid = topic_id(await ask(alice, title="FastAPI 里如何复用 embedding 模型？"))
    answered = await bob.submit(
        f"/forum/t/{tid}/reply", {"body": "用 lru_cache 包一层单例加载器，冷启动只付一次。"}
    )
    post_id = int(re.search(r"#p(\d+)", str(answered.url)).group(1))  # type: ignore[union-attr]
    await outbox_drained(db)

    hits = await _hits(client, "lru_cache 单例")
    assert hits, "the reply's words find nothing"
    assert hits[0]["url"].endswith(f"#p{post_id}") and hits[0]["url"].startswith(f"/forum/t/{tid}/")
    assert "FastAPI 里如何复用 embedding 模型？" in hits[0]["title_html"]  # under its topic's title
    page = await client.get("/search", params={"q": "lru_cache 单例"})
    assert f'href="/forum/t/{tid}/' in page.text and f'#p{post_id}"' in page.text

    # Its author edits it: the new words find it, the old ones no longer do.
    edited = await bob.submit(f"/forum/p/{post_id}/edit", {"body": "改用 FastAPI 的 lifespan 钩子预热模型。"})
    assert edited.status_code == 200
    await outbox_drained(db)
    assert any(u.endswith(f"#p{post_id}") for u in await _urls(client, "lifespan 钩子预热"))
    assert not any(u.endswith(f"#p{post_id}") for u in await _urls(client, "lru_cache 单例"))


async def test_hidden_deleted_and_waiting_replies_and_unseen_topics_are_never_found(  # type: ignore[no-untyped-def]
    member, make_client, services, client, db
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    tid = topic_id(await ask(alice))
    first = await bob.submit(f"/forum/t/{tid}/reply", {"body": "第一条回复：试试 onnxruntime 量化。"})
    second = await bob.submit(f"/forum/t/{tid}/reply", {"body": "第二条回复：换成 triton 推理服务器。"})
    first_id = int(re.search(r"#p(\d+)", str(first.url)).group(1))  # type: ignore[union-attr]
    second_id = int(re.search(r"#p(\d+)", str(second.url)).group(1))  # type: ignore[union-attr]
    await outbox_drained(db)
    assert any(u.endswith(f"#p{first_id}") for u in await _urls(client, "onnxruntime 量化"))
    assert any(u.endswith(f"#p{second_id}") for u in await _urls(client, "triton 推理服务器"))

    moderator = await admin(make_client, services)
    await moderator.submit(f"/forum/p/{first_id}/moderate", {"action": "hide"})
    await moderator.submit(f"/forum/p/{second_id}/moderate", {"action": "delete"})
    await outbox_drained(db)
    assert await _urls(client, "onnxruntime 量化") == []
    assert await _urls(client, "triton 推理服务器") == []

    # Restored, the reply is found again; its topic hidden, no reply of it is found; shown again, they are.
    await moderator.submit(f"/forum/p/{first_id}/moderate", {"action": "restore"})
    await outbox_drained(db)
    assert any(u.endswith(f"#p{first_id}") for u in await _urls(client, "onnxruntime 量化"))
    opening = db.fetchval("SELECT id FROM forum_post WHERE topic_id = $1 AND number = 1", tid)
    await moderator.submit(f"/forum/p/{opening}/moderate", {"action": "hide"})
    await outbox_drained(db)
    assert await _urls(client, "onnxruntime 量化") == []
    await moderator.submit(f"/forum/p/{opening}/moderate", {"action": "restore"})
    await outbox_drained(db)
    assert any(u.endswith(f"#p{first_id}") for u in await _urls(client, "onnxruntime 量化"))
    assert await _urls(client, "triton 推理服务器") == []  # deleted stays gone

    # A reply that waits for review (a new member's link) is not found until a moderator approves it.
    await open_levels(services, 0)
    carol = await member("carol@example.com", "Carol")
    waiting = await carol.submit(
        f"/forum/t/{tid}/reply", {"body": "参考 https://example.com/paddle 的飞桨部署文档。"}
    )
    assert waiting.status_code == 200
    await outbox_drained(db)
    assert await _urls(client, "飞桨部署文档") == []
    pending = db.fetchval("SELECT id FROM forum_post WHERE topic_id = $1 AND visibility = 'pending'", tid)
    assert pending, "the reply did not wait for review"
    await moderator.submit(f"/forum/p/{pending}/moderate", {"action": "approve"})
    await outbox_drained(db)
    assert any(u.endswith(f"#p{pending}") for u in await _urls(client, "飞桨部署文档"))
