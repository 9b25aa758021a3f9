"""Posting positions: bad and hostile input comes back with every field kept and each error beside its field;
drafts exist only for their organization; skills are normalised tags; an admin takes a position down with a
reason that the organization and the applicants read."""

from __future__ import annotations

import html
from typing import Any

from tests.notifications.words import worded
from tests.talent.conftest import POSITION, World, apply, login, make_pdf


async def test_bad_input_comes_back_with_the_fields_kept(world: World, make_client: Any, db: Any) -> None:
    owner = await login(make_client, "owner@example.com")
    hostile = {
        "organization": str(world.opc.id),
        "title": "<script>alert(1)</script>🚀 AI 岗位'; DROP TABLE talent_position;--",
        "skills": "ＰＹＴＨＯＮ, python, <b>RAG</b>, " + "x" * 41,
        "description": "短",
        "pay_mode": "range",
        "pay_min": "30000",
        "pay_max": "1e9",
        "district": "火星区",
        "employment_type": "slavery",
        "headcount": "0",
        "deadline": "2020-01-01",
        "action": "publish",
    }
    response = await owner.submit("/talent/positions/new", hostile)
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "<script>alert(1)</script>" not in response.text  # kept, escaped
    assert hostile["title"] in page
    for message in (
        "每项技能最多 40 个字",
        "请用至少 10 个字描述工作内容",
        "请输入 1 到 1000000 之间的整数",
        "请从列表中选择所在区",
        "请选择工作类型",
        "请选择从今天起两年内的日期",
    ):
        assert message in page, message
    assert db.fetchval("SELECT count(*) FROM talent_position") == 1  # only the world's
    nul = await owner.submit(
        "/talent/positions/new", {**POSITION, "organization": str(world.opc.id), "title": "a\x00b"}
    )
    assert nul.status_code == 200  # the NUL character is dropped, not stored and not a 500
    assert db.fetchval("SELECT title FROM talent_position WHERE status = 'draft'") == "ab"
    good = await owner.submit(
        "/talent/positions/new",
        {
            **POSITION,
            "organization": str(world.opc.id),
            "skills": "ＰＹＴＨＯＮ、Python；大模型",
            "action": "draft",
        },
    )
    assert good.status_code == 200 and "草稿已保存" in good.text
    newest = "SELECT skills FROM talent_position WHERE status = 'draft' ORDER BY created_at DESC LIMIT 1"
    assert db.fetchval(newest) == ["python", "大模型"]
    # Someone else's organization: refused, and told how to get one of their own.
    outsider = await login(make_client, "outsider@example.com")
    foreign = await outsider.submit("/talent/positions/new", {**POSITION, "organization": str(world.opc.id)})
    assert foreign.status_code == 400 and "要发布岗位，请先创建或加入一个组织" in foreign.text
    posted = "SELECT count(*) FROM talent_position WHERE created_by_id = $1"
    assert db.fetchval(posted, world.outsider.id) == 0


async def test_drafts_are_private_and_an_admin_takes_a_position_down(
    world: World, make_client: Any, db: Any
) -> None:
    owner = await login(make_client, "owner@example.com")
    await owner.submit(
        "/talent/positions/new", {**POSITION, "organization": str(world.opc.id), "title": "草稿岗位"}
    )
    draft_id = db.fetchval("SELECT id FROM talent_position WHERE status = 'draft'")
    outsider = await login(make_client, "outsider@example.com")
    assert (await outsider.get(f"/talent/positions/{draft_id}")).status_code == 404
    assert (await outsider.get(f"/talent/positions/{draft_id}/edit")).status_code == 404
    assert "草稿岗位" not in (await outsider.get("/talent")).text
    assert (await owner.get(f"/talent/positions/{draft_id}")).status_code == 200
    # A member may not take a position down; an admin may, with a reason.
    applicant = await login(make_client, "applicant@example.com")
    await apply(applicant, world.position.id, make_pdf())
    refused = await owner.submit(f"/talent/positions/{world.position.id}/take-down", {"reason": "x"})
    assert refused.status_code == 403
    admin = await login(make_client, "admin@example.com")
    await admin.submit(f"/talent/positions/{world.position.id}/take-down", {"reason": "含有不实薪资信息。"})
    assert db.fetchval("SELECT status FROM talent_position WHERE id = $1", world.position.id) == "taken_down"
    assert db.fetchval("SELECT status FROM talent_application") == "closed"
    assert "含有不实薪资信息" in (
        worded(db, "recipient_id = $1 AND kind = 'talent.position_taken_down'", world.owner.id) or ""
    )
    assert (await outsider.get(f"/talent/positions/{world.position.id}")).status_code == 404
