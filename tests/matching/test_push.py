"""Publishing a scenario pushes it to the demo OPCs that suit it (in-site and by email, each with its
reasons) and not to the others; the weekly cap holds in the database; the email's unsubscribe link works
logged out; the owner sees recommended OPCs and each OPC its 为你推荐 page, where feedback is kept."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from community.accounts.models import Organization, User
from community.matching.demo import scenario_input
from community.scenarios.services.scenarios import ScenarioService
from tests.conftest import Mailbox
from tests.matching.conftest import WEEKLY_CAP, demo_password, jobs_done, load_world, login
from tests.notifications.words import worded

INSPECTION = {
    "title": "注塑件表面缺陷视觉检测",
    "domains": ("生产制造",),
    "district": "东西湖区",
    "abstract": "注塑车间需要用工业相机识别飞边、缩痕和划伤等表面缺陷，模型部署在产线边缘工控机上。",
}


async def publish(services: Any, org_slug: str, values: dict[str, Any]) -> UUID:
    """The owner organization's member writes and submits it; the site admin publishes it."""
    org = await services.scalar(select(Organization).where(Organization.slug == org_slug))
    member = await services.scalar(
        select(User).join(User.memberships).where(User.memberships.any(organization_id=org.id))
    )
    admin = await services.scalar(select(User).where(User.email == "admin@example.com"))
    scenarios = ScenarioService(services)
    scenario = await scenarios.create(member, org.id, scenario_input(values), submit=True)
    await scenarios.publish(admin, scenario.id)
    await services.commit()
    return scenario.id


def recipients(db: Any, scenario_id: UUID) -> set[str]:
    emails = db.fetchval(
        "SELECT string_agg(u.email, ',') FROM notification n JOIN user_account u ON u.id = n.recipient_id"
        " WHERE n.kind = 'matching.recommended' AND n.url = $1",
        f"/scenarios/{scenario_id}",
    )
    return set(emails.split(",")) if emails else set()


def mails_about(mailbox: Mailbox, to: str, title: str) -> list[str]:
    return [
        Mailbox.body(m) for m in list(mailbox.messages) if to in str(m["To"]) and title in Mailbox.body(m)
    ]


async def wait_for_mail(mailbox: Mailbox, to: str, title: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := mails_about(mailbox, to, title):
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {to} about {title}")


async def test_publishing_pushes_to_suitable_demo_opcs_with_reasons(
    services: Any, settings: Any, make_client: Any, db: Any, mailbox: Mailbox
) -> None:
    await load_world(services, settings)
    owner_client = await make_client()  # starts the app and its job worker
    await jobs_done(db)
    scenario_id = await publish(services, "changjiang-logistics", INSPECTION)
    await jobs_done(db)

    # In-site: the inspection OPC is told, with its reasons; the agent and code OPCs are not.
    assert recipients(db, scenario_id) == {"li.ming@example.com"}
    subject = worded(db, "kind = 'matching.recommended' AND url = $1", f"/scenarios/{scenario_id}") or ""
    assert INSPECTION["title"] in subject and "生产制造" in subject and "缺陷" in subject
    # By email (the default rhythm is immediate), with the reasons and an unsubscribe link.
    body = await wait_for_mail(mailbox, "li.ming@example.com", INSPECTION["title"])
    assert "生产制造" in body and "/matching/unsubscribe?token=" in body
    assert not mails_about(mailbox, "zhang.wei@example.com", INSPECTION["title"])
    assert not mails_about(mailbox, "chen.hao@example.com", INSPECTION["title"])

    # 为你推荐 of the inspection OPC shows it with its reasons; the agent OPC's does not.
    password = demo_password(settings)
    li = await login(make_client, "li.ming@example.com", password)
    page = await li.get("/matching/for-you")
    assert page.status_code == 200 and INSPECTION["title"] in page.text and "相同领域" in page.text
    zhang = await login(make_client, "zhang.wei@example.com", password)
    agent_page = (await zhang.get("/matching/for-you")).text
    assert agent_page.index("12345 政务热线工单智能分派") < agent_page.find(INSPECTION["title"]) or (
        INSPECTION["title"] not in agent_page
    )

    # The owner sees the recommended OPCs with reasons; a visitor sees only similar scenarios.
    await owner_client.login("zhao.lei@example.com", password)
    panel = await owner_client.get(f"/matching/scenarios/{scenario_id}/panel", headers={"hx-request": "true"})
    assert panel.status_code == 200 and "智元视界" in panel.text and "相同领域" in panel.text
    detail = await owner_client.get(f"/scenarios/{scenario_id}")
    assert f"/matching/scenarios/{scenario_id}/panel" in detail.text
    visitor = await make_client()
    public_panel = await visitor.get(f"/matching/scenarios/{scenario_id}/panel")
    assert public_panel.status_code == 200 and "推荐的OPC" not in public_panel.text
    assert "仓储包装破损" in public_panel.text  # the similar demo need
    similar_opcs = await visitor.get("/matching/capabilities/zhiyuan-ai/panel")
    assert similar_opcs.status_code == 200 and "相似的OPC" in similar_opcs.text
    assert "/matching/capabilities/zhiyuan-ai/panel" in (await visitor.get("/capabilities/zhiyuan-ai")).text

    # Not interested: stored, the scenario leaves the page; interested leads to the interest form.
    not_now = await li.submit(
        "/matching/feedback",
        {
            "organization": _org_id(db, "zhiyuan-ai"),
            "scenario": str(scenario_id),
            "verdict": "not_interested",
        },
    )
    assert not_now.status_code == 200 and INSPECTION["title"] not in not_now.text.split("<main")[1]
    assert (
        db.fetchval("SELECT verdict FROM match_feedback WHERE scenario_id = $1", scenario_id)
        == "not_interested"
    )
    demo_need = db.fetchval("SELECT id FROM scenario WHERE title = '仓储包装破损与标签错贴视觉检测'")
    keen = await li.submit(
        "/matching/feedback",
        {"organization": _org_id(db, "zhiyuan-ai"), "scenario": str(demo_need), "verdict": "interested"},
    )
    assert keen.status_code == 200 and f"/scenarios/{demo_need}" in str(keen.url)
    assert "interest-form" in keen.text or "my-interest" in keen.text


def _org_id(db: Any, slug: str) -> str:
    return str(db.fetchval("SELECT id FROM organization WHERE slug = $1", slug))


async def test_weekly_cap_holds(
    services: Any, settings: Any, make_client: Any, db: Any, mailbox: Mailbox
) -> None:
    await load_world(services, settings)
    await make_client()
    await jobs_done(db)
    ids = []
    for n, defect in enumerate(("焊点虚焊", "金属划痕", "玻璃气泡")):
        values = {
            **INSPECTION,
            "title": f"产线{defect}缺陷视觉检测 {n}",
            "abstract": f"{INSPECTION['abstract']}重点是{defect}。",
        }
        ids.append(await publish(services, "changjiang-logistics", values))
    await jobs_done(db)
    zhiyuan = _org_id(db, "zhiyuan-ai")
    pushed = db.fetchval("SELECT count(*) FROM match_push WHERE organization_id = $1", UUID(zhiyuan))
    assert pushed == WEEKLY_CAP  # one from the demo need, one of the three new ones; the rest wait
    assert (
        db.fetchval("SELECT used FROM match_push_quota WHERE organization_id = $1", UUID(zhiyuan))
        == WEEKLY_CAP
    )
    told = sum(1 for sid in ids if "li.ming@example.com" in recipients(db, sid))
    assert told == WEEKLY_CAP - 1
    # The database itself refuses a count past the cap.
    with pytest.raises(IntegrityError):
        await services.execute(
            text("UPDATE match_push_quota SET used = used + 1 WHERE organization_id = :o"),
            {"o": UUID(zhiyuan)},
        )
    await services.rollback()


async def test_unsubscribe_link_from_the_email_works_logged_out(
    services: Any, settings: Any, make_client: Any, db: Any, mailbox: Mailbox
) -> None:
    await load_world(services, settings)
    visitor = await make_client()
    await jobs_done(db)
    body = await wait_for_mail(mailbox, "li.ming@example.com", "仓储包装破损与标签错贴视觉检测")
    link = re.search(r"https?://\S+/matching/unsubscribe\?token=\S+", body)
    assert link, body
    assert link.group(0).startswith(settings.base_url)
    forged = await visitor.get(link.group(0).replace(settings.base_url, "")[:-3] + "xyz")
    assert forged.status_code == 404
    page = await visitor.get(link.group(0).replace(settings.base_url, ""))
    assert page.status_code == 200 and "退订" in page.text
    li = db.fetchval("SELECT id FROM user_account WHERE email = 'li.ming@example.com'")
    assert db.fetchval("SELECT rhythm FROM match_subscription WHERE user_id = $1", li) == "off"
    # Still told in-site, never mailed again.
    mailbox.clear()
    scenario_id = await publish(services, "changjiang-logistics", INSPECTION)
    await jobs_done(db)
    assert "li.ming@example.com" in recipients(db, scenario_id)
    await asyncio.sleep(0.5)
    assert not mails_about(mailbox, "li.ming@example.com", INSPECTION["title"])


async def test_daily_rhythm_sends_one_digest_later(
    services: Any, settings: Any, make_client: Any, db: Any, mailbox: Mailbox
) -> None:
    await load_world(services, settings)
    li = await login(make_client, "li.ming@example.com", demo_password(settings))
    await jobs_done(db)
    saved = await li.submit(
        "/matching/settings", {"organization": _org_id(db, "zhiyuan-ai"), "rhythm": "daily"}
    )
    assert saved.status_code == 200 and 'value="daily" selected' in saved.text
    mailbox.clear()
    scenario_id = await publish(services, "changjiang-logistics", INSPECTION)
    await jobs_done(db)
    assert "li.ming@example.com" in recipients(db, scenario_id)  # told in-site at once
    assert not mails_about(mailbox, "li.ming@example.com", INSPECTION["title"])  # mail waits for the digest
    # One digest job, due at 09:00 tomorrow (Asia/Shanghai): hours away, whatever the time now.
    assert db.fetchval(
        "SELECT run_at > now() + interval '8 hours' FROM job"
        " WHERE kind = 'matching.email' AND done_at IS NULL AND dedupe_key LIKE '%:daily'"
    )
    db.fetchval("UPDATE job SET run_at = now() WHERE kind = 'matching.email' AND done_at IS NULL RETURNING 1")
    body = await wait_for_mail(mailbox, "li.ming@example.com", INSPECTION["title"])
    assert "生产制造" in body
