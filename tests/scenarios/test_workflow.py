"""A scenario from draft to landed, through the pages people use, with every step on its timeline and
every party told; and the privacy rules around it."""

from __future__ import annotations

import re

from tests.scenarios.conftest import COMPLETE, Zone, verified_opc


def _scenario_id(url: str) -> str:
    match = re.search(r"/scenarios/([0-9a-f-]{36})", url)
    assert match, url
    return match.group(1)


async def _unread(person) -> list[str]:
    data = (await person.get("/api/v1/notifications?unread=true")).json()
    return [item["subject"] for item in data["items"]]


async def test_draft_submit_return_resubmit_publish_interest_shortlist_land(zone: Zone, services) -> None:
    # A draft needs only a title; submitting needs everything.
    draft = await zone.owner.submit("/scenarios/new", {"title": "社区医院 AI 分诊助手", "action": "save"})
    assert draft.status_code == 200 and "草稿已保存" in draft.text
    sid = _scenario_id(str(draft.url))
    incomplete = await zone.owner.submit(f"/scenarios/{sid}/submit")
    assert incomplete.status_code == 400
    assert "写一段简短的公开摘要" in incomplete.text and 'value="社区医院 AI 分诊助手"' in incomplete.text

    # Nobody else sees a draft, not even by its id.
    for outsider in (zone.visitor, zone.opc, zone.rival):
        assert (await outsider.get(f"/scenarios/{sid}")).status_code == 404
        assert (await outsider.get(f"/api/v1/scenarios/{sid}")).status_code == 404

    saved = await zone.owner.submit(f"/scenarios/{sid}/edit", {**COMPLETE, "action": "submit"})
    assert saved.status_code == 200, saved.text
    assert "待审核" in saved.text

    # The admin returns it with a reason; the owner is told and sees the reason on the timeline.
    back = await zone.admin.submit(f"/admin/scenarios/{sid}/return", {"reason": "请补充预算依据 <b>谢谢</b>"})
    assert back.status_code == 200
    assert any("请补充预算依据" in s for s in await _unread(zone.owner))
    page = await zone.owner.get(f"/scenarios/{sid}")
    assert "已退回修改" in page.text and "请补充预算依据 &lt;b&gt;谢谢&lt;/b&gt;" in page.text

    resubmitted = await zone.owner.submit(f"/scenarios/{sid}/edit", {**COMPLETE, "action": "submit"})
    assert resubmitted.status_code == 200
    published = await zone.admin.submit(f"/admin/scenarios/{sid}/publish")
    assert published.status_code == 200
    assert any("已发布" in s for s in await _unread(zone.owner))

    # Public: the abstract for everyone, the details only after accepting the terms as a member of an OPC
    # whose capability profile an admin verified.
    await verified_opc(services, "zhiyuan", "opc@example.com")
    public = await zone.visitor.get(f"/scenarios/{sid}")
    assert public.status_code == 200 and COMPLETE["abstract"] in public.text
    assert "人工分诊" not in public.text and "王主任" not in public.text and "027-8765" not in public.text
    assert "details" not in (await zone.visitor.get(f"/api/v1/scenarios/{sid}")).json() or (
        (await zone.visitor.get(f"/api/v1/scenarios/{sid}")).json()["details"] is None
    )
    rival_view = await zone.rival.get(f"/scenarios/{sid}")
    assert "人工分诊" not in rival_view.text  # another enterprise is no OPC
    before = await zone.opc.get(f"/scenarios/{sid}")
    assert "人工分诊" not in before.text and "接受保密条款" in before.text
    not_ticked = await zone.opc.submit(f"/scenarios/{sid}/terms", {})
    assert "人工分诊" not in not_ticked.text
    accepted = await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    assert "人工分诊" in accepted.text and "027-8765 4321" in accepted.text
    assert '<span class="nb">print</span>' in accepted.text  # code highlighted on the server
    assert (await zone.opc.get(f"/api/v1/scenarios/{sid}")).json()["details"]["contact_name"] == "王主任"

    # Outsiders cannot edit or move it.
    assert (await zone.rival.get(f"/scenarios/{sid}/edit")).status_code == 403
    hijack = await zone.rival.submit(f"/scenarios/{sid}/edit", {**COMPLETE, "title": "被篡改"})
    assert hijack.status_code == 403
    assert (
        await zone.rival.submit(f"/scenarios/{sid}/status", {"status": "closed", "reason": "x"})
    ).status_code == 403
    assert "被篡改" not in (await zone.visitor.get(f"/scenarios/{sid}")).text

    # Interest: too short is refused with the text kept; then sent; a second one from the same OPC is refused.
    short = await zone.opc.submit(f"/scenarios/{sid}/interest", {"organization": "", "proposal": "能做"})
    assert short.status_code == 200
    opc_org_id = await _org_id(zone, sid)
    short = await zone.opc.submit(
        f"/scenarios/{sid}/interest", {"organization": opc_org_id, "proposal": "能做"}
    )
    assert "至少" in short.text and ">能做</textarea>" in short.text
    proposal = "我们为三家社区医院做过分诊模型，4 周可上线试点。"
    sent = await zone.opc.submit(
        f"/scenarios/{sid}/interest", {"organization": opc_org_id, "proposal": proposal}
    )
    assert "已发送" in sent.text
    again = await zone.opc.submit(
        f"/scenarios/{sid}/interest", {"organization": opc_org_id, "proposal": proposal}
    )
    assert "已经表达过意向" in again.text or "已表达过意向" in again.text
    assert any("智元视界工作室" in s for s in await _unread(zone.owner))

    # The owner sees the OPC and its proposal, shortlists it; the OPC is told; the scenario is docking.
    owner_page = await zone.owner.get(f"/scenarios/{sid}")
    assert proposal in owner_page.text
    interest_id = re.search(r"/scenarios/interests/([0-9a-f-]{36})/decline", owner_page.text).group(1)
    assert (await zone.rival.submit(f"/scenarios/interests/{interest_id}/shortlist")).status_code == 403
    shortlisted = await zone.owner.submit(
        f"/scenarios/interests/{interest_id}/shortlist", {"note": "请来面谈"}
    )
    assert "对接中" in shortlisted.text
    assert any("入围" in s for s in await _unread(zone.opc))

    landed = await zone.owner.submit(
        f"/scenarios/{sid}/status", {"status": "landed", "partner": opc_org_id, "reason": "试点上线"}
    )
    assert "已落地" in landed.text and "试点上线" in landed.text
    assert any("落地" in s for s in await _unread(zone.opc))
    timeline = landed.text[landed.text.index('id="timeline"') :]
    for step in ("创建草稿", "提交审核", "已退回修改", "已发布", "开始对接", "已落地"):
        assert step in timeline, step
    # A landed scenario takes no more interest and no more edits.
    assert (await zone.owner.submit(f"/scenarios/{sid}/edit", {**COMPLETE})).status_code == 400


async def _org_id(zone: Zone, sid: str) -> str:
    """The OPC's id, as the interest form on the scenario page carries it."""
    page = await zone.opc.get(f"/scenarios/{sid}")
    match = re.search(r'name="organization" value="([0-9a-f-]{36})"', page.text)
    assert match, page.text
    return match.group(1)


async def test_admin_rules_reason_required_double_publish_and_demonstration(zone: Zone) -> None:
    created = await zone.owner.submit("/scenarios/new", {**COMPLETE, "action": "submit"})
    sid = _scenario_id(str(created.url))
    # Only admins review; a return needs a reason.
    assert (await zone.owner.submit(f"/admin/scenarios/{sid}/publish")).status_code == 403
    no_reason = await zone.admin.submit(f"/admin/scenarios/{sid}/return", {"reason": "  "})
    assert "请填写原因" in no_reason.text
    assert "待审核" in no_reason.text
    # Two admins (or a double click) publish at once: one publication, one timeline entry.
    import asyncio

    first, second = await asyncio.gather(
        zone.admin.submit(f"/admin/scenarios/{sid}/publish"),
        zone.admin.submit(f"/admin/scenarios/{sid}/publish"),
    )
    assert first.status_code == second.status_code == 200
    page = await zone.owner.get(f"/scenarios/{sid}")
    timeline = page.text[page.text.index('id="timeline"') :]
    assert timeline.count("已发布") == 1

    # 示范应用场景 of a year: shown on the scenario and in the list filter; nonsense years are refused.
    bad = await zone.admin.submit(f"/admin/scenarios/{sid}/demonstration", {"year": "1900"})
    assert "flash-error" in bad.text and "2020" in bad.text  # "choose a year between 2020 and ..."
    await zone.admin.submit(f"/admin/scenarios/{sid}/demonstration", {"year": "2026"})
    listed = await zone.visitor.get("/scenarios?demonstration=true")
    assert COMPLETE["title"] in listed.text and "2026年示范应用场景" in listed.text
    assert (
        await zone.owner.submit(f"/admin/scenarios/{sid}/demonstration", {"year": "2026"})
    ).status_code == 403
