"""Demo data of the voucher zone: a dozen products, a running campaign, verified and unverified students."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from community.demo import load_demo
from community.vouchers.models import Product, ProductStatus, Rating
from community.vouchers.services.campaigns import CampaignService
from community.vouchers.services.products import ProductService
from community.vouchers.services.students import StudentService


async def test_demo_has_products_a_running_campaign_and_students(
    services: AsyncSession, settings: Any
) -> None:
    db = services
    await load_demo(db, settings)
    await db.commit()
    await load_demo(db, settings)  # safe to run again
    await db.commit()
    published = await db.scalar(
        select(func.count()).select_from(Product).where(Product.status == ProductStatus.PUBLISHED)
    )
    assert published == 12
    assert await db.scalar(select(func.count()).select_from(Rating)) == 16
    running = await CampaignService(db).list(running_only=True)
    assert len(running) == 1 and running[0].reserved_fen <= running[0].budget_fen
    from community.accounts.services import AccountService

    verified = await AccountService(db).by_email("student.demo@example.com")
    unverified = await AccountService(db).by_email("student.new@example.com")
    assert verified is not None and unverified is not None
    assert (await StudentService(db).status(verified.id)).verified
    assert not (await StudentService(db).status(unverified.id)).verified
    gallery = await ProductService(db).gallery()
    assert gallery.items[0][0].rating_count > 0  # rated products lead the ranking
