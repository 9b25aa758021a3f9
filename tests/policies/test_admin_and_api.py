"""Admins write policies through a form that keeps every field when it refuses one; only admins write; the
JSON API lists and shows policies to everybody, tells members their own organization's eligibility only,
and answers problem details; published policies are found through the site search, withdrawn ones are not."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import outbox_drained
from tests.policies.conftest import demo_password, jobs_done, load_world, login
from tests.policies.test_push import password_of_admin

NEW_POLICY = {
    "title": "智能体应用专项培训补贴（测试）",
    "slug": "agent-training-test",
    "summary": "面向金融、制造、医疗等领域的资深从业者，开展智能体应用专项培训。",
    "source_measure": "措施四",
    "issuing_unit": "市教育局、市人社局",
    "benefit_kind_0": "subsidy",
    "benefit_description_0": "培训费用补贴",
    "benefit_amount_0": "全额",
    "benefit_cap_yuan_0": "5000",
    "benefit_months_0": "6",
    "org_types": ["opc", "enterprise"],
    "domains": ["金融", "医疗"],
    "age_max_months": "36",
    "deadline": "2028-12-31",
}


async def test_the_admin_form_keeps_every_field_and_only_admins_write(
    services: Any, settings: Any, make_client: Any, db: Any
) -> None:
    await load_world(services, settings)
    admin = await login(make_client, "admin@example.com", password_of_admin(settings))
    hub = await admin.get("/admin")
    assert 'href="/admin/policies"' in hub.text
    await jobs_done(db)  # the demo's policies have been pushed
    index = await admin.get("/admin/policies")
    assert index.status_code == 200
    # The compute voucher's row (version, qualify, told, opened): the two demo OPCs that buy compute.
    row = re.search(r">算力服务券</a></td>(.*?)</tr>", index.text, re.S)
    assert row is not None
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == ["1", "2", "2", "0"]

    bad = {
        **NEW_POLICY,
        "slug": "Bad Slug!",
        "benefit_kind_0": "",
        "benefit_cap_yuan_0": "-5",
        "age_min_months": "48",
        "apply_url": "javascript:alert(1)",
        "title": "<script>alert(1)</script>智能体🤖 training",
    }
    refused = await admin.submit("/admin/policies/new", bad)
    assert refused.status_code == 400
    text = refused.text
    for message in ("小写字母、数字和连字符", "请选择支持方式", "上限不能小于下限", "http:// 或 https://"):
        assert message in text, message
    # Every field as it was sent, escaped: nothing typed is lost, nothing runs.
    assert 'value="Bad Slug!"' in text and 'value="-5"' in text and 'value="48"' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;智能体🤖 training" in text and "<script>alert(1)" not in text
    assert re.search(r'value="金融" checked', text) and re.search(r'value="enterprise" checked', text)
    assert "培训费用补贴" in text
    assert db.fetchval("SELECT count(*) FROM policy WHERE title LIKE '%智能体%'") == 0

    made = await admin.submit("/admin/policies/new", NEW_POLICY)
    assert made.status_code == 200 and "草稿已保存" in made.text
    policy_id = db.fetchval("SELECT id FROM policy WHERE slug = 'agent-training-test'")
    visitor = await make_client()
    assert (await visitor.get("/policies/agent-training-test")).status_code == 404  # a draft
    published = await admin.submit(f"/admin/policies/{policy_id}/publish")
    assert published.status_code == 200 and "已发布" in published.text
    page = await visitor.get("/policies/agent-training-test")
    assert page.status_code == 200 and "成立时间：不超过 36 个月" in page.text
    assert "领域：属于 金融、医疗 之一" in page.text
    again = await admin.submit(f"/admin/policies/{policy_id}/publish")
    assert "这项政策已经发布" in again.text  # a double click publishes once

    # Found through the site search while published; gone once withdrawn.
    await outbox_drained(db)
    found = await visitor.get("/api/v1/search", params={"q": "智能体应用专项培训", "type": "policy"})
    assert any(hit["url"] == "/policies/agent-training-test" for hit in found.json()["hits"])
    await admin.submit(f"/admin/policies/{policy_id}/withdraw")
    await outbox_drained(db)
    found = await visitor.get("/api/v1/search", params={"q": "智能体应用专项培训", "type": "policy"})
    assert not any(hit["url"] == "/policies/agent-training-test" for hit in found.json()["hits"])
    assert "智能体应用专项培训补贴" not in (await visitor.get("/policies")).text

    # Members and visitors do not write.
    li = await login(make_client, "li.ming@example.com", demo_password(settings))
    assert (await li.get("/admin/policies/new")).status_code == 403
    assert (await li.submit("/admin/policies/new", NEW_POLICY)).status_code == 403
    assert (await li.submit(f"/admin/policies/{policy_id}/publish")).status_code == 403
    anonymous = await visitor.get("/admin/policies/new", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]


async def test_the_api_lists_checks_eligibility_for_members_only_and_answers_problem_details(
    services: Any, settings: Any, make_client: Any
) -> None:
    await load_world(services, settings)
    visitor = await make_client()
    listing = (await visitor.get("/api/v1/policies")).json()
    assert listing["total"] == 21  # the ten measures of the seed, one policy per distinct benefit
    housing = (await visitor.get("/api/v1/policies", params={"kind": "housing"})).json()
    assert {p["slug"] for p in housing["items"]} == {
        "talent-rental-housing",
        "home-purchase-subsidy",
        "youth-talent-home",
    }
    one = (await visitor.get("/api/v1/policies/compute-voucher")).json()
    assert one["auto_granted"] is False and one["conditions"] == {
        "org_types": ["opc"],
        "activities": ["buy_compute"],
    }
    assert one["benefits"][0]["cap_yuan"] == 200_000 and one["benefits"][0]["months"] == 36
    assert (await visitor.get("/api/v1/policies/free-compute-hours")).json()["auto_granted"] is True
    missing = await visitor.get("/api/v1/policies/nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    anonymous = await visitor.get(
        "/api/v1/policies/compute-voucher/eligibility", params={"organization": "zhiyuan-ai"}
    )
    assert anonymous.status_code == 401

    li = await login(make_client, "li.ming@example.com", demo_password(settings))
    mine = (
        await li.get(
            "/api/v1/policies/talent-rental-housing/eligibility", params={"organization": "zhiyuan-ai"}
        )
    ).json()
    assert mine["qualifies"] is False and mine["missing"] == ["需要：租住人才租赁房"]
    assert [c["status"] for c in mine["conditions"]] == ["met", "missing"]
    ok = (
        await li.get("/api/v1/policies/compute-voucher/eligibility", params={"organization": "zhiyuan-ai"})
    ).json()
    assert ok["qualifies"] is True
    # Another organization's eligibility does not exist for this member (nor does a made-up one).
    other = await li.get(
        "/api/v1/policies/compute-voucher/eligibility", params={"organization": "qingyun-agent"}
    )
    assert other.status_code == 404 and other.json()["status"] == 404
    assert "qualifies" not in other.text
    # Only admins write.
    body = {
        "title": "测试政策",
        "slug": "api-test",
        "summary": "摘要",
        "issuing_unit": "市数据局",
        "benefits": [{"kind": "subsidy", "description": "补助", "cap_yuan": 1000}],
        "conditions": {"org_types": ["opc"]},
    }
    forbidden = await li.post("/api/v1/policies", json=body, headers={"x-csrftoken": await li.csrf_token()})
    assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith(
        "application/problem+json"
    )

    admin = await login(make_client, "admin@example.com", password_of_admin(settings))
    headers = {"x-csrftoken": await admin.csrf_token()}
    refused = await admin.post(
        "/api/v1/policies",
        json={**body, "slug": "Bad Slug", "benefits": [], "conditions": {"activities": ["flying"]}},
        headers=headers,
    )
    assert refused.status_code == 400
    problem = refused.json()
    assert set(problem["errors"]) == {"slug", "benefits", "activities"}
    duplicate = await admin.post(
        "/api/v1/policies", json={**body, "slug": "compute-voucher"}, headers=headers
    )
    assert duplicate.status_code == 400 and "slug" in duplicate.json()["errors"]
    created = await admin.post("/api/v1/policies", json={**body, "publish": True}, headers=headers)
    assert created.status_code == 201 and created.json()["status"] == "published"
    changed = await admin.put(
        "/api/v1/policies/api-test",
        json={**body, "conditions": {"org_types": ["opc", "enterprise"]}},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    schema = (await visitor.get("/schema/openapi.json")).json()
    assert "/api/v1/policies/{slug}/eligibility" in schema["paths"]


async def test_two_admins_saving_one_web_name_at_once_get_one_policy_and_a_clear_message(
    services: Any, settings: Any
) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from community.errors import FormError
    from community.policies.services.policies import PolicyService
    from tests.policies.conftest import admin_of, policy_input

    await load_world(services, settings, zones=())
    admin_id = (await admin_of(services)).id
    engine = create_async_engine(settings.database_url)
    outcomes: list[str] = []

    async def save(title: str) -> None:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            admin = await db.get(type(await admin_of(services)), admin_id)
            try:
                await PolicyService(db).create(admin, policy_input("same-name", title, {}))
                await asyncio.sleep(0.2)  # both have checked the name before either commits
                await db.commit()
                outcomes.append("saved")
            except FormError as exc:
                outcomes.append(exc.errors["slug"])

    try:
        await asyncio.gather(save("甲"), save("乙"))
    finally:
        await engine.dispose()
    assert sorted(outcomes) == ["saved", "已有政策使用这个网址名。"]
