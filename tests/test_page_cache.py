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

    # A first visit (no CSRF cookie yet) is served the shared copy too, with a CSRF cookie of its own.
    newcomer = await make_client()
    first = await newcomer.get("/forum")
    assert "第一个问题" in first.text and "第二个问题" not in first.text
    assert first.cookies["opc_csrf"] not in (alice.cookies["opc_csrf"], bob.cookies["opc_csrf"])
    assert "set-cookie" not in (await bob.get("/forum")).headers  # the stored copy holds no cookie of theirs


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


async def test_parameters_a_page_does_not_read_do_not_make_another_copy(
    make_client: Any, member: Member, services: Any
) -> None:
    """``?utm_source=...`` is the same page: served from the same copy, and not stored again."""
    await open_levels(services, 1)
    author = await member("author@example.com", "作者")
    await ask(author, title="第一个问题：向量库怎么选？")
    visitor = await _visitor(make_client)
    assert "第一个问题" in (await visitor.get("/forum")).text  # stored

    await ask(author, title="第二个问题：RAG 的切块大小？")
    for junk in ("?utm_source=wechat", "?x=1&y=2", "?utm_source=a&utm_medium=b&fbclid=c"):
        page = await visitor.get(f"/forum{junk}")
        assert page.status_code == 200
        assert "第一个问题" in page.text and "第二个问题" not in page.text, junk  # the one shared copy
        assert "utm_source" not in page.text and "fbclid" not in page.text
    # A parameter the page reads is another page.
    assert "第二个问题" in (await visitor.get("/forum?sort=latest")).text


async def test_a_flood_of_addresses_does_not_grow_the_cache_past_its_bound(settings: Settings) -> None:
    from litestar.testing import AsyncTestClient

    from community.app import create_app
    from community.web import ANONYMOUS_PAGES_STORE

    app = create_app(replace(settings, anonymous_page_cache_max_entries=5))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as visitor:
        assert (await visitor.get("/forum")).status_code == 200  # the CSRF cookie: a returning visitor now
        store = app.stores.get(ANONYMOUS_PAGES_STORE)
        assert isinstance(store, AnonymousPageStore)
        for n in range(200):  # junk: all one page
            assert (await visitor.get(f"/forum?x={n}&utm_campaign={n}")).status_code == 200
        assert store.size[0] == 1
        for n in range(1, 30):  # a parameter the page reads: distinct pages, but never more than the bound
            assert (await visitor.get(f"/forum?page={n}")).status_code == 200
            assert store.size[0] <= 5
        assert store.size[0] == 5


async def test_the_store_drops_the_least_recently_used_pages_past_its_bounds() -> None:
    store = AnonymousPageStore(max_entries=3, max_bytes=1000)
    for name in ("a", "b", "c"):
        await store.set(name, b"x" * 100, expires_in=60)
    assert await store.get("a") == b"x" * 100  # "a" is used again: "b" is now the oldest
    await store.set("d", b"y" * 100, expires_in=60)
    assert not await store.exists("b") and await store.exists("a") and await store.exists("d")
    assert store.size == (3, 300)
    await store.set("big", b"z" * 900, expires_in=60)  # past the bytes: the oldest go until it fits
    assert store.size == (2, 1000) and await store.exists("big") and await store.exists("d")
    assert not await store.exists("a") and not await store.exists("c")
    await store.set("huge", b"z" * 1001, expires_in=60)  # larger than the whole cache: not stored
    assert not await store.exists("huge") and store.size == (2, 1000)
