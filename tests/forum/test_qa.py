"""Questions, answers, acceptance, votes and reputation, notifications: what members of the forum see."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from sqlalchemy import select

from community.accounts.models import User
from community.forum.models import Vote
from tests.forum.conftest import ask, open_levels, topic_id, topic_path


def reputation(page_text: str) -> int:
    match = re.search(r'class="reputation">(-?\d+)<', page_text)
    assert match, page_text[:2000]
    return int(match.group(1))


async def _uid(services, email: str):
    return (await services.scalars(select(User.id).where(User.email == email))).one()


async def test_ask_answer_accept_vote_and_be_told(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    asked = await ask(alice, tags="python, rag")
    path, tid = topic_path(asked), topic_id(asked)
    # The code block is highlighted on the server; the page says it is a question.
    assert '<pre class="highlight"><code class="language-python">' in asked.text
    assert '<span class="k">def</span>' in asked.text
    assert "FastAPI 里如何复用 embedding 模型？" in asked.text

    answered = await bob.submit(
        f"/forum/t/{tid}/reply", {"body": "把模型放到 lifespan 里只加载一次 @Alice，然后复用。"}
    )
    assert answered.status_code == 200
    post_id = int(re.search(r"#p(\d+)", str(answered.url)).group(1))  # type: ignore[union-attr]
    assert "把模型放到 lifespan 里只加载一次" in answered.text
    assert 'class="mention"' in answered.text  # @Alice links to her profile

    bob_id = await _uid(services, "bob@example.com")
    before = reputation((await client.get(f"/forum/u/{bob_id}")).text)

    # Only the asker may accept; Bob cannot accept on Alice's question.
    assert (await bob.submit(f"/forum/p/{post_id}/accept")).status_code == 403
    accepted = await alice.submit(f"/forum/p/{post_id}/accept")
    assert accepted.status_code == 200 and 'class="accepted-mark"' in accepted.text
    after_accept = reputation((await client.get(f"/forum/u/{bob_id}")).text)
    assert after_accept == before + 15

    # A vote up: +10; sent twice (a double click) it still counts once; the database holds one row.
    await alice.submit(f"/forum/p/{post_id}/vote", {"vote": "up"})
    await alice.submit(f"/forum/p/{post_id}/vote", {"vote": "up"})
    assert reputation((await client.get(f"/forum/u/{bob_id}")).text) == after_accept + 10
    assert len((await services.scalars(select(Vote).where(Vote.post_id == post_id))).all()) == 1
    # Nobody votes on their own post.
    assert (await bob.submit(f"/forum/p/{post_id}/vote", {"vote": "up"})).status_code == 403

    # Alice was told of the answer (and the mention), Bob of the acceptance and the vote.
    alice_inbox = (await alice.get("/notifications")).text
    assert "FastAPI 里如何复用 embedding 模型？" in alice_inbox
    bob_inbox = (await bob.get("/notifications")).text
    assert bob_inbox.count("FastAPI 里如何复用 embedding 模型？") >= 2
    assert "unread-count" in (await bob.get("/forum")).text

    # The topic page carries valid JSON-LD: a QAPage whose accepted answer is Bob's.
    page = await client.get(path)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S).group(1)  # type: ignore[union-attr]
    data = json.loads(raw)
    assert data["@context"] == "https://schema.org" and data["@type"] == "QAPage"
    question = data["mainEntity"]
    assert question["@type"] == "Question" and question["name"] == "FastAPI 里如何复用 embedding 模型？"
    assert question["answerCount"] == 1
    assert question["acceptedAnswer"]["@type"] == "Answer"
    assert question["acceptedAnswer"]["upvoteCount"] == 1
    assert '<meta name="description" content="' in page.text
    assert f'<link rel="canonical" href="http://testserver.local{unquote(path)}">' in page.text


async def test_one_accepted_answer_and_switching_moves_reputation(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    carol = await member("carol@example.com", "Carol")
    tid = topic_id(await ask(alice))
    first = await bob.submit(f"/forum/t/{tid}/reply", {"body": "第一个回答：用全局单例。"})
    second = await carol.submit(f"/forum/t/{tid}/reply", {"body": "Second answer: use lru_cache."})
    p1 = int(re.search(r"#p(\d+)", str(first.url)).group(1))  # type: ignore[union-attr]
    p2 = int(re.search(r"#p(\d+)", str(second.url)).group(1))  # type: ignore[union-attr]
    await alice.submit(f"/forum/p/{p1}/accept")
    await alice.submit(f"/forum/p/{p2}/accept")
    api = (await client.get(f"/api/v1/forum/topics/{tid}")).json()
    assert api["topic"]["accepted_post_id"] == p2
    assert [p["accepted"] for p in api["posts"]] == [False, True]
    bob_id, carol_id = await _uid(services, "bob@example.com"), await _uid(services, "carol@example.com")
    assert reputation((await client.get(f"/forum/u/{bob_id}")).text) == 0
    assert reputation((await client.get(f"/forum/u/{carol_id}")).text) == 15
    # Answers cannot be accepted on a discussion.
    disc = await alice.submit(
        "/forum/new",
        {
            "title": "聊聊 Agent 框架选型",
            "body": "大家都在用哪个？LangGraph 还是自己写？",
            "kind": "discussion",
            "category": "analysis",
        },
    )
    reply = await bob.submit(f"/forum/t/{topic_id(disc)}/reply", {"body": "我们用 LangGraph，挺好。"})
    rid = int(re.search(r"#p(\d+)", str(reply.url)).group(1))  # type: ignore[union-attr]
    refused = await alice.submit(f"/forum/p/{rid}/accept")
    assert refused.status_code == 400


async def test_lists_latest_top_unanswered_category_and_tag(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    q1 = topic_id(await ask(alice, "问题一：如何量化 Qwen 模型", tags="qwen, 量化"))
    q2 = topic_id(await ask(alice, "Question two: vLLM memory usage", tags="vllm"))
    answer = await bob.submit(f"/forum/t/{q1}/reply", {"body": "用 AWQ 或 GPTQ 都可以。"})
    assert answer.status_code == 200
    unanswered = (await client.get("/forum?sort=unanswered")).text
    assert "Question two: vLLM memory usage" in unanswered and "问题一" not in unanswered
    tag_page = await client.get("/forum/tags/量化")
    assert (
        tag_page.status_code == 200
        and "问题一：如何量化 Qwen 模型" in tag_page.text
        and "vLLM" not in tag_page.text
    )
    assert "问题一" in (await client.get("/forum/c/qa?sort=top")).text
    assert (await client.get("/forum/c/nope")).status_code == 404
    assert (await client.get("/forum/tags/nope")).status_code == 404
    assert (await client.get("/forum?page=0")).status_code == 400
    assert (await client.get("/forum?page=abc")).status_code == 400
    # Permanent URLs: the short form and an old slug lead to the topic's address.
    short = await client.get(f"/forum/t/{q2}", follow_redirects=False)
    assert short.status_code == 301 and short.headers["location"].startswith(f"/forum/t/{q2}/")
    old = await client.get(f"/forum/t/{q2}/old-title", follow_redirects=False)
    assert old.status_code == 301
    assert (await client.get("/forum/t/999999/x")).status_code == 404
