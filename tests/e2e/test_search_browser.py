"""A person finds an organization through the search box in the header, in Chinese and English mixed."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import register

pytestmark = pytest.mark.e2e


def test_search_from_the_header_finds_and_opens_an_organization(page) -> None:  # type: ignore[no-untyped-def]
    register(page, "founder@example.com", "创始人")

    page.goto("/orgs/new")
    page.get_by_label("名称").fill("光谷 LangChain 部署工作室")
    page.get_by_label("类型").select_option("opc")
    page.get_by_label("网址简称").fill("lc-deploy")
    page.get_by_label("业务简介").fill("帮中小企业把大模型部署到内网，搭建 RAG 知识库。")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url(re.compile(r"/orgs/lc-deploy$"))

    # The index is fed by a background worker: within a moment the new organization is searchable.
    deadline = time.monotonic() + 15
    while True:
        page.goto("/")
        box = page.locator("header").get_by_role("searchbox")
        box.fill("langchain 部署")
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search\?q="))
        if page.locator("ol.results li").count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    first = page.locator("ol.results li").first
    assert first.locator("mark").first.is_visible()
    first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/orgs/lc-deploy$"))
    assert page.get_by_role("heading", name="光谷 LangChain 部署工作室").is_visible()
