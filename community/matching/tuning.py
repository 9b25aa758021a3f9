"""``community matching tune``: search the hybrid's weights on a labelled file, with k-fold cross-validation.

The four signals of each (scenario, profile) pair are computed once (the embedding is the slow part); every
weighting on a grid of the simplex (semantic + lexical + domain + district = 1, in steps of ``step``) is then
scored for every scenario at once, so the search is a few matrix products. The folds are fixed by the
scenarios' order in the file (scenario i is in fold i mod k): the same file gives the same folds and weights.

For each fold, the weights best on the other folds are scored on it (held out): the mean of those is what the
chosen weights can be expected to do on scenarios they were not tuned on. The chosen weights are the best on
the whole file; ties go to the first on the grid, which puts more weight on meaning first.

The cosine is first calibrated (``semantic_floor``): the median cosine of the pairs graded 0, the model's
"unrelated", becomes 0 (see ``ranker.calibrated``).

A signal that the files cannot observe (no scenario and profile share a district, say) cannot be tuned: its
weight stays what the settings say, and the others share the rest. Several files are tuned as one (each file
ranks its own profiles; their scenarios are pooled into the folds).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from community.matching.embedder import Embedder
from community.matching.evaluation import K, Signals, signals
from community.matching.ranker import Weights, calibrated

SIGNALS = ("semantic", "lexical", "domain", "district")


@dataclass(frozen=True)
class Fold:
    index: int
    scenarios: int
    weights: Weights
    train_ndcg: float
    held_out_ndcg: float


@dataclass(frozen=True)
class Tuning:
    model: str
    weights: Weights
    ndcg: float
    folds: list[Fold]

    @property
    def held_out_mean(self) -> float:
        return float(np.mean([f.held_out_ndcg for f in self.folds])) if self.folds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "weights": weights_dict(self.weights),
            "ndcg@10": round(self.ndcg, 4),
            "held_out_ndcg@10_mean": round(self.held_out_mean, 4),
            "folds": [
                {
                    "fold": f.index,
                    "scenarios": f.scenarios,
                    "weights": weights_dict(f.weights),
                    "train_ndcg@10": round(f.train_ndcg, 4),
                    "held_out_ndcg@10": round(f.held_out_ndcg, 4),
                }
                for f in self.folds
            ],
        }


def weights_dict(weights: Weights) -> dict[str, float]:
    return {name: round(float(getattr(weights, name)), 4) for name in (*SIGNALS, "semantic_floor")}


def measured_floor(prepared: Signals) -> float:
    """The median cosine of the pairs graded 0 (rounded to 0.01): what "unrelated" means to this model."""
    unrelated = [stack[0][gains == 0] for stack, gains in zip(prepared.stacks, prepared.gains, strict=True)]
    values = np.concatenate(unrelated) if unrelated else np.zeros(0)
    return round(float(np.median(values)), 2) if len(values) else 0.0


def calibrate(prepared: Signals, floor: float) -> Signals:
    stacks = []
    for stack in prepared.stacks:
        calibrated_stack = stack.copy()
        calibrated_stack[0] = calibrated(stack[0].astype(np.float32), floor)
        stacks.append(calibrated_stack)
    return Signals(stacks, prepared.gains, prepared.has_vectors)


def grid(step: float, fixed: Mapping[int, float] | None = None) -> npt.NDArray[np.float64]:
    """Every weighting of the four signals on the simplex, in steps of ``step`` (rows sum to 1); the signals
    in ``fixed`` (by position) keep their weight and the others share what is left."""
    fixed = dict(fixed or {})
    free = [i for i in range(len(SIGNALS)) if i not in fixed]
    units = round(1 / step)
    rest = 1.0 - sum(fixed.values())
    rows = []
    for combo in itertools.product(range(units, -1, -1), repeat=len(free) - 1):
        if sum(combo) > units:
            continue
        shares = [*combo, units - sum(combo)]
        row = [0.0] * len(SIGNALS)
        for i, share in zip(free, shares, strict=True):
            row[i] = rest * share / units
        for i, weight in fixed.items():
            row[i] = weight
        rows.append(row)
    return np.asarray(rows, dtype=np.float64)


def unobserved(prepared: Signals) -> list[int]:
    """The signals (by position) that are the same for every profile of every scenario: no data to tune."""
    return [
        i for i in range(len(SIGNALS)) if all(float(np.ptp(stack[i])) == 0.0 for stack in prepared.stacks)
    ]


def pooled(parts: Sequence[Signals]) -> Signals:
    return Signals(
        [stack for part in parts for stack in part.stacks],
        [gains for part in parts for gains in part.gains],
        all(part.has_vectors for part in parts),
    )


def ndcg_matrix(prepared: Signals, weightings: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """nDCG@10 of every weighting (columns) for every scenario (rows), as the hybrid ranker scores them."""
    rows = []
    discounts = 1 / np.log2(np.arange(2, K + 2))
    for stack, gains in zip(prepared.stacks, prepared.gains, strict=True):
        ideal = float(np.sort(gains)[::-1][:K] @ discounts[: min(K, len(gains))])
        scores = weightings @ stack  # (weightings, profiles)
        k = min(K, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)
        dcg = gains[order] @ discounts[:k]
        rows.append(dcg / ideal if ideal > 0 else np.zeros(len(weightings)))
    return np.asarray(rows)


def _as_weights(row: npt.NDArray[np.float64], feedback: float, floor: float) -> Weights:
    semantic, lexical, domain, district = (round(float(v), 4) for v in row)
    return Weights(semantic, lexical, domain, district, feedback=feedback, semantic_floor=floor)


def tune(
    files: Sequence[Mapping[str, Any]],
    embedder: Embedder | None,
    *,
    defaults: Weights | None = None,
    folds: int = 5,
    step: float = 0.05,
) -> Tuning:
    defaults = defaults or Weights()
    prepared = pooled([signals(data, embedder) for data in files])
    floor = measured_floor(prepared) if prepared.has_vectors else defaults.semantic_floor
    prepared = calibrate(prepared, floor)
    fixed = {i: float(getattr(defaults, SIGNALS[i])) for i in unobserved(prepared)}
    if not prepared.has_vectors:
        fixed[0] = 0.0  # no meaning to weigh
    weightings = grid(step, fixed)
    feedback = defaults.feedback
    matrix = ndcg_matrix(prepared, weightings)
    n = matrix.shape[0]
    fold_of = np.arange(n) % max(1, min(folds, n))
    results = []
    for f in range(int(fold_of.max()) + 1 if n else 0):
        train, test = matrix[fold_of != f], matrix[fold_of == f]
        if not len(train) or not len(test):
            continue
        best = int(np.argmax(train.mean(axis=0)))
        results.append(
            Fold(
                index=f + 1,
                scenarios=len(test),
                weights=_as_weights(weightings[best], feedback, floor),
                train_ndcg=float(train.mean(axis=0)[best]),
                held_out_ndcg=float(test[:, best].mean()),
            )
        )
    means = matrix.mean(axis=0) if n else np.zeros(len(weightings))
    best = int(np.argmax(means))
    model = embedder.name if embedder is not None and embedder.ready else "none"
    return Tuning(model, _as_weights(weightings[best], feedback, floor), float(means[best]), results)
