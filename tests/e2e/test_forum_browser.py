"""Two people in real browsers (Debian's chromium): A asks a question with a Python code block (the live
preview highlights it as she types), B answers, A accepts; B's reputation rises; A is told of the answer,
B of the acceptance."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import register

pytestmark = pytest.mark.e2e

QUESTION = "在 FastAPI 里怎样只加载一次 embedding 模型？"
CODE = (
    "Each request reloads the model:\n\n```python\n"
    'def search(q: str) -> list[str]:\n    model = load("bge-m3")\n    return model.encode(q)\n```\n'
)


def _register(browser, live_server, email: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    register(tab, email, name)
    return context, tab


def test_ask_answer_accept_reputation_and_notifications(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    a_context, a = _register(browser, live_server, "asker@example.com", "提问者A")
    b_context, b = _register(browser, live_server, "answerer@example.com", "回答者B")
    try:
        a.goto("/forum")
        a.locator("a[href^='/forum/new']").first.click()
        a.locator("#f-kind").select_option("question")
        a.locator("#f-category").select_option("qa")
        a.locator("#f-title").fill(QUESTION)
        a.locator("#f-body").fill(CODE)
        # The live preview (htmx) renders the code highlighted on the server while she types.
        a.locator("#f-body").press("End")
        a.locator("#preview pre.highlight .k").first.wait_for()
        a.locator("button[value=post]").click()
        a.wait_for_url(re.compile(r"/forum/t/\d+/"))
        assert a.locator("h1.topic-title").inner_text() == QUESTION
        assert a.locator("article.post pre.highlight .k", has_text="def").count() == 1
        topic_url = a.url

        b.goto(topic_url)
        b.locator("#f-body").fill(
            "把模型放进 Litestar/FastAPI 的 lifespan，只加载一次，然后通过依赖注入复用。"
        )
        b.locator("button[value=post]").click()
        b.wait_for_url(re.compile(r"#p\d+$"))
        b.locator("article.post a[href^='/forum/u/']", has_text="回答者B").first.click()
        assert b.locator(".reputation").inner_text() == "0"
        b_profile = b.url

        # A is told of the answer: the header counts it, the inbox names the question.
        a.goto("/forum")
        assert a.locator(".unread-count").inner_text() == "1"
        a.goto("/notifications")
        assert a.get_by_text(QUESTION).first.is_visible()
        a.goto(topic_url)
        a.locator("form[action$='/accept'] button").click()
        a.wait_for_load_state()
        assert a.locator(".accepted-mark").count() == 1

        # B's reputation rose by the acceptance, and B is told.
        b.goto(b_profile)
        assert b.locator(".reputation").inner_text() == "15"
        assert b.locator(".unread-count").inner_text() == "1"
        b.goto("/notifications")
        assert b.get_by_text(QUESTION).first.is_visible()
    finally:
        a_context.close()
        b_context.close()


def test_the_forum_reads_without_javascript(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    tab = context.new_page()
    try:
        for path in ("/forum/c/qa", "/forum/tags", "/forum/tools", "/forum"):
            response = tab.goto(path)
            assert response is not None and response.status == 200, path
        assert tab.locator("nav.tabs a").count() >= 3
        tab.locator("nav.tabs a[href$='sort=unanswered']").click()
        assert tab.url.endswith("/forum?sort=unanswered")
    finally:
        context.close()
