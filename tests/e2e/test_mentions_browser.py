"""The mention picker in a real browser: a member types part of a name in the composer's picker, clicks the
member found, and "@handle " is written into the text; the post links the member, who is told."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import register

pytestmark = pytest.mark.e2e

TITLE = "有人用过 pgvector 的 HNSW 索引吗？"


def test_the_picker_writes_the_handle_and_the_member_is_told(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    contexts = [
        browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}) for _ in range(2)
    ]
    try:
        li, asker = (context.new_page() for context in contexts)
        for tab in (li, asker):
            tab.set_default_timeout(15_000)
        register(li, "li.wei@example.com", "Li Wei")
        register(asker, "asker@example.com", "提问者")

        asker.goto("/forum/new")
        asker.locator("#f-kind").select_option("question")
        asker.locator("#f-category").select_option("qa")
        asker.locator("#f-title").fill(TITLE)
        asker.locator("#f-body").fill("想请教一下索引参数怎么选，谢谢 ")
        asker.locator("#f-mention").press_sequentially("Li W")
        asker.locator("button[data-mention='li_wei']").click()
        assert asker.locator("#f-body").input_value().endswith("谢谢 @li_wei ")
        # The live preview follows the text the picker changed.
        asker.locator("#preview a.mention", has_text="@li_wei").wait_for()
        asker.locator("button[value=post]").click()
        asker.wait_for_url(re.compile(r"/forum/t/\d+/"))
        mention = asker.locator("article.post a.mention", has_text="@li_wei")
        assert re.fullmatch(r"/forum/u/[0-9a-f-]{36}", mention.get_attribute("href") or "")

        li.goto("/notifications")
        assert li.get_by_text(TITLE).first.is_visible()
    finally:
        for context in contexts:
            context.close()
