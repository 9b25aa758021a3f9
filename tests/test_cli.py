"""The `community` command: demo data that is safe to load twice, and creating an admin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from community.config import PROJECT_ROOT

COMMUNITY = str(Path(sys.executable).parent / "community")


def _run(database_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COMMUNITY_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [COMMUNITY, *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a speed check: `demo load` takes ~40 s on a busy machine
        stdin=subprocess.DEVNULL,
    )


def test_demo_load_is_safe_to_run_twice_and_prints_a_working_admin_password(
    database_url: str, tmp_path: Path, db
) -> None:
    first = _run(database_url, tmp_path, "demo", "load")
    assert first.returncode == 0, first.stderr
    match = re.search(r"admin@example.com / (\S+)", first.stdout)
    assert match, first.stdout
    orgs = db.fetchval("SELECT count(*) FROM organization")
    types = db.fetchval("SELECT count(DISTINCT org_type) FROM organization")
    users = db.fetchval("SELECT count(*) FROM user_account")
    assert orgs >= 6 and types == 6 and users >= 10
    assert db.fetchval("SELECT is_admin FROM user_account WHERE email = 'admin@example.com'") is True

    second = _run(database_url, tmp_path, "demo", "load")
    assert second.returncode == 0, second.stderr
    assert db.fetchval("SELECT count(*) FROM organization") == orgs
    assert db.fetchval("SELECT count(*) FROM user_account") == users
    assert f"admin@example.com / {match.group(1)}" in second.stdout

    from argon2 import PasswordHasher

    stored = db.fetchval("SELECT password_hash FROM user_account WHERE email = 'admin@example.com'")
    assert PasswordHasher().verify(stored, match.group(1))


def test_create_admin_without_a_terminal_generates_and_prints_a_password(
    database_url: str, tmp_path: Path, db
) -> None:
    result = _run(database_url, tmp_path, "users", "create-admin", "Boss@Example.com")
    assert result.returncode == 0, result.stderr
    assert "Password:" in result.stdout
    assert db.fetchval("SELECT is_admin FROM user_account WHERE email = 'boss@example.com'") is True
    bad = _run(database_url, tmp_path, "users", "create-admin", "not-an-email", "--password", "longenough1")
    assert bad.returncode == 2
    assert "email" in bad.stderr


def test_search_reindex_rebuilds_the_index_from_the_database(database_url: str, tmp_path: Path, db) -> None:
    assert _run(database_url, tmp_path, "demo", "load").returncode == 0
    drained = _run(database_url, tmp_path, "search", "drain")
    assert drained.returncode == 0, drained.stderr
    organizations = db.fetchval("SELECT count(*) FROM organization")
    assert (
        db.fetchval("SELECT count(*) FROM search_document WHERE doc_type = 'organization'") == organizations
    )
    # Public scenarios and verified capability profiles are indexed; drafts and pending ones are not.
    scenarios = db.fetchval(
        "SELECT count(*) FROM scenario WHERE status IN ('published', 'docking', 'landed', 'closed')"
    )
    profiles = db.fetchval("SELECT count(*) FROM capability_profile WHERE status = 'verified'")
    assert db.fetchval("SELECT count(*) FROM search_document WHERE doc_type = 'scenario'") == scenarios
    assert db.fetchval("SELECT count(*) FROM search_document WHERE doc_type = 'capability'") == profiles
    indexed = db.fetchval("SELECT count(*) FROM search_document")  # every zone's documents
    db.fetchval("DELETE FROM search_document")
    rebuilt = _run(database_url, tmp_path, "search", "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"organization: {organizations}" in rebuilt.stdout and f"scenario: {scenarios}" in rebuilt.stdout
    assert f"Indexed {indexed} documents" in rebuilt.stdout
    assert db.fetchval("SELECT count(*) FROM search_document") == indexed
    organization_rows = db.fetchval(
        "SELECT count(*) FROM search_document WHERE title = '青云智能体工作室' AND doc_type = 'organization'"
    )
    assert organization_rows == 1
