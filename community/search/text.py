"""Chinese-aware text handling for search: segmentation, query terms, highlighting.

Documents are segmented with jieba in search mode; English words, numbers and product names (gpt-4o,
LangChain, Qwen2.5) are kept whole and case-folded. Runs of Chinese characters are also indexed as single
characters and character bigrams, so that a one-character query, or a word that jieba splits differently in
the query than in the document ("RAG知识库" against "RAG 的企业知识库"), still matches.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jieba

from community.vocabulary import DOMAINS

jieba.setLogLevel(logging.WARNING)
_jieba_ready = threading.Lock()
_initialized = False

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A word: latin letters/digits possibly joined by . _ + # - (gpt-4o, c++, node.js, qwen2.5), or a CJK run.
TOKEN_RE = re.compile(rf"[a-z0-9]+(?:[._+#-]+[a-z0-9]+)*[+#]*|[{CJK}]+")
CJK_RE = re.compile(rf"^[{CJK}]+$")
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12
MAX_INDEX_TOKENS = 4000  # per field; a very long body is indexed by its beginning
MAX_TOKEN_CHARS = 60  # longer "words" (base64, hashes, long URLs) are not what people search for

# Words of this community that jieba's general dictionary splits apart.
DOMAIN_WORDS = (
    "大模型",
    "智能体",
    "知识库",
    "一人公司",
    "算力券",
    "体验券",
    "具身智能",
    "多模态",
    "向量数据库",
    "提示词",
    "微调",
    "开源模型",
    "场景机会清单",
    "技术能力清单",
    "低空经济",
    *DOMAINS,
)


def ensure_jieba() -> None:
    """Load jieba's dictionary once (about a second); call it off the event loop at start-up."""
    global _initialized
    if _initialized:
        return
    with _jieba_ready:
        if not _initialized:
            jieba.initialize()
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=20000)
            _initialized = True


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become plain ones), lower case, no NUL (PostgreSQL refuses it)."""
    return unicodedata.normalize("NFKC", text or "").lower().replace("\x00", "")


def _cjk_grams(run: str) -> Iterator[str]:
    yield from run
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def index_tokens(text: str, limit: int = MAX_INDEX_TOKENS) -> list[str]:
    """The lexemes of a document field, in order (positions matter for ranking)."""
    ensure_jieba()
    tokens: list[str] = []
    for match in TOKEN_RE.finditer(normalize(text)):
        word = match.group(0)
        if CJK_RE.match(word):
            tokens.extend(w for w in jieba.cut_for_search(word) if 1 < len(w) <= MAX_TOKEN_CHARS)
            tokens.extend(_cjk_grams(word))
        elif len(word) > MAX_TOKEN_CHARS:
            continue
        else:
            tokens.append(word)
            tokens.extend(_latin_parts(word))
        if len(tokens) >= limit:
            break
    return tokens[:limit]


def _latin_parts(word: str) -> list[str]:
    """gpt-4o -> gpt, 4o; qwen2.5 -> qwen2, 5, qwen; llama3 -> llama: what people type for a product."""
    parts = [p for p in re.split(r"[._+#-]+", word) if p]
    if len(parts) == 1:
        parts = []
    letters = re.match(r"[a-z]{2,}", word)
    if letters and letters.group(0) != word and letters.group(0) not in parts:
        parts.append(letters.group(0))
    return parts


@dataclass(frozen=True)
class QueryTerm:
    """One thing the searcher asked for: an English word (matched as a prefix) or a Chinese word."""

    text: str
    cjk: bool


def query_terms(query: str) -> list[QueryTerm]:
    """What a query asks for. Punctuation, emoji and operators are dropped; only words count."""
    ensure_jieba()
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for match in TOKEN_RE.finditer(normalize(query[:MAX_QUERY_CHARS])):
        word = match.group(0)
        pieces: Iterable[str]
        pieces = (w for w in jieba.cut(word) if w.strip()) if CJK_RE.match(word) else (word,)
        for piece in pieces:
            if piece not in seen and len(piece) <= MAX_TOKEN_CHARS:
                seen.add(piece)
                terms.append(QueryTerm(piece, bool(CJK_RE.match(piece))))
    # Chinese particles (的, 和, 了) say nothing on their own when other words are there.
    meaningful = [t for t in terms if not (t.cjk and len(t.text) == 1 and t.text in _PARTICLES)]
    return (meaningful or terms)[:MAX_QUERY_TERMS]


_PARTICLES = set("的了和与及或在是把被对于就也都而呢吗吧啊")


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def term_tsquery(term: QueryTerm) -> str:
    """A tsquery for one term: an English word as itself; a Chinese word as itself, or its bigrams.

    No prefix matching: a prefix expands to every lexeme that starts with it and makes common queries slow at
    scale; product names are indexed with their parts instead (qwen2.5 -> qwen), and titles forgive typos.
    """
    if not term.cjk:
        return _quote(term.text)
    if len(term.text) <= 2:
        return _quote(term.text)
    bigrams = " & ".join(_quote(term.text[i : i + 2]) for i in range(len(term.text) - 1))
    return f"({_quote(term.text)} | ({bigrams}))"


def tsquery(terms: list[QueryTerm], any_term: bool = False) -> str:
    joiner = " | " if any_term else " & "
    return joiner.join(term_tsquery(t) for t in terms)


def tsvector_literal(weighted_fields: list[tuple[str, str]]) -> str:
    """A tsvector in PostgreSQL's input syntax, with positions and weights ('A' for titles).

    Built here rather than with to_tsvector() because PostgreSQL's parsers do not segment Chinese.
    """
    positions: dict[str, list[str]] = {}
    pos = 0
    for text, weight in weighted_fields:
        for token in index_tokens(text):
            pos = min(pos + 1, 16383)
            entry = positions.setdefault(token, [])
            if len(entry) < 64:
                entry.append(f"{pos}{weight}")
        pos = min(pos + 8, 16383)  # fields apart: no phrase across a title and its body
    return " ".join(f"{_quote(token)}:{','.join(p)}" for token, p in positions.items())


def highlight(text: str, terms: list[QueryTerm], max_chars: int | None = None) -> str:
    """HTML: ``text`` escaped, the terms wrapped in <mark>, cut to a window around the first match."""
    if not text:
        return ""
    norm = normalize(text)
    if len(norm) != len(text):  # NFKC changed the length (rare ligatures): fall back to lower()
        norm = text.lower()
    spans: list[tuple[int, int]] = []
    for term in sorted(terms, key=lambda t: -len(t.text)):
        start = 0
        while (found := norm.find(term.text, start)) != -1:
            end = found + len(term.text)
            if not any(s < end and found < e for s, e in spans):
                spans.append((found, end))
            start = end
    spans.sort()
    begin, stop = 0, len(text)
    if max_chars and len(text) > max_chars:
        first = spans[0][0] if spans else 0
        begin = max(0, first - max_chars // 4)
        stop = min(len(text), begin + max_chars)
    out: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for s, e in spans:
        if s < begin or e > stop:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    out.append(html.escape(text[cursor:stop]))
    if stop < len(text):
        out.append("…")
    return "".join(out)
