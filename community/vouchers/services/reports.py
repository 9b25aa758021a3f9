"""Settlement (vouchers confirmed × face value, per campaign and per OPC), funders' reports, exports, and
the patterns of abuse flagged for admins."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from openpyxl import Workbook
from sqlalchemy import func, insert, select, update

from community.accounts.models import Organization
from community.accounts.services import OrganizationService, clean_text
from community.errors import FormError, NotFound
from community.i18n import N_, _
from community.notifications.services import NotificationService
from community.vouchers.models import (
    Campaign,
    Product,
    Rating,
    Settlement,
    SettlementStatus,
    Voucher,
    VoucherEvent,
    VoucherStatus,
)
from community.vouchers.services.common import now

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

# Thresholds of the flagged patterns.
SAME_ADDRESS_REDEMPTIONS = 5  # redemptions from one network address by several students, in the window
BURST_REDEMPTIONS = 10  # redemptions of one product within ten minutes
CONFIRMING_MIN = 5  # an OPC with at least this many confirmations...
RATED_SHARE_MIN = 0.2  # ...of which fewer than this share were rated by the students (used)
FLAG_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SettlementLine:
    campaign_id: UUID
    campaign_name: str
    funder: str
    organization_id: UUID
    organization_name: str
    redeemed: int
    confirmed: int  # confirmed and not settled yet: the amount due
    settled: int
    due_fen: int
    settled_fen: int


@dataclass(frozen=True)
class FunderReport:
    campaign: Campaign
    claimed: int
    redeemed: int
    confirmed: int
    settled: int
    expired: int
    voided: int
    ratings: int
    average_rating: float | None
    spent_fen: int  # confirmed or settled × face value
    paid_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.campaign.budget_fen - self.campaign.reserved_fen


FLAG_KINDS = {
    "address": N_("One network address"),
    "burst": N_("Burst of redemptions"),
    "confirmations": N_("Confirmations without use"),
}


@dataclass(frozen=True)
class Flag:
    kind: str
    subject: str
    count: int
    detail: str
    url: str


class ReportService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def settlement_lines(
        self, campaign_id: UUID | None = None, organization_id: UUID | None = None
    ) -> list[SettlementLine]:
        def count_of(*statuses: VoucherStatus) -> Any:
            return func.count().filter(Voucher.status.in_(statuses))

        def sum_of(status: VoucherStatus) -> Any:
            return func.coalesce(func.sum(Voucher.face_value_fen).filter(Voucher.status == status), 0)

        query = (
            select(
                Campaign.id,
                Campaign.name,
                Campaign.funder,
                Organization.id,
                Organization.name,
                count_of(VoucherStatus.REDEEMED, VoucherStatus.CONFIRMED, VoucherStatus.SETTLED),
                count_of(VoucherStatus.CONFIRMED),
                count_of(VoucherStatus.SETTLED),
                sum_of(VoucherStatus.CONFIRMED),
                sum_of(VoucherStatus.SETTLED),
            )
            .select_from(Voucher)
            .join(Campaign, Campaign.id == Voucher.campaign_id)
            .join(Product, Product.id == Voucher.product_id)
            .join(Organization, Organization.id == Product.organization_id)
            .group_by(Campaign.id, Campaign.name, Campaign.funder, Organization.id, Organization.name)
            .order_by(Campaign.name, Organization.name)
        )
        if campaign_id is not None:
            query = query.where(Voucher.campaign_id == campaign_id)
        if organization_id is not None:
            query = query.where(Product.organization_id == organization_id)
        return [SettlementLine(*row) for row in (await self.db.execute(query)).all()]

    async def settle(self, admin: User, campaign_id: UUID, organization_id: UUID) -> Settlement:
        """A statement of the OPC's confirmed vouchers in the campaign; each voucher is settled once."""
        if await self.db.get(Campaign, campaign_id) is None:
            raise NotFound
        org = await self.db.get(Organization, organization_id)
        if org is None:
            raise NotFound
        rows = (
            await self.db.execute(
                select(Voucher.id, Voucher.face_value_fen)
                .where(
                    Voucher.campaign_id == campaign_id,
                    Voucher.status == VoucherStatus.CONFIRMED,
                    Voucher.product_id.in_(
                        select(Product.id).where(Product.organization_id == organization_id)
                    ),
                )
                .with_for_update()
            )
        ).all()
        if not rows:
            raise FormError({"settle": _("Nothing to settle: no confirmed vouchers wait for settlement.")})
        settlement = Settlement(
            campaign_id=campaign_id,
            organization_id=organization_id,
            voucher_count=len(rows),
            amount_fen=sum(face for _id, face in rows),
            status=SettlementStatus.OPEN,
            created_by_id=admin.id,
        )
        self.db.add(settlement)
        await self.db.flush()
        ids = [voucher_id for voucher_id, _face in rows]
        moment = now()
        await self.db.execute(
            update(Voucher)
            .where(Voucher.id.in_(ids), Voucher.status == VoucherStatus.CONFIRMED)
            .values(status=VoucherStatus.SETTLED, settlement_id=settlement.id, updated_at=moment)
            .execution_options(synchronize_session=False)
        )
        await self.db.execute(
            insert(VoucherEvent),
            [
                {
                    "id": uuid4(),
                    "voucher_id": voucher_id,
                    "from_status": VoucherStatus.CONFIRMED.value,
                    "to_status": VoucherStatus.SETTLED.value,
                    "actor_id": admin.id,
                    "reason": "",
                    "created_at": moment,
                    "updated_at": moment,
                }
                for voucher_id in ids
            ],
        )
        return settlement

    async def mark_paid(self, admin: User, settlement_id: UUID, reference_raw: str) -> Settlement:
        reference = clean_text(reference_raw)[:200]
        done = (
            await self.db.execute(
                update(Settlement)
                .where(Settlement.id == settlement_id, Settlement.status == SettlementStatus.OPEN)
                .values(
                    status=SettlementStatus.PAID,
                    paid_at=now(),
                    paid_by_id=admin.id,
                    payment_reference=reference,
                )
                .returning(Settlement.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        settlement = await self.db.get(Settlement, settlement_id)
        if settlement is None:
            raise NotFound
        await self.db.refresh(settlement)
        if done is None:
            raise FormError({"reference": _("This settlement was marked paid already.")})
        notifications = NotificationService(self.db)
        for member_id in await OrganizationService(self.db).member_ids(settlement.organization_id):
            await notifications.notify(
                member_id,
                "settlement_paid",
                _("A voucher settlement for your organization was paid."),
                "/vouchers/opc",
                actor_id=admin.id,
            )
        return settlement

    async def settlements(
        self, campaign_id: UUID | None = None, organization_ids: Sequence[UUID] | None = None
    ) -> Sequence[tuple[Settlement, str, str]]:
        query = (
            select(Settlement, Campaign.name, Organization.name)
            .join(Campaign, Campaign.id == Settlement.campaign_id)
            .join(Organization, Organization.id == Settlement.organization_id)
            .order_by(Settlement.created_at.desc())
        )
        if campaign_id is not None:
            query = query.where(Settlement.campaign_id == campaign_id)
        if organization_ids is not None:
            query = query.where(Settlement.organization_id.in_(organization_ids))
        return [(s, c, o) for s, c, o in (await self.db.execute(query)).all()]

    async def funder_report(self, campaign_id: UUID) -> FunderReport:
        campaign = await self.db.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound
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
        ever_redeemed = sum(
            counts.get(s, 0) for s in (VoucherStatus.REDEEMED, VoucherStatus.CONFIRMED, VoucherStatus.SETTLED)
        )
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
            settled=counts.get(VoucherStatus.SETTLED, 0),
            expired=counts.get(VoucherStatus.EXPIRED, 0),
            voided=counts.get(VoucherStatus.VOIDED, 0),
            ratings=int(ratings[0] or 0),
            average_rating=round(float(ratings[1]), 2) if ratings[1] is not None else None,
            spent_fen=int(spent or 0),
            paid_fen=int(paid or 0),
        )

    async def flags(self) -> list[Flag]:
        since = now() - FLAG_WINDOW
        flags: list[Flag] = []
        same_address = await self.db.execute(
            select(
                func.host(Voucher.redeemed_ip),
                func.count(),
                func.count(func.distinct(Voucher.student_id)),
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
        confirmed_states = [VoucherStatus.CONFIRMED, VoucherStatus.SETTLED]
        opcs = await self.db.execute(
            select(
                Organization.slug,
                Organization.name,
                func.count(Voucher.id),
                func.count(Rating.id),
            )
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


SETTLEMENT_COLUMNS = (
    "campaign",
    "funder",
    "organization",
    "redeemed",
    "confirmed_unsettled",
    "settled",
    "due_yuan",
    "settled_yuan",
)


def _rows(lines: Sequence[SettlementLine]) -> list[list[Any]]:
    return [
        [
            line.campaign_name,
            line.funder,
            line.organization_name,
            line.redeemed,
            line.confirmed,
            line.settled,
            f"{line.due_fen / 100:.2f}",
            f"{line.settled_fen / 100:.2f}",
        ]
        for line in lines
    ]


def _safe_cell(value: Any) -> Any:
    """Spreadsheets run text that starts with =, +, - or @ as a formula: such text gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def settlement_csv(lines: Sequence[SettlementLine]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SETTLEMENT_COLUMNS)
    for row in _rows(lines):
        writer.writerow([_safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM lets Excel read the Chinese names


def settlement_xlsx(lines: Sequence[SettlementLine]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "settlement"
    sheet.append(list(SETTLEMENT_COLUMNS))
    for line in lines:
        sheet.append(
            [
                _safe_cell(line.campaign_name),
                _safe_cell(line.funder),
                _safe_cell(line.organization_name),
                line.redeemed,
                line.confirmed,
                line.settled,
                line.due_fen / 100,
                line.settled_fen / 100,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
