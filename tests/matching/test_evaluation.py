"""The labelled development set: the hybrid ranker beats each single signal, and `community matching eval`
prints exactly one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from community.config import PROJECT_ROOT
from community.matching.embedder import get_embedder
from community.matching.evaluation import evaluate_file

DEV_SET = PROJECT_ROOT / "tests" / "data" / "matching_dev.json"


def test_dev_set_is_big_enough_and_has_hard_negatives() -> None:
    data = json.loads(DEV_SET.read_text(encoding="utf-8"))
    assert len(data["scenarios"]) >= 30 and len(data["profiles"]) >= 60
    english = [s for s in data["scenarios"] if s["title"].isascii()]
    assert english and len(english) < len(data["scenarios"])
    # Hard negatives: profiles that no scenario wants, yet share a domain with one.
    wanted = {p for grades in data["qrels"].values() for p, g in grades.items() if g > 0}
    unwanted = [p for p in data["profiles"] if p["id"] not in wanted]
    assert len(unwanted) >= 10


def test_hybrid_beats_lexical_and_semantic() -> None:
    embedder = get_embedder(None)
    result = evaluate_file(DEV_SET, embedder)
    assert embedder.ready, embedder.error
    hybrid, lexical, semantic = result["hybrid"], result["lexical"], result["semantic"]
    for metric in ("ndcg@10", "recall@10", "mrr"):
        assert hybrid[metric] >= lexical[metric] and hybrid[metric] >= semantic[metric], (metric, result)
    assert hybrid["ndcg@10"] > lexical["ndcg@10"] and hybrid["ndcg@10"] > semantic["ndcg@10"]


def test_eval_command_prints_one_json_object() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "community"), "matching", "eval", str(DEV_SET)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"hybrid", "lexical", "semantic"}
    assert set(result["hybrid"]) == {"ndcg@10", "recall@10", "mrr"}
