"""Demo data for matching: capability profiles for the demo OPCs, a few published needs, their pushes and
some feedback, so that 为你推荐 and the owners' recommended OPCs show something. Safe to run again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from community.accounts.models import Organization, User
from community.accounts.services import OrganizationService
from community.errors import FormError
from community.matching.embedder import EmbedderUnavailableError, get_embedder
from community.matching.services import OPEN_STATUSES, MatchingService, PushService
from community.scenarios.models import Scenario, ScenarioStatus
from community.scenarios.services.capabilities import CapabilityInput, CapabilityItemInput, CapabilityService
from community.scenarios.services.scenarios import ScenarioFilters, ScenarioService
from community.scenarios.services.validation import ScenarioInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

DEMO_PUSHES = 30
# OPC slug -> (summary, district, [(domain, technology, maturity)], cases)
PROFILES: dict[str, tuple[str, str, list[tuple[str, str, str]], str]] = {
    "zhiyuan-ai": (
        "工业质检视觉模型的小样本微调与边缘部署：PCB、金属表面与注塑件缺陷检测。",
        "东湖新技术开发区",
        [
            ("生产制造", "小样本缺陷检测（视觉大模型 + LoRA 微调）", "product"),
            ("工业软件", "边缘推理部署（TensorRT、工控机）", "pilot"),
        ],
        "为三家光谷制造企业交付 PCB 焊点与金属表面缺陷检测，漏检率低于 0.5%。",
    ),
    "qingyun-agent": (
        "大模型知识库问答与智能体编排：政务热线、企业客服的工单自动分类分派与摘要。",
        "洪山区",
        [
            ("政务服务", "政务热线工单智能分派与摘要", "product"),
            ("城市服务", "知识库问答智能体（RAG）", "pilot"),
        ],
        "为某区 12345 热线上线工单分类分派，准确率 92%。",
    ),
    "hanjiang-code": (
        "AI 编程助手落地：代码审查机器人、遗留系统迁移与单元测试自动生成。",
        "武昌区",
        [("工业软件", "代码审查机器人与单元测试生成", "product"), ("教育", "编程课程 AI 助教", "concept")],
        "帮助两家软件企业把 COBOL 与老旧 Java 系统迁移到微服务。",
    ),
}

# enterprise or government slug -> scenario values
SCENARIOS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "changjiang-logistics": {
        "title": "仓储包装破损与标签错贴视觉检测",
        "domains": ("生产制造",),
        "district": "东西湖区",
        "abstract": "分拣线上需要用摄像头识别包装破损、标签错贴和缺陷件，边缘部署，节拍小于 1 秒。",
    },
    "jiangan-data-bureau": {
        "title": "12345 政务热线工单智能分派",
        "domains": ("政务服务", "城市服务"),
        "district": "江岸区",
        "abstract": "根据市民来电内容识别诉求类别并分派至责任部门，自动生成工单摘要，减轻话务员负担。",
    },
}


def scenario_input(values: dict[str, str | tuple[str, ...]]) -> ScenarioInput:
    domains = values["domains"]
    assert isinstance(domains, tuple)
    return ScenarioInput(
        title=str(values["title"]),
        kind="need",
        scale="focused",
        domains=domains,
        district=str(values["district"]),
        abstract=str(values["abstract"]),
        description=str(values.get("description", values["abstract"])),
        expected_outcome="上线三个月内准确率达到 90% 以上。",
        budget_mode="negotiable",
        contact_name="联系人",
        contact_phone="027-8888 0000",
        contact_email="contact@example.com",
    )


async def _member(db: AsyncSession, org: Organization) -> User | None:
    ids = await OrganizationService(db).member_ids(org.id)
    return await db.get(User, ids[0]) if ids else None


async def load_matching_demo(db: AsyncSession, settings: Settings, admin: User) -> list[str]:
    capabilities = CapabilityService(db)
    scenarios = ScenarioService(db)
    report: list[str] = []
    made_profiles = made_scenarios = 0
    for slug, (summary, district, items, cases) in PROFILES.items():
        org = await db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None or await capabilities.get_by_org(org.id) is not None:
            continue
        member = await _member(db, org)
        if member is None:
            continue
        data = CapabilityInput(
            summary=summary,
            cases=cases,
            district=district,
            items=tuple(CapabilityItemInput(d, t, m) for d, t, m in items),
        )
        profile = await capabilities.save(member, org.id, data, submit=True)
        await capabilities.verify(admin, profile.id)
        made_profiles += 1
    published: list[Scenario] = []
    for slug, values in SCENARIOS.items():
        org = await db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            continue
        existing = [s for s in await scenarios.list_of_organization(org.id) if s.title == values["title"]]
        if existing:
            published.extend(s for s in existing if s.status is ScenarioStatus.PUBLISHED)
            continue
        member = await _member(db, org)
        if member is None:
            continue
        try:
            scenario = await scenarios.create(member, org.id, scenario_input(values), submit=True)
            published.append(await scenarios.publish(admin, scenario.id))
            made_scenarios += 1
        except FormError as exc:
            report.append(f"Matching demo: scenario {values['title']} not made: {exc.errors}")
    matching = MatchingService(db, settings, get_embedder(settings.embedding_model))
    try:
        counts = await matching.reindex()
        report.append(f"Matching: {counts['scenario'] + counts['profile']} embeddings computed.")
    except EmbedderUnavailableError:
        report.append("Matching: the embedding model is unavailable; recommendations use the other signals.")
    # The newest open scenarios are pushed once (the weekly cap of each OPC holds here too), ranked from what
    # this transaction made (``inline``: the shared indexes hold only what is committed).
    matching.inline = True
    pushes = 0
    listing = await scenarios.list_public(ScenarioFilters(), per_page=DEMO_PUSHES)
    for scenario in listing.items:
        if scenario.status in OPEN_STATUSES:
            push = PushService(db, settings, matching.embeddings.embedder)
            push.matching.inline = True
            pushes += len(await push.push_scenario(scenario.id))
    # Feedback: the code OPC is not interested in warehouse inspection (it shows on its 为你推荐 page).
    coder = await db.scalar(select(Organization).where(Organization.slug == "hanjiang-code"))
    logistics = next((s for s in published if s.title == SCENARIOS["changjiang-logistics"]["title"]), None)
    if coder is not None and logistics is not None:
        member = await _member(db, coder)
        if member is not None:
            await matching.give_feedback(member, coder.id, logistics.id, "not_interested")
    report.append(
        f"Matching: {made_profiles} OPC profiles and {made_scenarios} scenarios made, {pushes} pushes sent."
    )
    return report
