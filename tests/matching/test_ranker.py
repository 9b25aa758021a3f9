"""The ranker on its own: explanations name shared domains, capabilities and key terms; hard filters hold;
a penalty (not interested in something similar) lowers a candidate; without vectors it still ranks."""

from __future__ import annotations

import numpy as np

from community.matching.ranker import Doc, Index
from community.matching.services import reasons

PROFILES = [
    Doc(
        "vision",
        "",
        "工业质检视觉模型，小样本缺陷检测与边缘部署。",
        ("生产制造",),
        "东西湖区",
        (("生产制造", "小样本缺陷检测"), ("工业软件", "边缘部署")),
    ),
    Doc(
        "hotline",
        "",
        "政务热线工单智能分派与知识库问答。",
        ("政务服务",),
        "江岸区",
        (("政务服务", "工单智能分派"),),
    ),
    Doc("cleaning", "", "工厂保洁与后勤外包服务。", ("生产制造",), "洪山区", (("生产制造", "保洁外包"),)),
]
QUERY = Doc("q", "注塑件缺陷检测", "用工业相机识别表面缺陷，部署在产线边缘。", ("生产制造",), "东西湖区")


def test_ranks_and_explains_without_vectors() -> None:
    results = Index(PROFILES).rank(QUERY, None, limit=3)
    assert results[0].doc.id == "vision"
    top = results[0].explanation
    assert top.domains == ["生产制造"] and "小样本缺陷检测" in top.capabilities
    assert "缺陷" in top.terms or "缺陷检测" in top.terms
    assert top.same_district == "东西湖区" and top.degraded
    lines = reasons(top)
    assert any("生产制造" in line for line in lines) and any("语言模型" in line for line in lines)


def test_hard_filter_and_penalty() -> None:
    index = Index(PROFILES)
    allowed = np.array([False, True, True])
    assert "vision" not in [r.doc.id for r in index.rank(QUERY, None, limit=3, allowed=allowed)]
    before = {r.doc.id: r.score for r in index.rank(QUERY, None, limit=3)}
    penalty = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    after = {r.doc.id: r.score for r in index.rank(QUERY, None, limit=3, penalty=penalty)}
    assert after["vision"] < before["vision"] - 0.4 and after["cleaning"] == before["cleaning"]


def test_semantic_signal_counts_when_there_are_vectors() -> None:
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    index = Index(PROFILES, vectors)
    query = Doc("q", "", "无关的文字", (), "")
    ranked = index.rank(query, np.array([0, 1, 0], dtype=np.float32), limit=3)
    assert ranked[0].doc.id == "hotline" and ranked[0].explanation.semantic == 1.0
