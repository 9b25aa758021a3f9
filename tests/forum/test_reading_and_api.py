"""Atom feeds, the JSON API, search and similar questions, drafts, edit history, watching, tags."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.conftest import outbox_drained
from tests.forum.conftest import ask, open_levels, topic_id

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_atom_feeds_parse_as_atom(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice & <Co>")
    await ask(alice, "RAG 检索 & <重排> 的问题", tags="rag")
    await alice.submit(
        "/forum/new",
        {
            "title": "Agent 框架对比 analysis",
            "body": "LangGraph vs CrewAI 对比分析。",
            "kind": "article",
            "category": "analysis",
        },
    )
    for path, expected in [("/forum/feed", 2), ("/forum/c/qa/feed", 1), ("/forum/tags/rag/feed", 1)]:
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "application/atom+xml"
        )
        root = ET.fromstring(  # noqa: S314 - our own feed
            response.content
        )
        assert root.tag == f"{ATOM}feed"
        for required in ("title", "id", "updated"):
            assert root.find(f"{ATOM}{required}") is not None
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == expected, path
        for entry in entries:
            for required in ("title", "id", "updated", "link", "author"):
                assert entry.find(f"{ATOM}{required}") is not None
    latest = ET.fromstring(  # noqa: S314 - our own feed
        (await client.get("/forum/feed")).content
    )
    titles = [e.findtext(f"{ATOM}title") for e in latest.findall(f"{ATOM}entry")]
    assert "RAG 检索 & <重排> 的问题" in titles
    assert (await client.get("/forum/tags/nope/feed")).status_code == 404


async def test_json_api_lists_reads_and_posts(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    token = await alice.csrf_token()
    headers = {"x-csrftoken": token}
    made = await alice.post(
        "/api/v1/forum/topics",
        json={
            "title": "API 发帖 posting via the API",
            "body": "```python\nprint('hi')\n```",
            "category": "code",
            "kind": "code",
            "tags": ["python"],
            "code_language": "Python",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    assert made.json()["url"].startswith(f"/forum/t/{tid}/")
    reply = await alice.post(
        f"/api/v1/forum/topics/{tid}/posts", json={"body": "自己补充一句 follow-up"}, headers=headers
    )
    assert reply.status_code == 201 and reply.json()["number"] == 2

    listing = (await client.get("/api/v1/forum/topics?tag=python")).json()
    assert [t["id"] for t in listing["items"]] == [tid] and listing["has_more"] is False
    detail = (await client.get(f"/api/v1/forum/topics/{tid}")).json()
    assert detail["opening_post"]["body_html"].startswith('<pre class="highlight">')
    assert [p["body_markdown"] for p in detail["posts"]] == ["自己补充一句 follow-up"]
    assert len((await client.get("/api/v1/forum/categories")).json()) == 6

    # Bad input: problem details, never a 500.
    bad = await alice.post(
        "/api/v1/forum/topics", json={"title": "x", "body": "y", "category": "nope"}, headers=headers
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert set(bad.json()["errors"]) >= {"title", "body", "category"}
    assert (await alice.post("/api/v1/forum/topics", json={"nope": 1}, headers=headers)).status_code == 400
    assert (
        await alice.post("/api/v1/forum/topics", content=b"{not json", headers=headers)
    ).status_code == 400
    assert (
        await client.post("/api/v1/forum/topics", json={"title": "t", "body": "b", "category": "qa"})
    ).status_code in (401, 403)
    assert (await client.get("/api/v1/forum/topics/424242")).status_code == 404
    assert (await client.get("/api/v1/forum/topics?per_page=1000")).status_code == 400
    assert (await client.get("/api/v1/forum/topics?tag=nope")).status_code == 404


async def test_search_finds_topics_and_similar_questions_while_typing(member, services, client, db) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    await ask(alice, "如何在 FastAPI 中部署大模型推理服务")
    await outbox_drained(db)
    results = await client.get("/search?q=大模型推理")
    assert "如何在 FastAPI 中部署大模型推理服务" in re.sub(r"<[^>]+>", "", results.text)  # words are <mark>ed
    similar = await alice.get("/forum/similar?title=部署大模型", headers={"hx-request": "true"})
    assert similar.status_code == 200 and "FastAPI" in re.sub(r"<[^>]+>", "", similar.text)
    assert (await alice.get("/forum/similar?title=")).text.strip() == ""


async def test_drafts_are_kept_and_preview_renders(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    preview = await alice.submit(
        "/forum/preview",
        {
            "draft_key": "new",
            "title": "写了一半的问题",
            "body": "```python\nx = 1\n```\n<script>alert(1)</script>",
        },
        headers={"hx-request": "true"},
    )
    assert (
        preview.status_code == 200
        and '<span class="n">x</span>' in preview.text
        and "<script>" not in preview.text
    )
    form = await alice.get("/forum/new")
    assert 'value="写了一半的问题"' in form.text and "x = 1" in form.text
    # Without JavaScript the Preview button does the same, and keeps the fields.
    nojs = await alice.submit(
        "/forum/new",
        {
            "action": "preview",
            "title": "写了一半的问题",
            "body": "**粗体**",
            "kind": "question",
            "category": "qa",
        },
    )
    assert "<strong>粗体</strong>" in nojs.text and 'value="写了一半的问题"' in nojs.text
    made = await ask(alice, "写完了的问题 finished question")
    assert made.status_code == 200
    assert 'value="写了一半的问题"' not in (await alice.get("/forum/new")).text  # posting discards the draft
    bad = await alice.submit("/forum/preview", {"draft_key": "../../etc", "body": "x"})
    assert bad.status_code == 200  # an unknown draft key is not saved, the preview still answers


async def test_edit_history_shows_a_diff_of_every_revision(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    made = await ask(alice, "原来的标题 original title")
    page = made.text
    post_id = int(re.search(r'id="p(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert (await bob.get(f"/forum/p/{post_id}/edit")).status_code == 404  # not Bob's post
    edited = await alice.submit(
        f"/forum/p/{post_id}/edit",
        {"title": "改过的标题 edited title", "body": "全新的正文 brand new body\n第二行"},
    )
    assert edited.status_code == 200 and "改过的标题 edited title" in edited.text
    history = await client.get(f"/forum/p/{post_id}/history")
    assert history.status_code == 200
    assert '<span class="dadd">+ 全新的正文 brand new body</span>' in history.text
    assert "原来的标题 original title" in history.text and "<del>" in history.text
    bad = await alice.submit(f"/forum/p/{post_id}/edit", {"title": "x", "body": ""})
    assert bad.status_code == 400 and 'id="e-body"' in bad.text


async def test_a_topics_tags_read_in_one_order_on_its_page_in_the_list_and_in_the_api(
    member, services, client
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    made = await ask(alice, "标签顺序 tag order", tags="zeta, 本地部署, agent, Ollama")
    expected = ["agent", "ollama", "zeta", "本地部署"]  # by code point, whatever order they were typed in
    page = made.text[made.text.index("<main") :]
    shown = re.findall(r'class="tag" href="/forum/tags/[^"]+">#([^<]+)</a>', page)
    assert shown == expected
    listed = (await client.get("/forum/c/qa")).text
    in_list = re.findall(r'href="/forum/tags/[^"]+"[^>]*>#([^<]+)</a>', listed)
    assert in_list == expected
    topic = (await client.get(f"/api/v1/forum/topics/{topic_id(made)}")).json()
    assert topic["topic"]["tags"] == expected


async def test_watching_a_category_and_tags_by_trust_level(member, services, client) -> None:
    await open_levels(services, 1)  # level 1: no new tags yet
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    category = await client.get("/forum/c/tools")
    assert category.status_code == 200
    # Bob watches the category; a new topic there notifies him.
    qa_id = re.search(r'name="target" value="(\d+)"', (await bob.get("/forum/c/tools")).text).group(1)  # type: ignore[union-attr]
    await bob.submit(
        "/forum/watch", {"kind": "category", "target": qa_id, "on": "1", "next": "/forum/c/tools"}
    )
    refused = await alice.submit(
        "/forum/new",
        {
            "title": "Ollama 本地部署心得",
            "body": "记录一下 Ollama 的用法。",
            "kind": "article",
            "category": "tools",
            "tags": "ollama",
        },
    )
    assert refused.status_code == 400 and 'id="e-tags"' in refused.text  # creating a tag needs level 2
    await open_levels(services, 2)
    made = await alice.submit(
        "/forum/new",
        {
            "title": "Ollama 本地部署心得",
            "body": "记录一下 Ollama 的用法。",
            "kind": "article",
            "category": "tools",
            "tags": "Ollama, 本地部署",
        },
    )
    assert made.status_code == 200 and "#ollama" in made.text
    assert "Ollama 本地部署心得" in (await bob.get("/notifications")).text
