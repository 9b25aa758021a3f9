"""List issues (第N期场景机会清单 / 第N期技术能力清单): composing, gapless numbering under concurrency, frozen
snapshots, CSV/XLSX exports, the Atom feed, the API, and who may do what."""

from __future__ import annotations

import asyncio
import csv
import io
import xml.etree.ElementTree as ET  # our own feed, not untrusted input
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.accounts.models import Organization, User
from community.accounts.services import AccountService, OrganizationInput, OrganizationService
from community.errors import Forbidden, FormError
from community.scenarios.models import CapabilityProfile, ListCounter, ListIssue, ListKind, Scenario
from community.scenarios.services.capabilities import CapabilityInput, CapabilityItemInput, CapabilityService
from community.scenarios.services.lists import CandidateFilters, IssueInput, ListService
from community.scenarios.services.scenarios import ScenarioService
from community.scenarios.services.validation import ScenarioInput

PASSWORD = "correct horse 42"
ADMIN = "admin@example.com"
ATOM = "{http://www.w3.org/2005/Atom}"


def scenario_input(title: str, **changes: Any) -> ScenarioInput:
    values: dict[str, Any] = {
        "title": title,
        "kind": "need",
        "scale": "focused",
        "domains": ("智慧医疗", "医疗"),
        "district": "洪山区",
        "abstract": "为 12 家社区医院提供基于大模型的预约分诊与随访提醒。",
        "description": "每天 3000 人次门诊，人工分诊压力大。",
        "expected_outcome": "分诊准确率 ≥ 90%。",
        "budget_mode": "range",
        "budget_min": "20万",
        "budget_max": "500000",
        "deadline": "2099-12-31",
        "contact_name": "王主任",
        "contact_phone": "027-8765 4321",
    }
    values.update(changes)
    return ScenarioInput(**values)


class World:
    """People and things arranged through our own services."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.admin: User
        self.owner: User
        self.org: Organization
        self.count = 0

    async def setup(self) -> World:
        accounts = AccountService(self.db)
        self.admin = await accounts.create_admin(ADMIN, PASSWORD, "管理员")
        self.owner = await accounts.register("owner@example.com", "王主任", PASSWORD)
        self.org = await OrganizationService(self.db).create(
            self.owner,
            OrganizationInput(name="光谷医联数字健康有限公司", org_type="enterprise", slug="guanggu-medical"),
        )
        await self.db.commit()
        return self

    async def rollback(self) -> None:
        """After a refused write: roll back, then load the people again (a rollback expires them)."""
        await self.db.rollback()
        for obj in (self.admin, self.owner, self.org):
            await self.db.refresh(obj)

    async def scenario(self, title: str, **changes: Any) -> Scenario:
        service = ScenarioService(self.db)
        scenario = await service.create(
            self.owner, self.org.id, scenario_input(title, **changes), submit=True
        )
        await service.publish(self.admin, scenario.id)
        await self.db.commit()
        return scenario

    async def profile(self, name: str, slug: str, technology: str = "医学影像大模型") -> CapabilityProfile:
        self.count += 1
        member = await AccountService(self.db).register(
            f"opc{self.count}@example.com", f"OPC{self.count}", PASSWORD
        )
        org = await OrganizationService(self.db).create(
            member, OrganizationInput(name=name, org_type="opc", slug=slug)
        )
        capabilities = CapabilityService(self.db)
        data = CapabilityInput(
            summary=f"{name}：AI 一人公司，专注医疗影像。",
            team_size="3",
            district="东湖新技术开发区",
            items=(
                CapabilityItemInput("智慧医疗", technology, "pilot"),
                CapabilityItemInput("教育", "AI 助教 Agent", "product"),
            ),
        )
        profile = await capabilities.save(member, org.id, data, submit=True)
        await capabilities.verify(self.admin, profile.id)
        await self.db.commit()
        return profile

    async def draft(self, kind: ListKind, source_ids: list[Any], **data: str) -> ListIssue:
        lists = ListService(self.db)
        issue = await lists.create_draft(self.admin, kind, IssueInput(**data))
        if source_ids:
            await lists.add_items(self.admin, issue.id, source_ids)
        await self.db.commit()
        return issue


@pytest.fixture
async def world(services: AsyncSession) -> World:
    return await World(services).setup()


async def _admin_client(make_client: Any) -> Any:
    admin = await make_client()
    await admin.login(ADMIN)
    return admin


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _unescape(cell: str) -> str:
    """The CSV export puts a ' before what a spreadsheet would run as a formula; the XLSX keeps it as text."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def _xlsx_rows(body: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


# --- the whole way through the pages ---------------------------------------------------------------------


async def test_admin_composes_publishes_and_everyone_reads(world: World, make_client: Any) -> None:
    first = await world.scenario("社区医院 AI 分诊助手 / AI triage")
    second = await world.scenario("<script>alert(1)</script> 智慧停车 🚗", budget_mode="negotiable")
    admin = await _admin_client(make_client)

    created = await admin.submit(
        "/admin/lists/new",
        {
            "kind": "scenarios",
            "title": "智慧医疗专题",
            "introduction": "本期 **重点**：医疗。",
            "publish_on": "",
        },
    )
    assert created.status_code == 200
    compose_url = str(created.url)
    assert "/admin/lists/" in compose_url and first.title in created.text
    # Tick both, add them; then move the second to the top and back down, remove and re-add.
    added = await admin.submit(
        compose_url + "/items", {"action": "add", "add": [str(first.id), str(second.id)]}
    )
    assert added.status_code == 200
    assert "Tick to remove" in added.text or "勾选" in added.text
    await admin.submit(compose_url + "/items", {"move": f"{second.id}:top"})
    moved = await admin.submit(compose_url + "/items", {"move": f"{second.id}:down"})
    assert moved.text.index("AI triage") < moved.text.index("智慧停车")
    await admin.submit(compose_url + "/items", {"action": "remove", "remove": str(first.id)})
    await admin.submit(compose_url + "/items", {"action": "add", "add": str(first.id)})
    page = await admin.submit(compose_url + "/publish")
    assert page.status_code == 200
    assert str(page.url).endswith("/lists/scenarios/1")
    assert "智慧医疗专题" in page.text and "<strong>重点</strong>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 智慧停车 🚗" in page.text
    assert "<script>alert(1)</script>" not in page.text
    # Order after the moves: 智慧停车 first (re-added 分诊 went to the end).
    assert page.text.index("智慧停车") < page.text.index("AI triage")

    visitor = await make_client()
    index = await visitor.get("/lists/scenarios")
    assert index.status_code == 200 and "/lists/scenarios/1" in index.text
    assert (await visitor.get("/lists")).url.path == "/lists/scenarios"
    printable = await visitor.get("/lists/scenarios/1/print")
    assert printable.status_code == 200 and 'class="zones"' not in printable.text
    assert "/lists/print.css" in printable.text
    css = await visitor.get("/lists/print.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text

    api = (await visitor.get("/api/v1/lists/scenarios")).json()
    assert api["total"] == 1 and api["items"][0]["number"] == 1 and api["items"][0]["item_count"] == 2
    one = (await visitor.get("/api/v1/lists/scenarios/1")).json()
    assert [i["title"] for i in one["items"]] == [second.title, first.title]
    assert one["items"][0]["type"] == "scenario" and one["items"][0]["budget_negotiable"] is True
    assert one["items"][1]["budget_min"] == 200_000 and one["items"][1]["budget_max"] == 500_000

    schema = (await visitor.get("/schema/openapi.json")).json()
    assert "/api/v1/lists/{kind}/{number}" in schema["paths"]


# --- numbering ---------------------------------------------------------------------------------------------


async def test_concurrent_publications_get_consecutive_numbers(world: World, settings: Any) -> None:
    scenario = await world.scenario("并发发布的场景")
    drafts = [await world.draft(ListKind.SCENARIOS, [scenario.id]) for _ in range(4)]
    engines = [create_async_engine(settings.database_url) for _ in drafts]
    try:

        async def publish(engine: Any, issue_id: Any) -> int:
            async with AsyncSession(engine, expire_on_commit=False) as db:
                admin = await db.get(User, world.admin.id)
                assert admin is not None
                issue = await ListService(db).publish(admin, issue_id)
                await asyncio.sleep(0.2)  # hold the counter lock: the others must wait, not skip ahead
                await db.commit()
                assert issue.number is not None
                return issue.number

        numbers = await asyncio.gather(*(publish(e, d.id) for e, d in zip(engines, drafts, strict=True)))
        assert sorted(numbers) == [1, 2, 3, 4]

        # A double click: two requests publish the same draft at once; it is published once.
        again = await world.draft(ListKind.SCENARIOS, [scenario.id])
        twice = await asyncio.gather(publish(engines[0], again.id), publish(engines[1], again.id))
        assert twice == [5, 5]
    finally:
        for engine in engines:
            await engine.dispose()
    counter = await world.db.scalar(
        select(ListCounter.last_number)
        .where(ListCounter.list_kind == ListKind.SCENARIOS)
        .execution_options(populate_existing=True)
    )
    assert counter == 5
    # The other list counts on its own.
    profile = await world.profile("智元视界工作室", "zhiyuan")
    issue = await world.draft(ListKind.CAPABILITIES, [profile.id])
    published = await ListService(world.db).publish(world.admin, issue.id)
    assert published.number == 1


async def test_a_failed_publication_leaves_no_gap(world: World, make_client: Any) -> None:
    scenario = await world.scenario("不留空号")
    empty = await world.draft(ListKind.SCENARIOS, [])
    admin = await _admin_client(make_client)
    refused = await admin.submit(f"/admin/lists/{empty.id}/publish")
    assert refused.status_code == 400
    assert "Add at least one item" in refused.text or "至少" in refused.text
    scenario_id, empty_id = scenario.id, empty.id
    with pytest.raises(FormError):
        await ListService(world.db).publish(world.admin, empty_id)
    await world.rollback()

    # An item that closed after it was added is refused by number, and no number is used up either.
    closing = await world.scenario("后来关闭的场景")
    mixed = await world.draft(ListKind.SCENARIOS, [scenario_id, closing.id])
    await ScenarioService(world.db).close(world.owner, closing.id, "需求取消")
    await world.db.commit()
    refused = await admin.submit(f"/admin/lists/{mixed.id}/publish")
    assert refused.status_code == 400 and "2" in refused.text
    compose = await admin.get(f"/admin/lists/{mixed.id}")
    assert "Can no longer be listed" in compose.text or "不能" in compose.text

    good = await world.draft(ListKind.SCENARIOS, [scenario_id])
    published = await admin.submit(f"/admin/lists/{good.id}/publish")
    assert str(published.url).endswith("/lists/scenarios/1")
    assert (await admin.get("/lists/scenarios/2")).status_code == 404
    # The empty draft is still a draft, and still has no number.
    assert (await admin.get(f"/admin/lists/{empty_id}")).status_code == 200


# --- snapshots ---------------------------------------------------------------------------------------------


async def test_the_snapshot_does_not_change_when_an_item_is_edited(world: World, make_client: Any) -> None:
    scenario = await world.scenario("原来的标题 Original title", budget_mode="amount", budget_min="30万")
    issue = await world.draft(ListKind.SCENARIOS, [scenario.id])
    await ListService(world.db).publish(world.admin, issue.id)
    await world.db.commit()

    await ScenarioService(world.db).update(
        world.owner, scenario.id, scenario_input("改过的标题 Edited title", budget_mode="negotiable")
    )
    # The owner's edit of a published scenario goes live once an admin approves it.
    await ScenarioService(world.db).approve_revision(world.admin, scenario.id)
    await world.db.commit()
    await ScenarioService(world.db).land(world.owner, scenario.id, "已落地")
    await world.db.commit()

    visitor = await make_client()
    page = await visitor.get("/lists/scenarios/1")
    assert "原来的标题 Original title" in page.text and "Edited title" not in page.text
    api = (await visitor.get("/api/v1/lists/scenarios/1")).json()
    item = api["items"][0]
    assert item["title"] == "原来的标题 Original title"
    assert item["status"] == "published" and item["budget_min"] == 300_000
    rows = _xlsx_rows((await visitor.get("/lists/scenarios/1.xlsx")).content)
    assert rows[1][1] == "原来的标题 Original title"
    # The live scenario did change.
    live = await ScenarioService(world.db).get(scenario.id)
    assert live.title == "改过的标题 Edited title"

    # A published issue cannot be changed any more.
    issue_id = issue.id
    with pytest.raises(FormError):
        await ListService(world.db).add_items(world.admin, issue_id, [scenario.id])
    await world.rollback()
    admin = await _admin_client(make_client)
    compose = await admin.get(f"/admin/lists/{issue_id}", follow_redirects=False)
    assert compose.status_code in (302, 303) and compose.headers["location"] == "/lists/scenarios/1"
    refused = await admin.submit(f"/admin/lists/{issue_id}", {"title": "改名"})
    assert refused.status_code in (200, 400)
    assert "改名" not in (await visitor.get("/lists/scenarios/1")).text


async def test_capability_issue_snapshot_and_exports(world: World, make_client: Any) -> None:
    profile = await world.profile("智元视界工作室", "zhiyuan", technology='=HYPERLINK("http://x")')
    other = await world.profile("光谷 Agent 实验室 🤖", "guanggu-agent")
    issue = await world.draft(ListKind.CAPABILITIES, [profile.id, other.id], title="首期")
    await ListService(world.db).publish(world.admin, issue.id)
    await world.db.commit()
    # Edited after publication: the issue keeps what was verified.
    await CapabilityService(world.db).reject(world.admin, profile.id, "资料过期")
    await world.db.commit()

    visitor = await make_client()
    page = await visitor.get("/lists/capabilities/1")
    assert page.status_code == 200 and "智元视界工作室" in page.text and "光谷 Agent 实验室 🤖" in page.text
    csv_response = await visitor.get("/lists/capabilities/1.csv")
    xlsx_response = await visitor.get("/lists/capabilities/1.xlsx")
    assert csv_response.headers["content-type"].startswith("text/csv")
    disposition = xlsx_response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert 'filename="capabilities-issue-1.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).endswith(".xlsx")
    csv_rows = _csv_rows(csv_response.content)
    xlsx_rows = _xlsx_rows(xlsx_response.content)
    assert len(xlsx_rows) == 3 and xlsx_rows[1][1] == "智元视界工作室"
    # A cell that looks like a formula stays text: plain in XLSX, with a leading ' in CSV.
    assert '=HYPERLINK("http://x")' in xlsx_rows[1][6]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)  # type: ignore[union-attr]
    assert [[_unescape(c) for c in r] for r in csv_rows] == xlsx_rows

    api = (await visitor.get("/api/v1/lists/capabilities/1")).json()
    assert api["items"][0]["type"] == "capability"
    assert [e["maturity"] for e in api["items"][0]["items"]] == ["pilot", "product"]


async def test_exports_read_back_with_the_same_rows(world: World, make_client: Any) -> None:
    titles = [
        '医院分诊 AI, with "quotes", commas',
        "多行\n摘要？不，标题只有一行 — 😀",
        "'; DROP TABLE scenario; --",
        "@SUM(1+1)",
    ]
    scenarios = [await world.scenario(t) for t in titles]
    issue = await world.draft(ListKind.SCENARIOS, [s.id for s in scenarios])
    await ListService(world.db).publish(world.admin, issue.id)
    await world.db.commit()
    visitor = await make_client()
    xlsx = _xlsx_rows((await visitor.get("/lists/scenarios/1.xlsx")).content)
    rows = _csv_rows((await visitor.get("/lists/scenarios/1.csv")).content)
    assert xlsx[0][0] == "序号" or xlsx[0][0] == "No."
    assert len(xlsx) == len(rows) == 5
    assert [r[1] for r in xlsx[1:]] == [s.title for s in scenarios]
    assert rows[4][1] == "'@SUM(1+1)"  # not a formula when Excel opens the CSV
    assert [[_unescape(c) for c in r] for r in rows] == xlsx
    assert all(r[-1].startswith("http://testserver.local/scenarios/") for r in xlsx[1:])
    # English readers get English headers.
    await visitor.submit("/language", {"lang": "en", "next": "/"})
    english = _xlsx_rows((await visitor.get("/lists/scenarios/1.xlsx")).content)
    assert english[0][:2] == ["No.", "Title"]
    assert [r[1] for r in english[1:]] == [s.title for s in scenarios]


# --- feed --------------------------------------------------------------------------------------------------


async def test_atom_feed_is_valid_atom(world: World, make_client: Any) -> None:
    visitor = await make_client()
    empty = await visitor.get("/lists/scenarios/feed.atom")
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("application/atom+xml")
    assert (
        ET.fromstring(  # noqa: S314
            empty.content
        ).tag
        == f"{ATOM}feed"
    )

    scenario = await world.scenario("订阅里的场景")
    for theme in ("第一期 <b>主题</b> & more", ""):
        issue = await world.draft(ListKind.SCENARIOS, [scenario.id], title=theme, introduction="简介\x0b")
        await ListService(world.db).publish(world.admin, issue.id)
        await world.db.commit()
    feed = ET.fromstring(  # noqa: S314
        (await visitor.get("/lists/scenarios/feed.atom")).content
    )
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None and feed.findtext(f"{ATOM}{name}")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{name}")
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href", "").startswith(
            "http://testserver.local/lists/scenarios/"
        )
        assert entry.findtext(f"{ATOM}updated", "").endswith("Z")
    assert entries[0].findtext(f"{ATOM}id", "").endswith("/lists/scenarios/2")
    assert "第一期 <b>主题</b> & more" in (entries[1].findtext(f"{ATOM}title") or "")
    assert (await visitor.get("/lists/nothing/feed.atom")).status_code == 404


# --- who may ------------------------------------------------------------------------------------------------


async def test_only_admins_compose_and_publish(world: World, make_client: Any) -> None:
    scenario = await world.scenario("只有管理员能发布")
    issue = await world.draft(ListKind.SCENARIOS, [scenario.id])
    member = await make_client()
    await member.login("owner@example.com")
    for url in ("/admin/lists", "/admin/lists/new", f"/admin/lists/{issue.id}"):
        assert (await member.get(url)).status_code == 403
    for url, data in (
        (f"/admin/lists/{issue.id}/publish", {}),
        (f"/admin/lists/{issue.id}/items", {"action": "add", "add": str(scenario.id)}),
        (f"/admin/lists/{issue.id}/delete", {}),
        ("/admin/lists/new", {"kind": "scenarios"}),
    ):
        assert (await member.submit(url, data)).status_code == 403
    visitor = await make_client()
    anonymous = await visitor.get("/admin/lists", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    with pytest.raises(Forbidden):
        await ListService(world.db).publish(world.owner, issue.id)
    # Nothing was published: a draft is not public, by number or otherwise.
    assert (await visitor.get("/lists/scenarios/1")).status_code == 404
    assert (await visitor.get("/api/v1/lists/scenarios/1")).status_code == 404
    assert (await visitor.get("/api/v1/lists/scenarios")).json()["total"] == 0


async def test_candidates_skip_what_earlier_issues_listed(world: World) -> None:
    listed = await world.scenario("已上过清单")
    fresh = await world.scenario("还没上过清单")
    issue = await world.draft(ListKind.SCENARIOS, [listed.id])
    lists = ListService(world.db)
    await lists.publish(world.admin, issue.id)
    await world.db.commit()
    draft = await world.draft(ListKind.SCENARIOS, [])
    default = await lists.candidates(world.admin, draft, CandidateFilters())
    assert [c.source_id for c in default.items] == [fresh.id]
    everything = await lists.candidates(world.admin, draft, CandidateFilters(show_all=True))
    assert [c.source_id for c in everything.items] == [fresh.id, listed.id]
    assert everything.items[1].listed_in == [1]
    searched = await lists.candidates(world.admin, draft, CandidateFilters(q="%' OR 1=1 --", show_all=True))
    assert searched.total == 0
    assert (await lists.candidates(world.admin, draft, CandidateFilters(q="还没"))).total == 1


async def test_bad_input_gets_an_answer_never_a_500(world: World, make_client: Any) -> None:
    scenario = await world.scenario("坏输入")
    issue = await world.draft(ListKind.SCENARIOS, [scenario.id])
    visitor = await make_client()
    for url in (
        "/lists/nope",
        "/lists/scenarios/abc",
        "/lists/scenarios/0",
        "/lists/scenarios/99999999999",
        "/lists/scenarios/1.pdf",
        "/lists/scenarios/1",
        "/lists/scenarios/1.csv",
        "/lists/scenarios/1/print",
        "/lists/scenarios/1.csv/print",
        "/lists/scenarios/%27%20OR%201%3D1",
        "/api/v1/lists/scenarios/99999999999",
        "/api/v1/lists/scenarios/1",
    ):
        assert (await visitor.get(url)).status_code == 404, url
    assert (await visitor.get("/api/v1/lists/nope")).status_code == 400
    assert (await visitor.get("/lists/scenarios?page=0")).status_code == 400

    admin = await _admin_client(make_client)
    compose = f"/admin/lists/{issue.id}"
    for data in (
        {"title": "x" * 5000, "publish_on": "not a date", "introduction": "<script>x</script>"},
        {"title": "ok", "publish_on": "1900-01-01"},
        {"title": "ok", "introduction": "y" * 20_000},
    ):
        page = await admin.submit(compose, data)
        assert page.status_code == 400
        assert 'class="error"' in page.text
    kept = await admin.submit(compose, {"title": "保留 🙂 <b>", "publish_on": "bad"})
    assert kept.status_code == 400 and "保留 🙂 &lt;b&gt;" in kept.text
    assert (await admin.submit(compose, {"title": "nul\x00char"})).status_code in (200, 400)
    for data in (
        {"move": "not-a-uuid:up"},
        {"move": f"{scenario.id}:sideways"},
        {"action": "add", "add": ["garbage", "00000000-0000-0000-0000-000000000000"]},
        {"action": "remove", "remove": "garbage"},
        {"action": "whatever"},
    ):
        assert (await admin.submit(compose + "/items", data)).status_code in (200, 400), data
    for q in ("'; DROP TABLE list_issue; --", "%_%", "\x00", "😀" * 500, "a" * 5000):
        assert (await admin.get(compose, params={"q": q, "show": "all"})).status_code in (200, 400), q
    assert (await admin.get("/admin/lists/00000000-0000-0000-0000-000000000000")).status_code == 404
    assert (await admin.submit("/admin/lists/new", {"kind": "nonsense"})).status_code == 400
    # Double click on publish: one issue, one number.
    first = await admin.submit(compose + "/publish")
    second = await admin.submit(compose + "/publish")
    assert str(first.url).endswith("/lists/scenarios/1") and str(second.url).endswith("/lists/scenarios/1")
    assert (await visitor.get("/api/v1/lists/scenarios")).json()["total"] == 1


def test_candidate_filters_drop_what_they_do_not_know() -> None:
    """A stale or hand-made link still shows the compose page: unknown codes are dropped, not refused."""
    filters = CandidateFilters.clean(q="  还没\x00  上过 ", domain="no such domain", show="all", page="abc")
    assert filters == CandidateFilters(q="还没 上过", domain="", show_all=True, page=1)
    chosen = CandidateFilters.clean(domain="智慧医疗", page="3")
    assert chosen.as_query() == {"domain": "智慧医疗", "page": "3"}
    assert chosen.href("/x", page=None) == "/x?domain=%E6%99%BA%E6%85%A7%E5%8C%BB%E7%96%97"
    assert CandidateFilters().href("/x") == "/x"


def test_an_issue_form_is_refused_field_by_field() -> None:
    with pytest.raises(FormError) as refused:
        IssueInput(title="x" * 121, introduction="y" * 5001, publish_on="1900-01-01").values()
    assert set(refused.value.errors) == {"title", "introduction", "publish_on"}
    values = IssueInput(title=" 智慧医疗\u202e专题 ", publish_on="2026/03/01").values()
    assert values["title"] == "智慧医疗专题" and values["publish_on"].isoformat() == "2026-03-01"
