"""The talent JSON API: open positions, applying with a CV (refusals as problem details with the reason per
field), drafts that do not exist for others, the published 招贤榜 issues, and all of it in the OpenAPI."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from tests.talent.conftest import POSITION, World, login, make_pdf


async def _post_application(person: Any, position_id: Any, content: bytes, name: str = "cv.pdf") -> Any:
    token = await person.csrf_token()
    return await person.client.post(
        f"/api/v1/talent/positions/{position_id}/applications",
        data={"cover_note": "I built RAG systems for three government hotlines."},
        files={"cv": (name, content, "application/pdf")},
        headers={"x-csrftoken": token},
    )


async def test_positions_and_applications_over_the_api(
    world: World, services: AsyncSession, make_client: Any, db: Any
) -> None:
    draft = await PositionService(services).create(
        world.owner, world.opc.id, {**POSITION, "title": "草稿岗位"}, publish=False
    )
    await services.commit()
    anonymous = await make_client()
    listing = (await anonymous.get("/api/v1/talent/positions")).json()
    assert listing["total"] == 1 and listing["items"][0]["title"] == "大模型应用开发工程师"
    assert listing["items"][0]["skills"] == ["python", "大模型", "rag"]
    assert listing["items"][0]["pay_min"] == 12000 and listing["items"][0]["employment_type"] == "full_time"
    detail = (await anonymous.get(f"/api/v1/talent/positions/{world.position.id}")).json()
    assert "检索增强生成" in detail["description"]
    hidden = await anonymous.get(f"/api/v1/talent/positions/{draft.id}")
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("application/problem+json")
    owner = await login(make_client, "owner@example.com")
    assert (await owner.get(f"/api/v1/talent/positions/{draft.id}")).status_code == 200

    # Not logged in: 401 problem details.
    unauthenticated = await _post_application(anonymous, world.position.id, make_pdf())
    assert unauthenticated.status_code == 401
    applicant = await login(make_client, "applicant@example.com")
    not_pdf = await _post_application(applicant, world.position.id, b"GIF89a fake", "cv.pdf")
    assert not_pdf.status_code == 400
    assert not_pdf.headers["content-type"].startswith("application/problem+json")
    problem = not_pdf.json()
    assert problem["status"] == 400 and "PDF" in problem["errors"]["cv"]
    too_big = await _post_application(applicant, world.position.id, b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024))
    assert too_big.status_code == 400 and "10 MB" in too_big.json()["errors"]["cv"]
    created = await _post_application(applicant, world.position.id, make_pdf())
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    again = await _post_application(applicant, world.position.id, make_pdf())
    assert again.status_code == 400 and "cover_note" in again.json()["errors"]
    assert db.fetchval("SELECT count(*) FROM talent_application") == 1
    unknown = await _post_application(applicant, draft.id, make_pdf())
    assert unknown.status_code == 404


async def test_boards_over_the_api_and_the_openapi(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    await BoardService(services).publish(world.admin, [str(world.position.id)], "春季")
    await services.commit()
    reader = await make_client()
    boards = (await reader.get("/api/v1/talent/boards")).json()
    assert (
        boards["total"] == 1 and boards["items"][0]["number"] == 1 and boards["items"][0]["item_count"] == 1
    )
    board = (await reader.get("/api/v1/talent/boards/1")).json()
    assert board["theme"] == "春季" and board["items"][0]["title"] == "大模型应用开发工程师"
    assert board["items"][0]["pay_text"] and board["csv_url"] == "/talent/boards/1.csv"
    missing = await reader.get("/api/v1/talent/boards/99")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    schema = (await reader.get("/schema/openapi.json")).json()
    for path in (
        "/api/v1/talent/positions",
        "/api/v1/talent/positions/{position_id}",
        "/api/v1/talent/positions/{position_id}/applications",
        "/api/v1/talent/boards",
        "/api/v1/talent/boards/{number}",
    ):
        assert path in schema["paths"], path
