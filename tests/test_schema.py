"""The tables the migrations make are the tables the models describe: every column, type, index and
constraint, for every zone at once (Alembic's own comparison)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from community.db import import_models, metadata


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        difference
        for difference in compare_metadata(context, metadata)
        # advanced-alchemy's store model declares its (key, namespace) uniqueness as an index; the first
        # migration holds the same guarantee as a unique constraint (uq_store_item_key_namespace).
        if not (difference[0] == "add_index" and difference[1].name == "ix_store_item_key_namespace_unique")
    ]


async def test_the_migrations_make_the_tables_the_models_describe(database_url: str) -> None:
    import_models()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []
