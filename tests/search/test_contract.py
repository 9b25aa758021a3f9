"""The contract every search backend keeps. Runs against PostgreSQL always, Meilisearch when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community.search.schemas import SearchDocument, SearchQuery

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def doc(doc_id: str, title: str, body: str = "", doc_type: str = "post", **kw: Any) -> SearchDocument:
    return SearchDocument(
        doc_type=doc_type,
        doc_id=doc_id,
        title=title,
        body=body,
        url=f"/x/{doc_id}",
        published_at=kw.pop("published_at", NOW),
        **kw,
    )


DOCS = [
    doc(
        "1",
        "大模型的部署实践",
        "用 vLLM 在两张显卡上部署 Qwen2.5-7B，记录踩过的坑。",
        tags=["部署", "vllm"],
        domains=["生产制造"],
        district="洪山区",
    ),
    doc("2", "LangChain 入门指南", "从 Chain 到 Agent：用 LangChain 搭一个问答机器人。", tags=["langchain"]),
    doc(
        "3",
        "基于 RAG 的企业知识库",
        "把政务制度文件切块、向量化，接入大模型回答员工提问。",
        tags=["rag"],
        domains=["政务服务"],
        district="江岸区",
    ),
    doc("4", "Fine-tuning ChatGLM on a laptop", "LoRA adapters make fine-tuning cheap.", tags=["微调"]),
    doc(
        "5",
        "政务热线智能分派",
        "用智能体给 12345 热线工单自动分类。",
        doc_type="scenario",
        domains=["政务服务"],
        district="江岸区",
        status="published",
    ),
    doc("6", "鲲鹏服务器上跑 Qwen 推理", "ARM 服务器上的推理性能测试。"),
]


async def _index(backend: Any, docs: list[SearchDocument] = DOCS) -> None:
    await backend.apply(docs, [])


async def _ids(backend: Any, q: str, **kw: Any) -> list[str]:
    results = await backend.search(SearchQuery(q=q, **kw))
    return [h.doc_id for h in results.hits]


async def test_chinese_english_and_mixed_queries(backend: Any) -> None:
    await _index(backend)
    assert (await _ids(backend, "部署大模型"))[0] == "1"
    assert (await _ids(backend, "langchain"))[0] == "2"
    assert (await _ids(backend, "LANGCHAIN"))[0] == "2"
    assert (await _ids(backend, "RAG知识库"))[0] == "3"
    assert (await _ids(backend, "fine-tuning chatglm"))[0] == "4"
    assert "6" in await _ids(backend, "鲲")


async def test_filters_and_facets(backend: Any) -> None:
    await _index(backend)
    by_type = await backend.search(SearchQuery(q="政务", types=("scenario",)))
    assert [h.doc_id for h in by_type.hits] == ["5"]
    assert by_type.facets["doc_type"] == {"post": 1, "scenario": 1}  # a facet ignores its own filter
    assert await _ids(backend, "政务", district="江岸区", status="published") == ["5"]
    assert await _ids(backend, "大模型", domain="生产制造") == ["1"]
    assert await _ids(backend, "部署", tag="vllm") == ["1"]


async def test_highlights_are_escaped_html(backend: Any) -> None:
    await _index(
        backend, [doc("x", "<script>alert(1)</script> LangChain 技巧", "<img src=x onerror=alert(2)> 部署")]
    )
    hit = (await backend.search(SearchQuery(q="langchain 部署"))).hits[0]
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    assert "<img" not in hit.snippet_html
    assert "<mark>" in hit.title_html


async def test_update_replaces_and_delete_removes(backend: Any) -> None:
    await _index(backend)
    await backend.apply([doc("2", "LlamaIndex 入门指南", "不再提起那个框架。")], [])
    assert "2" not in await _ids(backend, "langchain")
    assert (await _ids(backend, "llamaindex"))[0] == "2"
    await backend.apply([], [("post", "2")])
    assert await _ids(backend, "llamaindex") == []
    await backend.apply([], [("post", "does-not-exist")])  # deleting what is gone is fine


async def test_pagination(backend: Any) -> None:
    docs = [doc(str(i), f"智能体 案例 {i}", published_at=NOW - timedelta(days=i)) for i in range(25)]
    await _index(backend, docs)
    first = await backend.search(SearchQuery(q="智能体", per_page=10))
    third = await backend.search(SearchQuery(q="智能体", per_page=10, page=3))
    assert first.total == 25 and len(first.hits) == 10 and len(third.hits) == 5
    assert not {h.doc_id for h in first.hits} & {h.doc_id for h in third.hits}


async def test_nasty_queries_answer_without_error(backend: Any) -> None:
    await _index(backend)
    for q in [
        "",
        "   ",
        "😀🔥",
        "'; DROP TABLE search_document; --",
        "a & b | !c <-> d",
        "\\x00",
        "大" * 10_000,
        "<script>alert(1)</script>",
        "(((",
        ":*",
        "'''",
    ]:
        results = await backend.search(SearchQuery(q=q))
        assert results.degraded is False
    assert (await _ids(backend, "大模型 nonexistentword"))[0] == "1"  # partial: some words match
    partial = await backend.search(SearchQuery(q="大模型 nonexistentword"))
    assert partial.partial is True


async def test_english_typo_in_a_title_is_forgiven(backend: Any) -> None:
    await _index(backend)
    assert "2" in await _ids(backend, "langchian")


async def test_pages_of_one_search_never_repeat_a_result(backend: Any) -> None:
    docs = [doc(f"t{i}", f"智能体 案例 {i}", published_at=NOW - timedelta(days=i)) for i in range(22)]
    docs += [
        doc(f"b{i}", f"其他 {i}", "正文里提到智能体", published_at=NOW - timedelta(days=i)) for i in range(10)
    ]
    await _index(backend, docs)
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        seen += [
            h.doc_id for h in (await backend.search(SearchQuery(q="智能体", per_page=10, page=page))).hits
        ]
    assert len(seen) == len(set(seen))
    assert {f"t{i}" for i in range(22)} <= set(seen)  # every title match is reachable


async def test_a_type_filter_finds_a_rare_type_among_many_matches(backend: Any) -> None:
    docs = [doc(str(i), f"知识库 案例 {i}") for i in range(60)]
    docs.append(doc("rare", "知识库 场景", doc_type="scenario"))
    await _index(backend, docs)
    results = await backend.search(SearchQuery(q="知识库", types=("scenario",)))
    assert [h.doc_id for h in results.hits] == ["rare"]
    assert results.facets["doc_type"]["post"] == 60


async def test_a_rebuild_is_searched_only_once_it_replaces_the_live_index(backend: Any) -> None:
    await _index(backend)
    await backend.begin_rebuild()
    await backend.rebuild_apply([doc("7", "全新的向量数据库选型"), doc("2", "LangChain 进阶")], [])
    # Until the switch, search answers from the live index, whole.
    assert (await _ids(backend, "langchain"))[0] == "2"
    assert "1" in await _ids(backend, "部署大模型")
    assert await _ids(backend, "向量数据库选型") == []
    await backend.rebuild_ready()
    await backend.rebuild_switch()
    assert await _ids(backend, "向量数据库选型") == ["7"]
    assert await _ids(backend, "部署大模型") == []
    assert await _ids(backend, "进阶") == ["2"]
    # The new index takes changes as the live one did; a rebuild given up leaves it as it is.
    await backend.apply([doc("8", "鲲鹏服务器选型")], [("post", "7")])
    assert await _ids(backend, "选型") == ["8"]
    await backend.begin_rebuild()
    await backend.rebuild_apply(DOCS, [])
    await backend.rebuild_abandon()
    assert await _ids(backend, "选型") == ["8"]
    assert await _ids(backend, "部署大模型") == []
