"""Demo content of the scenario zone, made through the zone's own services.

About 150 scenarios from enterprises and government units in every status of the workflow (drafts,
waiting for review, returned with a reason, published, docking, landed with a partner, closed), a few
示范应用场景 of this year, expressions of interest with their answers, 200 OPCs each with a capability
profile (most verified), and two published issues of each list. Everything goes through the services,
so timelines, search documents and notifications are the real ones.

Safe to run again: organizations are found by web name, profiles by organization, list issues by how
many of each list are published, and the scenarios are made only when the demo's publishers have none
(the CLI loads everything in one transaction, so they are all there or none). The text is drawn from
word lists with a fixed seed, so two fresh loads make the same content. ``bench/scenarios_generate.py``
draws its 10,000 scenarios and profiles from the same lists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import organization_document
from community.scenarios.models import (
    CapabilityProfile,
    ListIssue,
    ListKind,
    Maturity,
    ProfileStatus,
    Scenario,
    ScenarioStatus,
)
from community.search.services import enqueue_upsert
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SEED = 20_261_127

# domain -> (task in Chinese, the same in English, the capability an OPC needs for it)
TASKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "智慧医疗": (
        ("门诊电子病历结构化与质控", "structuring outpatient medical records", "病历结构化与医学 NLP"),
        ("基层医院影像辅助诊断", "imaging triage for community hospitals", "医学影像分割与检测"),
        ("互联网医院智能导诊分诊", "symptom-based triage for an online hospital", "大模型问答与知识图谱"),
        ("慢病随访智能外呼", "follow-up calls for chronic patients", "语音识别与合成"),
        ("医保单据智能审核", "checking medical insurance claims", "文档智能与 OCR"),
    ),
    "数字创意": (
        ("文旅景区 AIGC 宣传短视频生成", "AIGC promo videos for scenic spots", "AIGC 图文与短视频生产"),
        ("非遗汉绣纹样数字化与再设计", "digitising Han embroidery patterns", "图像生成与风格迁移"),
        ("数字人导览讲解", "digital-human tour guides", "数字人直播"),
        ("网络文学改编动态漫画", "turning web novels into motion comics", "AIGC 图文与短视频生产"),
    ),
    "城市服务": (
        ("社区养老服务热线智能问答", "an LLM hotline for elderly-care services", "RAG 知识库问答"),
        ("城市部件巡查图像识别", "recognising damaged street furniture", "视觉检测"),
        ("垃圾分类投放点智能督导", "supervising waste sorting points", "边缘端视觉部署"),
        ("智慧停车诱导与泊位预测", "parking guidance and space prediction", "时序预测"),
        ("12345 热线工单自动分派", "routing 12345 hotline tickets", "文本分类与智能体编排"),
    ),
    "网络安全": (
        ("政务外网异常流量检测", "anomaly detection on the government extranet", "时序异常检测"),
        ("钓鱼邮件智能识别", "detecting phishing mail", "文本分类"),
        ("大模型应用安全评测", "red-teaming LLM applications", "大模型安全评测"),
        ("工控系统漏洞情报分析", "vulnerability intelligence for industrial control", "知识图谱"),
    ),
    "工业软件": (
        ("注塑工艺参数智能推荐", "recommending injection moulding parameters", "工业机理与机器学习"),
        ("设备预测性维护", "predictive maintenance of machines", "时序预测与异常检测"),
        ("CAD 图纸智能审图", "checking CAD drawings", "文档智能与 OCR"),
        ("MES 数据智能问数", "natural-language queries over MES data", "Text-to-SQL 与智能体"),
        ("工艺文件知识库问答", "Q&A over process documents", "RAG 知识库问答"),
    ),
    "智能芯片": (
        ("端侧大模型推理芯片适配", "porting LLM inference to edge chips", "模型量化与编译优化"),
        ("芯片版图缺陷检测", "defect detection on chip layouts", "工业视觉缺陷检测"),
        ("国产 NPU 算子开发", "operator development for domestic NPUs", "算子开发与性能调优"),
    ),
    "自动驾驶": (
        ("园区无人配送车路径规划", "route planning for campus delivery robots", "路径规划与调度"),
        ("车路协同路口感知", "roadside perception at intersections", "多传感器融合"),
        ("自动驾驶数据闭环标注", "labelling for the autonomous-driving data loop", "数据标注与清洗"),
        ("港口集卡自动驾驶仿真测试", "simulation tests for autonomous port trucks", "仿真与测试"),
    ),
    "政务服务": (
        ("政策文件智能解读与推送", "explaining and pushing policies", "RAG 知识库问答"),
        ("一网通办材料智能预审", "pre-checking application documents", "文档智能与 OCR"),
        ("政务服务大厅智能引导", "a guide robot for the service hall", "多模态交互"),
        ("企业诉求智能分析", "analysing enterprise requests", "文本挖掘与可视化"),
        ("公文辅助起草", "drafting official documents", "大模型写作与审校"),
    ),
    "教育": (
        ("中小学作文智能批改", "marking school essays", "大模型写作评价"),
        ("高校实验课 AI 助教", "an AI assistant for university lab courses", "智能体编排"),
        ("职业教育实训虚拟仿真", "virtual training for vocational schools", "三维仿真"),
        ("课堂行为分析与教学评估", "classroom analytics for teaching evaluation", "视频理解"),
    ),
    "医疗": (
        ("医院后勤设备能耗管理", "energy management of hospital equipment", "能耗建模"),
        ("药品库存与效期预警", "drug stock and expiry alerts", "时序预测"),
        ("康复训练动作评估", "assessing rehabilitation exercises", "姿态估计"),
    ),
    "公共安全": (
        ("城市内涝风险预警", "urban flood warnings", "时空预测"),
        ("消防隐患图像识别", "spotting fire hazards in images", "视觉检测"),
        ("大型活动人流密度预警", "crowd density warnings at large events", "视频分析"),
        ("危化品运输车辆监管", "monitoring hazardous goods vehicles", "轨迹分析"),
    ),
    "生产制造": (
        ("光纤预制棒表面缺陷检测", "surface defects of optical fibre preforms", "工业视觉缺陷检测"),
        ("汽车零部件装配质检", "inspecting car part assembly", "工业视觉缺陷检测"),
        ("钢铁排产智能优化", "scheduling in a steel plant", "运筹优化"),
        ("仓储视觉盘点", "visual stocktaking in warehouses", "视觉检测与计数"),
        ("供应链需求预测", "supply-chain demand forecasting", "时序预测"),
    ),
    "能源优化": (
        ("园区综合能源智能调度", "energy dispatch for an industrial park", "运筹优化"),
        ("光伏电站功率预测", "solar plant output forecasting", "时序预测"),
        ("楼宇空调节能控制", "HVAC energy saving in office buildings", "强化学习控制"),
        ("充电桩负荷预测与调度", "charging-pile load forecasting", "时序预测"),
    ),
    "药物研发": (
        ("小分子化合物活性预测", "predicting small-molecule activity", "分子表征学习"),
        ("临床试验文档自动生成", "drafting clinical trial documents", "大模型写作与审校"),
        ("中药方剂知识图谱", "a knowledge graph of TCM prescriptions", "知识图谱"),
    ),
    "金融": (
        ("小微企业信贷风控模型", "credit risk for small businesses", "风控建模"),
        ("银行客服智能质检", "quality checks of bank service calls", "语音识别与文本分析"),
        ("供应链金融票据识别", "reading supply-chain finance documents", "文档智能与 OCR"),
        ("反洗钱可疑交易识别", "flagging suspicious transactions", "图神经网络"),
    ),
    "交通": (
        ("信号灯配时智能优化", "traffic signal timing", "强化学习与仿真"),
        ("公交客流预测与排班", "bus ridership forecasting and rostering", "时序预测与运筹"),
        ("轨道交通设备巡检", "inspection of metro equipment", "视觉检测"),
        ("物流车辆智能调度", "dispatching logistics vehicles", "路径规划与调度"),
    ),
    "气象": (
        ("短临降水预报", "precipitation nowcasting", "时空预测"),
        ("气象服务智能问答", "a weather-service assistant", "RAG 知识库问答"),
        ("农业气象灾害预警", "agro-meteorological hazard warnings", "时空预测"),
    ),
    "时空": (
        ("遥感影像违建识别", "finding illegal buildings in remote-sensing images", "遥感影像解译"),
        ("城市三维实景建模", "3D city modelling", "三维重建"),
        ("长江岸线变化监测", "monitoring the Yangtze shoreline", "遥感影像解译"),
        ("地名地址智能匹配", "address matching", "时空数据治理"),
    ),
}

OUTCOMES = (
    "人工处理量减少 50% 以上，准确率不低于 90%",
    "三个月内完成试点并在全区推广",
    "响应时间由天缩短到小时",
    "形成可复制的解决方案，入选年度标杆案例",
    "每年节约成本约百万元",
    "群众满意度提升 10 个百分点",
    "质检漏检率降到 0.5% 以下",
)
SITUATIONS = (
    "目前主要依靠人工完成，效率低、标准不一。",
    "已有一定数据积累，但缺少懂行业的 AI 团队。",
    "曾试用通用大模型，效果不稳定，需要针对业务微调。",
    "业务高峰期人手紧张，急需智能化手段分担。",
    "数据涉及敏感信息，要求私有化部署。",
)
TECHNOLOGY_DETAILS = (
    "私有化部署",
    "小样本微调",
    "端云协同",
    "检索增强生成（RAG）",
    "多智能体协作",
    "国产算力适配",
    "低代码接入",
)
MATURITY_WEIGHTS = {Maturity.CONCEPT: 15, Maturity.PILOT: 35, Maturity.PRODUCT: 35, Maturity.SCALED: 15}
DISTRICT_WEIGHTS = {"东湖新技术开发区": 6, "洪山区": 3, "武昌区": 3, "江汉区": 2, "江岸区": 2}

# Units that publish besides those of community/demo.py: (slug, name, type, district)
PUBLISHERS: tuple[tuple[str, str, OrgType, str], ...] = (
    ("hongshan-data-bureau", "洪山区数据局（示例）", OrgType.GOVERNMENT, "洪山区"),
    ("wuchang-gov-service", "武昌区政务服务和大数据管理局（示例）", OrgType.GOVERNMENT, "武昌区"),
    ("edz-economy-bureau", "东湖高新区经济发展局（示例）", OrgType.GOVERNMENT, "东湖新技术开发区"),
    ("wuhan-weather-service", "武汉市气象服务中心（示例）", OrgType.GOVERNMENT, "江汉区"),
    ("wuhan-traffic-center", "武汉市交通运输信息中心（示例）", OrgType.GOVERNMENT, "江岸区"),
    ("changfei-fiber", "长飞光纤智能制造（示例）", OrgType.ENTERPRISE, "东湖新技术开发区"),
    ("wuhan-steel-digital", "武钢数字科技（示例）", OrgType.ENTERPRISE, "青山区"),
    ("dongfeng-parts", "东风零部件智造（示例）", OrgType.ENTERPRISE, "武汉经济技术开发区"),
    ("jianghan-bank-demo", "江汉农商银行金融科技部（示例）", OrgType.ENTERPRISE, "江汉区"),
    ("tongji-health-demo", "某三甲医院信息中心（示例）", OrgType.ENTERPRISE, "硚口区"),
    ("yangtze-pharma-demo", "长江生物医药研究院（示例）", OrgType.ENTERPRISE, "东湖新技术开发区"),
    ("hanyang-culture-tour", "汉阳文旅集团（示例）", OrgType.ENTERPRISE, "汉阳区"),
    ("linkong-port-demo", "临空港物流园（示例）", OrgType.ENTERPRISE, "东西湖区"),
    ("jiangxia-energy-demo", "江夏综合能源服务公司（示例）", OrgType.ENTERPRISE, "江夏区"),
)
OPC_BRANDS = [
    "智元",
    "青云",
    "汉江",
    "楚天",
    "江城",
    "黄鹤",
    "东湖",
    "珞珈",
    "晴川",
    "知音",
    "光谷",
    "长江",
    "南湖",
    "沙湖",
    "木兰",
    "磨山",
    "月湖",
    "琴台",
    "首义",
    "星河",
    "云帆",
    "深蓝",
    "极光",
    "量子",
    "方舟",
    "启明",
    "远见",
    "睿思",
    "凌云",
    "锦程",
    "天元",
    "万象",
    "拓扑",
    "格物",
    "鲲鹏",
    "北辰",
    "墨池",
    "清源",
    "知行",
    "灵犀",
]
OPC_FIELDS = [
    "智能",
    "数据",
    "视觉",
    "算法",
    "语义",
    "感知",
    "数智",
    "码力",
    "模型",
    "智造",
    "声学",
    "时空",
    "知识",
    "交互",
    "影像",
    "智联",
]
OPC_FORMS = ("{b}{f}工作室", "{b}{f}科技", "{b}{f}实验室")


@dataclass(frozen=True)
class Task:
    domain: str
    zh: str
    en: str
    capability: str


ALL_TASKS: tuple[Task, ...] = tuple(
    Task(domain, zh, en, capability) for domain, tasks in TASKS.items() for zh, en, capability in tasks
)


def weighted_district(rng: random.Random) -> str:
    weights = [DISTRICT_WEIGHTS.get(d, 1) for d in DISTRICTS]
    return rng.choices(DISTRICTS, weights=weights)[0]


def scenario_text(rng: random.Random, task: Task, district: str, org_name: str) -> dict[str, str]:
    """Title, abstract, description and expected outcome of one scenario (10 % in English)."""
    second = rng.choice([t for t in ALL_TASKS if t.domain != task.domain])
    outcome = rng.choice(OUTCOMES)
    if rng.random() < 0.1:
        return {
            "title": f"AI for {task.en} ({district})",
            "abstract": f"{org_name} is looking for an OPC to build {task.en}; pilot in {district}.",
            "description": (
                f"## Background\n\n{org_name} handles this work by hand today.\n\n## What we need\n\n"
                f"- {task.en}, deployed on our own servers\n- integration with existing systems\n"
                f"- a pilot of three months, then a decision on roll-out\n\n## Data\n\n"
                "Historical records of two years are available after signing a confidentiality agreement."
            ),
            "expected_outcome": "Half the manual work within a year; accuracy of at least 90 %.",
        }
    title = rng.choice(
        (
            f"{task.zh}",
            f"{district}{task.zh}场景",
            f"基于大模型的{task.zh}",
            f"{task.zh}与{second.zh[:8]}一体化",
        )
    )
    situation = rng.choice(SITUATIONS)
    return {
        "title": title[:120],
        "abstract": (
            f"{org_name}面向{district}开放“{task.zh}”场景，征集具备{task.capability}能力的一人公司。{situation}"
        ),
        "description": (
            f"## 现状\n\n{situation}{org_name}每年相关业务量约 {rng.randint(2, 90)} 万件。\n\n"
            f"## 需求\n\n1. {task.zh}：需具备{task.capability}能力；\n"
            f"2. 支持{rng.choice(TECHNOLOGY_DETAILS)}；\n3. 与现有业务系统对接，提供接口文档。\n\n"
            f"## 数据与条件\n\n可提供脱敏历史数据约 {rng.randint(1, 50)} 万条，试点地点在{district}。"
        ),
        "expected_outcome": f"{outcome}。",
    }


def budget_fields(rng: random.Random) -> dict[str, str]:
    roll = rng.random()
    if roll < 0.15:
        return {"budget_mode": "negotiable"}
    low = rng.choice((5, 10, 20, 30, 50, 80, 100, 200, 300, 500, 1000))
    if roll < 0.6:
        return {
            "budget_mode": "range",
            "budget_min": f"{low}万",
            "budget_max": f"{low * rng.choice((2, 3, 5))}万",
        }
    return {"budget_mode": "amount", "budget_min": f"{low}万", "budget_max": f"{low}万"}


def opc_name(rng: random.Random, index: int) -> tuple[str, str]:
    brand = OPC_BRANDS[index % len(OPC_BRANDS)]
    field = OPC_FIELDS[(index // len(OPC_BRANDS)) % len(OPC_FIELDS)]
    form = OPC_FORMS[(index // (len(OPC_BRANDS) * len(OPC_FIELDS))) % len(OPC_FORMS)]
    return form.format(b=brand, f=field), f"demo-opc-{index + 1:03d}"


def capability_text(rng: random.Random, name: str, district: str) -> dict[str, Any]:
    """Summary, cases, team size and 1–4 items (domain, technology, maturity) of one OPC."""
    main = rng.choice(ALL_TASKS)
    tasks = [main, *rng.sample([t for t in ALL_TASKS if t.domain != main.domain], rng.randint(0, 3))]
    maturities = list(MATURITY_WEIGHTS)
    items = [
        (
            task.domain,
            f"{task.capability}（{rng.choice(TECHNOLOGY_DETAILS)}）",
            rng.choices(maturities, weights=list(MATURITY_WEIGHTS.values()))[0].value,
        )
        for task in tasks
    ]
    return {
        "summary": (
            f"{name}位于{district}，创始人曾在大厂从事{main.capability}工作，现以一人公司形式承接{main.domain}项目，"
            f"擅长{'、'.join(dict.fromkeys(t.capability for t in tasks))}。"
        ),
        "cases": f"已为 {rng.randint(1, 20)} 家单位交付“{main.zh}”类方案；可提供 POC 验证与长期运维。",
        "team_size": str(rng.choice((1, 1, 1, 2, 2, 3, 5))),
        "items": items,
    }


# --- the loader ------------------------------------------------------------------------------------------

# How many demo scenarios end in each status (150 in all), and what the returned and closed ones were told.
STATUS_PLAN: tuple[tuple[ScenarioStatus, int], ...] = (
    (ScenarioStatus.DRAFT, 12),
    (ScenarioStatus.SUBMITTED, 12),
    (ScenarioStatus.RETURNED, 8),
    (ScenarioStatus.PUBLISHED, 60),
    (ScenarioStatus.DOCKING, 25),
    (ScenarioStatus.LANDED, 18),
    (ScenarioStatus.CLOSED, 15),
)
RETURN_REASONS = (
    "预算口径不清：请注明是否含税、是否含硬件采购。",
    "公开摘要包含联系人手机号，请移到联系方式一栏。",
    "请补充数据条件：能提供哪些数据、以何种方式提供。",
    "截止日期过近，OPC 难以完成方案，请至少预留 30 天。",
)
CLOSE_REASONS = (
    "年度预算调整，本场景暂停，明年重新发布。",
    "已由内部团队完成，感谢各位 OPC 的关注。",
    "需求合并到全市统一平台建设中。",
)
DECLINE_REASONS = (
    "方案需要公有云部署，与我们的私有化要求不符。",
    "团队暂无医疗行业案例，本期优先考虑有同类经验的 OPC。",
    "报价超出本期预算，欢迎参与下一期。",
)
PROPOSALS = (
    "我们已在同类场景交付过两个项目，可两周内完成 POC：先用贵方脱敏数据微调模型，再做私有化部署与联调。",
    "建议分两期实施：一期 RAG 知识库问答上线，二期接入工单系统。团队 2 人，可驻场。",
    "We can deliver a pilot in six weeks on your own servers, with weekly demos and the full source code.",
    "拥有自研的轻量化模型与边缘部署方案，可在现有设备上运行，无需新增 GPU 服务器。",
)
OPC_PROFILES = 200
OPC_PENDING_EVERY = 9  # every 9th profile waits for verification, a few are sent back
DEMO_OPC_DOMAIN = "example.com"


@dataclass
class _Org:
    org: Organization
    owner: User


class ScenarioDemoLoader:
    def __init__(self, db: AsyncSession, admin: User, member_hash: str) -> None:
        self.db = db
        self.admin = admin
        self.member_hash = member_hash
        self.rng = random.Random(SEED)

    async def _user(self, email: str, name: str) -> tuple[User, bool]:
        user = await self.db.scalar(select(User).where(User.email == email))
        if user is not None:
            return user, False
        user = User(email=email, display_name=name[:50], password_hash=self.member_hash)
        self.db.add(user)
        await self.db.flush()
        return user, True

    async def _org(
        self,
        slug: str,
        name: str,
        org_type: OrgType,
        district: str,
        summary: str,
        owner_email: str,
        owner_name: str,
    ) -> tuple[_Org, bool]:
        org = await self.db.scalar(select(Organization).where(Organization.slug == slug))
        created = org is None
        if org is None:
            org = Organization(slug=slug, name=name, org_type=org_type, district=district, summary=summary)
            self.db.add(org)
            await self.db.flush()
            enqueue_upsert(self.db, organization_document(org))
        owner_id = await self.db.scalar(
            select(Membership.user_id)
            .where(Membership.organization_id == org.id)
            .order_by(Membership.role.desc(), Membership.created_at)
            .limit(1)
        )
        owner = await self.db.get(User, owner_id) if owner_id else None
        if owner is None:
            owner, _new = await self._user(owner_email, owner_name)
            self.db.add(Membership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
            await self.db.flush()
        return _Org(org, owner), created

    async def _publishers(self) -> list[_Org]:
        found: list[_Org] = []
        existing = (
            await self.db.scalars(
                select(Organization)
                .where(Organization.org_type.in_((OrgType.ENTERPRISE, OrgType.GOVERNMENT)))
                .where(Organization.slug.in_(DEMO_PUBLISHER_SLUGS))
                .order_by(Organization.slug)
            )
        ).all()
        for org in existing:
            entry, _created = await self._org(
                org.slug, org.name, org.org_type, org.district or "江汉区", org.summary,
                f"{org.slug}.contact@{DEMO_OPC_DOMAIN}", "场景联络员",
            )  # fmt: skip
            found.append(entry)
        for slug, name, org_type, district in PUBLISHERS:
            summary = f"{name}，面向一人公司开放{district}的应用场景，欢迎揭榜。"
            entry, _created = await self._org(
                slug, name, org_type, district, summary, f"{slug}.contact@{DEMO_OPC_DOMAIN}", "场景联络员"
            )
            found.append(entry)
        return found

    async def _opcs(self, report: list[str]) -> list[_Org]:
        opcs: list[_Org] = []
        made = 0
        existing = (
            await self.db.scalars(
                select(Organization)
                .where(Organization.org_type == OrgType.OPC)
                .where(Organization.slug.in_(DEMO_OPC_SLUGS))
            )
        ).all()
        for org in existing:
            entry, _created = await self._org(
                org.slug, org.name, OrgType.OPC, org.district or "洪山区", org.summary,
                f"{org.slug}.owner@{DEMO_OPC_DOMAIN}", "创始人",
            )  # fmt: skip
            opcs.append(entry)
        rng = random.Random(SEED + 1)
        for index in range(OPC_PROFILES - len(opcs)):
            name, slug = opc_name(rng, index)
            district = weighted_district(rng)
            task = rng.choice(ALL_TASKS)
            entry, created = await self._org(
                slug, name, OrgType.OPC, district, f"一人公司，专注{task.domain}方向的{task.capability}。",
                f"{slug}@{DEMO_OPC_DOMAIN}", f"{name[:2]}创始人",
            )  # fmt: skip
            made += created
            opcs.append(entry)
        report.append(f"OPC organizations: {made} created, {len(opcs) - made} already there.")
        return opcs

    async def _profiles(self, opcs: list[_Org], report: list[str]) -> None:
        from community.scenarios.services.capabilities import (
            CapabilityInput,
            CapabilityItemInput,
            CapabilityService,
        )

        service = CapabilityService(self.db)
        have = set(
            await self.db.scalars(
                select(CapabilityProfile.organization_id).where(
                    CapabilityProfile.organization_id.in_([o.org.id for o in opcs])
                )
            )
        )
        rng = random.Random(SEED + 2)
        counts = {"verified": 0, "pending": 0, "rejected": 0, "draft": 0}
        for index, entry in enumerate(opcs):
            text = capability_text(rng, entry.org.name, entry.org.district or "洪山区")
            if entry.org.id in have:
                continue
            data = CapabilityInput(
                summary=text["summary"],
                cases=text["cases"],
                team_size=text["team_size"],
                district=entry.org.district or "洪山区",
                items=tuple(CapabilityItemInput(d, t, m) for d, t, m in text["items"]),
            )
            draft = index % 50 == 49
            profile = await service.save(entry.owner, entry.org.id, data, submit=not draft)
            if draft:
                counts["draft"] += 1
            elif index % OPC_PENDING_EVERY == 8:
                counts["pending"] += 1
            elif index % 40 == 39:
                await service.reject(self.admin, profile.id, "请补充可核验的案例（合同或验收材料）。")
                counts["rejected"] += 1
            else:
                await service.verify(self.admin, profile.id)
                counts["verified"] += 1
        report.append(
            "Capability profiles: "
            + ", ".join(f"{n} {status}" for status, n in counts.items())
            + f" created; {len(have)} already there."
        )

    async def _scenarios(self, publishers: list[_Org], opcs: list[_Org], report: list[str]) -> int:
        from community.scenarios.services.interests import InterestService
        from community.scenarios.services.scenarios import ScenarioService, today
        from community.scenarios.services.validation import ScenarioInput

        scenarios = ScenarioService(self.db)
        interests = InterestService(self.db)
        rng = self.rng
        on = today()
        plan = [status for status, n in STATUS_PLAN for _ in range(n)]
        rng.shuffle(plan)
        existing = {
            (org_id, title)
            for org_id, title in await self.db.execute(
                select(Scenario.organization_id, Scenario.title).where(
                    Scenario.organization_id.in_([p.org.id for p in publishers])
                )
            )
        }
        if existing:
            # Made by an earlier run (in one transaction, so all of it): add nothing.
            report.append(f"Scenarios: 0 created, {len(existing)} already there.")
            return 0
        made = demonstrations = interest_count = 0
        used_titles: set[tuple[Any, str]] = set()
        for index, status in enumerate(plan):
            publisher = publishers[index % len(publishers)]
            task = ALL_TASKS[(index * 7) % len(ALL_TASKS)]
            district = (
                publisher.org.district
                if rng.random() < 0.6 and publisher.org.district
                else weighted_district(rng)
            )
            text = scenario_text(rng, task, district, publisher.org.name)
            budget = budget_fields(rng)
            deadline = on + timedelta(days=rng.randint(30, 300)) if rng.random() < 0.8 else None
            domains = [task.domain] + ([rng.choice(ALL_TASKS).domain] if rng.random() < 0.3 else [])
            key = (publisher.org.id, text["title"])
            if key in used_titles:
                text["title"] = f"{text['title']}（{index + 1}）"[:120]
                key = (publisher.org.id, text["title"])
            used_titles.add(key)
            interested = rng.sample(opcs, 3)
            proposals = rng.sample(PROPOSALS, 3)
            data = ScenarioInput(
                title=text["title"],
                kind=rng.choices(("need", "bottleneck", "benchmark"), weights=(6, 3, 2))[0],
                scale=rng.choices(("major", "integrated", "focused"), weights=(1, 3, 6))[0],
                domains=tuple(dict.fromkeys(domains)),
                district=district,
                abstract=text["abstract"][:500],
                description=text["description"],
                expected_outcome=text["expected_outcome"],
                deadline=deadline.isoformat() if deadline else "",
                contact_name=publisher.owner.display_name,
                contact_phone=f"027-{rng.randint(80000000, 89999999)}",
                contact_email=publisher.owner.email,
                **budget,
            )
            owner = publisher.owner
            scenario = await scenarios.create(
                owner, publisher.org.id, data, submit=status is not ScenarioStatus.DRAFT
            )
            made += 1
            if status in (ScenarioStatus.DRAFT, ScenarioStatus.SUBMITTED):
                continue
            if status is ScenarioStatus.RETURNED:
                await scenarios.return_to_owner(
                    self.admin, scenario.id, RETURN_REASONS[index % len(RETURN_REASONS)]
                )
                continue
            await scenarios.publish(self.admin, scenario.id)
            if status is ScenarioStatus.PUBLISHED and index % 12 == 0:
                await scenarios.set_demonstration(self.admin, scenario.id, on.year)
                demonstrations += 1
            # Expressions of interest: none to three, answered as the status needs.
            wanted = {
                ScenarioStatus.PUBLISHED: index % 3,
                ScenarioStatus.DOCKING: 2,
                ScenarioStatus.LANDED: 2,
                ScenarioStatus.CLOSED: index % 2,
            }[status]
            made_interests = []
            for opc, proposal in zip(interested[:wanted], proposals, strict=False):
                made_interests.append(await interests.express(opc.owner, scenario.id, opc.org.id, proposal))
                interest_count += 1
            if status is ScenarioStatus.PUBLISHED and len(made_interests) == 2:
                await interests.decline(
                    owner, made_interests[1].id, DECLINE_REASONS[index % len(DECLINE_REASONS)]
                )
            if status in (ScenarioStatus.DOCKING, ScenarioStatus.LANDED):
                await interests.shortlist(owner, made_interests[0].id, "方案贴合需求，请约时间到现场沟通。")
                await interests.decline(
                    owner, made_interests[1].id, DECLINE_REASONS[index % len(DECLINE_REASONS)]
                )
            if status is ScenarioStatus.LANDED:
                await scenarios.land(
                    owner,
                    scenario.id,
                    "试点验收通过，进入推广阶段。",
                    partner_id=made_interests[0].organization_id,
                )
                if index % 5 == 0:
                    await scenarios.set_demonstration(self.admin, scenario.id, on.year)
                    demonstrations += 1
            if status is ScenarioStatus.CLOSED:
                await scenarios.close(owner, scenario.id, CLOSE_REASONS[index % len(CLOSE_REASONS)])
        report.append(
            f"Scenarios: {made} created ({demonstrations} demonstration scenarios of {on.year}, "
            f"{interest_count} expressions of interest)."
        )
        return made

    async def _lists(self, report: list[str]) -> None:
        try:
            from community.scenarios.services.lists import IssueInput, ListService
        except ImportError:  # the list issues are not there yet
            report.append("List issues: skipped (the list service is missing).")
            return
        from community.scenarios.services.scenarios import today

        service = ListService(self.db)
        made = 0
        for kind in (ListKind.SCENARIOS, ListKind.CAPABILITIES):
            published = int(
                await self.db.scalar(
                    select(func.count())
                    .select_from(ListIssue)
                    .where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
                )
                or 0
            )
            if published >= 2:
                continue
            if kind is ListKind.SCENARIOS:
                ids = list(
                    await self.db.scalars(
                        select(Scenario.id)
                        .where(
                            Scenario.status.in_(
                                (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING, ScenarioStatus.LANDED)
                            )
                        )
                        .order_by(Scenario.published_at, Scenario.id)
                    )
                )
                themes = ("首批人工智能应用场景机会", "城市治理与智能制造专场")
            else:
                ids = list(
                    await self.db.scalars(
                        select(CapabilityProfile.id)
                        .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
                        .order_by(CapabilityProfile.verified_at, CapabilityProfile.id)
                    )
                )
                themes = ("首批一人公司技术能力", "大模型与智能体专场")
            for number in range(published, 2):
                chunk = ids[number * 25 : number * 25 + 25]
                if not chunk:
                    break
                issue = await service.create_draft(
                    self.admin,
                    kind,
                    IssueInput(
                        title=themes[number],
                        introduction="本期清单由武汉市科技创新局（示例）会同各区征集、审核后发布，欢迎一人公司揭榜对接。",
                        publish_on=today().isoformat(),
                    ),
                )
                await service.add_items(self.admin, issue.id, chunk)
                await service.publish(self.admin, issue.id)
                made += 1
        report.append(f"List issues: {made} published.")

    async def run(self, report: list[str]) -> None:
        publishers = await self._publishers()
        opcs = await self._opcs(report)
        await self._profiles(opcs, report)
        await self._scenarios(publishers, opcs, report)
        await self._lists(report)


DEMO_PUBLISHER_SLUGS = ("guanggu-medical", "changjiang-logistics", "jiangan-data-bureau", "wuhan-sci-bureau")
DEMO_OPC_SLUGS = ("zhiyuan-ai", "qingyun-agent", "hanjiang-code")


async def load_scenario_demo(db: AsyncSession, admin: User, member_hash: str) -> list[str]:
    """Fill the scenario zone with demo content (see the module's docstring); returns what it did."""
    report: list[str] = []
    await ScenarioDemoLoader(db, admin, member_hash).run(report)
    return report
