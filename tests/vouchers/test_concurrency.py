"""What must not happen twice, under real concurrency: many sessions on many connections at once."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from community.errors import FormError
from community.i18n import _
from community.vouchers.models import Campaign, Voucher, VoucherEvent, VoucherStatus
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.vouchers import VoucherService
from tests.conftest import run_concurrently
from tests.vouchers.conftest import World, make_campaign, reload, verified_students


async def test_200_concurrent_claims_issue_exactly_the_50_the_budget_holds(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    campaign = await make_campaign(db, world.admin, budget="5000", face_value="100", per_student_cap="1")
    students = await verified_students(db, world.university_id, 200)
    await db.commit()

    def claim(student_id: UUID) -> Any:
        async def job(session: AsyncSession) -> Any:
            student = await session.get(type(students[0]), student_id)
            return await VoucherService(session).claim(student, campaign.id)

        return job

    results = await run_concurrently(settings.database_url, [claim(s.id) for s in students])

    issued = [r for r in results if isinstance(r, Voucher)]
    refused = [r for r in results if isinstance(r, FormError)]
    assert len(issued) == 50
    assert len(refused) == 150
    assert {str(e.errors["voucher"]) for e in refused} == {
        _("All vouchers of this campaign have been claimed: its budget is used up.")
    } or all("budget" in str(e.errors["voucher"]) or "预算" in str(e.errors["voucher"]) for e in refused)
    fresh = await reload(db, Campaign, campaign.id)
    assert fresh.reserved_fen == fresh.budget_fen == 500_000
    assert fresh.issued_count == 50
    stored = await db.scalar(
        select(func.count()).select_from(Voucher).where(Voucher.campaign_id == campaign.id)
    )
    assert stored == 50
    assert len({v.student_id for v in issued}) == 50


async def test_per_student_cap_holds_under_concurrent_claims(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    campaign = await make_campaign(db, world.admin, per_student_cap="3")
    (student,) = await verified_students(db, world.university_id, 1)
    await db.commit()

    async def job(session: AsyncSession) -> Any:
        me = await session.get(type(student), student.id)
        return await VoucherService(session).claim(me, campaign.id)

    results = await run_concurrently(settings.database_url, [job] * 20)
    assert sum(isinstance(r, Voucher) for r in results) == 3
    fresh = await reload(db, Campaign, campaign.id)
    assert fresh.reserved_fen == 3 * fresh.face_value_fen


async def test_20_concurrent_redemptions_of_one_voucher_exactly_one_succeeds(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    voucher = await VoucherService(db).claim(student, world.campaign.id)
    await db.commit()
    products = [world.product.id, world.other_product.id]

    def redeem(n: int) -> Any:
        async def job(session: AsyncSession) -> Any:
            me = await session.get(type(student), student.id)
            return await VoucherService(session).redeem(me, voucher.id, products[n % 2], ip="10.0.0.1")

        return job

    results = await run_concurrently(settings.database_url, [redeem(n) for n in range(20)])

    winners = [r for r in results if isinstance(r, Voucher)]
    losers = [r for r in results if isinstance(r, FormError)]
    assert len(winners) == 1 and len(losers) == 19
    assert {e.errors["voucher"] for e in losers} == {
        _("This voucher has already been redeemed; its code is on your vouchers page.")
    }
    fresh = await reload(db, Voucher, voucher.id)
    assert fresh.status is VoucherStatus.REDEEMED
    assert fresh.redemption_code == winners[0].redemption_code
    events = Counter(
        (
            await db.execute(select(VoucherEvent.to_status).where(VoucherEvent.voucher_id == voucher.id))
        ).scalars()
    )
    assert events == Counter({"claimed": 1, "redeemed": 1})


async def test_concurrent_confirmations_confirm_once(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    voucher = await vouchers.redeem(student, voucher.id, world.product.id)
    await db.commit()
    code = voucher.redemption_code

    async def job(session: AsyncSession) -> Any:
        member = await session.get(type(student), world.opc_member.id)
        return await RedemptionService(session).confirm(member, code or "")

    results = await run_concurrently(settings.database_url, [job] * 10)
    assert sum(isinstance(r, Voucher) for r in results) == 1
    assert {r.errors["code"] for r in results if isinstance(r, FormError)} == {
        _("This code was confirmed already.")
    }


async def test_a_student_confirming_a_trial_from_many_tabs_confirms_once(
    world: World, services: AsyncSession, settings: Any
) -> None:
    db = services
    (student,) = await verified_students(db, world.university_id, 1)
    vouchers = VoucherService(db)
    voucher = await vouchers.claim(student, world.campaign.id)
    voucher = await vouchers.redeem(student, voucher.id, world.product.id)
    await RedemptionService(db).confirm(world.opc_member, voucher.redemption_code or "")
    await db.commit()

    def job(n: int) -> Any:
        async def run(session: AsyncSession) -> Any:
            me = await session.get(type(student), student.id)
            service = VoucherService(session)
            if n % 2:
                return await service.dispute(me, voucher.id, "没有用上")
            return await service.confirm_trial(me, voucher.id)

        return run

    results = await run_concurrently(settings.database_url, [job(n) for n in range(10)])
    assert sum(isinstance(r, Voucher) for r in results) == 1
    assert sum(isinstance(r, FormError) for r in results) == 9
    fresh = await reload(db, Voucher, voucher.id)
    assert fresh.status in (VoucherStatus.CONFIRMED, VoucherStatus.DISPUTED)
    moves = (
        await db.execute(
            select(VoucherEvent.to_status).where(
                VoucherEvent.voucher_id == voucher.id, VoucherEvent.from_status == "delivered"
            )
        )
    ).scalars()
    assert list(moves) == [fresh.status.value]


async def test_the_database_itself_refuses_an_overspent_budget(world: World, services: AsyncSession) -> None:
    """Even code that forgets the condition cannot spend beyond the budget: the CHECK refuses it."""
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.IntegrityError, match="budget_not_overspent"):
        await services.execute(
            text("UPDATE voucher_campaign SET reserved_fen = budget_fen + 1 WHERE id = :id"),
            {"id": world.campaign.id},
        )
