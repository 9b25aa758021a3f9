"""The funder's report draws claims, redemptions and confirmations per week, the same added up against what
the budget pays for, and where the budget stands; every drawing says what its table and the report say."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from community.kernel.clock import local, now
from community.vouchers.models import Voucher
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.vouchers import VoucherService
from community.vouchers.views import format_yuan
from community.web.charts import day_label
from tests.chart_figures import charts_of
from tests.vouchers.conftest import World, make_campaign, verified_students


def _monday(days_ago: int) -> str:
    day = local(now() - timedelta(days=days_ago)).date()
    return day_label(day - timedelta(days=day.weekday()))


def _figure(page: str, cls: str) -> str:
    found = re.search(rf'<dd class="{cls}">([^<]*)<', page)
    assert found, cls
    return found.group(1)


async def test_the_funders_report_draws_its_weeks_and_budget_as_its_tables_say(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    db = services
    start = (now() - timedelta(days=20)).astimezone().strftime("%Y-%m-%dT%H:%M")
    campaign = await make_campaign(db, world.admin, name="春季体验券", starts_at=start)  # ¥5,000 of ¥100
    students = await verified_students(db, world.university_id, 4)
    vouchers = VoucherService(db)
    claimed = [await vouchers.claim(student, campaign.id) for student in students]
    for student, voucher in zip(students[:3], claimed[:3], strict=True):
        await vouchers.redeem(student, voucher.id, world.product.id)
    for voucher in claimed[:2]:
        code = (await db.get(Voucher, voucher.id)).redemption_code  # type: ignore[union-attr]
        await RedemptionService(db).confirm(world.opc_member, code or "")
    await vouchers.confirm_trial(students[0], claimed[0].id)
    # The last claim was made two weeks ago.
    await db.execute(
        update(Voucher).where(Voucher.id == claimed[3].id).values(created_at=now() - timedelta(days=14))
    )
    await db.commit()

    admin = await make_client()
    await admin.login("admin@example.com")
    page = (await admin.get(f"/admin/vouchers/campaigns/{campaign.id}")).text
    charts = charts_of(page)  # each drawing is checked against its own table here
    assert {"chart-weeks", "chart-budget-weeks", "chart-budget"} <= set(charts)

    weeks = charts["chart-weeks"]
    assert weeks.title == "每周"
    assert weeks.total("claims") == int(_figure(page, "claims")) == 4
    assert weeks.total("redemptions") == int(_figure(page, "redemptions")) == 3
    assert weeks.total("confirmations") == int(_figure(page, "confirmations")) == 1
    assert weeks.series("claims")[_monday(0)] == 3 and weeks.series("claims")[_monday(14)] == 1
    assert weeks.series("confirmations")[_monday(0)] == 1
    assert _monday(20) in weeks.series("claims")  # from the campaign's first week

    added = charts["chart-budget-weeks"]
    last = list(added.series("claims"))[-1]
    assert last == _monday(0)
    assert (
        added.series("claims")[last],
        added.series("redemptions")[last],
        added.series("confirmations")[last],
    ) == (4, 3, 1)
    assert re.search(r'<line class="chart-reference"[^>]*data-value="50"', page)  # ¥5,000 pays 50 vouchers
    assert "预算：50 张券" in page

    budget = charts["chart-budget"]
    (used,) = budget.series("used").values()
    (held,) = budget.series("held").values()
    (available,) = budget.series("available").values()
    assert format_yuan(used) == _figure(page, "spent") == "100元"
    assert format_yuan(used + held) == _figure(page, "reserved") == "400元"
    assert format_yuan(used + held + available) == _figure(page, "budget") == "5,000元"
    assert budget.cell_text[("used", "预算")] == "100元"
