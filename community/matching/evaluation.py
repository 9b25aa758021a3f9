"""Offline evaluation of the rankers on a labelled file, without the database.

The file: {"scenarios": [{"id", "title", "description", "domain"}], "profiles": [{"id", "name",
"description", "domains", "case"}], "qrels": {scenario_id: {profile_id: grade}}} (grade 2 strong fit,
1 partial; ``domain`` a string or a list; other fields ignored). Every scenario ranks all profiles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from community.matching.embedder import Embedder, EmbedderUnavailableError
from community.matching.ranker import Doc, FloatArray, Index, Weights
from community.search.evaluation import ndcg_at, recall_at, reciprocal_rank

MODES = ("hybrid", "lexical", "semantic")
K = 10


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.replace("，", ",").split(",") if v.strip())
    return tuple(str(v) for v in value)


def scenario_docs(data: Mapping[str, Any]) -> list[Doc]:
    return [
        Doc(
            id=str(s["id"]),
            title=str(s.get("title", "")),
            text=str(s.get("description", "")),
            domains=_as_list(s.get("domain")),
            district=str(s.get("district", "")),
        )
        for s in data["scenarios"]
    ]


def profile_docs(data: Mapping[str, Any]) -> list[Doc]:
    return [
        Doc(
            id=str(p["id"]),
            title="",
            text=f"{p.get('description', '')}\n{p.get('case', '')}",
            domains=_as_list(p.get("domains")),
            district=str(p.get("district", "")),
        )
        for p in data["profiles"]
    ]


def _embedding_text(doc: Doc) -> str:
    return "\n".join(part for part in (doc.title, doc.text, " ".join(doc.domains)) if part)


def _qrels(data: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    return {
        str(sid): {str(pid): float(g) for pid, g in grades.items()} for sid, grades in data["qrels"].items()
    }


def _vectors(
    embedder: Embedder | None, scenarios: list[Doc], profiles: list[Doc]
) -> tuple[FloatArray | None, FloatArray | None]:
    """(profile vectors, scenario vectors), each side embedded the way the site stores it: a scenario is
    what is looked for (the query), a profile what answers it (the passage)."""
    if embedder is None:
        return None, None
    try:
        profile_vectors = embedder.encode_sync([_embedding_text(p) for p in profiles], "passage")
        query_vectors = embedder.encode_sync([_embedding_text(s) for s in scenarios], "query")
    except EmbedderUnavailableError:
        return None, None
    return profile_vectors, query_vectors


def evaluate(
    data: Mapping[str, Any], embedder: Embedder | None, weights: Weights | None = None
) -> dict[str, Any]:
    """{"hybrid": {"ndcg@10", "recall@10", "mrr"}, "lexical": {...}, "semantic": {...}}, averaged over the
    scenarios that have at least one relevant profile."""
    scenarios = scenario_docs(data)
    profiles = profile_docs(data)
    qrels = _qrels(data)
    profile_vectors, query_vectors = _vectors(embedder, scenarios, profiles)
    index = Index(profiles, profile_vectors)
    sums = {mode: {"ndcg@10": 0.0, "recall@10": 0.0, "mrr": 0.0} for mode in MODES}
    counted = 0
    for i, scenario in enumerate(scenarios):
        grades = qrels.get(scenario.id, {})
        if not any(g > 0 for g in grades.values()):
            continue
        counted += 1
        vector = query_vectors[i] if query_vectors is not None else None
        for mode in MODES:
            ranked = index.rank(scenario, vector, weights=weights, limit=len(index), mode=mode, explain=False)
            ranking = [r.doc.id for r in ranked]
            sums[mode]["ndcg@10"] += ndcg_at(ranking, grades, K)
            sums[mode]["recall@10"] += recall_at(ranking, grades, K)
            sums[mode]["mrr"] += reciprocal_rank(ranking, grades)
    result: dict[str, Any] = {
        mode: {metric: round(total / max(counted, 1), 4) for metric, total in metrics.items()}
        for mode, metrics in sums.items()
    }
    return result


@dataclass(frozen=True)
class Signals:
    """Per scenario with a relevant profile: its four signals over every profile (rows: semantic, lexical,
    domain, district, as the hybrid ranker computes them) and every profile's grade."""

    stacks: list[npt.NDArray[np.float64]]
    gains: list[npt.NDArray[np.float64]]
    has_vectors: bool


def signals(data: Mapping[str, Any], embedder: Embedder | None) -> Signals:
    scenarios = scenario_docs(data)
    profiles = profile_docs(data)
    qrels = _qrels(data)
    profile_vectors, query_vectors = _vectors(embedder, scenarios, profiles)
    index = Index(profiles, profile_vectors)
    stacks, gains = [], []
    for i, scenario in enumerate(scenarios):
        grades = qrels.get(scenario.id, {})
        if not any(g > 0 for g in grades.values()):
            continue
        vector = query_vectors[i] if query_vectors is not None else None
        stacks.append(index.signals(scenario, vector).astype(np.float64))
        gains.append(np.asarray([2 ** grades.get(p.id, 0.0) - 1 for p in profiles], dtype=np.float64))
    return Signals(stacks, gains, query_vectors is not None)


def evaluate_file(path: Path, embedder: Embedder | None, weights: Weights | None = None) -> dict[str, Any]:
    return evaluate(json.loads(path.read_text(encoding="utf-8")), embedder, weights)
