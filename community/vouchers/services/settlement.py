"""Settlement: an OPC's vouchers confirmed by both sides × face value, per campaign; a statement settles
each voucher once, and is marked paid when the money is sent. A trial only the OPC confirmed waits for the
student, and a disputed one for an admin: neither is settled. The lines export as CSV and XLSX."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from community.accounts.models import Organization
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now
from community.kernel.exports import to_csv, to_xlsx
from community.kernel.models import get_or_404
from community.kernel.text import clean_line
from community.notifications.services import NotificationService
from community.vouchers import notices
from community.vouchers.models import (
    OPC_CONFIRMED_STATUSES,
    Campaign,
    Product,
    Settlement,
    SettlementStatus,
    Voucher,
    VoucherStatus,
)
from community.vouchers.services.ledger import record
from community.vouchers.views import SettlementLine

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User


class SettlementService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def lines(
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
                count_of(VoucherStatus.REDEEMED, *OPC_CONFIRMED_STATUSES),
                count_of(VoucherStatus.DELIVERED),
                count_of(VoucherStatus.DISPUTED),
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
        """A statement of the OPC's vouchers in the campaign that both sides confirmed; each is settled once.
        The vouchers are taken by their state under a row lock, and moved on only from that state."""
        await get_or_404(self.db, Campaign, campaign_id)
        await get_or_404(self.db, Organization, organization_id)
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
            raise FormError(
                {"settle": _("Nothing to settle: no vouchers confirmed by both sides wait for settlement.")}
            )
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
        await record(
            self.db, ids, VoucherStatus.CONFIRMED, VoucherStatus.SETTLED, actor_id=admin.id, moment=moment
        )
        return settlement

    async def mark_paid(self, admin: User, settlement_id: UUID, reference_raw: str) -> Settlement:
        reference = clean_line(reference_raw)[:200]
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
            await notifications.notify(member_id, notices.SETTLEMENT_PAID, "/vouchers/opc", actor_id=admin.id)
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


SETTLEMENT_COLUMNS = (
    "campaign",
    "funder",
    "organization",
    "redeemed",
    "awaiting_student",
    "disputed",
    "confirmed_unsettled",
    "settled",
    "due_yuan",
    "settled_yuan",
)


def _rows(lines: Sequence[SettlementLine], money: Callable[[int], Any]) -> list[list[Any]]:
    return [
        [
            line.campaign_name,
            line.funder,
            line.organization_name,
            line.redeemed,
            line.awaiting_student,
            line.disputed,
            line.confirmed,
            line.settled,
            money(line.due_fen),
            money(line.settled_fen),
        ]
        for line in lines
    ]


def settlement_csv(lines: Sequence[SettlementLine]) -> bytes:
    return to_csv(SETTLEMENT_COLUMNS, _rows(lines, lambda fen: f"{fen / 100:.2f}"))


def settlement_xlsx(lines: Sequence[SettlementLine]) -> bytes:
    """The lines as a sheet whose counts and amounts are numbers, which an accountant can add up."""
    return to_xlsx(SETTLEMENT_COLUMNS, _rows(lines, lambda fen: fen / 100), title="settlement")
