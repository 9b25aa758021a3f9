"""The OPC's side of a voucher: the trials it owes and confirming delivery with the code the student gave.

A redemption code is the student's proof that the trial started: the OPC never reads it on the site (its
pages, the API and its notices show redeemed vouchers without their codes) and types it in to confirm. A
confirmed delivery then waits for the student's own confirmation before the voucher can be settled.

Every refusal reads the same for a code of no voucher and a code of another organization's voucher, so
trying codes teaches nothing about other vouchers; and each organization has ``CONFIRM_FAILURES_PER_HOUR``
wrong tries an hour, counted by the database (``voucher_confirm_window``) across processes and tabs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, NoReturn
from uuid import uuid4

from sqlalchemy import select, text, update

from community.accounts.services import OrganizationService
from community.i18n import _
from community.kernel.clock import local, now
from community.notifications.services import NotificationService
from community.vouchers import notices
from community.vouchers.inputs import normalize_code
from community.vouchers.labels import label
from community.vouchers.models import Product, Voucher, VoucherStatus
from community.vouchers.services.ledger import record, refuse
from community.vouchers.views import CODE_LENGTH, Redemption

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

# Wrong codes an organization may enter in an hour. A code is 10 symbols of 31 (about 8 × 10^14 codes), so
# even an OPC with a thousand trials owed finds one by guessing with odds of about 1 in 4 × 10^7 a year.
CONFIRM_FAILURES_PER_HOUR = 20
CONFIRM_WINDOW = timedelta(hours=1)

# One place for an attempt in the organization's current hour, or none when the hour's wrong tries are used
# up. The row lock it takes queues the organization's attempts until each one's transaction ends.
TAKE_ATTEMPT_SQL = text(
    """
    INSERT INTO voucher_confirm_window AS w
        (id, organization_id, window_start, used, cap, created_at, updated_at)
    VALUES (:id, :organization_id, :window_start, 1, :cap, :moment, :moment)
    ON CONFLICT ON CONSTRAINT uq_voucher_confirm_window
    DO UPDATE SET used = w.used + 1, updated_at = :moment WHERE w.used < w.cap
    RETURNING w.id
    """
)
GIVE_BACK_SQL = text("UPDATE voucher_confirm_window SET used = used - 1 WHERE id = :id AND used > 0")


def window_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class RedemptionService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def confirm(
        self, user: User, code_raw: str, ip: str | None = None, product_id: UUID | None = None
    ) -> Voucher:
        """The OPC confirms that it delivered the trial whose code the student gave it; the voucher then
        waits for the student's confirmation. ``product_id`` names the product (needed when the member's
        organizations make several)."""
        code = normalize_code(code_raw)
        if len(code) != CODE_LENGTH:
            raise refuse(_("Enter the 10-character code the student gives you."), "code")
        organization_id = await self._organization_for(user, product_id)
        moment = now()
        attempt = (
            await self.db.execute(
                TAKE_ATTEMPT_SQL,
                {
                    "id": uuid4(),
                    "organization_id": organization_id,
                    "window_start": window_start(moment),
                    "cap": CONFIRM_FAILURES_PER_HOUR,
                    "moment": moment,
                },
            )
        ).scalar_one_or_none()
        if attempt is None:
            raise refuse(
                _(
                    "Your organization has entered %(n)s wrong codes in the last hour, the most allowed. "
                    "Try again after %(time)s.",
                    n=CONFIRM_FAILURES_PER_HOUR,
                    time=local(window_start(moment) + CONFIRM_WINDOW).strftime("%H:%M"),
                ),
                "code",
            )
        ours = select(Product.id).where(Product.organization_id == organization_id)
        if product_id is not None:
            ours = ours.where(Product.id == product_id)
        found = (
            await self.db.execute(
                select(Voucher, Product)
                .join(Product, Product.id == Voucher.product_id)
                .where(Voucher.redemption_code == code, Voucher.product_id.in_(ours))
            )
        ).first()
        if found is None:
            await self._failed(_("None of your vouchers has this code. Check it with the student."))
        voucher, product = found
        if voucher.student_id == user.id:
            await self._failed(_("You cannot confirm your own voucher."))
        done = (
            await self.db.execute(
                update(Voucher)
                .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.REDEEMED)
                .values(
                    status=VoucherStatus.DELIVERED,
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
            await self._failed(self._why_not(voucher))
        await self.db.execute(GIVE_BACK_SQL, {"id": attempt})
        await record(
            self.db, [voucher.id], VoucherStatus.REDEEMED, VoucherStatus.DELIVERED, actor_id=user.id, ip=ip
        )
        await NotificationService(self.db).notify(
            voucher.student_id,
            notices.DELIVERED,
            f"/vouchers#voucher-{voucher.id}",
            {"product": product.name},
            actor_id=user.id,
        )
        await self.db.refresh(voucher)
        return voucher

    async def _organization_for(self, user: User, product_id: UUID | None) -> UUID:
        """The organization the member confirms for: the named product's (if it is the member's), or the one
        of the member's organizations that makes products."""
        mine = [org.id for org, _role in await OrganizationService(self.db).organizations_of(user)]
        if product_id is not None:
            owner = await self.db.scalar(select(Product.organization_id).where(Product.id == product_id))
            if owner is None or owner not in mine:
                raise refuse(_("Choose one of your organization's products."), "product")
            return owner
        makers = list(
            (
                await self.db.scalars(
                    select(Product.organization_id).where(Product.organization_id.in_(mine)).distinct()
                )
            ).all()
        )
        if not makers:
            raise refuse(_("Only members of the OPC that makes the product can confirm its trials."), "code")
        if len(makers) > 1:
            raise refuse(_("Choose the product whose trial you delivered."), "product")
        return makers[0]

    async def _failed(self, message: str) -> NoReturn:
        """A wrong try counts against the organization's hour even though the request is refused (and its
        transaction would be rolled back): commit it before saying no."""
        await self.db.commit()
        raise refuse(message, "code")

    @staticmethod
    def _why_not(voucher: Voucher) -> str:
        if voucher.status in (
            VoucherStatus.DELIVERED,
            VoucherStatus.DISPUTED,
            VoucherStatus.CONFIRMED,
            VoucherStatus.SETTLED,
        ):
            return _("This code was confirmed already.")
        if voucher.status is VoucherStatus.VOIDED:
            return _("This voucher was voided; its trial cannot be confirmed.")
        return _("This voucher cannot be confirmed: it is %(status)s.", status=label(voucher.status))

    async def of_organizations(
        self,
        organization_ids: Sequence[UUID],
        statuses: Sequence[VoucherStatus] | None = None,
        limit: int = 200,
    ) -> list[Redemption]:
        """The organizations' redeemed vouchers as their OPC sees them: without the code of any trial it
        has not confirmed."""
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
        return [Redemption.of(v, p) for v, p in (await self.db.execute(query)).all()]
