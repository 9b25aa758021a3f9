"""Who reads a scenario's confidential part (details, expected outcome, contact): the owner, the admins, and
members of an OPC whose capability profile an admin verified, after accepting the terms; never a member of
an organization that only calls itself an OPC. Owners withdraw a reader's access, and only they grant it
again. An owner's edit of a published scenario waits for an admin while readers see the approved text."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from community.accounts.models import User
from community.scenarios.services.capabilities import CapabilityService
from tests.scenarios.conftest import COMPLETE, Zone, verified_opc

# Every confidential value of COMPLETE, as the page and the API would print it.
CONFIDENTIAL = ("人工分诊", "上线 3 个月内覆盖全部网点", "027-8765 4321", "wang@hospital.example")


def _scenario_id(url: str) -> str:
    match = re.search(r"/scenarios/([0-9a-f-]{36})", url)
    assert match, url
    return match.group(1)


async def _published(zone: Zone) -> str:
    created = await zone.owner.submit("/scenarios/new", {**COMPLETE, "action": "submit"})
    sid = _scenario_id(str(created.url))
    assert (await zone.admin.submit(f"/admin/scenarios/{sid}/publish")).status_code == 200
    return sid


def _details_section(html: str) -> str:
    start = html.index('id="details"')
    return html[start : html.index("</section>", start)]


async def _reads_nothing(person: Any, sid: str) -> None:
    page = await person.get(f"/scenarios/{sid}")
    assert page.status_code == 200
    for text in CONFIDENTIAL:
        assert text not in page.text, text
    api = await person.get(f"/api/v1/scenarios/{sid}")
    assert api.status_code == 200 and api.json()["details"] is None
    for text in CONFIDENTIAL:
        assert text not in api.text, text


async def _reads_everything(person: Any, sid: str) -> None:
    page = await person.get(f"/scenarios/{sid}")
    for text in CONFIDENTIAL:
        assert text in page.text, text
    details = (await person.get(f"/api/v1/scenarios/{sid}")).json()["details"]
    assert details["contact_phone"] == "027-8765 4321" and "人工分诊" in details["description"]


async def _unread(person: Any) -> list[str]:
    data = (await person.get("/api/v1/notifications?unread=true")).json()
    return [item["subject"] for item in data["items"]]


# --- reading needs a verified OPC -------------------------------------------------------------------------


async def test_a_self_declared_opc_that_accepts_the_terms_reads_no_confidential_field(zone: Zone) -> None:
    sid = await _published(zone)
    # 智元视界工作室 is an OPC only because its creator said so: it has no verified capability profile.
    before = await zone.opc.get(f"/scenarios/{sid}")
    details = _details_section(before.text)
    assert 'action="/scenarios/' + sid + '/terms"' not in details
    # It is told plainly why, and where to apply for verification.
    assert "经过认证的能力档案" in details
    assert 'href="/capabilities/zhiyuan/edit"' in details
    form = await zone.opc.get("/capabilities/zhiyuan/edit")
    assert form.status_code == 200 and 'name="action" value="submit"' in form.text

    # Posting the terms anyway (as a script would) records nothing and shows nothing.
    accepted = await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    assert "能力档案" in accepted.text  # the refusal says why
    await _reads_nothing(zone.opc, sid)
    # It still sees the public part and may express interest.
    page = await zone.opc.get(f"/scenarios/{sid}")
    assert COMPLETE["abstract"] in page.text and 'class="interest-form"' in page.text

    # A profile waiting for verification is not enough either.
    await zone.opc.submit(
        "/capabilities/zhiyuan/edit",
        {
            "summary": "一人公司：医疗分诊模型。",
            "team_size": "1",
            "district": "洪山区",
            "item_domain_0": "智慧医疗",
            "item_technology_0": "分诊模型",
            "item_maturity_0": "pilot",
            "action": "submit",
        },
    )
    await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    await _reads_nothing(zone.opc, sid)
    assert "等待管理员认证" in _details_section((await zone.opc.get(f"/scenarios/{sid}")).text)


async def test_a_verified_opcs_member_reads_the_details_until_its_profile_loses_verification(
    zone: Zone, services: Any
) -> None:
    sid = await _published(zone)
    profile = await verified_opc(services, "zhiyuan", "opc@example.com")
    # Verified, but the terms are not accepted yet: still nothing.
    await _reads_nothing(zone.opc, sid)
    assert f'action="/scenarios/{sid}/terms"' in (await zone.opc.get(f"/scenarios/{sid}")).text
    accepted = await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    assert "人工分诊" in accepted.text
    await _reads_everything(zone.opc, sid)

    # An admin takes the verification back: the access ends at once, on the page and in the API.
    admin = await services.scalar(select(User).where(User.is_admin.is_(True)))
    await CapabilityService(services).reject(admin, profile.id, "案例无法核实")
    await services.commit()
    await _reads_nothing(zone.opc, sid)
    # Verified again, the terms it accepted hold again.
    await CapabilityService(services).verify(admin, profile.id)
    await services.commit()
    await _reads_everything(zone.opc, sid)

    # Others never read it: a visitor, another enterprise, and the owner and admins always do.
    await _reads_nothing(zone.visitor, sid)
    await _reads_nothing(zone.rival, sid)
    await _reads_everything(zone.owner, sid)
    await _reads_everything(zone.admin, sid)


# --- owners withdraw a reader's access --------------------------------------------------------------------


async def test_the_owner_withdraws_a_readers_access_and_only_the_owner_grants_it_again(
    zone: Zone, services: Any
) -> None:
    sid = await _published(zone)
    await verified_opc(services, "zhiyuan", "opc@example.com")
    await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    await _reads_everything(zone.opc, sid)

    # The owner sees who accepted the terms, each with a button to withdraw.
    owner_page = await zone.owner.get(f"/scenarios/{sid}")
    readers = owner_page.text[owner_page.text.index('id="readers"') :]
    assert "李一人" in readers and "智元视界工作室" in readers
    reader = re.search(r'name="reader" value="([0-9a-f-]{36})"', readers).group(1)

    # Nobody but the owner (and admins) withdraws or grants: not another enterprise, not the reader.
    for outsider in (zone.rival, zone.opc):
        refused = await outsider.submit(f"/scenarios/{sid}/readers/withdraw", {"reader": reader})
        assert refused.status_code == 403
    await _reads_everything(zone.opc, sid)
    # Without the form's CSRF token the owner's own browser is refused too.
    forged = await zone.owner.client.post(
        f"/scenarios/{sid}/readers/withdraw", data={"reader": reader}, follow_redirects=False
    )
    assert forged.status_code == 403
    await _reads_everything(zone.opc, sid)

    withdrawn = await zone.owner.submit(f"/scenarios/{sid}/readers/withdraw", {"reader": reader})
    assert withdrawn.status_code == 200
    timeline = withdrawn.text[withdrawn.text.index('id="timeline"') :]
    assert "撤回" in timeline and "李一人 · 智元视界工作室" in timeline
    # The withdrawal is the owner's business: the public timeline does not name the reader.
    public = await zone.visitor.get(f"/scenarios/{sid}")
    assert "李一人" not in public.text

    # The reader loses the details at once, is told, and cannot simply accept again.
    await _reads_nothing(zone.opc, sid)
    assert any("撤回" in subject for subject in await _unread(zone.opc))
    page = await zone.opc.get(f"/scenarios/{sid}")
    assert f'action="/scenarios/{sid}/terms"' not in page.text
    again = await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    assert "撤回" in again.text
    await _reads_nothing(zone.opc, sid)
    for outsider in (zone.rival, zone.opc):
        refused = await outsider.submit(f"/scenarios/{sid}/readers/grant", {"reader": reader})
        assert refused.status_code == 403
    await _reads_nothing(zone.opc, sid)

    # Re-granting is the owner's action.
    granted = await zone.owner.submit(f"/scenarios/{sid}/readers/grant", {"reader": reader})
    assert granted.status_code == 200
    await _reads_everything(zone.opc, sid)


async def test_a_reader_of_another_scenario_cannot_be_withdrawn_through_this_one(
    zone: Zone, services: Any
) -> None:
    """The rival enterprise owns a scenario of its own; it cannot use it to withdraw a reader of ours."""
    sid = await _published(zone)
    await verified_opc(services, "zhiyuan", "opc@example.com")
    await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})
    owner_page = await zone.owner.get(f"/scenarios/{sid}")
    reader = re.search(r'name="reader" value="([0-9a-f-]{36})"', owner_page.text).group(1)
    theirs = await zone.rival.submit("/scenarios/new", {**COMPLETE, "action": "submit"})
    their_id = _scenario_id(str(theirs.url))
    await zone.admin.submit(f"/admin/scenarios/{their_id}/publish")
    refused = await zone.rival.submit(f"/scenarios/{their_id}/readers/withdraw", {"reader": reader})
    assert refused.status_code == 404
    await _reads_everything(zone.opc, sid)


# --- an owner's edit of a published scenario waits for review ---------------------------------------------


async def test_an_owners_edit_of_a_published_scenario_waits_for_an_admin(zone: Zone, services: Any) -> None:
    sid = await _published(zone)
    await verified_opc(services, "zhiyuan", "opc@example.com")
    await zone.opc.submit(f"/scenarios/{sid}/terms", {"agree": "yes"})

    edit = await zone.owner.get(f"/scenarios/{sid}/edit")
    assert 'id="review-notice"' in edit.text
    changed = {
        **COMPLETE,
        "title": "社区医院 AI 分诊助手（二期）",
        "abstract": "改过的公开摘要：覆盖 20 家社区医院。",
        "description": "改过的保密细节：新增 8 家医院的接口文档。",
        "contact_phone": "027-1111 2222",
        "action": "save",
    }
    saved = await zone.owner.submit(f"/scenarios/{sid}/edit", changed)
    assert saved.status_code == 200 and "审核" in saved.text

    # Nothing of it is live: visitors, the API, the verified reader and the search index see the approved
    # version.
    for person in (zone.visitor, zone.opc):
        page = await person.get(f"/scenarios/{sid}")
        api = (await person.get(f"/api/v1/scenarios/{sid}")).json()
        assert "二期" not in page.text and "改过的" not in page.text and "027-1111" not in page.text
        assert api["title"] == COMPLETE["title"] and api["abstract"] == COMPLETE["abstract"]
    assert (await zone.opc.get(f"/api/v1/scenarios/{sid}")).json()["details"]["contact_phone"] == (
        "027-8765 4321"
    )
    listed = (await zone.visitor.get("/api/v1/scenarios")).json()["items"]
    assert [item["title"] for item in listed] == [COMPLETE["title"]]

    # The owner sees that it waits and goes on from the change (nothing typed is lost).
    owner_page = await zone.owner.get(f"/scenarios/{sid}")
    assert 'class="pending-revision"' in owner_page.text
    again = await zone.owner.get(f"/scenarios/{sid}/edit")
    assert "改过的保密细节" in again.text and "027-1111 2222" in again.text

    # The admins see it in their queue, field by field; nobody else may approve it.
    hub = await zone.admin.get("/admin")
    assert f"/scenarios/{sid}#revision" in hub.text
    review = await zone.admin.get(f"/scenarios/{sid}")
    assert "改过的保密细节" in review.text and "二期" in review.text
    for outsider in (zone.owner, zone.rival, zone.opc):
        assert (await outsider.submit(f"/admin/scenarios/{sid}/revision/approve")).status_code == 403

    approved = await zone.admin.submit(f"/admin/scenarios/{sid}/revision/approve")
    assert approved.status_code == 200
    assert any("二期" in s for s in await _unread(zone.owner))
    page = await zone.visitor.get(f"/scenarios/{sid}")
    assert "社区医院 AI 分诊助手（二期）" in page.text and "改过的公开摘要" in page.text
    assert "改过的保密细节" not in page.text
    details = (await zone.opc.get(f"/api/v1/scenarios/{sid}")).json()["details"]
    assert details["description"].startswith("改过的保密细节") and details["contact_phone"] == "027-1111 2222"

    # A change an admin does not publish stays out, and the owner reads why.
    await zone.owner.submit(f"/scenarios/{sid}/edit", {**changed, "abstract": "未经审核的摘要"})
    no_reason = await zone.admin.submit(f"/admin/scenarios/{sid}/revision/reject", {"reason": " "})
    assert "请填写原因" in no_reason.text
    rejected = await zone.admin.submit(f"/admin/scenarios/{sid}/revision/reject", {"reason": "摘要夸大"})
    assert rejected.status_code == 200
    assert "未经审核的摘要" not in (await zone.visitor.get(f"/scenarios/{sid}")).text
    assert any("摘要夸大" in s for s in await _unread(zone.owner))
    assert "摘要夸大" in (await zone.owner.get(f"/scenarios/{sid}")).text
    assert "摘要夸大" not in (await zone.visitor.get(f"/scenarios/{sid}")).text


async def test_an_admins_own_edit_of_a_published_scenario_goes_live(zone: Zone) -> None:
    sid = await _published(zone)
    saved = await zone.admin.submit(f"/scenarios/{sid}/edit", {**COMPLETE, "title": "管理员改过的标题"})
    assert saved.status_code == 200
    assert "管理员改过的标题" in (await zone.visitor.get(f"/scenarios/{sid}")).text
