"""Public pages are rendered once for every visitor who is not logged in, for a few seconds, and never
shared with members or with anyone whose page could hold something of their own."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from community.config import Settings
from community.web import AnonymousPageStore
from tests.forum.conftest import Member, ask, open_levels
from tests.forum.conftest import member as member  # the fixture, requested by name


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, anonymous_page_cache_seconds=300)


async def _visitor(make_client: Any) -> Any:
    """A visitor who has been here before: the site has given them their CSRF cookie."""
    visitor = await make_client()
    first = await visitor.get("/forum")
    assert first.status_code == 200 and "opc_csrf" in first.cookies
    return visitor


async def test_visitors_share_a_page_members_always_see_it_fresh(
    make_client: Any, member: Member, services: Any
) -> None:
    await open_levels(services, 1)
    author = await member("author@example.com", "作者")
    await ask(author, title="第一个问题：向量库怎么选？")

    alice = await _visitor(make_client)
    bob = await _visitor(make_client)
    seen = await alice.get("/forum")  # stored for every visitor
    assert "第一个问题" in seen.text
    # Nothing of Alice's is in a page Bob may get: no token in the body, no cookie of hers.
    assert "x-csrftoken" not in seen.text and "_csrf_token" not in seen.text
    assert alice.cookies["opc_csrf"] not in seen.text

    await ask(author, title="第二个问题：RAG 的切块大小？")
    shared = await bob.get("/forum")
    assert "第一个问题" in shared.text and "第二个问题" not in shared.text  # the shared copy
    assert "set-cookie" not in shared.headers  # Bob keeps his own token
    assert shared.headers["content-security-policy"]  # headers added per request still are

    fresh = await author.get("/forum")  # a member: never the shared copy
    assert "第二个问题" in fresh.text and "x-csrftoken" in fresh.text

    newcomer = await make_client()  # first visit: no CSRF cookie yet, so a page of their own
    assert "第二个问题" in (await newcomer.get("/forum")).text


async def test_languages_are_kept_apart_and_switching_needs_no_token(make_client: Any) -> None:
    visitor = await _visitor(make_client)
    chinese = await visitor.get("/forum")
    assert 'lang="zh-CN"' in chinese.text
    switched = await visitor.post("/language", data={"lang": "en", "next": "/forum"})
    assert switched.status_code == 200 and 'lang="en"' in switched.text
    assert 'lang="en"' in (await visitor.get("/forum")).text
    assert 'lang="zh-CN"' in (await (await _visitor(make_client)).get("/forum")).text


async def test_a_missing_page_is_rendered_by_one_request_while_the_others_wait() -> None:
    store = AnonymousPageStore(fill_wait=2)
    assert await store.get("zh_CN:page:GET/forum") is None  # the first asks: it renders
    waiting = [asyncio.create_task(store.get("zh_CN:page:GET/forum")) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in waiting)  # not five more renders of the same page
    await store.set("zh_CN:page:GET/forum", b"<html>", expires_in=10)
    assert await asyncio.gather(*waiting) == [b"<html>"] * 5

    # A page that is not stored (an error page) lets the waiting go on at once, to render their own.
    assert await store.get("zh_CN:page:GET/forum/t/9") is None
    waiting_for_error = asyncio.create_task(store.get("zh_CN:page:GET/forum/t/9"))
    await asyncio.sleep(0.05)
    store.release("zh_CN:page:GET/forum/t/9")
    assert await asyncio.wait_for(waiting_for_error, 0.5) is None

    # A render that never answers holds the others back for fill_wait at most; members never wait.
    quick = AnonymousPageStore(fill_wait=0.2)
    assert await quick.get("zh_CN:page:GET/") is None
    assert await quick.get("zh_CN:page:GET/") is None  # after 0.2 s: this one renders it instead
    assert await quick.get("private:abc") is None and await quick.get("private:abc") is None


async def test_nobody_waits_on_a_page_that_is_not_stored(settings: Settings) -> None:
    """An answer that is not shared (a 404 here) ends its render at once: the next visitors do not wait."""
    from litestar.testing import AsyncTestClient

    from community.app import create_app
    from community.web import ANONYMOUS_PAGES_STORE

    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as visitor:
        assert (await visitor.get("/forum")).status_code == 200  # the CSRF cookie: a returning visitor now
        store = app.stores.get(ANONYMOUS_PAGES_STORE)
        assert isinstance(store, AnonymousPageStore)
        assert (await visitor.get("/forum/t/999999/nothing-here")).status_code == 404
        assert store.rendering == frozenset()
        assert (await visitor.get("/forum")).status_code == 200
        assert store.rendering == frozenset()
