"""The project as a package: a wheel built from it carries the templates and the migrations, and, installed
into a fresh virtual environment outside the checkout, migrates a database and serves the home page."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from community.config import PROJECT_ROOT
from tests.conftest import free_port, run_sync

pytestmark = pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import hatchling"], capture_output=True).returncode != 0,
    reason="hatchling (a dev dependency) builds the wheel",
)


def _build_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    (wheel,) = out.glob("community-*.whl")
    return wheel


def test_a_built_wheel_installs_migrates_and_serves(tmp_path: Path, database_url: str) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "community/templates/base.html" in names
    assert "community/templates/forum/topic.html" in names
    assert "community/migrations/env.py" in names
    assert any(name.startswith("community/migrations/versions/0600_") for name in names)
    assert "community/alembic.ini" in names

    # A fresh venv whose only copy of the project is the wheel; the third-party packages come from the test
    # environment's site-packages through a .pth file (its editable install of the project is not read).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
    )
    community = [str(venv / "bin" / "python"), "-m", "community.cli"]
    where = run_sync_probe(venv)
    assert where.startswith(str(site)), where

    # A database of its own, migrated by the installed package's command, outside the checkout.
    url = make_url(database_url).set(database=make_url(database_url).database + "_wheel")
    wheel_url = url.render_as_string(hide_password=False)
    from community.pgcluster import create_database_if_missing, drop_database

    run_sync(
        create_database_if_missing(
            url.host or "127.0.0.1",
            url.port or 5432,
            url.username or "postgres",
            url.password,
            url.database or "",
        )
    )
    work = tmp_path / "run"
    work.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": wheel_url,
        "JOB_WORKER": "false",
        "SEARCH_WORKER": "false",
        "PYTHONPATH": "",
    }
    env.pop("SECRET_KEY", None)  # so that it keeps its own key, in its var/
    env.pop("COMMUNITY_VAR_DIR", None)
    try:
        upgrade = subprocess.run(
            [*community, "database", "upgrade", "--no-prompt"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [*community, "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError((work / "server.log").read_text()) from None
                    time.sleep(0.5)
            assert home.status_code == 200
            assert "武汉OPC线上开放社区" in home.text
            assert "/static/" in home.text  # the package's own static files
            css = httpx.get(f"http://127.0.0.1:{port}/static/css/site.css", timeout=5)
            assert css.status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=20)
        # Its var/ is where it runs, not inside site-packages.
        assert (work / "var" / "secret_key").is_file()
        assert not (site / "var").exists()
    finally:
        run_sync(drop_database(wheel_url))


def run_sync_probe(venv: Path) -> str:
    """Where the fresh venv imports the project from."""
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import community; print(community.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    return probe.stdout.strip()
