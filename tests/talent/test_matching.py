"""Recommendations both ways with reasons: positions for a member from their talent profile, and members open
to offers for a position's organization. Without the embedding model they still work, on skills, words and
place, and say so."""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from community.matching.talent import TalentMatcher
from community.talent.services.applications import ApplicationService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService
from tests.talent.conftest import POSITION, PROFILE, World, add_user, login, make_pdf

DESIGNER = {
    **POSITION,
    "title": "品牌视觉设计师",
    "skills": "Figma，插画",
    "description": "负责品牌海报、包装与展会物料的视觉设计。",
    "district": "江夏区",
    "remote": "",
}


async def test_positions_for_a_member_and_candidates_for_a_position_with_reasons(
    world: World, services: AsyncSession, settings: Any
) -> None:
    designer = await PositionService(services).create(world.owner, world.opc.id, DESIGNER, publish=True)
    # A second member with a profile, but not open to offers; and the organization's own member.
    shy = await add_user(services, "shy@example.com", "低调的人")
    await ProfileService(services).save(shy, {**PROFILE, "open_to_offers": ""})
    await ProfileService(services).save(world.owner, PROFILE)
    await services.commit()
    matcher = TalentMatcher(services, settings, None)  # no embedding model: the fallback signals
    assert matcher.degraded

    for_applicant = await matcher.positions_for(world.applicant)
    assert [m.item.id for m in for_applicant] == [world.position.id]  # the designer shares nothing with them
    reasons = " ".join(for_applicant[0].reasons)
    assert "python" in reasons and "rag" in reasons  # skills in common, named
    assert "洪山区" in reasons  # same district
    assert "语言模型暂不可用" in reasons  # it says it matched without the model
    assert designer.id not in {m.item.id for m in for_applicant}

    candidates = await matcher.candidates_for(world.position)
    names = [name for (_profile, name) in (m.item for m in candidates)]
    assert names == ["王小明"]  # not the shy member, not the organization's own owner
    assert any("python" in r for r in candidates[0].reasons)
    assert await matcher.candidates_for(designer) == []

    # The candidates' index is kept while nothing changes, and rebuilt when a position does.
    kept = await matcher._pool("position")
    assert await matcher._pool("position") is kept
    await PositionService(services).update(world.owner, designer.id, {**DESIGNER, "skills": "Figma，Python"})
    await services.commit()
    rebuilt = await matcher._pool("position")
    assert rebuilt is not kept and rebuilt.facts[str(designer.id)][0] == ("figma", "python")
    assert designer.id in {m.item.id for m in await matcher.positions_for(world.applicant)}

    # Once applied, the position is no longer recommended to the applicant, nor the applicant for it.
    applications = ApplicationService.from_settings(services, settings)
    await applications.apply(
        world.applicant, world.position.id, "我熟悉 RAG 与智能体。", "cv.pdf", make_pdf()
    )
    await services.commit()
    assert world.position.id not in {m.item.id for m in await matcher.positions_for(world.applicant)}
    assert await matcher.candidates_for(world.position) == []  # listed among the applications instead


async def test_recommendation_pages(world: World, make_client: Any) -> None:
    applicant = await login(make_client, "applicant@example.com")
    page = html.unescape((await applicant.get("/talent/for-you")).text)
    assert "大模型应用开发工程师" in page and "共同技能" in page
    owner = await login(make_client, "owner@example.com")
    panel = html.unescape(
        (
            await owner.get(
                f"/talent/positions/{world.position.id}/candidates", headers={"hx-request": "true"}
            )
        ).text
    )
    assert "王小明" in panel and "共同技能" in panel and "<html" not in panel
    outsider = await login(make_client, "outsider@example.com")
    assert (await outsider.get(f"/talent/positions/{world.position.id}/candidates")).status_code == 403
    no_profile = html.unescape((await outsider.get("/talent/for-you")).text)
    assert "请先填写名片" in no_profile


async def test_with_the_embedding_model_vectors_are_kept_and_used(
    world: World, services: AsyncSession, settings: Any, db: Any
) -> None:
    """Saving a profile and posting a position queue "talent.embed" jobs; the worker stores their vectors
    under the owner types "talent" and "position", and recommendations then use meaning too."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from community import matching
    from community.jobs import JobWorker
    from community.jobs.services import HANDLERS
    from community.matching.embedder import get_embedder
    from community.zones import register_zone_work

    register_zone_work([matching.zone()])
    embedder = get_embedder(settings.embedding_model)
    assert await embedder.load(), embedder.error
    engine = create_async_engine(settings.database_url)
    try:
        worker = JobWorker(
            async_sessionmaker(engine, expire_on_commit=False),
            resources={"settings": settings, "embedder": embedder},
            handlers={"talent.embed": HANDLERS["talent.embed"]},
        )
        assert await worker.drain() >= 2
    finally:
        await engine.dispose()
    assert db.fetchval("SELECT count(*) FROM match_embedding WHERE owner_type = 'position'") == 1
    assert db.fetchval("SELECT count(*) FROM match_embedding WHERE owner_type = 'talent'") == 1
    assert db.fetchval("SELECT count(*) FROM job WHERE kind = 'talent.embed' AND done_at IS NULL") == 0
    matcher = TalentMatcher(services, settings, embedder)
    assert not matcher.degraded
    matches = await matcher.positions_for(world.applicant)
    assert [m.item.id for m in matches] == [world.position.id]
    assert not any("语言模型暂不可用" in r for r in matches[0].reasons)


async def test_a_large_talent_pool_built_in_a_child_process_recommends_the_same(
    world: World, services: AsyncSession, settings: Any
) -> None:
    """Past MATCHING_BUILD_APART_ROWS the pools of positions and of people open to offers are built by a child
    process: the recommendations, their order and their reasons are those of a pool built in the process."""
    await PositionService(services).create(world.owner, world.opc.id, DESIGNER, publish=True)
    await ProfileService(services).save(world.owner, PROFILE)
    await services.commit()
    here = TalentMatcher(services, settings, None)
    expected_positions = await here.positions_for(world.applicant)
    expected_candidates = await here.candidates_for(world.position)
    assert expected_positions and expected_candidates
    registry = here.matching.indexes
    before = registry.builds_apart
    registry.entries.clear()  # as a new process starts: nothing built yet
    apart = TalentMatcher(services, replace(settings, matching_build_apart_rows=0), None)
    assert await apart.positions_for(world.applicant) == expected_positions
    assert await apart.candidates_for(world.position) == expected_candidates
    assert registry.builds_apart == before + 2  # the positions' pool and the people's
