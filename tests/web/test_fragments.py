"""The public part of a listing is rendered once and shared by every reader, in every process of the site;
what is a reader's own (their name in the header, their token, what they watch) never travels in it, in
either language, and a change is in the very next page anyone asks for."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from typing import Any

from tests.conftest import clients_of
from tests.forum.conftest import ask, open_levels


def _category_target(page: str) -> str:
    found = re.search(r'name="kind" value="category"><input type="hidden" name="target" value="(\d+)"', page)
    assert found, page[:2000]
    return found.group(1)


async def test_members_in_two_processes_share_the_topic_rows_but_never_each_others_parts(
    settings: Any, services: Any, db: Any
) -> None:
    await open_levels(services, 1)
    async with AsyncExitStack() as stack:
        # Two processes of the site: each its own memory, one database between them.
        in_first = await stack.enter_async_context(clients_of(settings))
        in_second = await stack.enter_async_context(clients_of(settings))
        alice = await in_first()
        assert (await alice.register("alice@example.com", "爱丽丝")).status_code == 200
        bob = await in_second()
        assert (await bob.register("bob@example.com", "鲍勃")).status_code == 200
        await ask(alice, title="第一个问题：向量库怎么选？")

        # Alice watches the category: her page says so, with her name and her token.
        page = (await alice.get("/forum/c/qa")).text
        watch = {"kind": "category", "target": _category_target(page), "on": "1", "next": "/forum/c/qa"}
        assert (await alice.submit("/forum/watch", watch)).status_code == 200
        hers = await alice.get("/forum/c/qa")
        assert "第一个问题" in hers.text and "取消关注" in hers.text
        assert 'class="me">爱丽丝' in hers.text
        # The rows were rendered once and stored where the other process finds them.
        assert db.fetchval("SELECT count(*) FROM store_item WHERE namespace = 'fragments'") >= 1

        for language in ("zh_CN", "en"):
            assert (
                await bob.submit("/language", {"lang": language, "next": "/forum/c/qa"})
            ).status_code == 200
            his = (await bob.get("/forum/c/qa")).text
            assert "第一个问题" in his  # the shared rows
            assert 'class="me">鲍勃' in his and "爱丽丝</a>" not in his.split("<main")[0]
            assert alice.cookies["opc_csrf"] not in his
            assert ("Stop watching" if language == "en" else "取消关注") not in his  # Alice's watch is hers
            assert ('lang="en"' if language == "en" else 'lang="zh-CN"') in his

            # Bob posts in his process: it is in his next page, and in Alice's, in the other process.
            title = f"鲍勃的新问题（{language}）"
            await ask(bob, title=title)
            assert title in (await bob.get("/forum/c/qa")).text
            assert title in (await alice.get("/forum/c/qa")).text
            assert title in (await alice.get("/forum")).text


async def test_the_scenario_list_is_rendered_once_per_language_and_the_publish_button_stays_a_members(
    settings: Any, make_client: Any, db: Any
) -> None:
    visitor = await make_client()
    member = await make_client()
    assert (await member.register("carol@example.com", "卡罗尔")).status_code == 200
    for language in ("zh_CN", "en"):
        for person in (visitor, member):
            assert (await person.submit("/language", {"lang": language, "next": "/"})).status_code == 200
        mine = (await member.get("/scenarios")).text
        theirs = (await visitor.get("/scenarios")).text
        assert 'href="/scenarios/new"' in mine and 'href="/scenarios/new"' not in theirs
        assert "卡罗尔" in mine and "卡罗尔" not in theirs
    stored = "SELECT count(*) FROM store_item WHERE namespace = 'fragments' AND key LIKE 'scenarios/%'"
    assert db.fetchval(stored) == 2  # one list per language, shared by the visitor and the member
