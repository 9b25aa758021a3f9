"""Capability profiles (an admin verifies them before they are listed), the list filters, and the JSON API
for scenarios and profiles, with its problem details."""

from __future__ import annotations

from tests.scenarios.conftest import COMPLETE, Zone

PROFILE = {
    "summary": "一人公司：工业质检视觉模型的小样本微调与边缘部署 <script>alert(1)</script>",
    "team_size": "3",
    "district": "东湖新技术开发区",
    "item_domain_0": "生产制造",
    "item_technology_0": "小样本缺陷检测 (YOLO + LoRA) 🚀",
    "item_maturity_0": "product",
    "item_domain_1": "工业软件",
    "item_technology_1": "边缘推理部署",
    "item_maturity_1": "pilot",
    "cases": "- 为三家光谷制造企业交付缺陷检测\n\n[演示](javascript:alert(1))",
}


async def test_profile_is_listed_only_after_verification(zone: Zone, services) -> None:
    bad = await zone.opc.submit(
        "/capabilities/zhiyuan/edit", {**PROFILE, "item_maturity_1": "legendary", "action": "submit"}
    )
    assert bad.status_code == 400 and "边缘推理部署" in bad.text  # kept, with the error beside it
    assert 'id="e-item_maturity_1"' in bad.text or "item_maturity_1" in bad.text
    sent = await zone.opc.submit("/capabilities/zhiyuan/edit", {**PROFILE, "action": "submit"})
    assert sent.status_code == 200
    # Not in the public list, not readable by others, until an admin verifies it.
    assert "智元视界工作室" not in (await zone.visitor.get("/capabilities")).text
    assert (await zone.visitor.get("/capabilities/zhiyuan")).status_code == 404
    assert (await zone.rival.get("/capabilities/zhiyuan/edit")).status_code == 403
    assert (
        await zone.owner.submit("/admin/capabilities/00000000-0000-0000-0000-000000000000/verify")
    ).status_code == 403

    hub = await zone.admin.get("/admin")
    assert "智元视界工作室" in hub.text
    import re

    profile_id = re.search(r"/admin/capabilities/([0-9a-f-]{36})/verify", hub.text).group(1)
    refused = await zone.admin.submit(f"/admin/capabilities/{profile_id}/reject", {"reason": ""})
    assert (refused.status_code == 200 and "理由" in refused.text) or refused.status_code == 200
    verified = await zone.admin.submit(f"/admin/capabilities/{profile_id}/verify")
    assert verified.status_code == 200

    listed = await zone.visitor.get("/capabilities?domain=生产制造&maturity=product")
    assert "智元视界工作室" in listed.text
    assert "智元视界工作室" not in (await zone.visitor.get("/capabilities?domain=金融")).text
    page = await zone.visitor.get("/capabilities/zhiyuan")
    assert "&lt;script&gt;" in page.text and "<script>alert(1)</script>" not in page.text
    assert 'href="javascript:' not in page.text  # shown as text, never a link
    api = (await zone.visitor.get("/api/v1/capabilities?district=东湖新技术开发区")).json()
    assert api["total"] == 1 and api["items"][0]["items"][0]["maturity"] == "product"

    # Edits keep a verified profile listed and put it back in front of the admins.
    await zone.opc.submit(
        "/capabilities/zhiyuan/edit", {**PROFILE, "summary": "更新后的简介", "action": "save"}
    )
    assert "更新后的简介" in (await zone.visitor.get("/capabilities/zhiyuan")).text
    assert "更新后的简介" in (await zone.admin.get("/admin")).text


async def test_scenario_api_create_list_filter_and_problem_details(zone: Zone) -> None:
    body = {
        "organization": "guanggu-medical",
        "title": "API 提交的场景",
        "kind": "bottleneck",
        "scale": "integrated",
        "domains": ["智慧医疗"],
        "district": "武昌区",
        "abstract": "摘要",
        "description": "详细",
        "expected_outcome": "成效",
        "budget": {"min": 100000, "max": 300000, "negotiable": False},
        "deadline": "2099-01-01",
        "contact_name": "王",
        "contact_email": "w@example.com",
        "submit": True,
    }
    assert (await zone.visitor.post("/api/v1/scenarios", json=body)).status_code in (401, 403)
    token = await zone.owner.csrf_token()
    headers = {"x-csrftoken": token}
    created = await zone.owner.post("/api/v1/scenarios", json=body, headers=headers)
    assert created.status_code == 201, created.text
    scenario = created.json()
    assert scenario["status"] == "submitted" and scenario["details"]["description"] == "详细"

    # Bad input: 400 problem details naming each field.
    bad = await zone.owner.post(
        "/api/v1/scenarios",
        json={
            **body,
            "kind": "pirate",
            "domains": ["火星"],
            "budget": {"min": 5, "max": 1, "negotiable": False},
        },
        headers=headers,
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert {"kind", "domains", "budget_max"} <= set(bad.json()["errors"])
    unknown = await zone.owner.post("/api/v1/scenarios", json={**body, "hack": 1}, headers=headers)
    assert unknown.status_code == 400
    # An OPC cannot publish needs, and nobody writes for an organization they are not in.
    opc_token = {"x-csrftoken": await zone.opc.csrf_token()}
    assert (await zone.opc.post("/api/v1/scenarios", json=body, headers=opc_token)).status_code == 403
    assert (
        await zone.opc.post("/api/v1/scenarios", json={**body, "organization": "zhiyuan"}, headers=opc_token)
    ).status_code == 400

    # Submitted is not public yet; after publishing it is listed and filterable.
    assert (await zone.visitor.get("/api/v1/scenarios")).json()["total"] == 0
    await zone.admin.submit(f"/admin/scenarios/{scenario['id']}/publish")
    listed = (await zone.visitor.get("/api/v1/scenarios?domain=智慧医疗&budget=100k-500k")).json()
    assert [s["title"] for s in listed["items"]] == ["API 提交的场景"] and listed["items"][0][
        "details"
    ] is None
    assert (await zone.visitor.get("/api/v1/scenarios?domain=金融")).json()["total"] == 0
    assert (await zone.visitor.get("/api/v1/scenarios?sort=random")).status_code == 400
    assert (await zone.visitor.get("/api/v1/scenarios?page=0")).status_code == 400
    html = await zone.visitor.get("/scenarios?domain=智慧医疗&district=武昌区&sort=deadline")
    assert "API 提交的场景" in html.text
    assert "API 提交的场景" not in (await zone.visitor.get("/scenarios?district=江岸区")).text
    # Nasty filters are ignored, never a 500.
    for query in ("?domain=<script>", "?budget=' OR 1=1 --", "?page=99999", "?status=draft", "?kind=%00"):
        response = await zone.visitor.get("/scenarios" + query)
        assert response.status_code in (200, 400), query
        assert "<script>" not in response.text.split("<main", 1)[1][:200]


async def test_hostile_and_huge_input_is_refused_or_inert(zone: Zone) -> None:
    hostile = {
        **COMPLETE,
        "title": "<img src=x onerror=alert(1)> ‮evil‬ 场景\u200b",
        "abstract": "'; DROP TABLE scenario; -- 😀",
        "description": '<script>alert(1)</script>[x](javascript:alert(1)) <a href="data:text/html,hi">d</a>',
        "action": "submit",
    }
    created = await zone.owner.submit("/scenarios/new", hostile)
    assert created.status_code == 200, created.text
    assert "<img src=x" not in created.text and "&lt;img src=x onerror=alert(1)&gt;" in created.text
    assert "<script>alert(1)</script>" not in created.text and 'href="javascript:' not in created.text
    assert "DROP TABLE scenario" in created.text  # stored as text, nothing happened
    huge = await zone.owner.submit(
        "/scenarios/new", {**COMPLETE, "description": "长" * 20_001, "action": "submit"}
    )
    assert huge.status_code == 400 and "20000" in huge.text
    too_many = await zone.owner.submit(
        "/scenarios/new", {**COMPLETE, "domains": ["教育", "金融", "交通", "气象", "时空", "医疗"]}
    )
    assert too_many.status_code == 400
    past = await zone.owner.submit("/scenarios/new", {**COMPLETE, "deadline": "2001-01-01"})
    assert past.status_code == 400
    not_mine = await zone.owner.submit("/scenarios/new", {**COMPLETE, "organization": "not-a-uuid"})
    assert not_mine.status_code in (200, 400)  # one organization: it is used
