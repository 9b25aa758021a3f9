"""Published scenarios are found through the site's search (never their confidential details, never a
draft); the public figures count them."""

from __future__ import annotations

import re

from tests.conftest import outbox_drained
from tests.scenarios.conftest import COMPLETE, Zone


async def _publish(zone: Zone, **changes: str) -> str:
    created = await zone.owner.submit("/scenarios/new", {**COMPLETE, **changes, "action": "submit"})
    assert created.status_code == 200, created.text
    sid = re.search(r"/scenarios/([0-9a-f-]{36})", str(created.url)).group(1)
    await zone.admin.submit(f"/admin/scenarios/{sid}/publish")
    return sid


async def test_search_finds_published_scenarios_but_not_details_or_drafts(zone: Zone, db) -> None:
    await _publish(zone, title="社区医院 AI 分诊助手", description="保密的内部流程 Kubernetes 集群")
    await zone.owner.submit("/scenarios/new", {**COMPLETE, "title": "尚未提交的草稿 分诊", "action": "save"})
    await outbox_drained(db)
    found = await zone.visitor.get("/search?q=分诊&type=scenario")
    text = re.sub(r"</?mark>", "", found.text)  # matches are highlighted
    assert "社区医院 AI 分诊助手" in text
    assert "尚未提交的草稿" not in text
    assert "社区医院" not in (await zone.visitor.get("/search?q=Kubernetes")).text


async def test_dashboard_counts_published_docking_and_landed(zone: Zone, services) -> None:
    empty = await zone.visitor.get("/scenarios/dashboard")
    assert empty.status_code == 200
    first = await _publish(zone, title="场景一")
    await _publish(zone, title="场景二", district="江岸区", domains=["教育"])
    page = await zone.opc.get(f"/scenarios/{first}")
    opc_org = re.search(r'name="organization" value="([0-9a-f-]{36})"', page.text).group(1)
    await zone.opc.submit(
        f"/scenarios/{first}/interest", {"organization": opc_org, "proposal": "我们可以在四周内完成试点。"}
    )
    stats = await zone.visitor.get("/scenarios/dashboard")
    text = re.sub(r"\s+", " ", stats.text)
    assert '<p class="big">2</p>' in text  # published
    assert '<p class="big">50%</p>' in text  # docking rate: one of two has an interested OPC
    assert "江岸区" in text and "洪山区" in text and "教育" in text
    home = await zone.visitor.get("/")
    assert "最新场景机会" in home.text and "场景一" in home.text and "场景二" in home.text
