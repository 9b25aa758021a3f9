"""/healthz follows the database: 503 while PostgreSQL is stopped, 200 once it is back, in one process."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from community.app import create_app
from community.config import Settings
from community.pgcluster import PrivateCluster, find_server_bindir
from tests.conftest import FormClient, free_port, migrate


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


# --- probes for machines, and HEAD -------------------------------------------------------------------------

ZONE_PAGES = ("/", "/forum", "/events", "/policies", "/talent", "/search?q=AI")


async def test_head_answers_wherever_get_does_with_its_headers_and_no_body(client: FormClient) -> None:
    for path in ZONE_PAGES:
        got = await client.get(path, follow_redirects=False)
        head = await client.head(path)
        assert got.status_code == 200, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"]
        # The security headers of the page are the HEAD's too.
        for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
            assert head.headers[name] == got.headers[name], (path, name)
        assert head.headers["content-length"] == got.headers["content-length"], path
    # A route with no GET still refuses HEAD, as it refuses GET.
    assert (await client.head("/logout")).status_code == 405


async def test_livez_answers_without_the_database_and_readyz_with_it(client: FormClient) -> None:
    live = await client.get("/livez")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.headers["cache-control"] == "no-store"
    # A probe addresses the process directly, whatever Host it sends.
    for path in ("/livez", "/readyz", "/healthz"):
        assert (await client.get(path, headers={"host": "10.0.0.7:8001"})).status_code == 200, path
    assert (await client.head("/readyz")).status_code == 200


async def test_readyz_answers_503_with_problem_details_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    settings = replace(
        Settings(),
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/community",
        secret_key="s" * 40,
        var_dir=tmp_path,
        base_url="http://testserver.local",
        background_work=False,
    )
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        live = await client.get("/livez")
        assert live.status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith("application/problem+json")
        problem = ready.json()
        assert problem["status"] == 503
        assert "database" in problem["detail"]


def test_head_and_probes_through_a_served_process(live_server: str) -> None:
    """Through uvicorn, as nginx or an uptime checker asks: the server sends the headers of the page and no
    body (its framing must agree: a Content-Length with no body would hang or break the connection)."""
    with httpx.Client(base_url=live_server, timeout=10) as http:
        page = http.get("/")
        head = http.head("/")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == page.headers["content-length"]
        assert head.headers["x-frame-options"] == "DENY"
        # The connection is still good for the next request.
        assert http.get("/livez").json() == {"status": "ok"}
        assert http.head("/readyz").status_code == 200
        assert http.get("/readyz").status_code == 200
