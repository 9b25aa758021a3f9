"""Ranking quality (graded relevance): nDCG@k, recall@k, MRR. Used by the relevance test and bench/."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def dcg(grades: Sequence[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranking: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    ideal = dcg(sorted(qrels.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([qrels.get(doc, 0.0) for doc in ranking[:k]]) / ideal


def recall_at(ranking: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    relevant = {doc for doc, grade in qrels.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def reciprocal_rank(ranking: Sequence[str], qrels: Mapping[str, float]) -> float:
    for i, doc in enumerate(ranking):
        if qrels.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass(frozen=True)
class RelevanceCase:
    q: str
    first: str
    qrels: dict[str, float]
    note: str = ""


def load_relevance_set(path: Path) -> tuple[list[dict[str, Any]], list[RelevanceCase]]:
    """The documents and queries of a relevance file: the expected first document has grade 3, others 1."""
    data = json.loads(path.read_text(encoding="utf-8"))
    cases = []
    for query in data["queries"]:
        qrels = dict.fromkeys(query.get("also", []), 1.0)
        qrels[query["first"]] = 3.0
        cases.append(RelevanceCase(query["q"], query["first"], qrels, query.get("note", "")))
    return data["documents"], cases


@dataclass(frozen=True)
class GradedQuestion:
    """A question as people ask it, and its graded answers: "type|title" -> 2 (answers it) or 1 (related)."""

    q: str
    grades: dict[str, float]
    note: str = ""


def load_questions(path: Path) -> list[GradedQuestion]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        GradedQuestion(q["q"], {k: float(v) for k, v in q["grades"].items()}, q.get("note", ""))
        for q in data["queries"]
    ]


def document_key(doc_type: str, title: str) -> str:
    """How the question set names a document: stable across loads of the demo data (ids are not)."""
    return f"{doc_type}|{title}"


def title_of(title_html: str) -> str:
    """The plain title of a hit (its title comes highlighted)."""
    return html.unescape(re.sub(r"<[^>]+>", "", title_html))


def keyed_ranking(hits: Sequence[Any]) -> list[str]:
    """The hits as question-set keys, each once (the demo has a few documents with the same title)."""
    ranking: list[str] = []
    for hit in hits:
        key = document_key(hit.doc_type, title_of(hit.title_html))
        if key not in ranking:
            ranking.append(key)
    return ranking
