"""Admin bulk import of scenarios: every row or nothing, an error report naming row and column, CSV (UTF-8,
GB18030) and XLSX, and cells that try to be more than text."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import openpyxl
from sqlalchemy import func, select

from community.accounts.models import OrgType, User
from community.accounts.services import AccountService, OrganizationInput, OrganizationService
from community.scenarios.models import Scenario, ScenarioEvent, ScenarioStatus
from community.scenarios.services.imports import (
    MAX_ROWS,
    TEMPLATE_HEADERS,
    ImportRefused,
    ImportService,
    read_upload,
    template_example,
)
from community.scenarios.services.scenarios import ScenarioFilters, ScenarioService, today

URL = "/admin/scenarios/import"
ADMIN = "admin@example.com"
PASSWORD = "correct horse 42"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(title: str, **changes: str) -> list[str]:
    values = dict(zip(TEMPLATE_HEADERS, template_example(), strict=True))
    values["标题"] = title
    values["发布单位"] = "hongshan-bureau"
    values.update(changes)
    return [values[h] for h in TEMPLATE_HEADERS]


def as_csv(
    rows: list[list[str]], headers: list[str] = TEMPLATE_HEADERS, encoding: str = "utf-8-sig"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_xlsx(rows: list[list[Any]], headers: list[str] = TEMPLATE_HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def setup(services: Any) -> User:
    admin = await AccountService(services).create_admin(ADMIN, PASSWORD, "管理员")
    owner = await AccountService(services).register("owner@example.com", "区数据局", PASSWORD)
    orgs = OrganizationService(services)
    await orgs.create(
        owner,
        OrganizationInput(name="洪山区数据局", org_type=OrgType.GOVERNMENT.value, slug="hongshan-bureau"),
    )
    await orgs.create(
        owner, OrganizationInput(name="光谷某企业", org_type=OrgType.ENTERPRISE.value, slug="guanggu-corp")
    )
    await orgs.create(
        owner, OrganizationInput(name="某一人公司", org_type=OrgType.OPC.value, slug="some-opc")
    )
    await services.commit()
    return admin


async def count(services: Any) -> int:
    return int(await services.scalar(select(func.count()).select_from(Scenario)))


async def upload(client: Any, name: str, content: bytes, status: str = "submitted", **form: str) -> Any:
    kind = XLSX if name.endswith(".xlsx") else "text/csv"
    return await client.submit(URL, {"status": status, **form}, files={"file": (name, content, kind)})


async def test_one_bad_row_imports_nothing_and_names_row_and_column(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    rows = [row(f"场景{i}") for i in range(1, 6)]
    rows[2] = row("场景3", 区域="火星区")  # spreadsheet row 4 (the header is row 1)
    page = await upload(client, "洪山区第一批.csv", as_csv(rows))
    assert page.status_code == 400
    assert await count(services) == 0
    text = page.text
    assert "<td>4</td><td>区域</td><td>火星区</td>" in text
    assert text.count("<tr><td>") == 1  # only that row is reported


async def test_report_lists_every_bad_row_in_its_own_words(services) -> None:
    admin = await setup(services)
    headers = [*TEMPLATE_HEADERS[:-1], "Organization"]
    rows = [
        row("好的"),
        row("好的"),  # a duplicate title
        row("预算不对", 预算="很多"),
        row("单位不对", 发布单位="some-opc"),
        row("找不到单位", 发布单位="nobody"),
        row("类型不对", 类型="随便"),
        row("期限已过", 截止日期=(today() - timedelta(days=1)).isoformat()),
        row("没有联系方式", 电话="", 邮箱=""),
    ]
    try:
        await ImportService(services).import_file(admin, "batch.csv", as_csv(rows, headers), publish=False)
    except ImportRefused as refused:
        found = {(e.row, e.column) for e in refused.rows}
    else:
        raise AssertionError("the import should have been refused")
    assert found == {
        (3, "标题"), (4, "预算"), (5, "Organization"), (6, "Organization"),
        (7, "类型"), (8, "截止日期"), (9, "电话"),
    }  # fmt: skip
    assert await count(services) == 0


async def test_good_csv_imports_every_row_published(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    rows = [
        row("社区养老热线问答"),
        row("园区能耗优化", 发布单位="光谷某企业", 类型="技术瓶颈", 规模="industry integrated scenario",
            领域="能源优化, 生产制造", 预算="面议", 截止日期=""),
        row("Traffic signal timing with LLM agents", 领域="交通", 预算="200000", 类型="benchmark"),
        row("气象短临预报", 预算="10-50万", 截止日期=(today() + timedelta(days=30)).strftime("%Y/%m/%d")),
    ]  # fmt: skip
    page = await upload(client, "第一批.csv", as_csv(rows), status="published")
    assert page.status_code == 200, page.text
    assert re.search(r"已导入 4 个场景|4 scenarios? imported", page.text)

    listed = await ScenarioService(services).list_public(ScenarioFilters())
    assert {s.title for s in listed.items} == {r[0] for r in rows}
    by_title = {s.title: s for s in listed.items}
    assert by_title["园区能耗优化"].budget_negotiable and by_title["园区能耗优化"].domains == [
        "能源优化",
        "生产制造",
    ]
    assert by_title["园区能耗优化"].organization.slug == "guanggu-corp"
    assert (by_title["气象短临预报"].budget_min, by_title["气象短临预报"].budget_max) == (100_000, 500_000)
    assert by_title["Traffic signal timing with LLM agents"].kind.value == "benchmark"
    assert all(s.status is ScenarioStatus.PUBLISHED for s in listed.items)

    # Each timeline says who imported it and from which file; the search outbox has every one.
    events = (
        await services.execute(
            select(ScenarioEvent.action, ScenarioEvent.actor_id, ScenarioEvent.reason)
            .where(ScenarioEvent.scenario_id == by_title["社区养老热线问答"].id)
            .order_by(ScenarioEvent.created_at)
        )
    ).all()
    assert [e.action for e in events] == ["created", "imported", "submitted", "published"]
    admin_id = await services.scalar(select(User.id).where(User.email == ADMIN))
    assert events[1].actor_id == admin_id and "第一批.csv" in events[1].reason

    # The same file again: refused, nothing doubled.
    again = await upload(client, "第一批.csv", as_csv(rows), status="published")
    assert again.status_code == 400 and await count(services) == 4


async def test_good_xlsx_imports_every_row_submitted(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    deadline = today() + timedelta(days=60)
    from datetime import datetime

    rows: list[list[Any]] = [row(f"XLSX 场景 {i}") for i in range(3)]
    rows[0][TEMPLATE_HEADERS.index("截止日期")] = datetime(deadline.year, deadline.month, deadline.day)
    rows[1][TEMPLATE_HEADERS.index("预算")] = 300000
    rows[2][TEMPLATE_HEADERS.index("电话")] = 13800138000
    page = await upload(client, "batch.xlsx", as_xlsx(rows))
    assert page.status_code == 200, page.text
    submitted = await ScenarioService(services).list_by_status(ScenarioStatus.SUBMITTED)
    assert sorted(s.title for s in submitted) == [f"XLSX 场景 {i}" for i in range(3)]
    by_title = {s.title: s for s in submitted}
    assert by_title["XLSX 场景 0"].deadline == deadline
    assert by_title["XLSX 场景 1"].budget_min == 300_000
    assert by_title["XLSX 场景 2"].contact_phone == "13800138000"
    assert (await ScenarioService(services).list_public(ScenarioFilters())).total == 0


async def test_gb18030_csv_with_english_headers_and_a_default_organization(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    english = [
        "title", "kind", "scale", "domains", "district", "abstract", "description",
        "expected_outcome", "budget", "deadline", "contact_name", "contact_phone", "contact_email",
    ]  # fmt: skip
    rows = [row("汉阳区智慧停车诱导")[:-1], row("硚口区老旧小区安防")[:-1]]
    content = as_csv(rows, english, encoding="gb18030")
    content.decode("gb18030")
    page = await upload(client, "hanyang.csv", content, organization="guanggu-corp")
    assert page.status_code == 200, page.text
    titles = set(await services.scalars(select(Scenario.title)))
    assert titles == {"汉阳区智慧停车诱导", "硚口区老旧小区安防"}


async def test_non_admin_gets_403(client, services) -> None:
    await setup(services)
    await client.login("owner@example.com")
    assert (await client.get(URL)).status_code == 403
    refused = await upload(client, "x.csv", as_csv([row("偷偷导入")]))
    assert refused.status_code == 403
    assert (await client.get(URL + "/template.csv")).status_code == 403
    assert await count(services) == 0
    await client.logout()
    anonymous = await client.get(URL, follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)


async def test_hostile_cells_are_refused_or_stored_as_text(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    script = "<script>alert('x')</script> 场景"
    long_description = "长" * 10_000
    rows = [
        row(script, 摘要="<img src=x onerror=alert(1)> 摘要"),
        row("表情 🚀🤖 场景", 详细描述=long_description),
    ]
    page = await upload(client, "hostile.csv", as_csv(rows), status="published")
    assert page.status_code == 200, page.text
    assert "&lt;script&gt;alert" in page.text and "<script>alert" not in page.text
    stored = {s.title: s for s in (await services.scalars(select(Scenario))).all()}
    assert stored[script].abstract.startswith("<img")  # kept as typed; every page escapes it
    assert stored["表情 🚀🤖 场景"].description == long_description

    # A formula, a 10,000-character title, a NUL byte: refused with the row and column named.
    bad = [
        row('=HYPERLINK("http://evil.example","点我")'),
        row("超长" * 5_000),
        row("正常标题", 联系人="=1+1"),
    ]
    refused = await upload(client, "bad.csv", as_csv(bad))
    assert refused.status_code == 400
    assert "<td>2</td><td>标题</td>" in refused.text
    assert "<td>3</td><td>标题</td>" in refused.text
    assert "<td>4</td><td>联系人</td>" in refused.text
    assert await count(services) == 2

    # The same formula in a real XLSX formula cell: read as text, refused, never evaluated.
    formula = as_xlsx([row("=1+1")])
    refused = await upload(client, "formula.xlsx", formula)
    assert refused.status_code == 400 and "<td>2</td><td>标题</td>" in refused.text


async def test_file_level_problems_have_clear_messages(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    cases = [
        ("empty.csv", b""),
        ("header-only.csv", as_csv([])),
        ("missing.csv", as_csv([["a", "b"]], headers=["标题", "类型"])),
        ("notes.pdf", b"%PDF-1.4 not a sheet"),
        ("fake.xlsx", b"PK\x03\x04 not really a zip"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100),
        ("big.csv", b"a" * (5 * 1024 * 1024 + 1)),
        ("latin1.csv", "标题\n".encode() + b"\xff\xfe\xfa\x80\x81"),
    ]
    for name, content in cases:
        page = await upload(client, name, content)
        assert page.status_code == 400, (name, page.status_code)
        assert "import-errors" in page.text, name
    too_many = as_csv([row(f"第{i}个") for i in range(MAX_ROWS + 1)])
    assert (await upload(client, "many.csv", too_many)).status_code == 400
    no_file = await client.submit(
        URL, {"status": "submitted"}, files={"other": ("x.txt", b"x", "text/plain")}
    )
    assert no_file.status_code == 400
    assert await count(services) == 0


async def test_templates_download_and_read_back(client, services) -> None:
    await setup(services)
    await client.login(ADMIN)
    as_text = await client.get(URL + "/template.csv")
    assert as_text.status_code == 200 and as_text.content.startswith(b"\xef\xbb\xbf")
    sheet = read_upload("t.csv", as_text.content)
    assert sheet.headers == TEMPLATE_HEADERS and len(sheet.rows) == 1
    workbook = await client.get(URL + "/template.xlsx")
    assert workbook.status_code == 200
    sheet = read_upload("t.xlsx", workbook.content)
    assert sheet.headers == TEMPLATE_HEADERS and sheet.rows[0][1][0] == template_example()[0]


async def test_two_admins_importing_the_same_file_at_once_import_it_once(services, settings) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    await setup(services)
    content = as_csv([row(f"并发导入 {i}") for i in range(1, 4)])
    engine = create_async_engine(settings.database_url)

    async def one_admin() -> str:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            admin = await AccountService(session).by_email(ADMIN)
            assert admin is not None
            try:
                await ImportService(session).import_file(admin, "same.csv", content, publish=False)
            except ImportRefused:
                await session.rollback()
                return "refused"
            await session.commit()
            return "imported"

    try:
        outcomes = await asyncio.gather(one_admin(), one_admin())
    finally:
        await engine.dispose()
    assert sorted(outcomes) == ["imported", "refused"]
    assert await count(services) == 3
