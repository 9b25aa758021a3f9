"""Public money moves only on proof from both sides: the OPC never reads a code it has not confirmed, types
the code the student gave it (a wrong one teaches it nothing and counts against its hour), the student
confirms or disputes the trial, a disputed voucher goes to admins and never into settlement, and the
funder's report says how many of each there are."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.errors import FormError, NotFound
from community.i18n import _
from community.notifications.models import Notification
from community.vouchers.models import Campaign, Voucher, VoucherEvent, VoucherStatus
from community.vouchers.services.moderation import ModerationService
from community.vouchers.services.redemptions import CONFIRM_FAILURES_PER_HOUR, RedemptionService
from community.vouchers.services.reports import ReportService
from community.vouchers.services.settlement import SettlementService, settlement_csv
from community.vouchers.services.vouchers import CODE_ALPHABET, VoucherService
from community.vouchers.views import format_code
from tests.conftest import run_concurrently
from tests.vouchers.conftest import World, add_user, published_product, reload, verified_students

WRONG = _("None of your vouchers has this code. Check it with the student.")


def _unused_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


async def _redeemed(db: AsyncSession, world: World, student: User, product_id: Any = None) -> Voucher:
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    return await vouchers.redeem(student, voucher.id, product_id or world.product.id)


async def _delivered(db: AsyncSession, world: World, student: User) -> Voucher:
    voucher = await _redeemed(db, world, student)
    return await RedemptionService(db).confirm(world.opc_member, voucher.redemption_code or "")


async def _other_opc(db: AsyncSession, world: World) -> tuple[User, Organization]:
    member = await add_user(db, "rival@example.com", "王二")
    org = Organization(name="别家工作室", slug="rival", org_type=OrgType.OPC)
    db.add(org)
    await db.flush()
    db.add(Membership(user_id=member.id, organization_id=org.id, role=MemberRole.OWNER))
    await db.flush()
    await published_product(db, world.admin, member, org.id, name="别家产品")
    return member, org


async def _log(db: AsyncSession, voucher_id: Any) -> list[tuple[str | None, str, str]]:
    events = await db.scalars(
        select(VoucherEvent).where(VoucherEvent.voucher_id == voucher_id).order_by(VoucherEvent.created_at)
    )
    return [(e.from_status, e.to_status, e.reason) for e in events]


# --- the OPC never reads a code it has not confirmed -------------------------------------------------------


async def test_the_opcs_pages_and_api_contain_no_unconfirmed_code(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    voucher = await _redeemed(db, world, student)
    await db.commit()
    code = voucher.redemption_code or ""
    forms = (code, format_code(code), code.lower())

    opc = await make_client()
    await opc.login("opc@example.com")
    seen = [
        await opc.get("/vouchers/opc"),
        await opc.get("/notifications"),
        await opc.get("/vouchers"),
        await opc.get(f"/products/{world.product.id}"),
    ]
    for status in ("", "?status=redeemed", "?status=delivered", "?status=confirmed", "?status=settled"):
        seen.append(await opc.get(f"/api/v1/vouchers/redemptions{status}"))
    for response in seen:
        assert response.status_code == 200, response.url
        assert not any(form in response.text for form in forms), response.url
    # The trial owed is shown, without its code.
    owed = (await opc.get("/api/v1/vouchers/redemptions")).json()
    assert [(r["voucher_id"], r["code"]) for r in owed] == [(str(voucher.id), None)]
    assert "trials-owed" in seen[0].text

    # Once the OPC typed the code the student gave it, the code is the OPC's to see.
    headers = {"x-csrftoken": await opc.csrf_token()}
    done = await opc.client.post("/api/v1/vouchers/confirm", json={"code": code}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    delivered = (await opc.get("/api/v1/vouchers/redemptions?status=delivered")).json()
    assert [r["code"] for r in delivered] == [format_code(code)]


async def test_confirming_a_code_the_student_did_not_give_fails_and_reveals_nothing(
    world: World, services: AsyncSession
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 4)
    rival, _rival_org = await _other_opc(db, world)
    mine = await _redeemed(db, world, students[0])
    other_product = await _redeemed(db, world, students[1], world.other_product.id)
    confirmed = await _delivered(db, world, students[2])
    voided = await _redeemed(db, world, students[3])
    await ModerationService(db).void(world.admin, voided.id, "重复账号")
    await db.commit()
    redemptions = RedemptionService(db)

    async def refused(user: User, code: str, product_id: Any = None) -> str:
        with pytest.raises(FormError) as refusal:
            await redemptions.confirm(user, code, product_id=product_id)
        return str(refusal.value.errors["code"])

    # A code nobody was given, and a code of another organization's voucher: the same words.
    assert await refused(world.opc_member, _unused_code()) == WRONG
    assert await refused(rival, mine.redemption_code or "") == WRONG
    # A code of the OPC's other product, typed for this product: not this trial.
    assert await refused(world.opc_member, other_product.redemption_code or "", world.product.id) == WRONG
    # Confirmed already (a second tab), and voided: said plainly, for the OPC's own voucher only.
    assert await refused(world.opc_member, confirmed.redemption_code or "") == _(
        "This code was confirmed already."
    )
    assert await refused(world.opc_member, voided.redemption_code or "") == _(
        "This voucher was voided; its trial cannot be confirmed."
    )
    # A member of no product's organization, and a product that is not the member's.
    with pytest.raises(FormError):
        await redemptions.confirm(students[0], mine.redemption_code or "")
    with pytest.raises(FormError) as not_ours:
        await redemptions.confirm(rival, mine.redemption_code or "", product_id=world.product.id)
    assert "product" in not_ours.value.errors
    for voucher, status in (
        (mine, VoucherStatus.REDEEMED),
        (other_product, VoucherStatus.REDEEMED),
        (voided, VoucherStatus.VOIDED),
    ):
        assert (await reload(db, Voucher, voucher.id)).status is status


async def test_opc_confirmation_attempts_are_limited_per_organization(
    world: World, services: AsyncSession, settings: Any, make_client: Any
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    partner = await add_user(db, "partner@example.com", "合伙人")
    db.add(Membership(user_id=partner.id, organization_id=world.opc.id, role=MemberRole.MEMBER))
    rival, _org = await _other_opc(db, world)
    voucher = await _redeemed(db, world, student)
    await db.commit()

    # Wrong codes from many tabs and processes at once: the database counts exactly the hour's allowance.
    def wrong(user_id: Any) -> Any:
        async def job(session: AsyncSession) -> Any:
            user = await session.get(User, user_id)
            return await RedemptionService(session).confirm(user, _unused_code())

        return job

    tries = CONFIRM_FAILURES_PER_HOUR + 10
    results = await run_concurrently(settings.database_url, [wrong(world.opc_member.id)] * tries)
    messages = [str(r.errors["code"]) for r in results if isinstance(r, FormError)]
    assert len(messages) == tries
    assert messages.count(WRONG) == CONFIRM_FAILURES_PER_HOUR
    limited = [m for m in messages if m != WRONG]
    assert len(limited) == 10 and all(str(CONFIRM_FAILURES_PER_HOUR) in m for m in limited)

    # Now even the right code is refused, for every member of the organization, with a plain message...
    opc = await make_client()
    await opc.login("partner@example.com")
    response = await opc.submit("/vouchers/opc/confirm", {"code": voucher.redemption_code or ""})
    assert response.status_code == 400
    limit = _(
        "Your organization has entered %(n)s wrong codes in the last hour, the most allowed. "
        "Try again after %(time)s.",
        n=CONFIRM_FAILURES_PER_HOUR,
        time="@@",
    )
    assert limit.split("@@")[0] in response.text
    assert (await reload(db, Voucher, voucher.id)).status is VoucherStatus.REDEEMED
    # ...while another organization is not held back by it.
    with pytest.raises(FormError) as other:
        await RedemptionService(db).confirm(rival, _unused_code())
    assert other.value.errors["code"] == WRONG


# --- the student's side -------------------------------------------------------------------------------------


async def test_a_student_confirms_their_own_delivered_trial_once(
    world: World, services: AsyncSession
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 2)
    vouchers = VoucherService(db)
    waiting = await _redeemed(db, world, students[0])
    await db.commit()
    with pytest.raises(FormError) as early:
        await vouchers.confirm_trial(students[0], waiting.id)
    assert early.value.errors["voucher"] == _(
        "The OPC has not confirmed delivering this trial yet. Give them your code when the trial "
        "starts; then confirm it here."
    )
    await RedemptionService(db).confirm(world.opc_member, waiting.redemption_code or "")
    await db.commit()
    with pytest.raises(NotFound):
        await vouchers.confirm_trial(students[1], waiting.id)
    with pytest.raises(FormError):  # rating waits for the student's word
        await vouchers.rate(students[0], waiting.id, "5", "")
    done = await vouchers.confirm_trial(students[0], waiting.id)
    assert done.status is VoucherStatus.CONFIRMED and done.student_confirmed_at is not None
    await db.commit()
    with pytest.raises(FormError) as twice:
        await vouchers.confirm_trial(students[0], waiting.id)
    assert twice.value.errors["voucher"] == _("You have already confirmed this trial.")
    with pytest.raises(FormError) as changed_mind:
        await vouchers.dispute(students[0], waiting.id, "其实没用上")
    assert changed_mind.value.errors["voucher"] == _("You have already confirmed this trial.")
    await vouchers.rate(students[0], waiting.id, "4", "")
    assert [to for _f, to, _r in await _log(db, waiting.id)] == [
        "claimed",
        "redeemed",
        "delivered",
        "confirmed",
    ]


async def test_a_voucher_the_student_disputes_is_not_settled_and_admins_decide_it(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 2)
    vouchers = VoucherService(db)
    disputed = await _delivered(db, world, students[0])
    upheld = await _delivered(db, world, students[1])
    await db.commit()
    with pytest.raises(FormError) as no_reason:
        await vouchers.dispute(students[0], disputed.id, "  ")
    assert "reason" in no_reason.value.errors
    await vouchers.dispute(students[0], disputed.id, "OPC 从未开通账号")
    await vouchers.dispute(students[1], upheld.id, "只试了一天")
    await db.commit()

    settlements = SettlementService(db)
    with pytest.raises(FormError):
        await settlements.settle(world.admin, world.campaign.id, world.opc.id)
    # The admins are told, and the queue shows the student's words.
    told = await db.scalar(
        select(Notification).where(
            Notification.recipient_id == world.admin.id, Notification.kind == "voucher_disputed"
        )
    )
    assert told is not None and told.url == "/admin/vouchers/disputes"
    admin = await make_client()
    await admin.login("admin@example.com")
    queue = await admin.get("/admin/vouchers/disputes")
    assert "OPC 从未开通账号" in queue.text and "只试了一天" in queue.text
    hub = await admin.get("/admin/vouchers")
    assert 'href="/admin/vouchers/disputes"' in hub.text
    # A decision needs a reason; void returns the value to the budget, uphold makes it settleable.
    refused = await admin.submit(f"/admin/vouchers/vouchers/{disputed.id}/resolve", {"decision": "void"})
    assert (await reload(db, Voucher, disputed.id)).status is VoucherStatus.DISPUTED, refused.text
    await admin.submit(
        f"/admin/vouchers/vouchers/{disputed.id}/resolve", {"decision": "void", "reason": "OPC 无法证明交付"}
    )
    await admin.submit(
        f"/admin/vouchers/vouchers/{upheld.id}/resolve",
        {"decision": "uphold", "reason": "日志显示已使用七天"},
    )
    assert (await reload(db, Voucher, disputed.id)).status is VoucherStatus.VOIDED
    assert (await reload(db, Voucher, upheld.id)).status is VoucherStatus.CONFIRMED
    assert ("disputed", "voided", "OPC 无法证明交付") in await _log(db, disputed.id)
    assert ("disputed", "confirmed", "日志显示已使用七天") in await _log(db, upheld.id)
    history = await admin.get(f"/admin/vouchers/vouchers/{upheld.id}")
    assert "日志显示已使用七天" in history.text
    again = await admin.submit(
        f"/admin/vouchers/vouchers/{upheld.id}/resolve", {"decision": "void", "reason": "改主意"}
    )
    assert again.status_code == 200
    assert (await reload(db, Voucher, upheld.id)).status is VoucherStatus.CONFIRMED
    settlement = await settlements.settle(world.admin, world.campaign.id, world.opc.id)
    assert settlement.voucher_count == 1
    assert (await reload(db, Campaign, world.campaign.id)).reserved_fen == world.campaign.face_value_fen


async def test_only_vouchers_confirmed_by_both_sides_are_settled(
    world: World, services: AsyncSession
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 4)
    vouchers = VoucherService(db)
    both = await _delivered(db, world, students[0])
    await vouchers.confirm_trial(students[0], both.id)
    await _delivered(db, world, students[1])  # the student has not said yet
    disputed = await _delivered(db, world, students[2])
    await vouchers.dispute(students[2], disputed.id, "没有收到")
    await _redeemed(db, world, students[3])  # the OPC has not confirmed
    await db.commit()
    settlements = SettlementService(db)
    (line,) = await settlements.lines(campaign_id=world.campaign.id)
    assert (line.redeemed, line.awaiting_student, line.disputed, line.confirmed) == (4, 1, 1, 1)
    assert line.due_fen == world.campaign.face_value_fen
    settlement = await settlements.settle(world.admin, world.campaign.id, world.opc.id)
    assert (settlement.voucher_count, settlement.amount_fen) == (1, world.campaign.face_value_fen)
    settled = (await db.scalars(select(Voucher.id).where(Voucher.status == VoucherStatus.SETTLED))).all()
    assert list(settled) == [both.id]


async def test_the_funders_report_counts_both_sides_awaiting_and_disputed(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 6)
    vouchers = VoucherService(db)
    for n, student in enumerate(students):
        voucher = await _delivered(db, world, student) if n < 5 else await _redeemed(db, world, student)
        if n < 2:
            await vouchers.confirm_trial(student, voucher.id)
        elif n == 2:
            await vouchers.dispute(student, voucher.id, "没用上")
    await db.commit()
    report = await ReportService(db).funder_report(world.campaign.id)
    assert (report.redeemed, report.confirmed, report.awaiting_student, report.disputed) == (6, 2, 2, 1)
    assert report.spent_fen == 2 * world.campaign.face_value_fen

    admin = await make_client()
    await admin.login("admin@example.com")
    page = await admin.get(f"/admin/vouchers/campaigns/{world.campaign.id}")
    for cls, value in (("confirmations", 2), ("awaiting-student", 2), ("disputed", 1), ("redemptions", 6)):
        assert re.search(rf'class="{cls}">{value}<', page.text), cls
    rows = settlement_csv(await SettlementService(db).lines(campaign_id=world.campaign.id))
    header, line = rows.decode("utf-8-sig").splitlines()[:2]
    assert header.split(",")[3:7] == ["redeemed", "awaiting_student", "disputed", "confirmed_unsettled"]
    assert line.split(",")[3:7] == ["6", "2", "1", "2"]


async def test_student_pages_confirm_and_dispute_by_post_for_the_owner_only(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 2)
    voucher = await _delivered(db, world, students[0])
    await db.commit()
    owner = await make_client()
    await owner.login(students[0].email)
    page = await owner.get("/vouchers")
    assert f'action="/vouchers/{voucher.id}/trial"' in page.text
    assert f'action="/vouchers/{voucher.id}/dispute"' in page.text
    # Another student, a GET and a POST without the CSRF token change nothing.
    other = await make_client()
    await other.login(students[1].email)
    assert (await other.submit(f"/vouchers/{voucher.id}/trial", follow_redirects=False)).status_code == 404
    assert (await owner.get(f"/vouchers/{voucher.id}/trial", follow_redirects=False)).status_code in (
        404,
        405,
    )
    forged = await owner.client.post(f"/vouchers/{voucher.id}/trial", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert (await reload(db, Voucher, voucher.id)).status is VoucherStatus.DELIVERED
    # Two tabs: the first confirms, the second is told.
    first = await owner.submit(f"/vouchers/{voucher.id}/trial")
    second = await owner.submit(f"/vouchers/{voucher.id}/trial")
    assert first.status_code == second.status_code == 200
    assert _("You have already confirmed this trial.") in second.text
    assert (await reload(db, Voucher, voucher.id)).status is VoucherStatus.CONFIRMED
    assert 'class="rate-form"' in second.text
