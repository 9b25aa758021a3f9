"""The OPC's side of a voucher: the trials it owes (redeemed vouchers of its products) and confirming one
with the student's code, which uses the code up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from community.accounts.services import OrganizationService
from community.i18n import _
from community.kernel.clock import now
from community.notifications.services import NotificationService
from community.vouchers.inputs import normalize_code
from community.vouchers.labels import label
from community.vouchers.models import Product, Voucher, VoucherStatus
from community.vouchers.services.ledger import record, refuse
from community.vouchers.views import CODE_LENGTH

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User


class RedemptionService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def confirm(self, user: User, code_raw: str, ip: str | None = None) -> Voucher:
        """The OPC confirms that the trial was delivered; the code is used up by this."""
        code = normalize_code(code_raw)
        if len(code) != CODE_LENGTH:
            raise refuse(_("Enter the 10-character code the student shows you."), "code")
        voucher = await self.db.scalar(select(Voucher).where(Voucher.redemption_code == code))
        product = await self.db.get(Product, voucher.product_id) if voucher and voucher.product_id else None
        if voucher is None or product is None:
            raise refuse(_("No voucher has this code. Check it with the student."), "code")
        if not user.is_admin and user.id not in await OrganizationService(self.db).member_ids(
            product.organization_id
        ):
            raise refuse(_("This code is for a product of another organization."), "code")
        if voucher.student_id == user.id:
            raise refuse(_("You cannot confirm your own voucher."), "code")
        moment = now()
        done = (
            await self.db.execute(
                update(Voucher)
                .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.REDEEMED)
                .values(
                    status=VoucherStatus.CONFIRMED,
                    confirmed_at=moment,
                    confirmed_by_id=user.id,
                    updated_at=moment,
                )
                .returning(Voucher.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if done is None:
            await self.db.refresh(voucher)
            raise refuse(
                _("This code was confirmed already.")
                if voucher.status in (VoucherStatus.CONFIRMED, VoucherStatus.SETTLED)
                else _("This voucher cannot be confirmed: it is %(status)s.", status=label(voucher.status)),
                "code",
            )
        await record(
            self.db, [voucher.id], VoucherStatus.REDEEMED, VoucherStatus.CONFIRMED, actor_id=user.id, ip=ip
        )
        await NotificationService(self.db).notify(
            voucher.student_id,
            "voucher_confirmed",
            _("%(product)s confirmed your trial. Rate it now.", product=product.name),
            "/vouchers",
            actor_id=user.id,
        )
        await self.db.refresh(voucher)
        return voucher

    async def of_organizations(
        self,
        organization_ids: Sequence[UUID],
        statuses: Sequence[VoucherStatus] | None = None,
        limit: int = 200,
    ) -> Sequence[tuple[Voucher, Product]]:
        if not organization_ids:
            return []
        query = (
            select(Voucher, Product)
            .join(Product, Product.id == Voucher.product_id)
            .where(Product.organization_id.in_(organization_ids))
            .order_by(Voucher.redeemed_at.desc())
            .limit(limit)
        )
        if statuses:
            query = query.where(Voucher.status.in_(statuses))
        return [(v, p) for v, p in (await self.db.execute(query)).all()]
