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
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    "算力贷",
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
            # The dictionary is millions of objects that live as long as the process. The app moves it out of
            # the garbage collector's sight once started (GC_FREEZE, community.app._freeze_after_start); a
            # freeze here, at any moment jieba happens to load, also froze whatever else was alive then, and
            # what it froze is never collected (in a test run, apps' connections that were never closed).
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

# How people ask, not what they ask about: question words, pronouns, particles and the verbs of looking for
# something. They leave a query when other words remain (a query of nothing else keeps them).
_CHINESE_FUNCTION_WORDS = """
怎么 怎样 怎么样 怎么办 如何 如何才能 为什么 为何 什么 什么样 哪些 哪个 哪里 哪儿 哪家 哪位 多少 几个
有没有 有无 是否 能否 可否 能不能 可不可以 是不是 会不会 可以 能够 应该 需要 想要 想找 我们 你们 他们
请问 一下 一些 有些 这个 那个 这些 那些 关于 有关 相关 方面 之类 之类的 找到 寻找 查找 查询 搜索 看到 看看
了解 知道 推荐 办理 才能 方向 意思
"""
_ENGLISH_FUNCTION_WORDS = """
how what which where who whom whose why when is are was were be been do does did can could should would will
may might i me my we our us you your it its this that these those the a an of to for in on at by with about
any some there here and or from as into please find get want looking look show tell know need
"""
FUNCTION_WORDS = frozenset(
    {
        *_PARTICLES,
        *"我你他她它们想要能会有找查看去到给让用做吗呀么啥谁哪",
        *_CHINESE_FUNCTION_WORDS.split(),
        *_ENGLISH_FUNCTION_WORDS.split(),
    }
)

# Words that name a kind of document: they favour that kind rather than being required in the text.
KIND_WORDS: dict[str, str] = {
    "场景": "scenario",
    "应用场景": "scenario",
    "scenario": "scenario",
    "scenarios": "scenario",
    "政策": "policy",
    "policy": "policy",
    "policies": "policy",
    "活动": "event",
    "event": "event",
    "events": "event",
    "岗位": "position",
    "职位": "position",
    "job": "position",
    "jobs": "position",
    "position": "position",
    "positions": "position",
    "产品": "product",
    "product": "product",
    "products": "product",
}


@dataclass(frozen=True)
class TermGroup:
    """One thing asked for and the other ways to say it (admin synonyms): a document holding any of the
    alternatives holds the group. An alternative is one or more terms, all needed (``ai产品体验券`` is
    ``ai`` and ``产品体验券``)."""

    term: QueryTerm
    alternatives: tuple[tuple[QueryTerm, ...], ...] = ()

    @property
    def options(self) -> tuple[tuple[QueryTerm, ...], ...]:
        return ((self.term,), *self.alternatives)

    @property
    def all_terms(self) -> list[QueryTerm]:
        return [t for option in self.options for t in option]


@dataclass(frozen=True)
class QueryPlan:
    """A question read for search: the groups a document should hold (rarest weigh most), the kinds of
    document the question names, and every term to highlight."""

    groups: tuple[TermGroup, ...]
    kinds: tuple[str, ...] = ()

    @property
    def highlight_terms(self) -> list[QueryTerm]:
        return [t for g in self.groups for t in g.all_terms]


def _pieces(text: str) -> list[tuple[str, int]]:
    """The words of a query in order, as jieba cuts them, each with the number of the run of letters it came
    from; punctuation, spaces, emoji and operators separate runs and are dropped."""
    ensure_jieba()
    pieces: list[tuple[str, int]] = []
    for run, match in enumerate(TOKEN_RE.finditer(normalize(text[:MAX_QUERY_CHARS]))):
        word = match.group(0)
        cut = [w for w in jieba.cut(word) if w.strip()] if CJK_RE.match(word) else [word]
        pieces.extend((w, run) for w in cut if len(w) <= MAX_TOKEN_CHARS)
    return pieces


def _as_terms(text: str) -> tuple[QueryTerm, ...]:
    """A synonym's spelling as terms: each run whole (a long Chinese word matches by its bigrams)."""
    words = [m.group(0) for m in TOKEN_RE.finditer(normalize(text)) if len(m.group(0)) <= MAX_TOKEN_CHARS]
    return tuple(QueryTerm(w, bool(CJK_RE.match(w))) for w in words)


def synonym_key(text: str) -> str:
    """How a synonym's word is stored and looked up: normalized, without spaces."""
    return "".join(normalize(text).split())


def _split_long(word: str) -> list[str]:
    """A long Chinese word as the shorter words it is made of (住房补贴 -> 住房, 补贴), so that a document
    holding part of it is found when none holds all; the words of this community stay whole."""
    if len(word) < 4 or not CJK_RE.match(word) or word in _WHOLE_WORDS:
        return [word]
    subwords = {w for w in jieba.cut_for_search(word) if 2 <= len(w) < len(word)}
    parts, i = [], 0
    while i < len(word):
        fits = [w for w in subwords if word.startswith(w, i)]
        if not fits:
            return [word]
        parts.append(max(fits, key=len))
        i += len(parts[-1])
    return parts


_WHOLE_WORDS = frozenset(DOMAIN_WORDS)


def plan_query(query: str, synonyms: Mapping[str, Sequence[str]] | None = None) -> QueryPlan:
    """Read a question: drop how it is asked (function words), note the kinds it names, join the words an
    admin gave synonyms for (longest first, across jieba's cuts) and add their other spellings."""
    synonyms = synonyms or {}
    pieces = _pieces(query)
    # (word, its other spellings, run, ends its run or is followed by a function word)
    words: list[tuple[str, tuple[tuple[QueryTerm, ...], ...], int]] = []
    i = 0
    while i < len(pieces):
        for j in range(min(len(pieces), i + 4), i, -1):
            joined = "".join(p for p, _run in pieces[i:j])
            if joined in synonyms:
                alternatives = tuple(t for t in (_as_terms(e) for e in synonyms[joined]) if t)
                words.append((joined, alternatives, pieces[i][1]))
                i = j
                break
        else:
            words.append((pieces[i][0], (), pieces[i][1]))
            i += 1

    def names_a_kind(k: int) -> bool:
        """A kind word names what is sought when nothing but how it is asked follows it in its run
        ("医疗方面的场景", "政策有哪些"), not when it is part of a name ("AI产品体验券")."""
        word, _alternatives, run = words[k]
        if word not in KIND_WORDS:
            return False
        after = words[k + 1] if k + 1 < len(words) else None
        return after is None or after[2] != run or after[0] in FUNCTION_WORDS

    kinds = [KIND_WORDS[w[0]] for k, w in enumerate(words) if names_a_kind(k)]
    content = [
        (w, alt)
        for k, (w, alt, _run) in enumerate(words)
        if (w not in FUNCTION_WORDS or alt) and not names_a_kind(k)
    ]
    if not content:  # nothing but how it was asked, or a kind: search for those rather than for nothing
        content = [(w, alt) for w, alt, _run in words if w not in FUNCTION_WORDS or alt] or [
            (w, alt) for w, alt, _run in words
        ]
    content = [(part, alt) for word, alt in content for part in ([word] if alt else _split_long(word))]
    groups: list[TermGroup] = []
    seen: set[str] = set()
    for word, alternatives in content:
        if word in seen:
            continue
        seen.add(word)
        groups.append(TermGroup(QueryTerm(word, bool(CJK_RE.match(word))), alternatives))
    return QueryPlan(tuple(groups[:MAX_QUERY_TERMS]), tuple(kinds))


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


def group_tsquery(group: TermGroup) -> str:
    """A tsquery for one group: any of its spellings, each spelling all of its terms."""
    options = [" & ".join(term_tsquery(t) for t in option) for option in group.options]
    if len(options) == 1:
        return options[0]
    return "(" + " | ".join(f"({o})" for o in options) + ")"


def term_lexemes(term: QueryTerm) -> list[str]:
    """The lexemes whose document counts say how rare a term is: itself, and for a longer Chinese word its
    bigrams (a word jieba did not keep whole is no commoner than its rarest bigram)."""
    if term.cjk and len(term.text) > 2:
        return [term.text, *(term.text[i : i + 2] for i in range(len(term.text) - 1))]
    return [term.text]


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
