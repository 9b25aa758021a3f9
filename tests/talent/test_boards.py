"""招贤榜: numbers without gaps when admins publish at once, a frozen snapshot, a refused publication
that uses no number, the CSV (BOM, formulas neutralised) and the Atom feed."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.accounts.models import User
from community.errors import FormError
from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from tests.talent.conftest import POSITION, World, login


async def test_concurrent_publications_get_consecutive_numbers(world: World, settings: Any, db: Any) -> None:
    engines = [create_async_engine(settings.database_url, pool_size=1) for _ in range(6)]

    async def publish(engine: Any, n: int) -> int:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            board = await BoardService(session).publish(world.admin, [str(world.position.id)], f"第{n}批")
            await asyncio.sleep(0.05)  # hold the counter lock a moment: the others must wait for it
            await session.commit()
            return board.number

    try:
        numbers = await asyncio.gather(*(publish(engine, n) for n, engine in enumerate(engines)))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    assert db.fetchval("SELECT count(DISTINCT number) FROM talent_board") == 6


async def test_a_published_issue_is_frozen_and_a_refused_one_uses_no_number(
    world: World, services: AsyncSession, make_client: Any, db: Any
) -> None:
    boards = BoardService(services)
    admin_id, owner_id, opc_id = world.admin.id, world.owner.id, world.opc.id
    first = await boards.publish(world.admin, [str(world.position.id)], "春季", "欢迎 **投递**")
    await services.commit()
    assert first.number == 1
    # The position changes after publication: the issue still shows it as it was.
    await PositionService(services).update(
        world.owner, world.position.id, {**POSITION, "title": "改名后的岗位"}
    )
    await services.commit()
    reader = await make_client()
    page = html.unescape((await reader.get("/talent/boards/1")).text)
    assert "大模型应用开发工程师" in page and "改名后的岗位" not in page
    assert "第1期招贤榜" in page and "<strong>投递</strong>" in page
    # A closed position cannot be listed; the refusal takes no number.
    await PositionService(services).close(world.owner, world.position.id, "招满了")
    await services.commit()
    with pytest.raises(FormError) as refused:
        await boards.publish(world.admin, [str(world.position.id)])
    assert "positions" in refused.value.errors
    await services.rollback()  # as the request would, on a 4xx
    admin, owner = await services.get(User, admin_id), await services.get(User, owner_id)
    assert admin is not None and owner is not None
    other = await PositionService(services).create(owner, opc_id, POSITION, publish=True)
    second = await boards.publish(admin, [str(other.id)])
    await services.commit()
    assert second.number == 2
    assert (await reader.get("/talent/boards/3")).status_code == 404
    assert (await reader.get("/talent/boards/0")).status_code == 404
    assert (await reader.get("/talent/boards/abc")).status_code == 404
    # Only admins publish, and the admin page says which number comes next.
    member = await login(make_client, "owner@example.com")
    assert (await member.submit("/admin/talent/boards", {"positions": str(other.id)})).status_code == 403
    admin = await login(make_client, "admin@example.com")
    assert "发布第3期招贤榜" in html.unescape((await admin.get("/admin/talent")).text)
    empty = await admin.submit("/admin/talent/boards", {"title": "空"})
    assert empty.status_code == 400 and "请至少选择一个开放岗位" in empty.text
    assert db.fetchval("SELECT last_number FROM talent_board_counter") == 2


async def test_csv_and_atom_feed(world: World, services: AsyncSession, make_client: Any) -> None:
    formula = await PositionService(services).create(
        world.owner, world.opc.id, {**POSITION, "title": '=HYPERLINK("http://evil")'}, publish=True
    )
    await BoardService(services).publish(world.admin, [str(world.position.id), str(formula.id)], "春季")
    await services.commit()
    reader = await make_client()
    response = await reader.get("/talent/boards/1.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "岗位", "单位"]
    assert rows[1][1] == "大模型应用开发工程师" and rows[1][4] == "1.2万–2万元/月"
    assert rows[2][1].startswith("'=")  # kept as text, never run as a formula
    feed = await reader.get("/talent/boards/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)  # noqa: S314 - our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].findtext("a:title", namespaces=ns) == "第1期招贤榜: 春季"
    listing = html.unescape((await reader.get("/talent/boards")).text)
    assert "第1期招贤榜" in listing and "2 个岗位" in listing
