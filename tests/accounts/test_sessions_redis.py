"""With REDIS_URL set, sessions and rate-limit counters live in Redis; the site behaves the same."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from community.config import Settings
from tests.conftest import FormClient

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
async def redis_client(settings: Settings):  # type: ignore[no-untyped-def]
    if not _redis_answers():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (start it to test the Redis session store)")
    from redis.asyncio import Redis

    from community.app import create_app

    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    app = create_app(replace(settings, redis_url=REDIS_URL))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield FormClient(client), redis
    await redis.flushdb()
    await redis.aclose()


async def test_sessions_and_rate_limits_in_redis(redis_client, db) -> None:  # type: ignore[no-untyped-def]
    client, redis = redis_client
    await client.register("redis@example.com", "红")
    session_id = client.cookies.get("opc_session")
    assert session_id
    assert any(session_id in key.decode() for key in await redis.keys("*"))
    assert db.fetchval("SELECT count(*) FROM store_item") == 0  # nothing went to PostgreSQL
    assert "红" in (await client.get("/account")).text
    await client.logout()
    assert not any(session_id in key.decode() for key in await redis.keys("*"))
    statuses = [(await client.login("redis@example.com", "wrong-password")).status_code for _ in range(11)]
    assert statuses[-1] == 429
