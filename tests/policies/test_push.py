"""Publishing a policy tells exactly the organizations that qualify (in the site and by mail at each
member's rhythm, with why it fits), no others; the weekly cap shared with scenario pushes holds; an
organization whose facts change is told of the policies it now qualifies for; a change to a published
policy's conditions tells the newly qualifying once; the admin's qualify / told / opened counts
move when they should."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import hash_password
from community.matching.models import PushQuota
from community.matching.policies import push_policy
from community.matching.services import PreferenceService, PushService, week_start
from community.notifications.models import Notification
from community.policies.inputs import FactsInput
from community.policies.models import PolicyDelivery
from community.policies.services.facts import FactsService
from community.policies.services.policies import PolicyService
from tests.conftest import Mailbox
from tests.notifications.words import worded
from tests.policies.conftest import (
    admin_of,
    demo_password,
    jobs_done,
    load_world,
    login,
    policy_input,
    publish_policy,
)

COMPUTE_BUYERS = {"li.ming@example.com", "chen.hao@example.com"}  # zhiyuan-ai and hanjiang-code


def told_emails(db: Any, slug: str) -> set[str]:
    emails = db.fetchval(
        "SELECT string_agg(u.email, ',') FROM notification n JOIN user_account u ON u.id = n.recipient_id"
        " WHERE n.kind = 'policies.qualified' AND n.url = $1",
        f"/policies/{slug}",
    )
    return set(emails.split(",")) if emails else set()


async def wait_for_mail(mailbox: Mailbox, to: str, text: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in list(mailbox.messages):
            if to in str(message["To"]) and text in Mailbox.body(message):
                return Mailbox.body(message)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {to} about {text}")


def stat(page: str, name: str) -> int:
    marker = f'id="stat-{name}">'
    start = page.index(marker) + len(marker)
    return int(page[start : page.index("<", start)])


async def opened_by(person: Any, slug: str) -> Any:
    """What the policy page does once shown to a member: its htmx POST, with the CSRF header."""
    return await person.client.post(
        f"/policies/{slug}/opened", headers={"x-csrftoken": await person.csrf_token(), "hx-request": "true"}
    )


async def test_a_new_policy_tells_exactly_the_qualifying_organizations(
    services: Any, settings: Any, make_client: Any, db: Any, mailbox: Mailbox
) -> None:
    await load_world(services, settings)
    admin_client = await make_client()  # starts the app and its job worker
    await jobs_done(db)  # the demo's own policies are pushed first
    mailbox.clear()

    policy = await publish_policy(
        services,
        policy_input(
            "compute-pilot", "算力券试点（测试）", {"org_types": ["opc"], "activities": ["buy_compute"]}
        ),
    )
    await jobs_done(db)

    # In the site: the members of the two OPCs that buy compute, nobody else (not the agent OPC, which
    # does not, nor the service centre, which is no OPC), each told why it fits.
    assert told_emails(db, "compute-pilot") == COMPUTE_BUYERS
    subject = worded(db, "kind = 'policies.qualified' AND url = '/policies/compute-pilot'") or ""
    assert "算力券试点（测试）" in subject and "需要：购买算力服务" in subject
    assert db.fetchval("SELECT count(*) FROM policy_delivery WHERE policy_id = $1", policy.id) == 2
    # By mail: the default rhythm is immediate; the mail names the policy and its benefit.
    body = await wait_for_mail(mailbox, "li.ming@example.com", "算力券试点（测试）")
    assert "/policies/compute-pilot" in body and "测试补助" in body and "/matching/unsubscribe?token=" in body
    assert not [m for m in mailbox.messages if "zhang.wei@example.com" in str(m["To"])]

    # The admin's counts: 2 qualify, 2 told, 0 opened. Fetching the page (a GET: an image in a post could do
    # it) counts nothing; the page, once shown, says so with a POST (with the CSRF header, as htmx sends
    # it), and a member opening it twice counts once for the organization; a member of an organization
    # that was not told does not count.
    password = demo_password(settings)
    await admin_client.login("admin@example.com", password_of_admin(settings))
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert (stat(page, "qualify"), stat(page, "told"), stat(page, "opened")) == (2, 2, 0)
    li = await login(make_client, "li.ming@example.com", password)
    shown = await li.get("/policies/compute-pilot")
    assert shown.status_code == 200 and 'hx-post="/policies/compute-pilot/opened"' in shown.text
    assert (await li.get("/policies/compute-pilot")).status_code == 200
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert stat(page, "opened") == 0
    forged = await li.client.post("/policies/compute-pilot/opened")  # another site's form: no token
    assert forged.status_code == 403
    for _twice in range(2):
        assert (await opened_by(li, "compute-pilot")).status_code == 204
    zhang = await login(make_client, "zhang.wei@example.com", password)
    assert (await opened_by(zhang, "compute-pilot")).status_code == 204
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert (stat(page, "told"), stat(page, "opened")) == (2, 1)
    # The other OPC opens it through its notification: the inbox's form, then the page's POST.
    chen = await login(make_client, "chen.hao@example.com", password)
    note_id = db.fetchval(
        "SELECT n.id FROM notification n JOIN user_account u ON u.id = n.recipient_id"
        " WHERE u.email = 'chen.hao@example.com' AND n.url = '/policies/compute-pilot'"
    )
    opened = await chen.submit(f"/notifications/{note_id}")
    assert opened.status_code == 200 and "算力券试点（测试）" in opened.text
    assert 'hx-post="/policies/compute-pilot/opened"' in opened.text
    assert (await opened_by(chen, "compute-pilot")).status_code == 204
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert (stat(page, "qualify"), stat(page, "told"), stat(page, "opened")) == (2, 2, 2)

    # The agent OPC starts buying compute, then the admin raises the cap: a new version, news to every
    # organization that qualifies for it now (the agent OPC for the first time); version 1 is not told again.
    qingyun = await services.scalar(select(Organization).where(Organization.slug == "qingyun-agent"))
    zhang_user = await services.scalar(select(User).where(User.email == "zhang.wei@example.com"))
    await FactsService(services).save(
        zhang_user, qingyun, FactsInput("2024-05-01", "startup", "3", ("buy_compute",))
    )
    await services.commit()
    await jobs_done(db)
    # Its new facts are news to it: it is told of the version it now qualifies for, without waiting for
    # a new one, and once.
    assert told_emails(db, "compute-pilot") == COMPUTE_BUYERS | {"zhang.wei@example.com"}
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert stat(page, "qualify") == 3 and stat(page, "told") == 3
    changed = await admin_client.submit(
        f"/admin/policies/{policy.id}/edit", {**edit_form(policy), "benefit_cap_yuan_0": "300000"}
    )
    assert changed.status_code == 200 and "新版本" in changed.text
    await jobs_done(db)
    assert told_emails(db, "compute-pilot") == COMPUTE_BUYERS | {"zhang.wei@example.com"}
    assert db.fetchval("SELECT count(*) FROM notification WHERE url = '/policies/compute-pilot'") == 2 + 1 + 3
    assert (
        db.fetchval("SELECT count(*) FROM policy_delivery WHERE policy_id = $1 AND version = 2", policy.id)
        == 3
    )
    page = (await admin_client.get(f"/admin/policies/{policy.id}")).text
    assert (stat(page, "qualify"), stat(page, "told"), stat(page, "opened")) == (3, 3, 2)
    # Saving without a material change makes no new version and tells nobody.
    same = await admin_client.submit(
        f"/admin/policies/{policy.id}/edit",
        {**edit_form(policy), "benefit_cap_yuan_0": "300000", "title": "算力券试点"},
    )
    assert same.status_code == 200 and "新版本" not in same.text
    await jobs_done(db)
    assert (
        db.fetchval(
            "SELECT count(*) FROM notification"
            " WHERE kind = 'policies.qualified' AND url = '/policies/compute-pilot'"
        )
        == 2 + 1 + 3
    )


def password_of_admin(settings: Any) -> str:
    values = dict(
        line.split("=", 1)
        for line in (settings.var_dir / "demo-credentials.txt").read_text().splitlines()
        if "=" in line
    )
    return values["admin"]


def edit_form(policy: Any) -> dict[str, str]:
    return {
        "title": policy.title,
        "slug": policy.slug,
        "summary": policy.summary,
        "source_measure": policy.source_measure,
        "issuing_unit": policy.issuing_unit,
        "deadline": "2028-12-31",
        "benefit_kind_0": "subsidy",
        "benefit_description_0": "测试补助",
        "benefit_amount_0": "50%",
        "benefit_cap_yuan_0": "200000",
        "benefit_months_0": "12",
        "org_types": "opc",
        "activities": "buy_compute",
    }


async def _opc_with_member(
    services: Any, slug: str, activities: tuple[str, ...]
) -> tuple[Organization, User]:
    org = Organization(slug=slug, name=f"测试{slug}", org_type=OrgType.OPC, district="洪山区")
    user = User(email=f"{slug}@example.com", display_name=slug, password_hash=hash_password("x" * 12))
    services.add_all([org, user])
    await services.flush()
    services.add(Membership(user_id=user.id, organization_id=org.id, role=MemberRole.OWNER))
    await services.flush()
    await FactsService(services).save(user, org, FactsInput("2025-01-01", "startup", "1", activities))
    return org, user


async def test_the_weekly_cap_shared_with_scenario_pushes_and_a_pause_hold(
    services: Any, settings: Any
) -> None:
    """Called directly (the worker runs the same function): each delivery takes one of the week's pushes."""
    capped = replace(settings, matching_weekly_cap=2)
    await load_world(services, settings, zones=())
    busy, _member = await _opc_with_member(services, "busy-opc", ("buy_compute",))
    paused, _other = await _opc_with_member(services, "paused-opc", ("buy_compute",))
    await PreferenceService(services, capped).save_preference(paused.id, [], paused=True)
    # A scenario was pushed to the busy OPC this week: one of its two pushes is gone.
    assert await PushService(services, capped, None).take_quota(busy.id, week_start())
    first = await publish_policy(services, policy_input("cap-one", "第一项", {"activities": ["buy_compute"]}))
    second = await publish_policy(
        services, policy_input("cap-two", "第二项", {"activities": ["buy_compute"]})
    )

    assert await push_policy(services, capped, first.id, first.version) == [busy.id]  # not the paused one
    assert await push_policy(services, capped, second.id, second.version) == []  # the week is full
    assert await push_policy(services, capped, first.id, first.version) == []  # told once per version
    await services.commit()
    quota = await services.scalar(select(PushQuota).where(PushQuota.organization_id == busy.id))
    assert quota is not None and (quota.used, quota.cap) == (2, 2)
    deliveries = await services.scalar(select(func.count()).select_from(PolicyDelivery))
    assert deliveries == 1  # the refused push left no delivery behind
    told = await services.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "policies.qualified")
    )
    assert told == 1
    # The paused OPC still sees it on its own page: pausing stops pushes, not eligibility.
    results = await PolicyService(services).check_organization(paused)
    assert [card.slug for card, verdict in results if verdict.qualifies] == ["cap-one", "cap-two"]
    assert (await admin_of(services)).is_admin


async def test_a_daily_member_gets_the_policy_in_the_next_digest_once(
    services: Any, settings: Any, db: Any, mailbox: Mailbox
) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from community import matching
    from community.jobs import JobWorker
    from community.notifications.email import Mailer
    from community.zones import register_zone_work

    await load_world(services, settings, zones=())
    org, member = await _opc_with_member(services, "daily-opc", ("buy_compute",))
    await PreferenceService(services, settings).set_rhythm(member.id, "daily")
    first = await publish_policy(
        services, policy_input("daily-one", "每日摘要政策一", {"activities": ["buy_compute"]})
    )
    second = await publish_policy(
        services, policy_input("daily-two", "每日摘要政策二", {"activities": ["buy_compute"]})
    )
    for policy in (first, second):
        assert await push_policy(services, settings, policy.id, policy.version) == [org.id]
    await services.commit()
    # One digest job for the member (not one per policy), due at 09:00 tomorrow, Wuhan time.
    assert db.fetchval("SELECT count(*) FROM job WHERE kind = 'matching.email'") == 1
    assert (
        db.fetchval("SELECT dedupe_key FROM job WHERE kind = 'matching.email'")
        == f"matching.email:{member.id}:daily"
    )
    assert db.fetchval(
        "SELECT extract(hour FROM run_at AT TIME ZONE 'Asia/Shanghai') = 9 AND run_at > now() FROM job"
        " WHERE kind = 'matching.email'"
    )
    db.fetchval("UPDATE job SET run_at = now() WHERE kind = 'matching.email' RETURNING 1")

    register_zone_work([matching.zone()])
    engine = create_async_engine(settings.database_url)
    try:
        worker = JobWorker(
            async_sessionmaker(engine, expire_on_commit=False),
            resources={"settings": settings, "mailer": Mailer(settings)},
        )
        await worker.drain()
    finally:
        await engine.dispose()
    body = await wait_for_mail(mailbox, "daily-opc@example.com", "每日摘要政策一")
    assert "每日摘要政策二" in body and "贵单位符合以下政策的条件" in body
    from email.header import decode_header, make_header

    subject = str(make_header(decode_header(str(mailbox.messages[-1]["Subject"]))))
    assert subject == "2 项贵单位符合条件的政策"
    # Mailed: the next digest does not repeat them.
    assert await deliveries_to_mail_of(services, settings, member.id) == []


async def deliveries_to_mail_of(services: Any, settings: Any, user_id: Any) -> list[Any]:
    from community.matching.policies import deliveries_to_mail

    services.expire_all()
    return await deliveries_to_mail(services, PushService(services, settings, None), user_id)
