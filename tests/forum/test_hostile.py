"""Hostile text is stored or refused with a clear message, and always renders inert."""

from __future__ import annotations

import re

import pytest

from tests.forum.conftest import open_levels, topic_id

HOSTILE = {
    "script": "看这里 <script>alert('x')</script> done",
    "handler": 'Image: <img src="x" onerror="alert(1)"> and <a href="#" onclick="steal()">click</a>',
    "js_link": "[点我](javascript:alert(document.cookie)) and [data](data:text/html;base64,PHNjcmlwdD4=)",
    "md_image": "![x](javascript:alert(1)) ![y](https://example.com/a.png)",
    "broken": "<div><b>未闭合 <i>broken <table><tr><td>cell</div></b> <!-- comment --> <style>body{}</style>",
    "svg": "<svg onload=alert(1)><use href='data:image/svg+xml,...'/></svg> 结束",
    "iframe": '<iframe src="https://evil.example"></iframe> <form action="https://evil.example"><input></form>',
    "sql": "Robert'); DROP TABLE forum_post;-- 以及 1 OR 1=1 ; SELECT * FROM user_account",
    "emoji": "🚀🔥 中文 English 混排 👨‍👩‍👧 zero\u200bwidth",
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_bodies_render_inert(name, member, services, client, db) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    body = HOSTILE[name]
    made = await alice.submit(
        "/forum/new",
        {"title": f"Hostile {name} 测试标题", "body": body, "kind": "discussion", "category": "meta"},
    )
    assert made.status_code == 200, made.text[:2000]
    page = (await client.get(str(made.url))).text
    post_html = page.split('<div class="post-body">', 1)[1].split("</div>\n    <footer", 1)[0]
    assert "<script" not in post_html and "<iframe" not in post_html and "<svg" not in post_html
    assert "<style" not in post_html and "<form" not in post_html
    for tag in re.findall(r"<[a-zA-Z][^>]*>", post_html):  # real elements (escaped text is inert)
        assert not re.search(r"\son\w+\s*=", tag), tag
    assert 'href="javascript:' not in post_html and 'src="javascript:' not in post_html
    assert 'href="data:' not in post_html and 'src="data:' not in post_html
    for link in re.findall(r"<a [^>]*>", post_html):
        assert 'rel="nofollow ugc noopener"' in link, link
    assert db.fetchval("SELECT count(*) FROM forum_post") == 1  # the SQL-looking text is just text


async def test_title_with_bidi_override_and_zero_width_is_cleaned(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    made = await alice.submit(
        "/forum/new",
        {
            "title": "invoice\u202egpj.exe\u200b 发票",
            "body": "正文里也有 \u202eoverride\u202c 字符 and \u2066isolate\u2069",
            "kind": "discussion",
            "category": "meta",
        },
    )
    assert made.status_code == 200
    assert "\u202e" not in made.text and "\u2066" not in made.text and "\u200b" not in made.text
    assert "invoicegpj.exe 发票" in made.text


async def test_an_overlong_post_is_refused_with_the_fields_kept_and_a_megabyte_is_not_read(
    member, services, db
) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    form = {"title": "一篇很长的文章 A very long article", "kind": "article", "category": "analysis"}
    long = "长文本 long text " * 4_000  # 56,000 characters: over a post's limit, a form of about 160 KB
    response = await alice.submit("/forum/new", {**form, "body": long})
    assert response.status_code == 400
    assert 'id="e-body"' in response.text and "50000" in response.text
    assert 'value="一篇很长的文章 A very long article"' in response.text

    huge = "长文本 long text " * 70_000  # about 1 MB (3 MB as a form): refused before it is read
    assert (await alice.submit("/forum/new", {**form, "body": huge})).status_code == 413
    assert db.fetchval("SELECT count(*) FROM forum_topic") == 0


async def test_bad_topic_forms_come_back_with_errors_beside_fields(member, services) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    for form, fields in [
        ({}, ("title", "body", "category")),
        (
            {"title": "短", "body": "x", "kind": "pirate", "category": "nope"},
            ("title", "body", "kind", "category"),
        ),
        (
            {
                "title": "代码分享：没有代码",
                "body": "这里本应有代码但是没有。",
                "kind": "code",
                "category": "code",
                "repo_url": "javascript:alert(1)",
            },
            ("repo_url",),
        ),
        (
            {
                "title": "Tags 测试标题",
                "body": "正文正文正文正文正文",
                "category": "qa",
                "tags": "a,b,c,d,e,f",
            },
            ("tags",),
        ),
        (
            {"title": "Tags 测试标题", "body": "正文正文正文正文正文", "category": "qa", "tags": "<script>"},
            ("tags",),
        ),
        ({"title": "\x00\x00 NUL 标题", "body": "NUL \x00 in body 正文", "category": "qa"}, ()),
    ]:
        response = await alice.submit("/forum/new", {"kind": "discussion", **form})
        if not fields:
            assert response.status_code in (200, 400)
            continue
        assert response.status_code == 400, form
        for name in fields:
            assert f'id="e-{name}"' in response.text, (name, form)


async def test_double_submit_and_bad_ids_never_500(member, services, client) -> None:
    await open_levels(services, 2)
    alice = await member("alice@example.com", "Alice")
    made = await alice.submit(
        "/forum/new",
        {
            "title": "双击测试 double click",
            "body": "正文正文正文正文正文",
            "kind": "discussion",
            "category": "meta",
        },
    )
    tid = topic_id(made)
    for _ in range(2):
        assert (
            await alice.submit(f"/forum/t/{tid}/reply", {"body": "同一条回复 same reply"})
        ).status_code == 200
    for path in (
        "/forum/t/abc/x",
        "/forum/p/99999/history",
        "/forum/u/not-a-uuid",
        "/forum/t/99999999999999999999/x",
    ):
        assert (await client.get(path)).status_code in (400, 404), path
    for path in (
        "/forum/p/99999/vote",
        "/forum/p/99999/accept",
        "/forum/p/99999/flag",
        "/forum/t/99999/reply",
    ):
        assert (
            await alice.submit(path, {"vote": "up", "body": "正文正文正文正文", "reason": "spam"})
        ).status_code == 404, path
    assert (await alice.submit(f"/forum/p/{tid}/vote", {"vote": "sideways"})).status_code in (400, 403)
