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
    # The site's own name too (SITE_NAME_EN), in the title and the header.
    assert "<title>Wuhan OPC Open Community</title>" in page.text and "武汉OPC线上开放社区" not in page.text
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in page.headers["vary"].split(",")}

    for header in ("zh-CN,zh;q=0.9,en;q=0.8", "zh-TW", "zh-Hans", "fr, en;q=0.1, zh;q=0.5"):
        chinese = await (await make_client()).get("/", headers={"Accept-Language": header})
        assert '<html lang="zh-CN">' in chinese.text and "技术交流" in chinese.text, header
        assert "<title>武汉OPC线上开放社区</title>" in chinese.text, header
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
    body = mailbox.body(mail)
    assert "Wuhan OPC Open Community" in body and "武汉OPC线上开放社区" not in body
    # Signed up, the member keeps English on another browser (their saved choice).
    assert '<html lang="en">' in (await visitor.register("reader2@example.com", "Reader Two")).text
    other_browser = await make_client()
    assert '<html lang="en">' in (await other_browser.login("reader2@example.com")).text


def test_money_reads_naturally_in_each_language() -> None:
    from community.i18n import locale
    from community.kernel.money import format_fen, format_yuan, format_yuan_range
    from community.scenarios.labels import format_budget
    from community.talent.labels import format_pay

    with locale("zh_CN"):
        # 万 and 亿 where the amount is round enough to be read that way, every digit where it is not.
        assert [format_yuan(a) for a in (200_000, 1_234, 120_000_000, 125_000, 123_456, 50)] == [
            "20万元",
            "1,234元",
            "1.2亿元",
            "12.5万元",
            "123,456元",
            "50元",
        ]
        assert format_yuan_range(100_000, 500_000) == "10万–50万元"
        assert format_yuan_range(8_000, 12_000) == "8,000–12,000元"  # one unit for both ends
        assert format_fen(12_345) == "123.45元" and format_fen(5_000) == "50元"
        assert (
            format_budget(200_000, 500_000, False) == "20万–50万元"
            and format_budget(None, None, True) == "面议"
        )
        assert format_pay(8_000, 12_000, False) == "8,000–12,000元/月"
    with locale("en"):
        assert [format_yuan(a) for a in (200_000, 1_234, 120_000_000, 123_456)] == [
            "¥200,000",
            "¥1,234",
            "¥120,000,000",
            "¥123,456",
        ]
        assert format_yuan_range(100_000, 500_000) == "¥100,000–¥500,000"
        assert format_fen(12_345) == "¥123.45" and format_fen(5_000) == "¥50"
        assert format_budget(200_000, None, False) == "¥200,000"
        assert format_pay(8_000, 12_000, False) == "¥8,000–¥12,000 a month"
    assert format_yuan(None) == "" and format_fen(None) == ""


HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_shared_vocabulary_has_english_names_and_keeps_its_chinese_codes() -> None:
    from community.i18n import locale
    from community.scenarios.labels import choices as scenario_choices
    from community.scenarios.models import ScenarioKind, ScenarioScale
    from community.vocabulary import (
        DISTRICTS,
        DOMAINS,
        district_choices,
        domain_choices,
        domain_label,
        org_type_choices,
    )

    with locale("en"):
        shown = {
            "districts": district_choices(),
            "domains": domain_choices(),
            "org types": org_type_choices(),
            "kinds": scenario_choices(ScenarioKind),
            "scales": scenario_choices(ScenarioScale),
        }
        for name, pairs in shown.items():
            words = [word for _code, word in pairs]
            assert not [w for w in words if HAN.search(w)], name  # English, not Chinese
            assert len(set(words)) == len(words), name  # two codes never read alike
        assert dict(district_choices())["洪山区"] == "Hongshan District"
        assert domain_label.join(["智慧医疗", "金融"]) == "Smart healthcare, Finance"
        assert domain_label("未来领域") == "未来领域"  # a code this version does not know shows as itself
    with locale("zh_CN"):
        # The Chinese names are the stored codes themselves: nothing stored changes.
        assert (
            [code for code, _w in district_choices()]
            == [w for _c, w in district_choices()]
            == list(DISTRICTS)
        )
        assert [code for code, _w in domain_choices()] == [w for _c, w in domain_choices()] == list(DOMAINS)
        assert domain_label.join(["智慧医疗", "金融"]) == "智慧医疗、金融"


async def test_pages_name_domains_districts_and_budgets_in_the_readers_language(make_client: Any) -> None:
    english = await make_client()
    english.headers["Accept-Language"] = "en"
    chinese = await make_client()

    listing = (await english.get("/scenarios")).text
    for word in ("Hongshan District", "East Lake High-Tech Development Zone", "Smart healthcare", "AI chips"):
        assert f">{word}</a>" in listing, word
    assert ">¥100,000–¥500,000</a>" in listing and ">Over ¥5,000,000</a>" in listing
    assert "?district=%E6%B4%AA%E5%B1%B1%E5%8C%BA" in listing  # the link still carries the stored code
    assert ">洪山区</a>" not in listing and "万" not in listing

    zh_listing = (await chinese.get("/scenarios")).text
    assert (
        ">洪山区</a>" in zh_listing and ">10万–50万元</a>" in zh_listing and ">500万元以上</a>" in zh_listing
    )

    policies = (await english.get("/policies")).text
    assert (
        ">Wuchang District</a>" in policies
        and ">Cybersecurity</a>" in policies
        and ">武昌区</a>" not in policies
    )


async def test_a_student_reads_the_universities_in_english(make_client: Any) -> None:
    student = await make_client()
    student.headers["Accept-Language"] = "en"
    await student.register("student@example.com", name="Wang")
    page = (await student.get("/vouchers/verify")).text
    assert ">Huazhong University of Science and Technology (hust.edu.cn)</option>" in page
    assert ">华中科技大学" not in page
