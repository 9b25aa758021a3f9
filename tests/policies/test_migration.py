"""The policy tables that migration 0400_policies makes are the tables the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from community.db import import_models, metadata

TABLES = {"policy", "policy_org_facts", "policy_delivery"}


def _tables_in(diff: Any) -> set[str]:
    """Every table a diff entry (a tuple, or a list of them for column changes) is about."""
    if isinstance(diff, list | tuple):
        found: set[str] = set()
        for part in diff:
            found |= _tables_in(part)
        return found
    if isinstance(diff, str):
        return {diff} & TABLES
    table = getattr(diff, "table", None)  # a column, an index, a constraint
    if table is not None and hasattr(table, "name"):
        return {str(table.name)}
    if hasattr(diff, "columns") and hasattr(diff, "name"):  # a table
        return {str(diff.name)}
    return set()


async def test_the_migration_matches_the_models(database_url: str) -> None:
    import_models()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    ours = [diff for diff in diffs if _tables_in(diff) & TABLES]
    assert ours == []
    assert set(metadata.tables) >= TABLES
