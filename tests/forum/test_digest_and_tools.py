"""The weekly per-tag digest (opt-in, one-click unsubscribe), the AI tool directory, tag merging."""

from __future__ import annotations

import re

from sqlalchemy import text

from community.config import Settings
from community.forum.services import DigestService
from community.notifications.email import Mailer
from tests.conftest import Mailbox
from tests.forum.conftest import admin, ask, open_levels, topic_id


async def test_weekly_digest_per_tag_with_one_click_unsubscribe(
    member, services, client, mailbox: Mailbox, settings: Settings
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    await ask(alice, "向量数据库怎么选 Milvus or pgvector", tags="向量数据库")
    subscribed = await bob.submit("/forum/tags/向量数据库/digest", {"on": "1"})
    assert subscribed.status_code == 200
    # Nothing goes out before a week has passed since subscribing.
    assert (await DigestService(services).send_due(Mailer(settings), settings.base_url)).sent == 0
    await services.commit()
    # A week later: the subscription was last sent eight days ago, the topic is three days old.
    await services.execute(
        text("UPDATE forum_digest_subscription SET last_sent_at = now() - interval '8 days'")
    )
    await services.execute(text("UPDATE forum_topic SET created_at = now() - interval '3 days'"))
    await services.commit()
    report = await DigestService(services).send_due(Mailer(settings), settings.base_url)
    await services.commit()
    assert report.sent == 1
    mail = mailbox.wait_for("bob@example.com")
    body = Mailbox.body(mail)
    assert "向量数据库怎么选 Milvus or pgvector" in body and "/forum/t/" in body
    # Sent once: a second run in the same week sends nothing.
    assert (await DigestService(services).send_due(Mailer(settings), settings.base_url)).sent == 0
    await services.commit()
    unsubscribe = next(line for line in body.splitlines() if "/forum/digest/unsubscribe/" in line).strip()
    done = await client.get(unsubscribe.replace(settings.base_url, ""))
    assert done.status_code == 200 and "向量数据库" in done.text
    again = await client.get(unsubscribe.replace(settings.base_url, ""))
    assert again.status_code == 404
    assert (await services.scalar(text("SELECT count(*) FROM forum_digest_subscription"))) == 0


async def test_tool_directory_suggest_approve_cite(member, make_client, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bad = await alice.submit(
        "/forum/tools/suggest", {"name": "L", "slug": "Bad Slug!", "kind": "x", "homepage": "javascript:x"}
    )
    assert bad.status_code == 400
    for name in ("name", "slug", "kind", "homepage"):
        assert f'id="e-{name}"' in bad.text
    made = await alice.submit(
        "/forum/tools/suggest",
        {"name": "LangChain", "slug": "langchain", "kind": "framework", "homepage": "https://www.langchain.com",
         "license": "MIT", "description": "构建 LLM 应用的框架。", "tags": "rag, agent"},
    )  # fmt: skip
    assert made.status_code == 200
    assert "LangChain" not in (await client.get("/forum/tools")).text  # waits for an admin
    assert (await client.get("/forum/tools/langchain")).status_code == 404
    boss = await admin(make_client, services)
    assert "LangChain" in (await boss.get("/forum/tools")).text
    await boss.submit("/forum/tools/langchain/review", {"decision": "approve"})
    assert "LangChain" in (await client.get("/forum/tools")).text
    # A question tested with a version of it; the entry's page lists it as an unanswered question.
    asked = await ask(alice, "LangChain 0.3 的 retriever 报错", tools="langchain@0.3")
    assert "LangChain 0.3" in asked.text
    entry = await client.get("/forum/tools/langchain")
    assert entry.status_code == 200 and entry.text.count("LangChain 0.3 的 retriever 报错") == 2
    unknown = await ask_raw(alice, tools="nosuchtool@1")
    assert unknown.status_code == 400 and 'id="e-tools"' in unknown.text


async def ask_raw(person, **extra):  # type: ignore[no-untyped-def]
    form = {
        "title": "另一个问题 another question",
        "body": "正文正文正文正文，再多写几句。",
        "kind": "question",
        "category": "qa",
        **extra,
    }
    return await person.submit("/forum/new", form)


async def test_admins_merge_a_synonym_into_a_tag(member, make_client, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    await ask(alice, "大模型微调入门 fine-tuning", tags="llm")
    second = await ask_raw(alice, title="LLM 部署问题 deploying", tags="大模型")
    assert second.status_code == 200
    boss = await admin(make_client, services)
    refused = await boss.submit("/forum/admin/tags/merge", {"source": "nope", "target": "llm"})
    assert refused.status_code == 400 and 'id="e-source"' in refused.text
    await boss.submit("/forum/admin/tags/merge", {"source": "大模型", "target": "llm"})
    page = await client.get("/forum/tags/llm")
    assert "大模型微调入门" in page.text and "LLM 部署问题" in page.text
    for reader in (client, alice):  # a visitor and a member
        moved = await reader.get("/forum/tags/大模型", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"] == "/forum/tags/llm"
    # Typing the synonym files the topic under the tag.
    third = await ask_raw(alice, title="又一个大模型问题 third", tags="大模型")
    assert "#llm" in third.text
    assert topic_id(third) > 0


async def test_admins_manage_categories(member, make_client, services, client) -> None:
    boss = await admin(make_client, services)
    bad = await boss.submit(
        "/forum/admin/categories", {"slug": "Bad Slug", "name_zh": "", "name_en": "x" * 100}
    )
    assert bad.status_code == 400 and all(f'id="e-{n}"' in bad.text for n in ("slug", "name_zh", "name_en"))
    assert 'value="Bad Slug"' in bad.text
    made = await boss.submit(
        "/forum/admin/categories",
        {"slug": "agents", "name_zh": "智能体", "name_en": "Agents", "position": "2"},
    )
    assert made.status_code == 200
    assert "智能体" in (await client.get("/forum")).text
    assert (await client.get("/forum/c/agents")).status_code == 200
    alice = await member("alice@example.com", "Alice")
    assert (await alice.submit("/forum/admin/categories", {"slug": "x"})).status_code == 403


def _tag_buttons(page: str) -> dict[str, str]:
    """What the tag page's watch and weekly-email buttons would do: "1" to start, "0" to stop."""
    watch = re.search(r'name="kind" value="tag">.*?name="on" value="([01])"', page, re.S)
    email = re.search(r'/digest" class="inline">.*?name="on" value="([01])"', page, re.S)
    assert watch and email, page[:3000]
    return {"watch": watch.group(1), "email": email.group(1)}


async def test_a_tag_page_shows_each_member_their_own_watch_and_weekly_email(member, services) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    await ask(alice, "向量数据库怎么选 Milvus or pgvector", tags="向量数据库")
    page = await bob.get("/forum/tags/向量数据库")
    assert _tag_buttons(page.text) == {"watch": "1", "email": "1"}
    tag_id = re.search(r'name="kind" value="tag"><input type="hidden" name="target" value="(\d+)"', page.text)
    assert tag_id
    await bob.submit("/forum/watch", {"kind": "tag", "target": tag_id.group(1), "on": "1", "next": "/forum"})
    await bob.submit("/forum/tags/向量数据库/digest", {"on": "1"})

    assert _tag_buttons((await bob.get("/forum/tags/向量数据库")).text) == {"watch": "0", "email": "0"}
    # Alice reads the same page (its topics from the same shared fragment): Bob's choices are not hers.
    assert _tag_buttons((await alice.get("/forum/tags/向量数据库")).text) == {"watch": "1", "email": "1"}
    assert (await bob.get("/forum/tags/没有这个标签")).status_code == 404
