"""The pool's connections are checked when taken (community.db.check_on_checkout): one whose backend is gone
is replaced before a request uses it, so a member notices nothing."""

from __future__ import annotations

import subprocess

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from community.db import create_engine
from tests.conftest import FormClient

MEMBER_PAGES = ("/", "/forum", "/account", "/scenarios")
PROBE = {"server_settings": {"application_name": "pool-probe"}}


async def _terminate_the_apps_backends(database_url: str) -> int:
    """What an operator's pg_terminate_backend, a restart or a crashed backend does to the app's pool: each
    backend ends (pg_terminate_backend waits until it has) and the app's connection to it is dead."""
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        terminated = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
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


async def test_a_connection_whose_backend_ended_a_moment_ago_is_replaced_before_use(
    database_url: str,
) -> None:
    """The backend ends while the app's event loop is busy (here: blocked by psql), so asyncpg has not yet
    read its last words when the connection is taken again a moment later."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, connect_args=PROBE)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        url = make_url(database_url)
        terminate = f"SELECT pg_terminate_backend({first}, 10000)"
        where = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
        # Blocking on purpose (ASYNC221): nothing reads the pooled connection's socket meanwhile.
        subprocess.run(["psql", *where, "-d", url.database or "", "-Atc", terminate], check=True)  # noqa: ASYNC221
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
