"""What admins and funders read of a campaign: the funder's report (claims, redemptions, trials confirmed by
both sides, awaiting the student and disputed, ratings, money spent and paid) and the patterns of abuse
flagged for a closer look."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from community.accounts.models import Organization
from community.i18n import _
from community.kernel.clock import local, now
from community.kernel.models import get_or_404
from community.vouchers.models import (
    OPC_CONFIRMED_STATUSES,
    Campaign,
    Product,
    Rating,
    Settlement,
    SettlementStatus,
    Voucher,
    VoucherEvent,
    VoucherStatus,
)
from community.vouchers.views import Flag, FunderReport, Week

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

# Thresholds of the flagged patterns.
SAME_ADDRESS_REDEMPTIONS = 5  # redemptions from one network address by several students, in the window
BURST_REDEMPTIONS = 10  # redemptions of one product within ten minutes
CONFIRMING_MIN = 5  # an OPC with at least this many confirmations...
RATED_SHARE_MIN = 0.2  # ...of which fewer than this share were rated by the students (used)
FLAG_WINDOW = timedelta(days=7)


class ReportService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def funder_report(self, campaign_id: UUID) -> FunderReport:
        campaign = await get_or_404(self.db, Campaign, campaign_id)
        await self.db.refresh(campaign)
        counts = dict(
            (
                await self.db.execute(
                    select(Voucher.status, func.count())
                    .where(Voucher.campaign_id == campaign_id)
                    .group_by(Voucher.status)
                )
            ).all()
        )
        ever_redeemed = sum(counts.get(s, 0) for s in (VoucherStatus.REDEEMED, *OPC_CONFIRMED_STATUSES))
        ratings = (
            await self.db.execute(
                select(func.count(Rating.id), func.avg(Rating.stars))
                .join(Voucher, Voucher.id == Rating.voucher_id)
                .where(Voucher.campaign_id == campaign_id)
            )
        ).one()
        spent = await self.db.scalar(
            select(func.coalesce(func.sum(Voucher.face_value_fen), 0)).where(
                Voucher.campaign_id == campaign_id,
                Voucher.status.in_([VoucherStatus.CONFIRMED, VoucherStatus.SETTLED]),
            )
        )
        paid = await self.db.scalar(
            select(func.coalesce(func.sum(Settlement.amount_fen), 0)).where(
                Settlement.campaign_id == campaign_id, Settlement.status == SettlementStatus.PAID
            )
        )
        return FunderReport(
            campaign=campaign,
            claimed=sum(counts.values()),
            redeemed=ever_redeemed,
            confirmed=counts.get(VoucherStatus.CONFIRMED, 0) + counts.get(VoucherStatus.SETTLED, 0),
            awaiting_student=counts.get(VoucherStatus.DELIVERED, 0),
            disputed=counts.get(VoucherStatus.DISPUTED, 0),
            settled=counts.get(VoucherStatus.SETTLED, 0),
            expired=counts.get(VoucherStatus.EXPIRED, 0),
            voided=counts.get(VoucherStatus.VOIDED, 0),
            ratings=int(ratings[0] or 0),
            average_rating=round(float(ratings[1]), 2) if ratings[1] is not None else None,
            spent_fen=int(spent or 0),
            paid_fen=int(paid or 0),
            weeks=await self.weeks(campaign),
        )

    async def weeks(self, campaign: Campaign) -> tuple[Week, ...]:
        """Claims, redemptions and confirmations by both sides per week, counted as the totals count them
        (a voided voucher is not among the redemptions; a confirmation is the voucher's first step into
        ``confirmed``, by the student or by an admin who upheld the trial)."""

        def week_of(moment: Any) -> Any:
            return func.date(func.date_trunc("week", func.timezone("Asia/Shanghai", moment)))

        of_campaign = Voucher.campaign_id == campaign.id
        figures: dict[date, dict[str, int]] = {}

        async def count(name: str, moment: Any, *where: Any) -> None:
            week = week_of(moment).label("week")
            rows = await self.db.execute(select(week, func.count()).where(*where).group_by(week))
            for monday, n in rows:
                figures.setdefault(monday, {})[name] = int(n)

        await count("claims", Voucher.created_at, of_campaign)
        redeemed = [VoucherStatus.REDEEMED, *OPC_CONFIRMED_STATUSES]
        await count(
            "redemptions",
            Voucher.redeemed_at,
            of_campaign,
            Voucher.status.in_(redeemed),
            Voucher.redeemed_at.is_not(None),
        )
        confirmed_at = (
            select(func.min(VoucherEvent.created_at))
            .where(
                VoucherEvent.voucher_id == Voucher.id, VoucherEvent.to_status == VoucherStatus.CONFIRMED.value
            )
            .scalar_subquery()
        )
        await count(
            "confirmations",
            func.coalesce(confirmed_at, Voucher.student_confirmed_at, Voucher.updated_at),
            of_campaign,
            Voucher.status.in_([VoucherStatus.CONFIRMED, VoucherStatus.SETTLED]),
        )
        first = local(campaign.starts_at).date()
        last = min(local(campaign.ends_at), local(now())).date()
        # A redemption or a confirmation after the campaign ended (within a voucher's life) is still shown.
        start = min([first - timedelta(days=first.weekday()), *figures])
        end = max([last, *figures])
        mondays = [start + timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]
        return tuple(Week(m, **figures.get(m, {})) for m in mondays)

    async def flags(self) -> list[Flag]:
        since = now() - FLAG_WINDOW
        flags: list[Flag] = []
        same_address = await self.db.execute(
            select(
                func.host(Voucher.redeemed_ip), func.count(), func.count(func.distinct(Voucher.student_id))
            )
            .where(Voucher.redeemed_ip.is_not(None), Voucher.redeemed_at >= since)
            .group_by(Voucher.redeemed_ip)
            .having(
                func.count() >= SAME_ADDRESS_REDEMPTIONS, func.count(func.distinct(Voucher.student_id)) > 1
            )
            .order_by(func.count().desc())
            .limit(50)
        )
        for address, count, students in same_address.all():
            flags.append(
                Flag(
                    "address",
                    str(address),
                    int(count),
                    _(
                        "%(n)s redemptions by %(s)s students from one network address in 7 days.",
                        n=count,
                        s=students,
                    ),
                    "",
                )
            )
        bucket = func.date_bin(timedelta(minutes=10), Voucher.redeemed_at, func.to_timestamp(0))
        bursts = await self.db.execute(
            select(Product.id, Product.name, bucket, func.count())
            .join(Product, Product.id == Voucher.product_id)
            .where(Voucher.redeemed_at >= since)
            .group_by(Product.id, Product.name, bucket)
            .having(func.count() >= BURST_REDEMPTIONS)
            .order_by(func.count().desc())
            .limit(50)
        )
        for product_id, name, start, count in bursts.all():
            flags.append(
                Flag(
                    "burst",
                    name,
                    int(count),
                    _(
                        "%(n)s redemptions within ten minutes from %(t)s.",
                        n=count,
                        t=start.strftime("%Y-%m-%d %H:%M"),
                    ),
                    f"/products/{product_id}",
                )
            )
        # The OPC's own confirmations, whatever the students said after.
        confirmed_states = list(OPC_CONFIRMED_STATUSES)
        opcs = await self.db.execute(
            select(Organization.slug, Organization.name, func.count(Voucher.id), func.count(Rating.id))
            .select_from(Voucher)
            .join(Product, Product.id == Voucher.product_id)
            .join(Organization, Organization.id == Product.organization_id)
            .outerjoin(Rating, Rating.voucher_id == Voucher.id)
            .where(Voucher.status.in_(confirmed_states), Voucher.confirmed_at >= since)
            .group_by(Organization.slug, Organization.name)
            .having(
                func.count(Voucher.id) >= CONFIRMING_MIN,
                func.count(Rating.id) < func.count(Voucher.id) * RATED_SHARE_MIN,
            )
        )
        for slug, name, confirmed, rated in opcs.all():
            flags.append(
                Flag(
                    "confirmations",
                    name,
                    int(confirmed),
                    _(
                        "Confirmed %(n)s trials in 7 days, but students rated only %(r)s: "
                        "the trials may not have been used.",
                        n=confirmed,
                        r=rated,
                    ),
                    f"/orgs/{slug}",
                )
            )
        return flags
