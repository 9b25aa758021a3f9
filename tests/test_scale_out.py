"""Many processes act as one site (issue 16's must-show): two web processes with separate var/ folders, as
two machines would have, and one `community worker`, on one database, behind Debian's nginx with the
deployment guide's site file (deploy/nginx/community.conf). Through them:

- a login made through one web process holds on the other;
- a CV uploaded through one is downloaded through the other (uploads live in the shared store);
- a burst of 30 wrong logins lets at most the limit through, counted per real client address (nginx passes
  it in X-Forwarded-For; TRUSTED_PROXIES names nginx);
- a scenario published through one is pushed by the worker (the suited OPC gets its recommendation);
- a worker killed (SIGKILL) in the middle of that job loses nothing: the job runs once when a worker returns.

nginx is installed by `make test`; on a machine set up by hand without it the test skips.
"""

from __future__ import annotations

import asyncio
import glob
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from community.accounts.models import Organization, User
from community.config import PROJECT_ROOT, Settings
from community.demo import load_demo
from community.matching.demo import scenario_input
from community.scenarios.services.scenarios import ScenarioService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService
from tests.conftest import FormClient, Mailbox, served_app
from tests.daemons import NGINX, nginx
from tests.matching.conftest import demo_password
from tests.talent.conftest import PASSWORD, POSITION, PROFILE, add_org, add_user, make_pdf

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="Debian's nginx is not installed (`make test` installs it)"
)

LOGIN_LIMIT = 10  # login_rate_per_minute's default
INSPECTION = {
    "title": "注塑件表面缺陷视觉检测",
    "domains": ("生产制造",),
    "district": "东西湖区",
    "abstract": "注塑车间需要用工业相机识别飞边、缩痕和划伤等表面缺陷，模型部署在产线边缘工控机上。",
}
PUSHED_TO = "li.ming@example.com"  # the demo OPC that suits INSPECTION (tests/matching/test_push.py)


async def push_jobs(db: asyncpg.Connection, scenario_id: UUID) -> list[asyncpg.Record]:
    """The push job of the scenario the test publishes (the demo publishes scenarios of its own)."""
    return await db.fetch(
        "SELECT locked_by, done_at, failed_at, attempts FROM job"
        " WHERE kind = 'matching.scenario_published' AND payload->>'scenario_id' = $1",
        str(scenario_id),
    )


def _dsn(database_url: str) -> str:
    return database_url.replace("+asyncpg", "")


@contextmanager
def worker(database_url: str, smtp_port: int, folder: Path, environment: dict[str, str]) -> Iterator[Any]:
    """`community worker` in a process of its own; the process (the caller may kill it)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "COMMUNITY_VAR_DIR": str(folder / "var"),
        **environment,
    }
    with (folder / "worker.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "community.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def _until(check: Any, what: str, within: float = 90.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"not in {within:.0f} s: {what}")


async def _arrange(services: Any, settings: Settings) -> tuple[UUID, UUID]:
    """The demo's matching world (its OPCs, admin and a submitted scenario to publish), and a talent
    position with an applicant who has a profile. The scenario's and the position's ids."""
    await load_demo(services, settings, zones=("matching",))
    org = await services.scalar(select(Organization).where(Organization.slug == "changjiang-logistics"))
    member = await services.scalar(
        select(User).join(User.memberships).where(User.memberships.any(organization_id=org.id))
    )
    scenario = await ScenarioService(services).create(member, org.id, scenario_input(INSPECTION), submit=True)
    owner = await add_user(services, "owner@example.com", "张薇")
    studio = await add_org(services, owner, "云端简历测试工作室", "cloud-cv-studio")
    position = await PositionService(services).create(owner, studio.id, POSITION, publish=True)
    applicant = await add_user(services, "applicant@example.com", "王小明")
    await ProfileService(services).save(applicant, PROFILE)
    await services.commit()
    return scenario.id, position.id


def _client(base_url: str, source: str = "127.0.0.1") -> FormClient:
    """A browser on this machine whose address (as nginx sees it) is ``source`` (any 127.x.y.z)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return FormClient(httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60))


async def test_two_web_processes_and_a_worker_behind_nginx_act_as_one_site(
    database_url: str, smtp_server: tuple[Mailbox, int], tmp_path: Path, services: Any, settings: Settings
) -> None:
    _box, smtp_port = smtp_server
    scenario_id, position_id = await _arrange(services, settings)
    shared = {
        "COMMUNITY_BACKGROUND_WORK": "0",
        "TRUSTED_PROXIES": "127.0.0.1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": "scale-out-secret-" + "z" * 32,
        "DATABASE_POOL_SIZE": "4",
        "PDF_CHECK_TIMEOUT_SECONDS": "60",  # a loaded machine reads a PDF slowly; the cap is not tested here
    }
    for machine in ("machine-1", "machine-2"):
        (tmp_path / machine).mkdir()
    db = await asyncpg.connect(_dsn(database_url))
    with ExitStack() as stack:
        one = stack.enter_context(served_app(database_url, smtp_port, tmp_path / "machine-1", **shared))
        two = stack.enter_context(served_app(database_url, smtp_port, tmp_path / "machine-2", **shared))
        ports = [int(url.rsplit(":", 1)[1]) for url in (one, two)]
        site = stack.enter_context(nginx(ports, tmp_path / "nginx"))
        try:
            await _one_login_holds_on_both(one, two, site)
            await _a_cv_uploaded_through_one_is_downloaded_through_the_other(
                one, two, position_id, db, tmp_path
            )
            await _a_burst_of_wrong_logins_is_limited_per_real_client(site)
            await _a_published_scenario_is_pushed_once_though_its_worker_was_killed(
                database_url, smtp_port, tmp_path, settings, one, scenario_id, db, shared
            )
        finally:
            await db.close()


async def _one_login_holds_on_both(one: str, two: str, site: str) -> None:
    person = _client(one)
    async with person.client:
        assert (await person.login("applicant@example.com", PASSWORD)).status_code == 200
        # The same browser (its cookies) on the other machine, and through nginx: logged in everywhere.
        for base in (two, site):
            account = await person.client.get(f"{base}/account", follow_redirects=False)
            assert account.status_code == 200 and "applicant@example.com" in account.text, base
        # Logged out through the other: the session is gone on the first as well.
        await person.client.post(
            f"{two}/logout", data={"_csrf_token": await person.csrf_token()}, follow_redirects=False
        )
        gone = await person.client.get(f"{one}/account", follow_redirects=False)
        assert gone.status_code in (302, 303, 401), gone.status_code


async def _a_cv_uploaded_through_one_is_downloaded_through_the_other(
    one: str, two: str, position_id: UUID, db: asyncpg.Connection, tmp_path: Path
) -> None:
    cv = make_pdf(pages=2)
    applicant = _client(one)
    organization = _client(two)
    async with applicant.client, organization.client:
        await applicant.login("applicant@example.com", PASSWORD)
        sent = await applicant.client.post(
            f"/talent/positions/{position_id}/apply",
            data={"cover_note": "我做过三个政务知识库项目。", "_csrf_token": await applicant.csrf_token()},
            files={"cv": ("简历.pdf", cv, "application/pdf")},
            follow_redirects=True,
        )
        assert sent.status_code == 200, sent.text[:2000]
        application_id = await db.fetchval(
            "SELECT id FROM talent_application WHERE position_id = $1", position_id
        )
        # Read on the other machine, whose var/ never saw the file: by the organization, and by no one else.
        await organization.login("owner@example.com", PASSWORD)
        download = await organization.client.get(f"/talent/applications/{application_id}/cv")
        assert download.status_code == 200 and download.content == cv
        assert download.headers["content-disposition"].startswith("attachment")
        assert not glob.glob(f"{tmp_path}/machine-*/var/*/*.pdf")  # on neither machine's disk
        stranger = _client(two)
        async with stranger.client:
            assert (await stranger.client.get(f"/talent/applications/{application_id}/cv")).status_code == 404


async def _a_burst_of_wrong_logins_is_limited_per_real_client(site: str) -> None:
    attacker = _client(site, "127.0.0.2")
    bystander = _client(site, "127.0.0.3")
    async with attacker.client, bystander.client:
        token = await attacker.csrf_token()

        async def wrong() -> int:
            answer = await attacker.client.post(
                "/login",
                data={"email": "applicant@example.com", "password": "not the password", "_csrf_token": token},
            )
            return answer.status_code

        # nginx spreads the burst over both web processes; the counter is one, in the database.
        statuses = await asyncio.gather(*(wrong() for _ in range(30)))
        let_through = [s for s in statuses if s != 429]
        assert 1 <= len(let_through) <= LOGIN_LIMIT, statuses
        assert statuses.count(429) >= 30 - LOGIN_LIMIT
        # Another visitor (another address behind the same nginx) is not locked out by it.
        assert (await bystander.login("owner@example.com", PASSWORD)).status_code == 200
        assert "owner@example.com" in (await bystander.client.get("/account")).text


async def _a_published_scenario_is_pushed_once_though_its_worker_was_killed(
    database_url: str,
    smtp_port: int,
    tmp_path: Path,
    settings: Settings,
    one: str,
    scenario_id: UUID,
    db: asyncpg.Connection,
    shared: dict[str, str],
) -> None:
    # A short lease, so that the job of a killed worker is taken over in seconds rather than minutes.
    environment = {
        **shared,
        "COMMUNITY_BACKGROUND_WORK": "1",
        "JOB_LEASE_SECONDS": "4",
        "JOB_POLL_SECONDS": "1",
    }
    admin = _client(one)
    async with admin.client:
        assert (await admin.login("admin@example.com", demo_password(settings, "admin"))).status_code == 200
        published = await admin.client.post(
            f"/admin/scenarios/{scenario_id}/publish",
            data={"_csrf_token": await admin.csrf_token()},
            follow_redirects=True,
        )
        assert published.status_code == 200, published.text[:2000]
    assert len(await push_jobs(db, scenario_id)) == 1  # waiting: no web process runs jobs

    # The worker is mid-job when it dies: the test holds the push table (match_push), which only the push job
    # writes, so the push waits inside its transaction until the worker is killed. Not the notification
    # table: jobs queued before the publish write it too (the owner's mailed notice of the CV application),
    # and the worker, one job at a time and oldest first, would wait in one of those and never take the push.
    hold = await asyncpg.connect(_dsn(database_url))
    holding = hold.transaction()
    try:
        await holding.start()
        await hold.execute("LOCK TABLE match_push IN SHARE ROW EXCLUSIVE MODE")
        with worker(database_url, smtp_port, tmp_path / "worker-1", environment) as first:

            async def pushing() -> bool:
                running = [j for j in await push_jobs(db, scenario_id) if j["locked_by"] and not j["done_at"]]
                waiting = await db.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'match_push'::regclass"
                )
                return bool(running) and bool(waiting)

            await _until(pushing, "the worker to be in the middle of the push job", 180)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
    finally:
        await holding.rollback()
        await hold.close()

    async def recommendations() -> int:
        return int(
            await db.fetchval(
                "SELECT count(*) FROM notification n JOIN user_account u ON u.id = n.recipient_id"
                " WHERE n.kind = 'matching.recommended' AND n.url = $1 AND u.email = $2",
                f"/scenarios/{scenario_id}",
                PUSHED_TO,
            )
        )

    # Its transaction died with it: nothing of the push was kept, and the job is still to do.
    await asyncio.sleep(1)
    assert await db.fetchval("SELECT count(*) FROM match_push WHERE scenario_id = $1", scenario_id) == 0
    assert await recommendations() == 0
    assert [j["done_at"] for j in await push_jobs(db, scenario_id)] == [None]
    # A worker returns: the job is taken over once its lease runs out, and runs once.
    with worker(database_url, smtp_port, tmp_path / "worker-2", environment):

        async def done() -> bool:
            return any(j["done_at"] for j in await push_jobs(db, scenario_id))

        await _until(done, "the push job to run on the new worker", 180)
    assert await recommendations() == 1
    assert [j["failed_at"] for j in await push_jobs(db, scenario_id)] == [None]
