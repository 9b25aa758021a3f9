"""`community uploads migrate`: CVs kept on a machine's disk before uploads moved into the shared store are
copied into it, once, and the site serves them again; the command says what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from community.config import PROJECT_ROOT, Settings
from tests.stored import kept_file, kept_names
from tests.talent.conftest import World, apply, login, make_pdf


def migrate(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "COMMUNITY_VAR_DIR": str(settings.var_dir)}
    env.pop("UPLOAD_STORAGE_URL", None)  # the default store: PostgreSQL
    return subprocess.run(
        [sys.executable, "-m", "community.cli", "uploads", "migrate"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


async def test_cvs_left_on_disk_are_copied_into_the_store_once_and_served_again(
    world: World, make_client: Any, db: Any, settings: Settings
) -> None:
    cv = make_pdf(pages=2)
    applicant = await login(make_client, "applicant@example.com")
    assert (await apply(applicant, world.position.id, cv)).status_code == 200
    application_id = db.fetchval("SELECT id FROM talent_application")
    name = db.fetchval("SELECT cv_path FROM talent_application")
    # As an older release left it: the CV a file under var/cvs, the store without it; and a proof, and a
    # stray file that is none of ours.
    folder = settings.var_dir / "cvs"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(cv)
    db.fetchval("DELETE FROM upload_chunk WHERE name = $1 RETURNING 1", name)
    proofs = settings.var_dir / "proofs"
    proofs.mkdir()
    (proofs / "0123456789abcdef0123456789abcdef.png").write_bytes(b"\x89PNG\r\n\x1a\n card")
    (proofs / "notes.txt").write_text("not an upload")
    url = f"/talent/applications/{application_id}/cv"
    assert (await applicant.get(url)).status_code == 404

    first = migrate(settings)
    assert first.returncode == 0, first.stderr
    assert "cvs: 1 copied into PostgreSQL, 0 there already" in first.stdout
    assert "proofs: 1 copied into PostgreSQL, 0 there already" in first.stdout
    assert f"left alone (not an upload of ours): {proofs / 'notes.txt'}" in first.stdout
    served = await applicant.get(url)
    assert served.status_code == 200 and served.content == cv
    assert kept_file(db, "proofs", "0123456789abcdef0123456789abcdef.png") == b"\x89PNG\r\n\x1a\n card"

    again = migrate(settings)  # safe to run again: nothing copied twice, nothing deleted
    assert again.returncode == 0, again.stderr
    assert "cvs: 0 copied into PostgreSQL, 1 there already" in again.stdout
    assert kept_names(db, "cvs") == [name]
    assert (folder / name).read_bytes() == cv
