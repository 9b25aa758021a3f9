"""The voucher tables that the migrations make are the tables the models describe."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import create_async_engine

from community.db import import_models
from tests.talent.test_schema import _compare, _tables

TABLES = {
    "university",
    "student_verification",
    "product",
    "voucher_campaign",
    "voucher_student_quota",
    "voucher_product_quota",
    "voucher",
    "voucher_event",
    "voucher_confirm_window",
    "product_rating",
    "voucher_settlement",
    "voucher_suspension",
}


async def test_the_voucher_migrations_match_the_models(database_url: str) -> None:
    import_models()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            diffs = await connection.run_sync(_compare)
    finally:
        await engine.dispose()
    assert [d for d in diffs if _tables(d) & TABLES] == []
