"""The pool's connections are checked when taken (community.db.ping_on_checkout): one whose backend is gone is
replaced before a request uses it, so a member notices nothing."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from tests.conftest import FormClient

MEMBER_PAGES = ("/", "/forum", "/account", "/scenarios")


async def _terminate_the_apps_backends(database_url: str) -> int:
    """What an operator's pg_terminate_backend, a failover or a crashed backend does to the app's pool."""
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        terminated = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'community'"
            " AND pid <> pg_backend_pid()) t"
        )
        return int(terminated)
    finally:
        await conn.close()


async def test_a_member_reads_on_after_the_apps_database_connections_were_terminated(
    client: FormClient, database_url: str
) -> None:
    await client.register("pool@example.com", "连接池")
    # Several pages at once and one by one, so that the pool holds connections that were used and returned.
    for path in MEMBER_PAGES:
        assert (await client.get(path)).status_code == 200, path

    for _round in range(2):  # twice: the connections opened after the first time are terminated too
        assert await _terminate_the_apps_backends(database_url) >= 1
        for path in MEMBER_PAGES:
            page = await client.get(path)
            assert page.status_code == 200, (path, page.text[:2000])
            assert "pool@example.com" in page.text or "连接池" in page.text, path  # still logged in
