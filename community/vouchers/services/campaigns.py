"""Voucher campaigns: an admin opens one with a budget, a face value, caps and the products it admits;
closing it (or reaching its end) expires the vouchers nobody redeemed and gives their value back to the
budget."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select, update

from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now
from community.kernel.models import get_or_404
from community.vouchers.models import Campaign, CampaignStatus, Product, Voucher, VoucherStatus
from community.vouchers.services.ledger import record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User
    from community.vouchers.inputs import CampaignInput


def eligible(campaign: Campaign, product: Product) -> bool:
    """A campaign admits a product it lists or one sharing a domain with it; listing neither, every one."""
    if not campaign.eligible_domains and not campaign.eligible_product_ids:
        return True
    return product.id in campaign.eligible_product_ids or bool(
        set(campaign.eligible_domains) & set(product.domains)
    )


class CampaignService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(self, admin: User, data: CampaignInput) -> Campaign:
        product_ids = list(dict.fromkeys(data.eligible_product_ids))
        if product_ids:
            found = await self.db.scalar(
                select(func.count()).select_from(Product).where(Product.id.in_(product_ids))
            )
            if found != len(product_ids):
                raise FormError({"eligible_products": _("Choose products from the list.")})
        # The form's fields are the campaign's columns.
        campaign = Campaign(
            **{**asdict(data), "eligible_product_ids": product_ids},
            status=CampaignStatus.ACTIVE,
            created_by_id=admin.id,
        )
        self.db.add(campaign)
        await self.db.flush()
        return campaign

    async def get(self, campaign_id: UUID) -> Campaign:
        return await get_or_404(self.db, Campaign, campaign_id)

    async def list(self, *, running_only: bool = False) -> Sequence[Campaign]:
        query = select(Campaign).order_by(Campaign.starts_at.desc())
        if running_only:
            moment = now()
            query = query.where(
                Campaign.status == CampaignStatus.ACTIVE,
                Campaign.starts_at <= moment,
                Campaign.ends_at > moment,
            )
        return (await self.db.scalars(query)).all()

    async def close(self, admin: User, campaign_id: UUID) -> Campaign:
        """End a campaign now: nothing more is claimed; unredeemed vouchers expire."""
        campaign = await self.db.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
        if campaign is None:
            raise NotFound
        campaign.status = CampaignStatus.CLOSED
        campaign.ends_at = min(campaign.ends_at, now())
        await self.db.execute(
            update(Voucher)
            .where(Voucher.campaign_id == campaign_id, Voucher.expires_at > campaign.ends_at)
            .values(expires_at=campaign.ends_at)
        )
        await self.db.flush()
        await self.expire_due(campaign_id)
        return campaign

    async def expire_due(self, campaign_id: UUID | None = None, student_id: UUID | None = None) -> int:
        """Unredeemed vouchers past their campaign's end expire; their share of the budget is released."""
        moment = now()
        where = [Voucher.status == VoucherStatus.CLAIMED, Voucher.expires_at <= moment]
        if campaign_id is not None:
            where.append(Voucher.campaign_id == campaign_id)
        if student_id is not None:
            where.append(Voucher.student_id == student_id)
        rows = (
            await self.db.execute(
                update(Voucher)
                .where(*where)
                .values(status=VoucherStatus.EXPIRED, updated_at=moment)
                .returning(Voucher.id, Voucher.campaign_id, Voucher.face_value_fen)
                .execution_options(synchronize_session=False)
            )
        ).all()
        released: dict[UUID, int] = {}
        for _id, campaign, face in rows:
            released[campaign] = released.get(campaign, 0) + face
        for campaign, amount in released.items():
            await self.db.execute(
                update(Campaign)
                .where(Campaign.id == campaign)
                .values(reserved_fen=Campaign.reserved_fen - amount)
            )
        await record(
            self.db,
            [voucher_id for voucher_id, _c, _f in rows],
            VoucherStatus.CLAIMED,
            VoucherStatus.EXPIRED,
            reason="campaign ended",
            moment=moment,
        )
        return len(rows)
