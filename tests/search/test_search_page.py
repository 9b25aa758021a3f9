"""The search page and API as people use them: one box in the header, every zone, no 500 whatever is typed."""

from __future__ import annotations

import pytest

from tests.conftest import FormClient, outbox_drained


@pytest.fixture
async def indexed(client: FormClient, db) -> FormClient:  # type: ignore[no-untyped-def]
    await client.register("owner@example.com")
    for slug, name, summary in [
        ("deploy", "大模型的部署工作室", "帮企业把 Qwen 部署到内网。"),
        ("langchain", "LangChain 应用工坊", "Agent 与 RAG 应用开发。"),
        ("rag", "基于 RAG 的企业知识库服务商", "制度文档问答。"),
    ]:
        response = await client.submit(
            "/orgs/new", {"name": name, "org_type": "opc", "slug": slug, "summary": summary}
        )
        assert response.status_code == 200
    await outbox_drained(db)
    return client


@pytest.mark.parametrize(
    ("q", "first"),
    [("部署大模型", "/orgs/deploy"), ("langchain", "/orgs/langchain"), ("RAG知识库", "/orgs/rag")],
)
async def test_must_show_queries_find_their_document_first(indexed: FormClient, q: str, first: str) -> None:
    api = await indexed.get("/api/v1/search", params={"q": q})
    assert api.json()["hits"][0]["url"] == first
    page = await indexed.get("/search", params={"q": q})
    assert page.status_code == 200
    assert f'href="{first}"' in page.text
    assert "<mark>" in page.text


@pytest.mark.parametrize(
    "q",
    [
        "!!!???。。。",
        "😀🚀🔥",
        "' OR 1=1; DROP TABLE search_document; --",
        "<script>alert(1)</script>",
        "x" * 10_000,
        "大模型" * 1200,
        "%_\\",
        "a:* & !b",
        "\u0000null",
    ],
)
async def test_nasty_queries_get_an_answer_never_a_500(indexed: FormClient, q: str) -> None:
    page = await indexed.get("/search", params={"q": q})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    api = await indexed.get("/api/v1/search", params={"q": q})
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.headers["content-type"].startswith("application/problem+json")


async def test_long_query_is_cut_with_a_notice(indexed: FormClient) -> None:
    page = await indexed.get("/search", params={"q": "部署 " * 2000})
    assert "只使用了开头部分" in page.text


async def test_type_filter_and_counts(indexed: FormClient) -> None:
    page = await indexed.get("/search", params={"q": "企业", "type": "organization"})
    assert page.status_code == 200 and 'href="/orgs/rag"' in page.text
    unknown_type = await indexed.get("/search", params={"q": "企业", "type": "no-such-type"})
    assert unknown_type.status_code == 200


async def test_header_search_box_on_every_page(client: FormClient) -> None:
    for path in ("/", "/orgs", "/login"):
        html = (await client.get(path)).text
        assert 'action="/search"' in html and 'name="q"' in html


async def test_empty_search_page_explains_itself(client: FormClient) -> None:
    page = await client.get("/search")
    assert page.status_code == 200 and "中文、英文" in page.text
    nothing = await client.get("/search", params={"q": "完全不存在的词"})
    assert "没有找到" in nothing.text


async def test_filters_are_links_that_keep_the_query(indexed: FormClient, db) -> None:  # type: ignore[no-untyped-def]
    await indexed.submit(
        "/orgs/new",
        {
            "name": "洪山 RAG 工作室",
            "org_type": "opc",
            "slug": "hs-rag",
            "district": "洪山区",
            "summary": "企业知识库",
        },
    )
    await indexed.submit(
        "/orgs/new",
        {
            "name": "江岸 RAG 团队",
            "org_type": "opc",
            "slug": "ja-rag",
            "district": "江岸区",
            "summary": "企业知识库",
        },
    )
    await outbox_drained(db)
    page = await indexed.get("/search", params={"q": "RAG"})
    assert "district=%E6%B4%AA%E5%B1%B1%E5%8C%BA" in page.text  # a 洪山区 link
    narrowed = await indexed.get("/search", params={"q": "RAG", "district": "洪山区"})
    assert 'href="/orgs/hs-rag"' in narrowed.text and 'href="/orgs/ja-rag"' not in narrowed.text
    api = await indexed.get("/api/v1/search", params={"q": "RAG", "district": "江岸区"})
    assert [hit["url"] for hit in api.json()["hits"]] == ["/orgs/ja-rag"]


async def test_nul_in_filters_is_not_an_outage(indexed: FormClient) -> None:
    response = await indexed.get("/api/v1/search", params={"q": "企业", "tag": "\x00", "district": "a\x00b"})
    assert response.status_code == 200
    assert response.json()["degraded"] is False
