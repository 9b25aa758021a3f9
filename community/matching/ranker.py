"""The hybrid ranker, in memory and free of the database: semantic similarity (cosine of normalized
embeddings), lexical similarity (BM25 over jieba tokens), overlap of domains and the same district, mixed with
weights from the settings. It ranks documents of one kind (capability profiles, or scenarios) for a query of
the other kind, and explains each result with the domains, capabilities and key terms they share.

Everything per candidate is a numpy array, so ranking 100,000 profiles is a few matrix-vector products and
scatter-adds; only the explanations of the few top results touch Python objects.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import jieba
import numpy as np
import numpy.typing as npt

from community.search.text import CJK_RE, ensure_jieba, index_tokens
from community.vocabulary import DOMAINS

FloatArray = npt.NDArray[np.float32]
BM25_K1 = 1.2
BM25_B = 0.75
MAX_TERMS = 5
MAX_CAPABILITIES = 3
DOMAIN_INDEX = {domain: i for i, domain in enumerate(DOMAINS)}
# Shipping an index between processes (``Index.ship``): pieces of about this size, each taken in a millisecond
# or two of the receiver's GIL.
PIECE_BYTES = 1 << 20
DOCS_PER_PIECE = 500
TERMS_PER_PIECE = 20_000
# Words too general to explain a match.
_STOP_TEXT = """
我们 提供 需要 进行 实现 相关 能力 服务 方案 系统 平台 技术 应用 项目 团队 公司 企业 工作室 支持 基于
通过 以及 一个 可以 希望 已经 使用 开发 建设 完成 工作 问题 目前 现有 生成 自动 智能 模型 数据 提升
the and for with our are from that this into have has will can ai
"""
STOP_TERMS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True, slots=True)
class Doc:
    """A scenario or a capability profile, as the ranker sees it."""

    id: str
    title: str
    text: str
    domains: tuple[str, ...] = ()
    district: str = ""
    # (domain, technology) of a profile's capability items; empty for scenarios.
    capabilities: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Weights:
    semantic: float = 0.4
    lexical: float = 0.3
    domain: float = 0.25
    district: float = 0.05
    # How much "not interested" in a similar scenario takes off (times that similarity).
    feedback: float = 0.5
    # The cosine that means "unrelated" for this model: the semantic signal is the cosine above it, rescaled
    # to 0..1. MiniLM's unrelated pairs sit near 0; multilingual-e5's near 0.87 (every pair of texts is
    # "similar" to it), which would otherwise let meaning lift every candidate over the push threshold.
    semantic_floor: float = 0.0
    # The weights when a ranking has no meaning (the model cannot load, or the query has no vector): tuned
    # for the other signals alone (a model's own weights may give them little).
    without_meaning: Weights | None = None


@dataclass
class Explanation:
    """Why a match: shared domains, the capabilities that answer it, key terms both use, same district."""

    domains: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    same_district: str = ""
    semantic: float | None = None
    degraded: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "domains": self.domains,
            "capabilities": self.capabilities,
            "terms": self.terms,
            "same_district": self.same_district,
            "semantic": self.semantic,
            "degraded": self.degraded,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        return cls(
            domains=list(data.get("domains", [])),
            capabilities=list(data.get("capabilities", [])),
            terms=list(data.get("terms", [])),
            same_district=str(data.get("same_district", "")),
            semantic=data.get("semantic"),
            degraded=bool(data.get("degraded", False)),
        )


@dataclass(frozen=True)
class Scored:
    doc: Doc
    score: float
    semantic: float
    lexical: float
    domain: float
    district: float
    penalty: float
    explanation: Explanation


def lexical_tokens(text: str) -> list[str]:
    """jieba words, character bigrams of Chinese runs, and English words (single characters dropped)."""
    return [t for t in index_tokens(text) if len(t) > 1 or not CJK_RE.match(t)]


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """The terms of a short text that recurs (a capability's technology), tokenized once."""
    return frozenset(lexical_tokens(text))


def is_key_term(token: str) -> bool:
    """A term worth showing a person: a dictionary word of two or more characters, or an English word."""
    if token in STOP_TERMS or token.isdigit():
        return False
    if CJK_RE.match(token):
        return len(token) >= 2 and bool(jieba.dt.FREQ.get(token))
    return len(token) >= 2 and any(c.isalpha() for c in token)


def domain_mask(domains: Sequence[str]) -> int:
    """The domains as bits of one integer (the design names 18 domains)."""
    mask = 0
    for domain in domains:
        if domain in DOMAIN_INDEX:
            mask |= 1 << DOMAIN_INDEX[domain]
    return mask


def calibrated(cosine: FloatArray, floor: float) -> FloatArray:
    """Cosine similarity as a 0..1 signal: 0 at or below the model's floor, 1 for identical meaning."""
    scaled: FloatArray = np.clip((cosine - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0).astype(np.float32)
    return scaled


def normalize_rows(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalized: FloatArray = (matrix / norms).astype(np.float32)
    return normalized


class Index:
    """The candidates of one ranking, with their BM25 postings, domain matrix and (optional) vectors."""

    def __init__(self, docs: Sequence[Doc], vectors: FloatArray | None = None) -> None:
        ensure_jieba()
        self.docs = list(docs)
        n = len(self.docs)
        self.positions = {doc.id: i for i, doc in enumerate(self.docs)}
        # Vectors: one row per doc (zeros where a doc has none yet), normalized.
        self.vectors = normalize_rows(vectors.astype(np.float32)) if vectors is not None and n else None
        self.has_vector = (
            np.linalg.norm(self.vectors, axis=1) > 0 if self.vectors is not None else np.zeros(n, dtype=bool)
        )
        # One bit per domain: overlap is a popcount of an AND, far cheaper than a matrix product.
        self.domain_masks = np.array([domain_mask(d.domains) for d in self.docs], dtype=np.int64)
        districts = sorted({d.district for d in self.docs if d.district})
        self.district_codes = {name: i + 1 for i, name in enumerate(districts)}
        self.district_of = np.array(
            [self.district_codes.get(d.district, 0) for d in self.docs], dtype=np.int16
        )
        self._build_bm25()

    def _build_bm25(self) -> None:
        # The postings of every term in one set of flat arrays (compressed sparse rows: the postings of term
        # slot ``t`` are ``[offsets[t], offsets[t + 1])``), not three arrays per term: at 50,000 profiles that
        # was 300,000 numpy objects for the garbage collector to walk and for a process to receive one by one.
        # Gathered in typed arrays (no Python int per posting), grouped by a stable sort, so each term's
        # document ids stay ascending (``terms_of`` searches them).
        slots: dict[str, int] = {}
        slot_of = array("i")
        doc_of = array("i")
        tf_of = array("i")
        lengths = np.zeros(len(self.docs), dtype=np.float32)
        for i, doc in enumerate(self.docs):
            counts = Counter(lexical_tokens(f"{doc.title}\n{doc.text}"))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                slot = slots.get(term)
                if slot is None:
                    slot = slots[term] = len(slots)
                slot_of.append(slot)
                doc_of.append(i)
                tf_of.append(tf)
        n = max(1, len(self.docs))
        avgdl = float(lengths.mean()) if len(self.docs) else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(avgdl, 1e-6))
        posting_slots = np.frombuffer(slot_of, dtype=np.int32) if slot_of else np.zeros(0, dtype=np.int32)
        order = np.argsort(posting_slots, kind="stable")
        ids = (np.frombuffer(doc_of, dtype=np.int32) if doc_of else np.zeros(0, dtype=np.int32))[order]
        tfs = (np.frombuffer(tf_of, dtype=np.int32) if tf_of else np.zeros(0, dtype=np.int32))[order]
        df = np.bincount(posting_slots, minlength=len(slots)).astype(np.float64)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.term_slots = slots
        self.idf_of_slot: FloatArray = idf
        self.offsets = np.zeros(len(slots) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=self.offsets[1:])
        self.posting_ids: npt.NDArray[np.int32] = np.ascontiguousarray(ids, dtype=np.int32)
        tf_float = tfs.astype(np.float32)
        sorted_idf = idf[posting_slots[order]] if len(order) else np.zeros(0, dtype=np.float32)
        self.posting_weights: FloatArray = (
            sorted_idf * tf_float * (BM25_K1 + 1) / (tf_float + norm[self.posting_ids])
        ).astype(np.float32)
        # Each posting's term frequency: explanations read a candidate's terms here, not by tokenizing again.
        self.posting_tfs: npt.NDArray[np.uint16] = np.minimum(tfs, 65535).astype(np.uint16)

    def _postings(self, term: str) -> tuple[int, int] | None:
        """Where the postings of ``term`` lie in the flat arrays, or None for a term no candidate has."""
        slot = self.term_slots.get(term)
        if slot is None:
            return None
        return int(self.offsets[slot]), int(self.offsets[slot + 1])

    def idf(self, term: str) -> float:
        slot = self.term_slots.get(term)
        return 0.0 if slot is None else float(self.idf_of_slot[slot])

    def __len__(self) -> int:
        return len(self.docs)

    def nbytes(self) -> int:
        """Bytes held by the arrays of the index (postings, vectors, matrices)."""
        arrays = (
            self.domain_masks,
            self.district_of,
            self.has_vector,
            self.idf_of_slot,
            self.offsets,
            self.posting_ids,
            self.posting_weights,
            self.posting_tfs,
        )
        total = sum(a.nbytes for a in arrays)
        if self.vectors is not None:
            total += self.vectors.nbytes
        return total

    def terms_of(self, rows: Sequence[int], terms: Sequence[str]) -> list[Counter[str]]:
        """For each of ``rows``: how often it holds each of ``terms`` (from the postings, whose ids are
        ascending: one binary search per term for all rows)."""
        found: list[Counter[str]] = [Counter() for _ in rows]
        if not len(rows):
            return found
        wanted = np.asarray(rows, dtype=np.int32)
        for term in terms:
            span = self._postings(term)
            if span is None:
                continue
            start, end = span
            ids = self.posting_ids[start:end]
            at = np.searchsorted(ids, wanted)
            inside = at < len(ids)
            hit = np.zeros(len(wanted), dtype=bool)
            hit[inside] = ids[at[inside]] == wanted[inside]
            if hit.any():
                tfs = self.posting_tfs[start:end]
                for k in np.flatnonzero(hit):
                    found[int(k)][term] = int(tfs[at[k]])
        return found

    # --- shipping between processes ----------------------------------------------------------------------

    _ARRAYS = (
        "has_vector",
        "domain_masks",
        "district_of",
        "idf_of_slot",
        "offsets",
        "posting_ids",
        "posting_weights",
        "posting_tfs",
    )

    def ship(self) -> Iterator[object]:
        """The index as small picklable pieces, in order (``unship`` puts them together again): a process that
        built it hands it to another, which takes each piece in a millisecond or two of its GIL, not in one
        unpickling of a million objects while its requests wait."""
        yield from ship_list(shared_values(self.docs, {}), DOCS_PER_PIECE)
        yield self.district_codes
        yield from ship_list(list(self.term_slots), TERMS_PER_PIECE)  # a dict keeps its slots' order
        for name in self._ARRAYS:
            yield from ship_array(getattr(self, name))
        yield self.vectors is not None
        if self.vectors is not None:
            yield from ship_array(self.vectors)

    @classmethod
    def unship(cls, pieces: Iterator[object]) -> Index:
        ensure_jieba()  # queries are tokenized here
        index = cls.__new__(cls)
        index.docs = []
        index.positions = {}
        for docs in unship_list(pieces):
            base = len(index.docs)
            index.docs.extend(docs)
            index.positions.update((doc.id, base + k) for k, doc in enumerate(docs))
        district_codes = next(pieces)
        assert isinstance(district_codes, dict)
        index.district_codes = district_codes
        index.term_slots = {}
        for terms in unship_list(pieces):
            index.term_slots.update(zip(terms, itertools.count(len(index.term_slots))))
        for name in cls._ARRAYS:
            setattr(index, name, unship_array(pieces))
        index.vectors = unship_array(pieces) if next(pieces) else None
        return index

    # --- signals -------------------------------------------------------------------------------------------

    def bm25(self, query_terms: Sequence[str]) -> FloatArray:
        scores = np.zeros(len(self.docs), dtype=np.float32)
        for term in set(query_terms):
            span = self._postings(term)
            if span is not None:
                start, end = span
                # One posting per doc: no repeated index.
                scores[self.posting_ids[start:end]] += self.posting_weights[start:end]
        return scores

    def cosine(self, query_vector: FloatArray | None) -> FloatArray | None:
        if self.vectors is None or query_vector is None:
            return None
        q = query_vector.astype(np.float32)
        norm = float(np.linalg.norm(q))
        if norm == 0:
            return None
        return (self.vectors @ (q / norm)).astype(np.float32)

    def domain_overlap(self, domains: Sequence[str]) -> FloatArray:
        """Per candidate: the share of ``domains`` it has too."""
        mask = domain_mask(domains)
        count = int(mask).bit_count()
        if not count:
            return np.zeros(len(self.docs), dtype=np.float32)
        shared: FloatArray = (np.bitwise_count(self.domain_masks & mask) / count).astype(np.float32)
        return shared

    def domain_jaccard(self, domains: Sequence[str]) -> FloatArray:
        """Per candidate: shared domains over all domains of both."""
        mask = domain_mask(domains)
        union = np.bitwise_count(self.domain_masks | mask).astype(np.float32)
        union[union == 0] = 1
        jaccard: FloatArray = (np.bitwise_count(self.domain_masks & mask) / union).astype(np.float32)
        return jaccard

    def same_district(self, district: str) -> FloatArray:
        code = self.district_codes.get(district, -1)
        same: FloatArray = (self.district_of == code).astype(np.float32)
        return same

    @staticmethod
    def _relative(raw_bm25: FloatArray) -> FloatArray:
        """BM25 relative to the best candidate (0..1), so that it mixes with the other signals."""
        top = float(raw_bm25.max()) if len(raw_bm25) else 0.0
        relative: FloatArray = raw_bm25 / top if top > 0 else raw_bm25
        return relative

    def signals(self, query: Doc, query_vector: FloatArray | None = None) -> FloatArray:
        """The four signals the hybrid mixes, one row each (the raw cosine, lexical, domain, district), one
        column per candidate: what ``community matching tune`` weighs (after calibrating the cosine)."""
        cosine = self.cosine(query_vector)
        n = len(self.docs)
        semantic = cosine if cosine is not None else np.zeros(n, dtype=np.float32)
        lexical = self._relative(self.bm25(lexical_tokens(f"{query.title}\n{query.text}")))
        return np.vstack(
            [semantic, lexical, self.domain_overlap(query.domains), self.same_district(query.district)]
        ).astype(np.float32)

    # --- ranking -------------------------------------------------------------------------------------------

    def rank(
        self,
        query: Doc,
        query_vector: FloatArray | None = None,
        *,
        weights: Weights | None = None,
        limit: int = 10,
        allowed: npt.NDArray[np.bool_] | None = None,
        penalty: FloatArray | None = None,
        mode: str = "hybrid",
        explain: bool = True,
    ) -> list[Scored]:
        """The ``limit`` best candidates for ``query``. ``allowed`` masks out what hard filters exclude;
        ``penalty`` (0..1 per candidate) is taken off times ``weights.feedback``. ``mode`` is "hybrid",
        "lexical" or "semantic" (the single signals, for evaluation)."""
        weights = weights or Weights()
        n = len(self.docs)
        if n == 0:
            return []
        terms = lexical_tokens(f"{query.title}\n{query.text}")
        raw_bm25 = self.bm25(terms)
        lexical = self._relative(raw_bm25)
        cosine = self.cosine(query_vector)
        degraded = cosine is None
        if degraded and weights.without_meaning is not None:
            weights = weights.without_meaning
        semantic = (
            calibrated(cosine, weights.semantic_floor)
            if cosine is not None
            else np.zeros(n, dtype=np.float32)
        )
        domain = self.domain_overlap(query.domains)
        district = self.same_district(query.district)
        if mode == "lexical":
            score = raw_bm25.copy()
        elif mode == "semantic":
            score = cosine.copy() if cosine is not None else np.zeros(n, dtype=np.float32)
        else:
            w_sem = 0.0 if degraded else weights.semantic
            total = w_sem + weights.lexical + weights.domain + weights.district
            score = (
                w_sem * semantic
                + weights.lexical * lexical
                + weights.domain * domain
                + weights.district * district
            ) / (total or 1.0)
        pen = penalty if penalty is not None else np.zeros(n, dtype=np.float32)
        if mode == "hybrid":
            score = score - weights.feedback * pen
        if allowed is not None:
            score = np.where(allowed, score, -np.inf)
        limit = min(limit, n)
        if limit <= 0:
            return []
        candidates = np.argpartition(-score, limit - 1)[:limit] if limit < n else np.arange(n)
        order = candidates[np.argsort(-score[candidates], kind="stable")]
        results = []
        query_counts = Counter(terms)
        order = order[np.isfinite(score[order])]
        doc_terms = self.terms_of(order.tolist(), list(query_counts)) if explain else []
        for k, i in enumerate(order):
            doc = self.docs[int(i)]
            explanation = (
                self.explain(
                    query, doc, query_counts, None if cosine is None else float(cosine[i]), doc_terms[k]
                )
                if explain
                else Explanation(degraded=degraded)
            )
            results.append(
                Scored(
                    doc=doc,
                    score=float(score[i]),
                    semantic=float(semantic[i]),
                    lexical=float(lexical[i]),
                    domain=float(domain[i]),
                    district=float(district[i]),
                    penalty=float(pen[i]),
                    explanation=explanation,
                )
            )
        return results

    def explain(
        self,
        query: Doc,
        doc: Doc,
        query_counts: Counter[str],
        cosine: float | None,
        doc_counts: Counter[str] | None = None,
    ) -> Explanation:
        """Why ``doc`` matches ``query``; ``doc_counts`` (its counts of the query's terms, ``terms_of``)
        spares tokenizing it again."""
        if doc_counts is None:
            doc_counts = Counter(lexical_tokens(f"{doc.title}\n{doc.text}"))
        shared = [t for t in query_counts if t in doc_counts and is_key_term(t)]
        shared.sort(key=lambda t: -self.idf(t) * min(query_counts[t], doc_counts[t]) * len(t))
        terms: list[str] = []
        for term in shared:
            # "知识库" says more than its part "知识"; keep the longer one.
            if any(term in kept or kept in term for kept in terms):
                continue
            terms.append(term)
            if len(terms) >= MAX_TERMS:
                break
        domains = [d for d in query.domains if d in doc.domains]
        query_terms = set(query_counts)
        capabilities = []
        for item_domain, technology in doc.capabilities:
            shared_terms = query_terms & term_set(technology)
            if item_domain in query.domains or any(is_key_term(t) for t in shared_terms):
                capabilities.append(technology)
            if len(capabilities) >= MAX_CAPABILITIES:
                break
        return Explanation(
            domains=domains,
            capabilities=capabilities,
            terms=terms,
            same_district=doc.district if doc.district and doc.district == query.district else "",
            semantic=None if cosine is None else round(cosine, 3),
            degraded=cosine is None,
        )


def one_of(table: dict[Any, Any], value: Any) -> Any:
    """``value``, or the equal value ``table`` met first: repeated values made one object, so that a piece
    pickles each once and its receiver holds each once, not once per document or card."""
    return table.setdefault(value, value)


def shared_values(docs: Sequence[Doc], table: dict[Any, Any]) -> list[Doc]:
    """The docs with their repeated values (districts, domains, capabilities) made one object each."""

    one = partial(one_of, table)
    return [
        Doc(
            id=doc.id,
            title=doc.title,
            text=doc.text,
            domains=one(doc.domains),
            district=one(doc.district),
            capabilities=one(tuple(one((one(a), one(b))) for a, b in doc.capabilities)),
        )
        for doc in docs
    ]


def ship_list(items: Sequence[Any], per_piece: int) -> Iterator[object]:
    """A list as its length, then slices of ``per_piece`` items (``unship_list``)."""
    yield len(items)
    for start in range(0, len(items), per_piece):
        yield list(items[start : start + per_piece])


def unship_list(pieces: Iterator[object]) -> Iterator[list[Any]]:
    """The slices of a list shipped by ``ship_list``, one at a time."""
    remaining = next(pieces)
    assert isinstance(remaining, int)
    while remaining > 0:
        part = next(pieces)
        assert isinstance(part, list)
        remaining -= len(part)
        yield part


def ship_array(values: npt.NDArray[Any]) -> Iterator[object]:
    """An array as its dtype and shape, then flat slices of about ``PIECE_BYTES`` (``unship_array``)."""
    flat = np.ascontiguousarray(values).reshape(-1)
    yield values.dtype.str, values.shape
    per_piece = max(1, PIECE_BYTES // max(1, values.dtype.itemsize))
    for start in range(0, flat.size, per_piece):
        yield flat[start : start + per_piece]


def unship_array(pieces: Iterator[object]) -> npt.NDArray[Any]:
    """An array shipped by ``ship_array``, filled a slice at a time."""
    header = next(pieces)
    assert isinstance(header, tuple)
    dtype, shape = header
    values = np.empty(math.prod(shape), dtype=np.dtype(dtype))
    filled = 0
    while filled < values.size:
        part = next(pieces)
        assert isinstance(part, np.ndarray)
        values[filled : filled + part.size] = part
        filled += part.size
    return values.reshape(shape)
