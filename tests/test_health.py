"""/healthz follows the database: 503 while PostgreSQL is stopped, 200 once it is back, in one process."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from community.app import create_app
from community.config import Settings
from community.pgcluster import PrivateCluster, find_server_bindir
from tests.conftest import free_port, migrate


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    bindir = find_server_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are needed: apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="community-pg-"))
    base.chmod(0o755)
    cluster = PrivateCluster(base / "data", free_port(), bindir)
    cluster.init()
    cluster.start()
    migrate(cluster.url())
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


async def test_healthz_reports_database_down_and_recovers_without_restart(
    private_cluster: PrivateCluster, tmp_path: Path
) -> None:
    settings = replace(
        Settings(),
        database_url=private_cluster.url(),
        secret_key="s" * 40,
        var_dir=tmp_path,
        base_url="http://testserver.local",
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        healthy = await client.get("/healthz")
        assert healthy.status_code == 200
        assert healthy.json()["status"] == "ok"
        assert healthy.json()["checks"]["database"]["status"] == "ok"

        private_cluster.stop()
        down = await client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["status"] == "down"
        assert down.json()["checks"]["database"]["status"] == "down"
        # Pages that need the database answer with a friendly error, not a crash or a hang.
        page = await client.get("/")
        assert page.status_code == 503
        assert "稍后" in page.text
        api = await client.get("/api/v1/organizations")
        assert api.status_code == 503
        assert api.headers["content-type"].startswith("application/problem+json")

        private_cluster.start()
        back = await client.get("/healthz")
        assert back.status_code == 200
        assert back.json()["checks"]["database"]["status"] == "ok"
        assert (await client.get("/")).status_code == 200
