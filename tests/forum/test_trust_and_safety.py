"""What a hostile member cannot do in the forum: slip links in by editing, hide posts with a few fresh
accounts, farm notices and reputation with votes, learn the titles of topics they cannot see, or load the
site with previews and drafts."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import FormClient, confirmation_path, outbox_drained, session_mailbox
from tests.forum.conftest import DEFAULTS, admin, ask, open_levels, topic_id, topic_path

ERROR = re.compile(r'<p class="error" id="e-body"[^>]*>(.*?)</p>', re.S)
THREE_LINKS = "参考 https://a.example https://b.example https://c.example 这三个链接"


@pytest.fixture
def settings(settings: Any) -> Any:
    """Many members register here from one address, more than the sign-up limit lets through a minute."""
    return replace(settings, register_rate_per_minute=100)


def path_of(response: Any) -> str:
    return str(response.url).replace("http://testserver.local", "")


def opening_post(db: Any, topic: int) -> int:
    return int(db.fetchval("SELECT id FROM forum_post WHERE topic_id = $1 AND number = 1", topic))


def edit_form(title: str, body: str) -> dict[str, str]:
    return {"title": title, "body": body, "action": "save"}


# --- edits go through the link limit and the review of new posts ----------------------------------------


async def test_a_new_members_edit_with_too_many_links_is_refused_like_a_new_post(member, client, db) -> None:
    alice = await member("alice@example.com", "Alice")  # default thresholds: trust level 0
    asked = await ask(alice)
    post_id = opening_post(db, topic_id(asked))

    new_post = await alice.submit(f"/forum/t/{topic_id(asked)}/reply", {"body": THREE_LINKS})
    assert new_post.status_code == 400
    message = ERROR.search(new_post.text).group(1)  # type: ignore[union-attr]

    edited = await alice.submit(
        f"/forum/p/{post_id}/edit", edit_form("FastAPI 里如何复用 embedding 模型？", THREE_LINKS)
    )
    assert edited.status_code == 400
    assert ERROR.search(edited.text).group(1) == message  # type: ignore[union-attr]
    assert THREE_LINKS in edited.text  # what they typed is kept
    assert "a.example" not in (await client.get(topic_path(asked))).text
    assert db.fetchval("SELECT revision_count FROM forum_post WHERE id = $1", post_id) == 1


async def test_a_new_members_edit_that_brings_in_a_link_waits_and_readers_keep_the_approved_text(
    member, make_client, services, client, db
) -> None:
    alice = await member("alice@example.com", "Alice")  # trust level 0; her first post had no link
    asked = await ask(alice, "无链接的问题 a question without links")
    path, post_id = topic_path(asked), opening_post(db, topic_id(asked))

    spam = "现在看这里 now visit https://spam.example/buy 便宜"
    held = await alice.submit(f"/forum/p/{post_id}/edit", edit_form("广告标题 spam title now", spam))
    assert held.status_code == 200 and path_of(held).startswith(path)
    # Readers (and the API, and search) still get the approved version, title included.
    page = (await client.get(path)).text
    assert "spam.example" not in page and "广告标题" not in page and "无链接的问题" in page
    api = (await client.get(f"/api/v1/forum/topics/{topic_id(asked)}")).json()
    assert (
        "spam.example" not in api["opening_post"]["body_markdown"] and "广告标题" not in api["topic"]["title"]
    )
    # Its author is told the edit waits, and goes on from it when editing again.
    assert 'class="notice"' in (await alice.get(path)).text
    assert "spam.example" in (await alice.get(f"/forum/p/{post_id}/edit")).text

    moderator = await admin(make_client, services)
    queue = (await moderator.get("/forum/review")).text
    assert f'id="q{post_id}"' in queue and "spam.example" in queue and "广告标题" in queue
    approved = await moderator.submit(f"/forum/p/{post_id}/moderate", {"action": "approve_edit"})
    assert approved.status_code == 200
    page = (await client.get(path)).text
    assert "https://spam.example/buy" in page and "广告标题 spam title now" in page
    history = (await client.get(f"/forum/p/{post_id}/history")).text
    assert "Alice" in history and "spam.example" in history  # her version, in the history
    assert "approve_edit" in (await moderator.get("/forum/mod-log")).text

    # A second link edited in waits again; rejected, readers keep what was approved.
    again = await alice.submit(
        f"/forum/p/{post_id}/edit", edit_form("广告标题 spam title now", spam + " https://more.example")
    )
    assert again.status_code == 200
    await moderator.submit(f"/forum/p/{post_id}/moderate", {"action": "reject_edit"})
    page = (await client.get(path)).text
    assert "more.example" not in page and "https://spam.example/buy" in page
    assert db.fetchval("SELECT count(*) FROM forum_held_edit") == 0
    assert f'id="q{post_id}"' not in (await moderator.get("/forum/review")).text

    # An edit without a new link is applied at once.
    fixed = await alice.submit(
        f"/forum/p/{post_id}/edit", edit_form("广告标题 spam title now", spam + " 谢谢 thanks")
    )
    assert fixed.status_code == 200 and "谢谢 thanks" in (await client.get(path)).text


# --- hiding by flags needs trust -------------------------------------------------------------------------


async def test_flags_of_basic_members_queue_a_post_and_only_trusted_flags_hide_it(
    member, make_client, services, client, db
) -> None:
    # Level 1 for everyone; level 2 after one post (as an admin would set it).
    from community.forum.services import TrustService

    await TrustService(services).set_thresholds(
        {1: ("0", "0", "0"), 2: ("1", "0", "0"), 3: DEFAULTS[3], 4: DEFAULTS[4]}
    )
    await services.commit()
    alice = await member("alice@example.com", "Alice")
    asked = await ask(alice, "会被标记的话题 a topic to flag")
    path, post_id = topic_path(asked), opening_post(db, topic_id(asked))

    for n in range(3):  # three fresh accounts of trust level 1
        flagger = await member(f"new{n}@example.com", f"新人{n}")
        assert (await flagger.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})).status_code == 200
    assert db.fetchval("SELECT count(*) FROM forum_flag WHERE post_id = $1", post_id) == 3
    assert (await client.get(path)).status_code == 200  # still there for readers
    assert "会被标记的话题" in (await client.get("/forum")).text
    moderator = await admin(make_client, services)
    queue = (await moderator.get("/forum/review")).text
    assert f'id="q{post_id}"' in queue and "新人0" in queue and "新人2" in queue

    # Members of trust level 2 weigh: three of their flags hide it.
    for n in range(3):
        trusted = await member(f"regular{n}@example.com", f"老手{n}")
        replied = await trusted.submit(f"/forum/t/{topic_id(asked)}/reply", {"body": f"我的回复 reply {n}"})
        assert replied.status_code == 200
        assert (await trusted.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})).status_code == 200
    assert (await client.get(path)).status_code == 404


async def test_a_moderators_flag_hides_at_once(member, make_client, services, client, db) -> None:
    alice = await member("alice@example.com", "Alice")
    asked = await ask(alice)
    moderator = await admin(make_client, services)
    post_id = opening_post(db, topic_id(asked))
    assert (await moderator.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})).status_code == 200
    assert (await client.get(topic_path(asked))).status_code == 404


# --- votes: one notice per voter and post, reputation that follows the votes ----------------------------


async def test_voting_up_and_back_tells_the_author_once_and_earns_nothing(member, db) -> None:
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    asked = await ask(alice)
    post_id = opening_post(db, topic_id(asked))

    def notices() -> int:
        return int(db.fetchval("SELECT count(*) FROM notification WHERE kind = 'forum.vote'"))

    def reputation() -> int:
        return int(
            db.fetchval(
                "SELECT m.reputation FROM forum_member m JOIN user_account u ON u.id = m.user_id "
                "WHERE u.email = 'alice@example.com'"
            )
        )

    for _cycle in range(4):
        assert (await bob.submit(f"/forum/p/{post_id}/vote", {"vote": "up"})).status_code == 200
        assert reputation() == 10
        await bob.submit(f"/forum/p/{post_id}/vote", {"vote": "down"})
        assert reputation() == -2
        await bob.submit(f"/forum/p/{post_id}/vote", {"vote": "none"})
        assert reputation() == 0
    assert notices() == 1
    assert db.fetchval("SELECT score FROM forum_post WHERE id = $1", post_id) == 0

    carol = await member("carol@example.com", "Carol")  # another voter is news
    await carol.submit(f"/forum/p/{post_id}/vote", {"vote": "up"})
    assert notices() == 2 and reputation() == 10


# --- titles of topics a reader cannot see -------------------------------------------------------------


async def test_topics_a_reader_cannot_see_answer_not_found_without_their_title(
    member, make_client, services, client, db
) -> None:
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    carol = await member("carol@example.com", "Carol")
    dave = await member("dave@example.com", "Dave")
    moderator = await admin(make_client, services)
    # A new member's first post with a link waits for review; a moderator hides one topic, deletes another.
    pending = await ask(alice, "待审核话题 pendingsecret 标题", body="看 https://example.com/x 这里的代码")
    hidden = await ask(bob, "被隐藏话题 hiddensecret 标题")
    deleted = await ask(carol, "被删除话题 deletedsecret 标题")
    await ask(dave, "公开话题 publicsecret 标题")  # what search does find
    await outbox_drained(db)
    for made, action in ((hidden, "hide"), (deleted, "delete")):
        post = opening_post(db, topic_id(made))
        assert (await moderator.submit(f"/forum/p/{post}/moderate", {"action": action})).status_code == 200
    await outbox_drained(db)
    secrets = ("pendingsecret", "hiddensecret", "deletedsecret")

    def clean(response: Any, status: int = 404) -> None:
        seen = response.text + response.headers.get("location", "")
        assert response.status_code == status, (response.request.url, response.status_code)
        assert not any(secret in seen for secret in secrets), response.request.url

    for made in (pending, hidden, deleted):
        tid = topic_id(made)
        pid = opening_post(db, tid)
        for reader in (client, dave):  # a visitor, and a member who is not its author
            clean(await reader.get(f"/forum/t/{tid}", follow_redirects=False))
            clean(await reader.get(f"/forum/t/{tid}/some-slug", follow_redirects=False))
            clean(await reader.get(f"/forum/p/{pid}/history"))
            clean(await reader.get(f"/api/v1/forum/topics/{tid}"))
        token = await dave.csrf_token()
        body = {"body": "我也想说几句 a few words"}
        for url, form in [
            (f"/forum/p/{pid}/flag", {"reason": "spam"}),
            (f"/forum/p/{pid}/edit", {**body, "action": "preview", "title": "x"}),
            (f"/forum/p/{pid}/edit", {**body, "action": "save", "title": "新的标题 new title"}),
            (f"/forum/t/{tid}/reply", {**body, "action": "preview"}),
            (f"/forum/t/{tid}/reply", body),
            (f"/forum/p/{pid}/vote", {"vote": "up"}),
            (f"/forum/p/{pid}/wiki", {"on": "1"}),
            (f"/forum/p/{pid}/accept", {}),
        ]:
            clean(await dave.submit(url, form, follow_redirects=False))
        clean(await dave.get(f"/forum/p/{pid}/flag"))
        clean(await dave.get(f"/forum/p/{pid}/edit"))
        api = {"x-csrftoken": token}
        clean(await dave.post(f"/api/v1/forum/posts/{pid}/vote", json={"vote": "up"}, headers=api))
        clean(await dave.post(f"/api/v1/forum/topics/{tid}/posts", json=body, headers=api))
        # No draft of a reply to it is kept.
        preview = await dave.submit("/forum/preview", {"draft_key": f"reply-{tid}", **body})
        clean(preview, 200)
        assert db.fetchval("SELECT count(*) FROM forum_draft WHERE key = $1", f"reply-{tid}") == 0

    # The author of a deleted topic does not see it any more either.
    deleted_post = opening_post(db, topic_id(deleted))
    clean(await carol.get(f"/forum/t/{topic_id(deleted)}", follow_redirects=False))
    clean(await carol.get(f"/forum/p/{deleted_post}/edit"))
    clean(await carol.submit(f"/forum/p/{deleted_post}/wiki", {"on": "1"}, follow_redirects=False))
    # Lists, feeds and search hold none of them.
    for url in ("/forum", "/forum/feed", "/forum/c/qa", "/forum/c/qa/feed", "/api/v1/forum/topics"):
        clean(await client.get(url), 200)
    for title in (
        "待审核话题 pendingsecret 标题",
        "被隐藏话题 hiddensecret 标题",
        "被删除话题 deletedsecret 标题",
    ):
        found = await client.get("/search", params={"q": title.split()[1]})  # the page repeats the query
        assert found.status_code == 200 and title not in re.sub(r"</?mark>", "", found.text)
    found = await client.get("/search", params={"q": "publicsecret"})
    assert "公开话题 publicsecret 标题" in re.sub(r"</?mark>", "", found.text)
    # Their authors and moderators still reach pending and hidden topics (by the short address too).
    assert (await alice.get(f"/forum/t/{topic_id(pending)}")).status_code == 200
    assert (await bob.get(f"/forum/t/{topic_id(hidden)}")).status_code == 200
    assert "hiddensecret" in (await moderator.get(f"/forum/t/{topic_id(hidden)}")).text


# --- previews and drafts ---------------------------------------------------------------------------------


@pytest.fixture
async def strict_client(settings: Any) -> AsyncIterator[FormClient]:
    """The app with a low preview limit (3 a minute), rate limits on."""
    from community.app import create_app

    app = create_app(replace(settings, forum_preview_rate_per_minute=3, rate_limits_enabled=True))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield FormClient(test_client)


async def test_previews_are_limited_per_account_and_a_huge_body_is_not_read(strict_client) -> None:
    person = strict_client
    assert (await person.register("alice@example.com", "Alice")).status_code == 200
    for _n in range(3):
        assert (await person.submit("/forum/preview", {"body": "**粗体** bold"})).status_code == 200
    refused = await person.submit("/forum/preview", {"body": "**粗体** bold"})
    assert refused.status_code == 429
    # The limit is per account: another member previews; a huge body is refused before it is read.
    await person.logout()
    assert (await person.register("bob@example.com", "Bob")).status_code == 200
    huge = "大" * 3_000_000  # 9 MB as UTF-8
    started = time.monotonic()
    assert (await person.submit("/forum/preview", {"body": huge})).status_code == 413
    assert time.monotonic() - started < 2
    answered = await person.submit("/forum/preview", {"body": "**粗体** bold"})
    assert answered.status_code == 200 and "<strong>粗体</strong>" in answered.text


LONG_MARKDOWN = (
    "## 小节 section\n\n一些**文字** with `code` and [a link](https://a.example) @someone\n\n"
    "```python\ndef f(x: int) -> int:\n    return x * 2\n```\n\n- item\n- item\n\n"
) * 400


async def test_the_site_keeps_answering_while_long_previews_render(live_server) -> None:
    """Against the served app (uvicorn): previews of a post's length of markdown, queued on the renderer's
    thread for over a second in all, do not hold up the event loop."""
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as browser:
        # The served app first finishes starting: its model loaded, its start-up objects frozen out of the
        # garbage collector's sight (until then a full collection alone stalls it for a third of a second).
        for _n in range(300):
            if (await browser.get("/healthz")).json()["status"] == "ok":
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        await browser.get("/login")
        token = browser.cookies["opc_csrf"]
        form = {
            "email": "previewer@example.com",
            "display_name": "预览者",
            "password": "a good long password",
        }
        mailbox = session_mailbox()
        seen = mailbox.seen()
        assert (await browser.post("/register", data={**form, "_csrf_token": token})).status_code == 200
        link = confirmation_path(await mailbox.take_waiting(form["email"], seen))
        assert link, "the registration mail holds no confirmation link"
        for _n in range(100):  # the job that mailed the link commits its token a moment later
            if (await browser.get(link)).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await browser.post(link, data={"_csrf_token": token})).status_code == 302

        async def preview() -> httpx.Response:
            body = LONG_MARKDOWN[:50_000]
            return await browser.post("/forum/preview", data={"body": body, "_csrf_token": token})

        assert (await preview()).status_code == 200  # the first one loads what rendering needs
        # One preview renders in about a sixth of a second here (a second on a busy machine); eight of them
        # keep the renderer busy long enough for several answers to be timed in between, however fast it is.
        previews = [asyncio.create_task(preview()) for _n in range(8)]
        slowest, rounds = 0.0, 0
        async with httpx.AsyncClient(base_url=live_server, timeout=30) as monitor:
            await monitor.get("/healthz")  # its connection is open before the timing starts
            while not all(p.done() for p in previews):
                started = time.monotonic()
                assert (await monitor.get("/healthz")).status_code == 200
                if not all(p.done() for p in previews):  # only answers given while previews were rendering
                    slowest, rounds = max(slowest, time.monotonic() - started), rounds + 1
                await asyncio.sleep(0.05)
        done = await asyncio.gather(*previews)
        assert slowest < 0.3, slowest
        assert rounds >= 3, rounds
    assert all(r.status_code == 200 and 'class="highlight"' in r.text for r in done)


async def test_drafts_are_kept_only_for_topics_that_exist_capped_in_number_and_size(
    member, services, db
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    topics = [topic_id(await ask(alice, f"第 {n} 个问题 question number {n}")) for n in range(22)]

    async def draft(key: str, body: str = "还没写完的回复 unfinished") -> str:
        response = await alice.submit("/forum/preview", {"draft_key": key, "body": body})
        assert response.status_code == 200
        return response.text

    assert "draft-status" not in await draft(f"reply-{max(topics) + 1000}")  # no such topic
    assert "draft-status" not in await draft("reply-99999999999999999999")
    assert db.fetchval("SELECT count(*) FROM forum_draft") == 0

    assert "draft-status" in await draft("new", "长" * 52_000)  # kept, at a post's length
    assert db.fetchval("SELECT length(body) FROM forum_draft WHERE key = 'new'") == 50_000
    for tid in topics:
        assert "draft-status" in await draft(f"reply-{tid}")
    # At most 20: the oldest went first, the newest stay.
    assert db.fetchval("SELECT count(*) FROM forum_draft") == 20
    assert db.fetchval("SELECT count(*) FROM forum_draft WHERE key = 'new'") == 0
    assert db.fetchval("SELECT count(*) FROM forum_draft WHERE key = $1", f"reply-{topics[-1]}") == 1
