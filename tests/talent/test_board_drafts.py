"""招贤榜 drafts and the XLSX: an admin saves an issue as a draft, edits, previews and publishes it; nobody
else reads a draft by any address or the API; a published issue downloads as a workbook whose cells are
text, never formulas."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from tests.talent.conftest import POSITION, World, login

SECRET = "秋季专场（草稿）"


async def test_an_admin_drafts_edits_previews_and_publishes_and_nobody_else_sees_the_draft(
    world: World, services: AsyncSession, make_client: Any, db: Any
) -> None:
    admin = await login(make_client, "admin@example.com")
    saved = await admin.submit(
        "/admin/talent/boards",
        {
            "action": "draft",
            "title": SECRET,
            "introduction": "欢迎**投递**",
            "positions": str(world.position.id),
        },
    )
    assert saved.status_code == 200
    match = re.search(r"/admin/talent/drafts/([0-9a-f-]{36})$", str(saved.url))
    assert match, saved.url
    draft_path, draft_id = match.group(0), match.group(1)
    page = html.unescape(saved.text)
    # The preview: the number it would take, the position as it reads now, the introduction rendered.
    assert SECRET in page and "第1期招贤榜" in page and "大模型应用开发工程师" in page
    assert "<strong>投递</strong>" in page
    assert db.fetchval("SELECT count(*) FROM talent_board") == 0
    assert db.fetchval("SELECT count(*) FROM talent_board_counter") == 0  # no number taken

    # Nobody else reads it: not a member, not a visitor, not by the API, not in any listing or feed.
    member = await login(make_client, "outsider@example.com")
    visitor = await make_client()
    for person in (member, visitor):
        assert SECRET not in (await person.get(draft_path)).text
        answer = await person.get(f"/api/v1/talent/boards/drafts/{draft_id}")
        assert answer.status_code == 404 and SECRET not in answer.text
        for path in (
            "/talent/boards",
            "/talent/boards/1",
            "/talent/boards/feed.atom",
            "/api/v1/talent/boards",
        ):
            assert SECRET not in html.unescape((await person.get(path)).text), path
    assert (await member.get(draft_path)).status_code == 403
    # A member cannot change, publish or delete it either.
    for action in ("save", "publish", "delete"):
        refused = await member.submit(
            draft_path, {"action": action, "title": "x", "positions": str(world.position.id)}
        )
        assert refused.status_code == 403
    assert db.fetchval("SELECT title FROM talent_board_draft") == SECRET

    # The admin reads it by the API, edits it (a bad edit comes back with the fields kept), then publishes.
    api = await admin.get(f"/api/v1/talent/boards/drafts/{draft_id}")
    assert api.status_code == 200 and api.json()["theme"] == SECRET
    assert [item["title"] for item in api.json()["preview"]] == ["大模型应用开发工程师"]
    bad = await admin.submit(draft_path, {"action": "save", "title": "新的主题" * 40, "positions": ""})
    assert bad.status_code == 400 and 'id="e-positions"' in bad.text and "新的主题新的主题" in bad.text
    edited = await admin.submit(
        draft_path, {"action": "save", "title": "秋季专场", "positions": str(world.position.id)}
    )
    assert edited.status_code == 200 and "秋季专场" in edited.text
    published = await admin.submit(
        draft_path, {"action": "publish", "title": "秋季专场·定稿", "positions": str(world.position.id)}
    )
    assert published.status_code == 200 and str(published.url).endswith("/talent/boards/1")
    assert "秋季专场·定稿" in html.unescape((await visitor.get("/talent/boards/1")).text)
    assert db.fetchval("SELECT count(*) FROM talent_board_draft") == 0
    # Published once: the second click finds no draft.
    again = await admin.submit(draft_path, {"action": "publish", "positions": str(world.position.id)})
    assert again.status_code == 404
    assert db.fetchval("SELECT last_number FROM talent_board_counter") == 1


async def test_a_published_issue_downloads_as_xlsx_with_formulas_kept_as_text(
    world: World, services: AsyncSession, make_client: Any
) -> None:
    formula = await PositionService(services).create(
        world.owner, world.opc.id, {**POSITION, "title": '=HYPERLINK("http://evil")'}, publish=True
    )
    await BoardService(services).publish(world.admin, [str(world.position.id), str(formula.id)], "春季")
    await services.commit()
    reader = await make_client()
    assert 'href="/talent/boards/1.xlsx"' in (await reader.get("/talent/boards/1")).text
    response = await reader.get("/talent/boards/1.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert "attachment" in disposition and 'filename="talent-board-1.xlsx"' in disposition
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["序号", "岗位", "单位"]
    assert rows[1][1] == "大模型应用开发工程师" and rows[1][4] == "1.2万–2万元/月"
    assert rows[2][1] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=3, column=2).data_type == "s"  # text, never a formula
    assert rows[1][9] == f"http://testserver.local/talent/positions/{world.position.id}"
    api = (await reader.get("/api/v1/talent/boards/1")).json()
    assert api["xlsx_url"] == "/talent/boards/1.xlsx"
    # A draft or an unknown issue has no workbook.
    assert (await reader.get("/talent/boards/2.xlsx")).status_code == 404
