"""What admins do to vouchers and accounts: void a voucher, decide a disputed trial (upheld: settleable;
or voided), suspend an account from the programme (its open vouchers are voided with the same reason) and
lift the suspension; read a voucher's audit log and a campaign's vouchers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from community.accounts.models import Organization, User
from community.accounts.services import AccountService, OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now
from community.kernel.models import add_unique, get_or_404
from community.notifications.services import NotificationService
from community.vouchers import notices
from community.vouchers.inputs import required_reason
from community.vouchers.models import (
    Campaign,
    Product,
    ProductQuota,
    Suspension,
    Voucher,
    VoucherEvent,
    VoucherStatus,
)
from community.vouchers.services.ledger import record, refuse
from community.vouchers.views import Dispute

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession


# What an admin may void: anything not settled, expired or voided already.
VOIDABLE = (
    VoucherStatus.CLAIMED,
    VoucherStatus.REDEEMED,
    VoucherStatus.DELIVERED,
    VoucherStatus.DISPUTED,
    VoucherStatus.CONFIRMED,
)


class ModerationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def voucher(self, voucher_id: UUID) -> Voucher:
        return await get_or_404(self.db, Voucher, voucher_id)

    async def void(self, admin: User, voucher_id: UUID, reason_raw: str) -> Voucher:
        """Take a voucher back with a reason the student reads; its value returns to the budget."""
        reason = required_reason(reason_raw)
        voucher = await self.db.scalar(
            select(Voucher)
            .where(Voucher.id == voucher_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the state as locked, not as once loaded
        )
        if voucher is None:
            raise NotFound
        if voucher.status not in VOIDABLE:
            raise refuse(_("Only a voucher that is not settled, expired or voided can be voided."), "reason")
        await self._void_locked(voucher, reason, admin.id)
        return voucher

    async def disputes(self) -> list[Dispute]:
        """The trials students dispute, the oldest first: the admins' queue."""
        rows = await self.db.execute(
            select(Voucher, User.display_name, Product.name, Organization.name)
            .join(User, User.id == Voucher.student_id)
            .join(Product, Product.id == Voucher.product_id)
            .join(Organization, Organization.id == Product.organization_id)
            .where(Voucher.status == VoucherStatus.DISPUTED)
            .order_by(Voucher.disputed_at)
        )
        return [Dispute(v, student, product, org) for v, student, product, org in rows.all()]

    async def resolve(self, admin: User, voucher_id: UUID, uphold: bool, reason_raw: str) -> Voucher:
        """Decide a disputed trial, with a reason kept in the voucher's audit log: upheld, the trial counts
        as given and the voucher can be settled; otherwise it is voided and its value goes back to the
        budget. Both sides are told."""
        reason = required_reason(reason_raw)
        voucher = await self.db.scalar(
            select(Voucher)
            .where(Voucher.id == voucher_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the state as locked, not as once loaded
        )
        if voucher is None:
            raise NotFound
        if voucher.status is not VoucherStatus.DISPUTED:
            raise refuse(_("This voucher is not disputed (any more): it is decided already."), "reason")
        product = await self.db.get(Product, voucher.product_id) if voucher.product_id else None
        name = product.name if product else ""
        notifications = NotificationService(self.db)
        if uphold:
            voucher.status = VoucherStatus.CONFIRMED
            await record(
                self.db,
                [voucher.id],
                VoucherStatus.DISPUTED,
                VoucherStatus.CONFIRMED,
                actor_id=admin.id,
                reason=reason,
            )
            await notifications.notify(
                voucher.student_id,
                notices.DISPUTE_DECIDED,
                f"/vouchers#voucher-{voucher.id}",
                {"reason": reason},
                actor_id=admin.id,
            )
            told = notices.DISPUTE_UPHELD
        else:
            await self._void_locked(voucher, reason, admin.id)  # tells the student
            told = notices.DISPUTE_VOIDED
        if product is not None:
            await notifications.notify_many(
                await OrganizationService(self.db).member_ids(product.organization_id),
                told,
                "/vouchers/opc",
                {"product": name, "reason": reason},
                actor_id=admin.id,
            )
        await self.db.flush()
        return voucher

    async def _void_locked(self, voucher: Voucher, reason: str, actor_id: UUID | None) -> None:
        before = voucher.status
        voucher.status = VoucherStatus.VOIDED
        voucher.void_reason = reason
        await self.db.execute(
            update(Campaign)
            .where(Campaign.id == voucher.campaign_id)
            .values(reserved_fen=Campaign.reserved_fen - voucher.face_value_fen)
        )
        if voucher.product_id is not None:
            await self.db.execute(
                update(ProductQuota)
                .where(
                    ProductQuota.campaign_id == voucher.campaign_id,
                    ProductQuota.product_id == voucher.product_id,
                )
                .values(used=ProductQuota.used - 1)
            )
        await record(self.db, [voucher.id], before, VoucherStatus.VOIDED, actor_id=actor_id, reason=reason)
        await NotificationService(self.db).notify(
            voucher.student_id, notices.VOIDED, "/vouchers", {"reason": reason}, actor_id=actor_id
        )
        await self.db.flush()

    async def suspend(self, admin: User, user_id: UUID, reason_raw: str) -> Suspension:
        """Bar an account from the programme; its open vouchers are voided with the same reason."""
        reason = required_reason(reason_raw)
        if user_id == admin.id:
            raise FormError({"reason": _("You cannot suspend yourself.")})
        suspension = Suspension(user_id=user_id, reason=reason, suspended_by_id=admin.id)
        await add_unique(self.db, suspension, {"reason": _("This account is suspended already.")})
        vouchers = (
            await self.db.scalars(
                select(Voucher)
                .where(
                    Voucher.student_id == user_id,
                    # Not yet confirmed by both sides: nothing of these is settled for a barred account.
                    Voucher.status.in_(
                        [
                            VoucherStatus.CLAIMED,
                            VoucherStatus.REDEEMED,
                            VoucherStatus.DELIVERED,
                            VoucherStatus.DISPUTED,
                        ]
                    ),
                )
                .with_for_update()
            )
        ).all()
        for voucher in vouchers:
            await self._void_locked(voucher, reason, admin.id)
        await NotificationService(self.db).notify(
            user_id, notices.SUSPENDED, "/vouchers", {"reason": reason}, actor_id=admin.id
        )
        return suspension

    async def suspend_email(self, admin: User, email_raw: str, reason_raw: str) -> Suspension:
        """Suspend the account of an email address, as an admin types it."""
        account = await AccountService(self.db).by_email(email_raw)
        if account is None:
            raise FormError({"email": _("No account has this email address.")})
        return await self.suspend(admin, account.id, reason_raw)

    async def lift_suspension(self, admin: User, suspension_id: UUID) -> None:
        done = await self.db.execute(
            update(Suspension)
            .where(Suspension.id == suspension_id, Suspension.lifted_at.is_(None))
            .values(lifted_at=now())
            .returning(Suspension.user_id)
        )
        row = done.first()
        if row is None:
            raise NotFound
        await NotificationService(self.db).notify(row[0], notices.UNSUSPENDED, "/vouchers", actor_id=admin.id)

    async def suspensions(self) -> Sequence[tuple[Suspension, str, str]]:
        rows = await self.db.execute(
            select(Suspension, User.display_name, User.email)
            .join(User, User.id == Suspension.user_id)
            .where(Suspension.lifted_at.is_(None))
            .order_by(Suspension.created_at.desc())
        )
        return [(s, n, e) for s, n, e in rows.all()]

    async def history(self, voucher_id: UUID) -> Sequence[tuple[VoucherEvent, str | None]]:
        rows = await self.db.execute(
            select(VoucherEvent, User.display_name)
            .outerjoin(User, User.id == VoucherEvent.actor_id)
            .where(VoucherEvent.voucher_id == voucher_id)
            .order_by(VoucherEvent.created_at, VoucherEvent.id)
        )
        return [(e, n) for e, n in rows.all()]

    async def vouchers_of_campaign(
        self, campaign_id: UUID, status: VoucherStatus | None = None, limit: int = 200
    ) -> Sequence[tuple[Voucher, str, Product | None]]:
        query = (
            select(Voucher, User.display_name, Product)
            .join(User, User.id == Voucher.student_id)
            .outerjoin(Product, Product.id == Voucher.product_id)
            .where(Voucher.campaign_id == campaign_id)
            .order_by(Voucher.created_at.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(Voucher.status == status)
        return [(v, n, p) for v, n, p in (await self.db.execute(query)).all()]
