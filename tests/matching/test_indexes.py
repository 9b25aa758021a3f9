"""The matching indexes across processes: a change made anywhere reaches every process's recommendations
without a restart (version row and NOTIFY), an unchanged index costs a request no query, the old index keeps
answering while its successor is built off the event loop, and a web process that does not run the
background work never loads the embedding model."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text

from community.matching.documents import profile_doc, scenario_doc
from community.matching.embedder import get_embedder
from community.matching.indexes import (
    QUICK_WAIT,
    Apart,
    ApartBuildError,
    Indexes,
    build_thread_idle,
    indexes_of,
)
from community.matching.models import OWNER_PROFILE, OWNER_SCENARIO
from community.matching.services import MatchingService
from community.matching.services.common import ALL_ROWS
from community.matching.services.matching import build_profile_index_apart, build_scenario_index_apart
from community.matching.views import ProfileCard
from community.scenarios.inputs import CapabilityFilters, ScenarioFilters
from tests.conftest import served_app
from tests.matching.conftest import load_world


def published_scenarios(db: Any) -> list[tuple[str, str]]:
    rows = db.fetchval(
        "SELECT json_agg(json_build_array(id::text, title) ORDER BY title) FROM scenario"
        " WHERE status IN ('published', 'docking')"
    )
    return [(row[0], row[1]) for row in json.loads(rows or "[]")]


async def wait_for(probe: Any, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


@pytest.fixture
def web_process(database_url: str, smtp_server: tuple[Any, int], tmp_path: Path) -> Iterator[str]:
    """A web process as a deployment runs it: no background work (a worker does it), so it may never load
    the embedding model."""
    _box, smtp_port = smtp_server
    with served_app(database_url, smtp_port, tmp_path, COMMUNITY_BACKGROUND_WORK="0") as url:
        yield url


async def test_a_change_reaches_every_process_and_a_web_process_never_loads_the_model(
    services: Any, settings: Any, db: Any, web_process: str
) -> None:
    await load_world(services, settings)
    scenarios = published_scenarios(db)
    assert len(scenarios) >= 2
    (query_id, _query_title), *others = scenarios
    # The scenario's text changed and no worker embedded it yet: its stored vector is stale. A web process
    # that embeds would compute it now (and load the model); this one ranks with what is stored.
    db.fetchval(
        "UPDATE scenario SET abstract = abstract || '（补充：需要边缘部署）' WHERE id = $1 RETURNING 1",
        UUID(query_id),
    )
    here = MatchingService(services, settings, get_embedder(settings.embedding_model))
    query = await here.scenarios.get(UUID(query_id))

    async def similar_here() -> str:
        return " ".join(r.card.title for r in await here.similar_scenarios(query))

    async with httpx.AsyncClient(timeout=60) as http:

        async def similar_there() -> str:
            response = await http.get(f"{web_process}/matching/scenarios/{query_id}/panel")
            assert response.status_code == 200, response.text
            return response.text

        there = await similar_there()
        target_id, target_title = next((i, t) for i, t in others if t in there)
        assert target_title in await similar_here()

        # A change made through one process (this one, on its own engine) reaches the other's
        # recommendations without a restart, and this process's own at once.
        renamed = "改名后的场景：港口集装箱识别"
        await services.execute(
            text("UPDATE scenario SET title = :title WHERE id = :id"), {"title": renamed, "id": target_id}
        )
        await services.commit()
        assert renamed in await similar_here()
        deadline = time.monotonic() + 30
        while renamed not in (there := await similar_there()):
            assert time.monotonic() < deadline, "the other process still shows the old title"
            await asyncio.sleep(0.2)
        assert target_title not in there

        health = (await http.get(f"{web_process}/healthz")).json()
        assert health["checks"]["embedder"]["state"] == "not loaded", health


async def test_an_unchanged_index_costs_a_request_no_query(services: Any, settings: Any) -> None:
    await load_world(services, settings)
    matching = MatchingService(services, settings, get_embedder(settings.embedding_model))
    first = await matching.profile_index()
    assert len(first.index) >= 3
    registry = indexes_of(settings.database_url, settings.listen_database_url)
    assert await wait_for(lambda: registry.listening, within=15)
    await asyncio.sleep(1.0)  # the notifications of the world's own writes come back
    assert await matching.profile_index() is first
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = services.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            again = await matching.profile_index()
            assert again is first
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


async def test_the_old_index_answers_while_a_rebuild_waits(services: Any, settings: Any, db: Any) -> None:
    await load_world(services, settings)
    matching = MatchingService(services, settings, get_embedder(settings.embedding_model))
    registry = indexes_of(settings.database_url, settings.listen_database_url)
    before = await matching.profile_index()
    await services.commit()
    assert await wait_for(lambda: registry.listening, within=15)
    profile_id = next(iter(before.cards))
    db.fetchval(
        "UPDATE capability_profile SET summary = '新的简介：工业质检' WHERE id = $1 RETURNING 1",
        UUID(profile_id),
    )

    # Another transaction holds the profiles: the rebuild's read waits for it (as a slow rebuild would).
    blocker = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        holding = blocker.transaction()
        await holding.start()
        await blocker.execute("LOCK TABLE capability_profile IN ACCESS EXCLUSIVE MODE")
        await asyncio.sleep(1.0)  # the NOTIFY of the change arrives
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        started = time.monotonic()
        served = await asyncio.wait_for(matching.profile_index(), timeout=QUICK_WAIT + 10)
        waited = time.monotonic() - started
        await asyncio.sleep(0.5)
        ticking.cancel()
        assert served is before  # the old index answered
        assert waited < QUICK_WAIT + 5
        assert registry.building, "a rebuild is under way"
        assert ticks >= 20  # the event loop kept running while the rebuild waited
        await holding.rollback()
    finally:
        await blocker.close()

    async def rebuilt() -> bool:
        index = await matching.profile_index()
        return index is not before and index.cards[profile_id].summary == "新的简介：工业质检"

    deadline = time.monotonic() + 60
    while not await rebuilt():
        assert time.monotonic() < deadline, "the new index never replaced the old"
        await asyncio.sleep(0.2)


async def test_the_index_holds_each_verified_profile_as_its_page_shows_it(
    services: Any, settings: Any
) -> None:
    """Read as plain rows for speed, the index still holds what the ORM reads: the same documents (items in
    their order) and cards, in the same order (ties in a ranking keep it)."""
    await load_world(services, settings)
    matching = MatchingService(services, settings, get_embedder(settings.embedding_model))
    cached = await matching.profile_index(fresh=True)
    listing = await matching.capabilities.list_verified(CapabilityFilters(), per_page=ALL_ROWS)
    assert len(listing.items) >= 3
    assert any(len(profile.items) > 1 for profile in listing.items)
    assert cached.index.docs == [profile_doc(profile) for profile in listing.items]
    assert cached.cards == {
        str(profile.id): ProfileCard(
            profile_id=profile.id,
            organization_id=profile.organization_id,
            name=profile.organization.name,
            slug=profile.organization.slug,
            summary=profile.summary,
            district=profile.district,
            domains=tuple(profile.domains),
        )
        for profile in listing.items
    }


async def test_a_replaced_index_a_request_still_holds_stays_whole(
    services: Any, settings: Any, db: Any
) -> None:
    """The build thread frees a replaced index a slice at a time, but never one a request still ranks with."""
    await load_world(services, settings)
    matching = MatchingService(services, settings, get_embedder(settings.embedding_model))
    registry = indexes_of(settings.database_url, settings.listen_database_url)
    held = await matching.profile_index(fresh=True)  # as a request ranking across an await holds it
    size = len(held.index)
    await services.commit()
    assert await wait_for(lambda: registry.listening, within=15)
    db.fetchval(
        "UPDATE capability_profile SET summary = summary || '（更新）' WHERE id = $1 RETURNING 1",
        UUID(next(iter(held.cards))),
    )
    deadline = time.monotonic() + 60
    while (await matching.profile_index(fresh=True)) is held:
        assert time.monotonic() < deadline, "the new index never replaced the old"
        await asyncio.sleep(0.2)
    await build_thread_idle()  # the old index's release has run
    assert len(held.index.docs) == size
    assert len(held.cards) == size
    ranked = held.index.rank(held.index.docs[0], limit=size)
    assert len(ranked) == size
    assert {r.doc.id for r in ranked} == set(held.cards)


async def test_a_large_index_is_built_in_a_child_process_and_ranks_as_one_built_here(
    services: Any, settings: Any
) -> None:
    """Past MATCHING_BUILD_APART_ROWS an index is built by a child process and handed back in pieces; what
    the web process then ranks with is the index it would have built itself: the same profiles, cards,
    scores and reasons, for profiles and scenarios alike."""
    await load_world(services, settings)
    embedder = get_embedder(settings.embedding_model)
    here = MatchingService(services, settings, embedder)
    here.inline = True  # built on this session, in this process
    apart = MatchingService(services, replace(settings, matching_build_apart_rows=0), embedder)
    registry = Indexes(settings.database_url, settings.listen_database_url)
    key = (apart.model, apart.degraded)
    built = await registry.get(
        services,
        OWNER_PROFILE,
        key,
        apart._build_profile_index,
        fresh=True,
        apart=apart.apart(build_profile_index_apart),
    )
    assert registry.builds_apart == 1
    mine, theirs = await here.profile_index(), built.value
    assert len(theirs) == len(mine) >= 3
    assert theirs.index.docs == mine.index.docs and theirs.cards == mine.cards
    assert theirs.model == mine.model
    assert theirs.index.vectors is not None and mine.index.vectors is not None
    assert (theirs.index.vectors == mine.index.vectors).all()
    for scenario in (await here.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)).items:
        query = scenario_doc(scenario)
        vector = await here.embeddings.query_vector(OWNER_SCENARIO, query, mine.model)
        assert [(r.doc.id, r.score, r.explanation) for r in theirs.index.rank(query, vector)] == [
            (r.doc.id, r.score, r.explanation) for r in mine.index.rank(query, vector)
        ]
    scenarios = await registry.get(
        services,
        OWNER_SCENARIO,
        key,
        apart._build_scenario_index,
        apart=apart.apart(build_scenario_index_apart),
    )
    assert registry.builds_apart == 2
    own_scenarios = await here.scenario_index()
    assert scenarios.value.index.docs == own_scenarios.index.docs
    assert scenarios.value.cards == own_scenarios.cards


async def _fails_in_the_child(db: Any, *args: Any) -> tuple[Any, int]:
    raise RuntimeError("the catalogue could not be read")


async def test_a_child_build_that_fails_says_why_and_the_next_request_tries_again(
    services: Any, settings: Any
) -> None:
    await load_world(services, settings)
    registry = Indexes(settings.database_url, settings.listen_database_url)
    matching = MatchingService(services, settings, get_embedder(settings.embedding_model))
    failing = Apart(_fails_in_the_child, (), 0)
    with pytest.raises(ApartBuildError, match="the catalogue could not be read"):
        await registry.get(services, OWNER_PROFILE, ("x",), matching._build_profile_index, apart=failing)
    assert registry.builds == 0 and not registry.building
    # Built in this process instead (no longer large enough to go apart), it works.
    built = await registry.get(
        services, OWNER_PROFILE, ("x",), matching._build_profile_index, apart=replace(failing, rows=None)
    )
    assert len(built.value) >= 3 and registry.builds == 1 and registry.builds_apart == 0
