"""A topic's page: its posts are rendered once and shared by every reader who sees what everyone sees; each
reader's votes and buttons are theirs alone, in either language; moderators, and authors of posts only they
see, get the page rendered for them; and what a page costs the database does not grow with its replies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from tests.conftest import FormClient
from tests.forum.conftest import admin, ask, open_levels, topic_path

SHARED_POSTS = (
    "SELECT coalesce(string_agg(convert_from(value, 'UTF8'), ''), '') FROM store_item"
    " WHERE namespace = 'fragments' AND key LIKE 'forum/_topic_posts.html|%'"
)
# What the site's background workers ask while a page is served: not the page's.
BACKGROUND = ("job", "search_outbox", "pg_try_advisory")


@contextmanager
def statements(first: FormClient) -> Iterator[list[str]]:
    """The SQL statements the site of ``first`` (the client that runs it) runs meanwhile, not counting those
    of its background workers."""
    engine = first.client.app.state.metrics_engine.sync_engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not any(word in statement for word in BACKGROUND):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def background_settled(services: Any, within: float = 30.0) -> None:
    """Wait until the site's background work has nothing due: no search change undelivered and no job waiting
    or running. Its statements (a delivery writes the search documents, a mail job reads notices) would
    otherwise be counted as the page's on a slow machine."""
    deadline = asyncio.get_running_loop().time() + within
    due = text(
        "SELECT (SELECT count(*) FROM search_outbox)"
        " + (SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now())"
    )
    while (await services.execute(due)).scalar_one():
        await services.rollback()
        assert asyncio.get_running_loop().time() < deadline, "the background work did not settle"
        await asyncio.sleep(0.1)
    await services.rollback()


async def reply(person: FormClient, path: str, body: str, **kwargs: Any) -> Any:
    topic_id = path.split("/")[3]
    response = await person.submit(f"/forum/t/{topic_id}/reply", {"body": body, "action": "post"}, **kwargs)
    assert response.status_code in (200, 302), re.findall(
        r"class=\"(?:error|flash)[^\"]*\"[^>]*>([^<]*)", response.text
    )
    return response


async def alice_asks_bob_reads(make_client: Any) -> tuple[FormClient, FormClient, str]:
    """Two registered members, Alice and Bob, and the path of a question Alice asked."""
    alice: FormClient = await make_client()
    assert (await alice.register("alice@example.com", "爱丽丝")).status_code == 200
    bob: FormClient = await make_client()
    assert (await bob.register("bob@example.com", "鲍勃")).status_code == 200
    return alice, bob, topic_path(await ask(alice))


def post_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article class="post[^"]*" id="p(\d+)"', page)]


async def test_members_share_the_posts_but_never_each_others_votes_or_buttons_in_either_language(
    make_client: Any, services: Any, db: Any
) -> None:
    alice, bob, path = await alice_asks_bob_reads(make_client)
    await reply(bob, path, "鲍勃的回答：把模型放在进程级的单例里。")
    opening, answer = post_ids((await alice.get(path)).text)
    await open_levels(services, 2)  # both may post and vote as often as they like

    for language, vote, on in (("zh_CN", "up", "vote up on"), ("en", "down", "vote down on")):
        for person in (alice, bob):
            assert (await person.submit("/language", {"lang": language, "next": path})).status_code == 200
        accept = "Accept this answer" if language == "en" else "采纳此回答"
        # Alice votes on Bob's answer: her next page shows her vote; she may accept it, as the asker.
        assert (await alice.submit(f"/forum/p/{answer}/vote", {"vote": vote})).status_code == 200
        hers = (await alice.get(path)).text
        assert on in hers and accept in hers
        assert f'href="/forum/p/{opening}/edit"' in hers and f'href="/forum/p/{answer}/edit"' not in hers
        assert f'href="/forum/p/{answer}/flag"' in hers

        # Bob reads the same posts, from the same shared fragment, with none of Alice's parts.
        his = (await bob.get(path)).text
        assert "鲍勃的回答" in his and ('lang="en"' if language == "en" else 'lang="zh-CN"') in his
        assert on not in his and accept not in his
        assert alice.cookies["opc_csrf"] not in his
        assert f'href="/forum/p/{answer}/edit"' in his and f'href="/forum/p/{opening}/edit"' not in his
        assert f'action="/forum/p/{opening}/vote"' in his and f'action="/forum/p/{answer}/vote"' not in his

        # What was shared holds nobody's parts: no token, no vote, no button of a reader's rights.
        shared = db.fetchval(SHARED_POSTS)
        assert "鲍勃的回答" in shared
        for personal in ("_csrf_token", on, accept, "/edit", "/flag", "/moderate", "/vote"):
            assert personal not in shared, personal

        # Alice answers too: her next page shows it, with her edit link; Bob's shows it, without.
        text = f"爱丽丝的补充（{language}）"
        await reply(alice, path, text, follow_redirects=False)
        hers = (await alice.get(path)).text
        newest = post_ids(hers)[-1]
        assert text in hers and f'href="/forum/p/{newest}/edit"' in hers
        his = (await bob.get(path)).text
        assert text in his and f'href="/forum/p/{newest}/edit"' not in his


async def test_posts_only_their_author_and_moderators_see_never_reach_other_readers(
    make_client: Any, services: Any
) -> None:
    alice: FormClient = await make_client()
    assert (await alice.register("alice@example.com", "爱丽丝")).status_code == 200
    carol: FormClient = await make_client()
    assert (await carol.register("carol@example.com", "卡罗尔")).status_code == 200
    bob: FormClient = await make_client()
    assert (await bob.register("bob@example.com", "鲍勃")).status_code == 200
    path = topic_path(await ask(alice))
    assert "卡罗尔" not in (await bob.get(path)).text  # the shared posts, before Carol's

    # A new member's first post with a link waits for a moderator: she sees it, with the notice; Bob not.
    await reply(carol, path, "卡罗尔的链接 https://example.com/spam")
    hers = (await carol.get(path)).text
    assert "卡罗尔的链接" in hers and "only its author and moderators see it" not in hers
    assert "等待版主审核" in hers
    assert "卡罗尔的链接" not in (await bob.get(path)).text

    # A moderator sees it, with the buttons to act on it; those never reach Bob's page.
    moderator = await admin(make_client, services)
    theirs = (await moderator.get(path)).text
    assert "卡罗尔的链接" in theirs and "/moderate" in theirs
    his = (await bob.get(path)).text
    assert "卡罗尔的链接" not in his and "/moderate" not in his
    assert "卡罗尔的链接" not in (await alice.get(path)).text


async def test_a_topic_and_the_forum_cost_the_same_statements_with_3_or_23_replies(
    make_client: Any, services: Any
) -> None:
    await open_levels(services, 2)
    alice, bob, path = await alice_asks_bob_reads(make_client)
    for pages in ("/forum", path):  # templates compiled, the reader's standing made
        await bob.get(pages)
    counts: dict[str, list[int]] = {"miss": [], "hit": [], "forum": []}
    for replies in (3, 23):
        while len(post_ids((await alice.get(path)).text)) - 1 < replies:
            await reply(
                bob,
                path,
                f"鲍勃的第 {len(counts['miss'])} 轮回答，内容不短于十个字。",
                follow_redirects=False,
            )
        await reply(bob, path, "再来一条，让缓存的版本前进。", follow_redirects=False)
        await background_settled(services)
        with statements(alice) as first:
            page = await bob.get(path)
        assert page.status_code == 200 and len(post_ids(page.text)) == replies + 2
        with statements(alice) as again:
            assert (await bob.get(path)).status_code == 200
        with statements(alice) as forum:
            assert (await bob.get("/forum")).status_code == 200
        counts["miss"].append(len(first))
        counts["hit"].append(len(again))
        counts["forum"].append(len(forum))
        # Read again, the posts come from the shared fragment: no post is read for this reader.
        assert not [s for s in again if "forum_post.body_html" in s], again
    assert counts["miss"][0] == counts["miss"][1], counts
    assert counts["hit"][0] == counts["hit"][1] < counts["miss"][0], counts
    assert counts["forum"][0] == counts["forum"][1], counts


async def test_a_members_reply_editor_and_watch_button_are_their_own_escaped_in_either_language(
    make_client: Any,
) -> None:
    alice, bob, path = await alice_asks_bob_reads(make_client)
    topic_id = path.split("/")[3]

    for language, label in (("zh_CN", "正文（Markdown）"), ("en", "Text (Markdown)")):
        for person in (alice, bob):
            assert (await person.submit("/language", {"lang": language, "next": path})).status_code == 200
        # Alice's unsent reply is saved as she types; her next page gives it back, escaped, and Bob's not.
        draft = f'<script>alert("{language}")</script> & 草稿'
        saved = await alice.submit("/forum/preview", {"draft_key": f"reply-{topic_id}", "body": draft})
        assert saved.status_code == 200
        hers = (await alice.get(path)).text
        assert label in hers and f'name="draft_key" value="reply-{topic_id}"' in hers
        assert "&lt;script&gt;alert(&#34;" + language + "&#34;)&lt;/script&gt; &amp; 草稿</textarea>" in hers
        assert "<script>alert(" not in hers
        his = (await bob.get(path)).text
        assert label in his and "alert(" not in his and "required></textarea>" in his

        # Bob watches the topic: his next page offers to stop, and to watch again once he stops; Alice's page
        # (the asker watches her own topic) is not changed by his.
        watch, stop = ("Watch", "Stop watching") if language == "en" else ("关注", "取消关注")
        watching = {"kind": "topic", "target": topic_id, "next": path}
        assert f">{watch}</button>" in (await bob.get(path)).text
        assert (await bob.submit("/forum/watch", {**watching, "on": "1"})).status_code == 200
        assert f">{stop}</button>" in (await bob.get(path)).text
        assert f">{stop}</button>" in (await alice.get(path)).text
        assert (await bob.submit("/forum/watch", {**watching, "on": "0"})).status_code == 200
        assert f">{watch}</button>" in (await bob.get(path)).text
        assert f">{stop}</button>" in (await alice.get(path)).text
