"""Segmentation and query terms: what makes Chinese and English search work at all."""

from __future__ import annotations

from community.search.text import highlight, index_tokens, query_terms, tsquery


def test_english_words_and_product_names_are_kept_whole_and_folded() -> None:
    tokens = index_tokens("LangChain 与 GPT-4o、Qwen2.5 的对比")
    assert "langchain" in tokens
    assert "gpt-4o" in tokens and "gpt" in tokens
    assert "qwen2.5" in tokens


def test_chinese_is_segmented_and_also_indexed_by_characters_and_bigrams() -> None:
    tokens = index_tokens("基于 RAG 的企业知识库")
    assert "知识库" in tokens and "企业" in tokens
    assert "库" in tokens  # single characters, for one-character queries
    assert "识库" in tokens  # bigrams, for words segmented differently


def test_full_width_text_is_normalized() -> None:
    assert "langchain" in index_tokens("ＬａｎｇＣｈａｉｎ")


def test_query_terms_drop_punctuation_emoji_and_operators() -> None:
    terms = [t.text for t in query_terms("😀 <script>alert(1)</script> ' OR 1=1; --")]
    assert all(t.isalnum() for t in terms)
    assert query_terms("!!! 。。。 😀") == []


def test_query_is_quoted_safely_for_postgres() -> None:
    q = tsquery(query_terms("it's 大模型"))
    assert "'it'" in q and "'s'" in q and "''" not in q


def test_a_very_long_query_is_bounded() -> None:
    assert len(query_terms("大模型 " * 5000)) <= 12


def test_highlight_escapes_html_and_marks_terms() -> None:
    html = highlight("<b>LangChain</b> 部署指南", query_terms("langchain 部署"))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "<mark>LangChain</mark>" in html and "<mark>部署</mark>" in html
