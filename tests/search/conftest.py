"""Search backends for the contract tests: PostgreSQL always, Meilisearch when MEILISEARCH_URL is set."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tests.forum.conftest import member  # noqa: F401 (the forum's fixture: members who register)

BACKENDS = ["postgres", "meilisearch"]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Any]:
    if request.param == "postgres":
        from community.search.backends.postgres import PostgresSearchBackend

        engine = create_async_engine(database_url)
        search = PostgresSearchBackend(engine)
        await search.reset()
        try:
            yield search
        finally:
            await engine.dispose()
        return
    url = os.environ.get("MEILISEARCH_URL")
    if not url:
        pytest.skip("Meilisearch contract tests need MEILISEARCH_URL (and MEILISEARCH_API_KEY); not set here")
    from community.search.backends.meilisearch import MeilisearchBackend

    search = MeilisearchBackend(url, os.environ.get("MEILISEARCH_API_KEY"), f"test_{secrets.token_hex(4)}")
    await search.startup()
    try:
        yield search
    finally:
        task = await search.client.delete_index_if_exists(search.index_name)
        del task
        await search.close()
