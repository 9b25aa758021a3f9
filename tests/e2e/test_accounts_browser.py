"""A person in a real browser (Debian's chromium, phone-sized): register, log out, log in, switch language."""

from __future__ import annotations

import re

import pytest

from tests.conftest import session_mailbox
from tests.e2e.conftest import finish_registration, register

pytestmark = pytest.mark.e2e


def test_register_logout_login_and_switch_language(page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seen = session_mailbox().seen()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="注册").first.click()

    # A mistake first: the form comes back with what was typed, and says what is wrong beside the field.
    page.get_by_label("邮箱").fill("li.ming@example.com")
    page.get_by_label("显示名称").fill("李明 Ming 🚀")
    page.get_by_label("密码").fill("short")
    page.get_by_role("button", name="注册").click()
    assert page.locator("#e-password").is_visible()
    assert page.get_by_label("邮箱").input_value() == "li.ming@example.com"

    page.get_by_label("密码").fill("a good long password")
    page.get_by_role("button", name="注册").click()
    # The account is made from the link mailed to the address: the page says so, the same for any address.
    assert page.get_by_text("li.ming@example.com").first.is_visible()
    finish_registration(page, "li.ming@example.com", seen)
    assert page.locator("header").get_by_text("李明 Ming 🚀").is_visible()

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("header").get_by_role("link", name="登录").is_visible()

    page.locator("header").get_by_role("link", name="登录").click()
    page.get_by_label("邮箱").fill("li.ming@example.com")
    page.get_by_label("密码").fill("a good long password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("header").get_by_text("李明 Ming 🚀").is_visible()

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.zones").get_by_role("link", name="Tech exchange").is_visible()

    # The choice is kept: on another page, after a reload, and after logging out and in again.
    page.goto("/orgs")
    assert page.locator("html").get_attribute("lang") == "en"
    page.reload()
    assert page.get_by_role("heading", name="Organizations").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.locator("header").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("li.ming@example.com")
    page.get_by_label("Password").fill("a good long password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(tmp_path / "home-en.png"), full_page=True)


def test_the_language_choice_follows_the_member_to_a_new_browser(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    first = browser.new_context(base_url=live_server)
    tab = first.new_page()
    register(tab, "wang@example.com", "王")
    tab.get_by_role("button", name="English").click()
    tab.wait_for_load_state()
    first.close()

    second = browser.new_context(base_url=live_server)
    tab = second.new_page()
    tab.goto("/login")
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
    tab.get_by_label("邮箱").fill("wang@example.com")
    tab.get_by_label("密码").fill("a good long password")
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_url(re.compile(r"/$"))
    assert tab.locator("html").get_attribute("lang") == "en"
    second.close()
