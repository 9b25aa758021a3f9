"""Alembic environment: runs migrations over the app's async engine (advanced-alchemy's command config)."""

import asyncio
from typing import TYPE_CHECKING, cast

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

from community.db import import_models, metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

import_models()
config = context.config


def _url() -> str:
    url = getattr(config, "db_url", None) or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from community.config import get_settings

    return get_settings().database_url


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # advanced-alchemy declares this index for Spanner only (ddl_if); autogenerate does not see the condition.
    return not (type_ == "index" and name == "ix_store_item_key_namespace_unique")


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: "Connection") -> None:
    context.configure(
        connection=connection, target_metadata=metadata, compare_type=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = getattr(config, "engine", None)
    connectable = cast(
        "AsyncEngine",
        engine
        or async_engine_from_config(
            {"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
        ),
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    if engine is None:
        await connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
