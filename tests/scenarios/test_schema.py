"""The scenario tables that the trust migration changes are the tables the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from community.db import import_models, metadata

TABLES = ("scenario_revision", "scenario_confidentiality")


def _compare(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(diff: Any) -> set[str]:
    items = diff if isinstance(diff, list) else [diff]
    names: set[str] = set()
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                names.add(str(table.name))
            elif hasattr(part, "columns") and getattr(part, "name", None):
                names.add(str(part.name))
            elif isinstance(part, str):
                names.add(part)
    return names


async def test_the_scenario_trust_migration_matches_the_models(database_url: str) -> None:
    import_models()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            diffs = await connection.run_sync(_compare)
    finally:
        await engine.dispose()
    ours = [d for d in diffs if _tables(d) & set(TABLES)]
    assert ours == []
