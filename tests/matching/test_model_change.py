"""Changing the embedding model: the worker computes the new model's vectors in the background, a batch per
job, while the old model's vectors keep ranking; once the new ones cover as much, they take over (a ranking
never mixes two models). And a web process that does not embed never loads the model."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import uuid4

from litestar.testing import AsyncTestClient

from community.app import create_app
from community.jobs import JobContext
from community.matching.embedder import get_embedder
from community.matching.jobs import vectors_current_job
from community.matching.services import MatchingService
from community.matching.services.common import JOB_CATCH_UP
from tests.matching.conftest import load_world

OLD = "local:old-model"


async def test_new_model_vectors_are_computed_by_jobs_while_the_old_ones_serve(
    settings: Any, services: Any, db: Any
) -> None:
    await load_world(services, settings)
    embedder = get_embedder(settings.embedding_model)
    current = embedder.name
    # As if the site had run another model until now: every stored vector is the old model's.
    db.fetchval("UPDATE match_embedding SET model = $1 RETURNING 1", OLD)
    await services.commit()
    open_scenarios = db.fetchval("SELECT count(*) FROM scenario WHERE status IN ('published', 'docking')")
    assert open_scenarios >= 2

    matching = MatchingService(services, settings, embedder)
    # Written behind the process's back (another connection): it learns of it by NOTIFY, a moment later.
    deadline = asyncio.get_running_loop().time() + 15
    while (profiles := await matching.profile_index()).model != OLD:
        assert asyncio.get_running_loop().time() < deadline, "the change of model was never seen"
        await asyncio.sleep(0.1)
    assert profiles.index.vectors is not None  # the old vectors serve
    scenario_id = db.fetchval("SELECT id FROM scenario WHERE status = 'published' ORDER BY title LIMIT 1")
    scenario = await matching.scenarios.get(scenario_id)
    ranked = await matching.rank_opcs(scenario)
    assert ranked and not ranked[0][0].explanation.degraded  # with meaning, from the old model's vectors

    small = replace(settings, matching_reembed_batch=1)
    context = JobContext(
        db=services, job_id=uuid4(), attempt=1, resources={"settings": small, "embedder": embedder}
    )
    await vectors_current_job(context, {})
    await services.commit()
    assert db.fetchval("SELECT count(*) FROM match_embedding WHERE model = $1", current) == 1
    # A full batch: the next one is queued at once, once.
    assert db.fetchval("SELECT count(*) FROM job WHERE kind = $1 AND done_at IS NULL", JOB_CATCH_UP) == 1
    assert (await matching.scenario_index()).model == OLD  # one new vector does not replace the old ones

    count = "SELECT count(*) FROM match_embedding WHERE model = $1"
    for _ in range(100):  # as the worker would run the follow-up jobs, until one finds nothing to do
        before = db.fetchval(count, current)
        await vectors_current_job(context, {})
        await services.commit()
        if db.fetchval(count, current) == before:
            break
    fresh = MatchingService(services, settings, embedder)
    assert (await fresh.scenario_index()).model == current
    assert (await fresh.profile_index()).model == current
    status = await fresh.status()
    assert status["model"] == current and status["kinds"]["profile"]["serving"] == current


async def test_a_web_process_that_does_not_embed_never_loads_the_model(settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "minilm-unused"  # a model folder nothing has loaded (never read: it must not be)
    folder.mkdir()
    web = replace(settings, embedding_model=str(folder), job_worker=False)
    app = create_app(web)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        health = (await client.get("/healthz")).json()
        await asyncio.sleep(0.5)  # a load at start-up would have begun by now
        assert (await client.get("/")).status_code == 200
        embedder = app.state.embedder
        assert embedder.state == "not loaded" and not embedder.ready
    assert health["checks"]["embedder"]["status"] == "ok"
    assert health["checks"]["embedder"]["model"] == "local:minilm-unused"
    assert health["checks"]["embedder"]["state"] == "not loaded"
