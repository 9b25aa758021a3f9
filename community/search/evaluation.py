"""Ranking quality (graded relevance): nDCG@k, recall@k, MRR. Used by the relevance test and bench/."""

from __future__ import annotations

import json
import math
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
