"""The voucher rules one at a time: related parties, expiry, caps, eligibility, ratings, voiding,
suspension, settlement, and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import MemberRole, Membership
from community.errors import FormError
from community.i18n import _
from community.vouchers.models import Campaign, Product, Voucher, VoucherEvent, VoucherStatus
from community.vouchers.services.campaigns import CampaignService
from community.vouchers.services.moderation import ModerationService
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.reports import ReportService
from community.vouchers.services.settlement import SettlementService
from community.vouchers.services.vouchers import VoucherService
from tests.vouchers.conftest import (
    World,
    add_user,
    make_campaign,
    published_product,
    reload,
    verified_students,
)


async def test_a_member_of_the_products_organization_is_refused_with_the_reason(
    world: World, services: AsyncSession
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    db.add(Membership(user_id=student.id, organization_id=world.opc.id, role=MemberRole.MEMBER))
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    await db.commit()
    with pytest.raises(FormError) as refused:
        await vouchers.redeem(student, voucher.id, world.product.id)
    assert refused.value.errors["product"] == _(
        "You are a member of %(org)s, which makes this product. Related parties cannot redeem "
        "vouchers for their own products.",
        org="智元视界工作室",
    )
    assert (await reload(db, Voucher, voucher.id)).status is VoucherStatus.CLAIMED


async def test_an_expired_voucher_cannot_be_redeemed_and_expires_with_its_budget_released(
    world: World, services: AsyncSession
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    await db.commit()
    # The campaign ended a minute ago (moved back in time for the test).
    past = voucher.created_at - timedelta(minutes=1)
    await db.execute(update(Voucher).where(Voucher.id == voucher.id).values(expires_at=past))
    await db.commit()
    with pytest.raises(FormError) as refused:
        await vouchers.redeem(student, voucher.id, world.product.id)
    assert refused.value.errors["voucher"] == _(
        "This voucher expired on %(date)s and can no longer be redeemed.", date=past.date()
    )
    assert await CampaignService(db).expire_due() == 1
    await db.commit()
    fresh = await reload(db, Voucher, voucher.id)
    assert fresh.status is VoucherStatus.EXPIRED
    assert (await reload(db, Campaign, world.campaign.id)).reserved_fen == 0
    with pytest.raises(FormError) as again:
        await vouchers.redeem(student, voucher.id, world.product.id)
    assert again.value.errors["voucher"] == _("This voucher has expired and can no longer be redeemed.")


async def test_closing_a_campaign_expires_unredeemed_vouchers(world: World, services: AsyncSession) -> None:
    db = services
    students = await verified_students(db, world.university_id, 2)
    vouchers = VoucherService(db)
    kept = await vouchers.claim(students[0], world.campaign.id)
    await vouchers.redeem(students[0], kept.id, world.product.id)
    lapsed = await vouchers.claim(students[1], world.campaign.id)
    await CampaignService(db).close(world.admin, world.campaign.id)
    await db.commit()
    assert (await reload(db, Voucher, lapsed.id)).status is VoucherStatus.EXPIRED
    assert (await reload(db, Voucher, kept.id)).status is VoucherStatus.REDEEMED
    with pytest.raises(FormError) as refused:
        await vouchers.claim(students[1], world.campaign.id)
    assert refused.value.errors["voucher"] in {
        _("This campaign has ended."),
        _("You already hold %(n)s voucher(s) of this campaign, the most it allows per student.", n=2),
    }


async def test_unverified_and_expired_students_cannot_claim(world: World, services: AsyncSession) -> None:
    db = services
    nobody = await add_user(db, "nobody@example.com")
    vouchers = VoucherService(db)
    with pytest.raises(FormError) as refused:
        await vouchers.claim(nobody, world.campaign.id)
    assert refused.value.errors["voucher"] == _("Verify that you are a student of a Wuhan university first.")
    (student,) = await verified_students(db, world.university_id, 1)
    from community.vouchers.models import StudentVerification

    await db.execute(
        update(StudentVerification)
        .where(StudentVerification.user_id == student.id)
        .values(valid_until=student.created_at - timedelta(days=1))
    )
    with pytest.raises(FormError) as lapsed:
        await vouchers.claim(student, world.campaign.id)
    assert lapsed.value.errors["voucher"] == _("Your student verification has expired; renew it first.")


async def test_one_voucher_per_student_per_product_and_the_product_cap(
    world: World, services: AsyncSession
) -> None:
    db = services
    campaign = await make_campaign(db, world.admin, per_student_cap="3", per_product_cap="1")
    students = await verified_students(db, world.university_id, 2)
    vouchers = VoucherService(db)
    first = await vouchers.claim(students[0], campaign.id)
    second = await vouchers.claim(students[0], campaign.id)
    await vouchers.redeem(students[0], first.id, world.product.id)
    await db.commit()
    with pytest.raises(FormError) as same:
        await vouchers.redeem(students[0], second.id, world.product.id)
    assert same.value.errors["product"] in {
        _("You have already used a voucher for this product."),
        _("This product has used up its share of this campaign's vouchers."),
    }
    other = await vouchers.claim(students[1], campaign.id)
    await db.commit()
    with pytest.raises(FormError) as full:
        await vouchers.redeem(students[1], other.id, world.product.id)
    assert full.value.errors["product"] == _(
        "This product has used up its share of this campaign's vouchers."
    )
    # The other product still has room.
    done = await vouchers.redeem(students[1], other.id, world.other_product.id)
    assert done.status is VoucherStatus.REDEEMED


async def test_a_campaign_only_admits_its_domains(world: World, services: AsyncSession) -> None:
    db = services
    campaign = await make_campaign(db, world.admin, eligible_domains="金融")  # type: ignore[arg-type]
    (student,) = await verified_students(db, world.university_id, 1)
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, campaign.id)
    await db.commit()
    with pytest.raises(FormError) as refused:
        await vouchers.redeem(student, voucher.id, world.product.id)
    assert refused.value.errors["product"] == _("This campaign's vouchers cannot be used for this product.")
    assert (
        await vouchers.redeem(student, voucher.id, world.other_product.id)
    ).status is VoucherStatus.REDEEMED


async def test_ratings_need_a_confirmed_trial_and_count_once(world: World, services: AsyncSession) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    voucher = await vouchers.redeem(student, voucher.id, world.product.id)
    with pytest.raises(FormError):
        await vouchers.rate(student, voucher.id, "5", "")
    await RedemptionService(db).confirm(world.opc_member, voucher.redemption_code or "")
    with pytest.raises(FormError):  # the OPC's word alone is not enough
        await vouchers.rate(student, voucher.id, "5", "")
    await vouchers.confirm_trial(student, voucher.id)
    for stars in ("0", "6", "", "五", "3.5"):
        with pytest.raises(FormError):
            await vouchers.rate(student, voucher.id, stars, "")
    await vouchers.rate(student, voucher.id, "5", "很好")
    await db.commit()
    with pytest.raises(FormError) as twice:
        await vouchers.rate(student, voucher.id, "1", "")
    assert twice.value.errors["stars"] == _("You have already rated this product.")
    product = await reload(db, Product, world.product.id)
    assert (product.rating_count, product.rating_sum) == (1, 5)


async def test_another_organization_cannot_confirm_a_code(world: World, services: AsyncSession) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    stranger = await add_user(db, "stranger@example.com")
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    voucher = await vouchers.redeem(student, voucher.id, world.product.id)
    await db.commit()
    redemptions = RedemptionService(db)
    with pytest.raises(FormError) as refused:
        await redemptions.confirm(stranger, voucher.redemption_code or "")
    assert refused.value.errors["code"] == _(
        "Only members of the OPC that makes the product can confirm its trials."
    )
    for junk in ("", "x" * 10_000, "' OR 1=1 --", "ＡＢＣ😀"):
        with pytest.raises(FormError):
            await redemptions.confirm(world.opc_member, junk)


async def test_void_releases_the_budget_and_suspension_voids_open_vouchers(
    world: World, services: AsyncSession
) -> None:
    db = services
    students = await verified_students(db, world.university_id, 2)
    vouchers = VoucherService(db)
    a = await vouchers.claim(students[0], world.campaign.id)
    b = await vouchers.claim(students[1], world.campaign.id)
    b = await vouchers.redeem(students[1], b.id, world.product.id)
    moderation = ModerationService(db)
    with pytest.raises(FormError):
        await moderation.void(world.admin, a.id, "   ")
    await moderation.void(world.admin, a.id, "重复注册的账号")
    await moderation.suspend(world.admin, students[1].id, "出售学生账号")
    await db.commit()
    assert (await reload(db, Voucher, a.id)).void_reason == "重复注册的账号"
    assert (await reload(db, Voucher, b.id)).status is VoucherStatus.VOIDED
    assert (await reload(db, Campaign, world.campaign.id)).reserved_fen == 0
    with pytest.raises(FormError) as suspended:
        await vouchers.claim(students[1], world.campaign.id)
    assert "出售学生账号" in suspended.value.errors["voucher"]
    events = (
        await db.execute(
            select(VoucherEvent).where(VoucherEvent.voucher_id == a.id).order_by(VoucherEvent.created_at)
        )
    ).scalars()
    log = [(e.from_status, e.to_status, e.actor_id, e.reason) for e in events]
    assert log == [
        (None, "claimed", students[0].id, ""),
        ("claimed", "voided", world.admin.id, "重复注册的账号"),
    ]


async def test_settlement_counts_confirmed_vouchers_once(world: World, services: AsyncSession) -> None:
    db = services
    students = await verified_students(db, world.university_id, 3)
    vouchers = VoucherService(db)
    for n, student in enumerate(students):
        voucher = await vouchers.claim(student, world.campaign.id)
        voucher = await vouchers.redeem(student, voucher.id, world.product.id)
        if n < 2:
            await RedemptionService(db).confirm(world.opc_member, voucher.redemption_code or "")
            await vouchers.confirm_trial(student, voucher.id)
    settlements = SettlementService(db)
    (line,) = await settlements.lines(campaign_id=world.campaign.id)
    assert (line.redeemed, line.confirmed, line.due_fen) == (3, 2, 20_000)
    settlement = await settlements.settle(world.admin, world.campaign.id, world.opc.id)
    assert (settlement.voucher_count, settlement.amount_fen) == (2, 20_000)
    with pytest.raises(FormError):
        await settlements.settle(world.admin, world.campaign.id, world.opc.id)
    await settlements.mark_paid(world.admin, settlement.id, "")
    with pytest.raises(FormError):
        await settlements.mark_paid(world.admin, settlement.id, "")
    report = await ReportService(db).funder_report(world.campaign.id)
    assert (report.claimed, report.redeemed, report.confirmed, report.settled) == (3, 3, 2, 2)
    assert (report.spent_fen, report.paid_fen) == (20_000, 20_000)


async def test_flags_find_one_address_and_bursts(world: World, services: AsyncSession) -> None:
    db = services
    campaign = await make_campaign(db, world.admin, per_student_cap="1")
    students = await verified_students(db, world.university_id, 12)
    vouchers = VoucherService(db)
    for student in students:
        voucher = await vouchers.claim(student, campaign.id)
        await vouchers.redeem(student, voucher.id, world.product.id, ip="203.0.113.7")
    flags = await ReportService(db).flags()
    kinds = {flag.kind: flag for flag in flags}
    assert kinds["address"].subject == "203.0.113.7" and kinds["address"].count == 12
    assert kinds["burst"].subject == world.product.name and kinds["burst"].count == 12


async def test_a_second_product_of_the_same_opc_is_published(world: World, services: AsyncSession) -> None:
    product = await published_product(
        services, world.admin, world.opc_member, world.opc.id, name="第三个产品"
    )
    assert product.published_at is not None


async def test_a_lapsing_verification_is_renewed_by_a_new_code(
    world: World, services: AsyncSession, settings: Any, mailbox: Any
) -> None:
    import re

    from community.notifications.email import Mailer
    from community.vouchers.models import StudentVerification
    from community.vouchers.services.students import StudentService

    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    soon = student.created_at + timedelta(days=3)
    await db.execute(
        update(StudentVerification).where(StudentVerification.user_id == student.id).values(valid_until=soon)
    )
    await db.commit()
    students = StudentService(db)
    assert (await students.status(student.id)).may_renew
    await students.start_email(student, str(world.university_id), "s0.new@whu.edu.cn", Mailer(settings))
    # Still verified while the new code travels.
    assert (await students.status(student.id)).verified
    code = re.search(r"\b(\d{6})\b", mailbox.body(mailbox.wait_for("s0.new@whu.edu.cn")))
    assert code
    renewed = await students.confirm_code(student, code.group(1))
    assert renewed.email == "s0.new@whu.edu.cn"
    assert renewed.valid_until is not None and renewed.valid_until > soon + timedelta(days=300)
