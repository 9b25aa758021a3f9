"""Chinese first, English second: complete catalogs, a language switch that sticks."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from community.config import PROJECT_ROOT, Settings
from tests.conftest import FormClient


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    path = PROJECT_ROOT / "community" / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_message_in_the_code_and_templates_has_a_chinese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "N_",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    with pot.open("rb") as fh:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    zh = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _catalog("zh_CN") if m.id}
    missing = sorted(extracted - zh.keys())
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    untranslated = sorted(
        i
        for i, m in zh.items()
        if i in extracted and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))
    )
    assert not untranslated, untranslated[:10]


def test_translations_keep_every_placeholder() -> None:
    for message in _catalog("zh_CN"):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for text in strings:
            assert set(re.findall(r"%\(\w+\)s", text)) == wanted, message.id


async def test_chinese_by_default_and_english_on_request(client: FormClient) -> None:
    home = await client.get("/")
    assert '<html lang="zh-CN">' in home.text
    assert "技术交流" in home.text and "场景机会清单" in home.text and "技术能力清单" in home.text
    switched = await client.submit("/language", {"lang": "en", "next": "/orgs"})
    assert str(switched.url).endswith("/orgs")
    assert '<html lang="en">' in switched.text
    assert "Organizations" in switched.text and "技术交流" not in switched.text
    # the choice is kept on later pages
    again = await client.get("/login")
    assert '<html lang="en">' in again.text and "Forgot your password?" in again.text
    # errors speak the chosen language too
    bad = await client.register("", "x")
    assert "Enter your email address." in bad.text


async def test_a_members_language_follows_them_to_a_new_browser(make_client) -> None:
    first = await make_client()
    await first.register("lang@example.com")
    await first.submit("/language", {"lang": "en", "next": "/"})
    other_browser = await make_client()
    assert '<html lang="zh-CN">' in (await other_browser.get("/")).text
    after_login = await other_browser.login("lang@example.com")
    assert '<html lang="en">' in after_login.text


async def test_an_unknown_language_falls_back_to_chinese(client: FormClient) -> None:
    response = await client.submit("/language", {"lang": "xx-evil<script>", "next": "/"})
    assert '<html lang="zh-CN">' in response.text


async def test_a_first_visit_follows_the_browsers_language(make_client: Any) -> None:
    english = await make_client()
    page = await english.get("/", headers={"Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.5"})
    assert '<html lang="en">' in page.text and "Tech exchange" in page.text and "技术交流" not in page.text
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in page.headers["vary"].split(",")}

    for header in ("zh-CN,zh;q=0.9,en;q=0.8", "zh-TW", "zh-Hans", "fr, en;q=0.1, zh;q=0.5"):
        chinese = await (await make_client()).get("/", headers={"Accept-Language": header})
        assert '<html lang="zh-CN">' in chinese.text and "技术交流" in chinese.text, header
    # A language the site does not speak, or none at all: Chinese, the site's first language.
    unspoken = await (await make_client()).get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="zh-CN">' in unspoken.text

    # The member's choice wins over the browser's.
    switched = await english.submit("/language", {"lang": "zh_CN", "next": "/"})
    assert '<html lang="zh-CN">' in switched.text
    again = await english.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in again.text


async def test_the_shared_page_cache_serves_each_language_its_own_page(settings: Settings) -> None:
    from litestar.testing import AsyncTestClient

    from community.app import create_app

    app = create_app(replace(settings, anonymous_page_cache_seconds=300))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as visitor:
        assert (await visitor.get("/forum")).status_code == 200  # the CSRF cookie: a returning visitor now
        for _round in range(2):  # the second round is served from the stored copies
            english = await visitor.get("/", headers={"Accept-Language": "en"})
            chinese = await visitor.get("/", headers={"Accept-Language": "zh-CN"})
            assert '<html lang="en">' in english.text and "技术交流" not in english.text
            assert '<html lang="zh-CN">' in chinese.text and "技术交流" in chinese.text
        # The cookie the language switch sets overrides the browser for cached pages too.
        visitor.cookies.set("lang", "zh_CN")
        assert '<html lang="zh-CN">' in (await visitor.get("/", headers={"Accept-Language": "en"})).text


async def test_a_visitor_registering_from_an_english_browser_is_written_to_in_english(
    make_client: Any, mailbox: Any
) -> None:
    visitor = await make_client()
    visitor.headers["Accept-Language"] = "en-GB,en;q=0.9"
    seen = mailbox.seen()
    await visitor.submit(
        "/register", {"email": "reader@example.com", "display_name": "Reader", "password": "correct horse 42"}
    )
    mail = await mailbox.take_waiting("reader@example.com", seen)
    assert "Hello," in mailbox.body(mail) and "您好" not in mailbox.body(mail)
    # Signed up, the member keeps English on another browser (their saved choice).
    assert '<html lang="en">' in (await visitor.register("reader2@example.com", "Reader Two")).text
    other_browser = await make_client()
    assert '<html lang="en">' in (await other_browser.login("reader2@example.com")).text
