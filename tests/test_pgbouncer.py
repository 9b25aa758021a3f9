"""The site behind Debian's PgBouncer in transaction mode (deploy/README.md): every request's transactions may
run on another server connection, shared with other clients. Runs when pgbouncer is installed (`make test`
installs it)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FormClient, Mailbox, served_app
from tests.daemons import PGBOUNCER, pgbouncer

pytestmark = pytest.mark.skipif(
    PGBOUNCER is None, reason="Debian's pgbouncer is not installed (`make test` installs it)"
)

SERVING_ONLY = {"COMMUNITY_BACKGROUND_WORK": "0"}
QUESTION = "我用 pgvector 做检索，索引该选 HNSW 还是 IVFFlat？数据大约五十万条，每天新增一万条。"


async def test_login_posting_and_jobs_work_through_pgbouncer_in_transaction_mode(
    database_url: str, smtp_server: tuple[Mailbox, int], tmp_path: Path
) -> None:
    _box, smtp_port = smtp_server
    through_pgbouncer = {
        "DATABASE_PGBOUNCER": "1",
        # LISTEN cannot go through transaction pooling: the job worker listens on a direct connection.
        "DATABASE_LISTEN_URL": database_url,
        "DATABASE_POOL_SIZE": "6",
        "SECRET_KEY": "pgbouncer-secret-" + "p" * 32,
    }
    for machine in ("one", "two"):
        (tmp_path / machine).mkdir()
    # Two processes (the first runs the job queue, the second only serves) share PgBouncer's three server
    # connections: each transaction of either may run on any of them.
    with (
        pgbouncer(database_url, pool_size=3) as pooled,
        served_app(pooled, smtp_port, tmp_path / "one", **through_pgbouncer) as one,
        served_app(pooled, smtp_port, tmp_path / "two", **through_pgbouncer, **SERVING_ONLY) as two,
    ):
        async with httpx.AsyncClient(base_url=two, timeout=60) as http:
            person = FormClient(http)
            # Registering ends with a link in a mail that a job sends (the first process's queue).
            account = await person.register("pool@example.com", "连接池")
            assert account.status_code == 200 and "pool@example.com" in account.text
            await person.logout()
            assert (await person.login("pool@example.com")).status_code == 200
            asked = await person.submit(
                "/forum/new",
                {"title": "HNSW 还是 IVFFlat？", "body": QUESTION, "kind": "question", "category": "qa"},
            )
            assert asked.status_code == 200, asked.text[:2000]
            topic = re.search(r"/forum/t/\d+/[^\"?#]+", str(asked.url))
            assert topic, asked.url

            # Many requests at once on both processes: more client connections than PgBouncer has server
            # connections, so the two processes' transactions take turns on the same server connections.
            async def read(base: str, path: str) -> Any:
                async with httpx.AsyncClient(base_url=base, timeout=60, cookies=http.cookies) as other:
                    return await other.get(path)

            paths = ["/", "/forum", topic.group(0), "/account"]
            pages = await asyncio.gather(*(read(base, p) for p in paths * 5 for base in (one, two)))
            assert [p.status_code for p in pages] == [200] * len(pages), [
                (str(p.url), p.status_code) for p in pages if p.status_code != 200
            ]
            assert all(QUESTION in p.text for p in pages if p.url.path == topic.group(0))
        for machine in ("one", "two"):
            log = (tmp_path / machine / "server.log").read_text()
            assert "prepared statement" not in log, log[-3000:]
