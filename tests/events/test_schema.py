"""The events zone's migrations give the database its models' shape (columns, types, constraints)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from community.db import import_models, metadata


def _event_differences(connection: Any) -> list[str]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = [str(d) for d in compare_metadata(context, metadata)]
    return [d for d in differences if "'event" in d or "event_" in d]


async def test_the_event_migrations_match_the_models(database_url: str) -> None:
    import_models()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_event_differences) == []
    finally:
        await engine.dispose()
