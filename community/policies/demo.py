# ruff: noqa: E501  (the policy texts are kept one sentence a line)
"""Demo policies: the ten measures of 《武汉市支持人工智能OPC创新发展若干措施》 (seeds/000_*.txt), split into
one policy per distinct benefit, each with the conditions the text names; and the policy facts of the demo
organizations (the inspection OPC buys compute and does not rent talent housing).

Safe to run again: policies are matched by web name, facts are only written where none exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from community.accounts.models import MemberRole, Membership, Organization, User
from community.errors import FormError
from community.policies.inputs import FactsInput, PolicyInput
from community.policies.models import Policy
from community.policies.services.facts import FactsService
from community.policies.services.policies import PolicyService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

UNTIL = "2028-12-31"  # 本措施自2026年3月18日起施行，有效期至2028年12月31日
HOW = "通过“武创通”科创服务平台在线申报，或向责任单位咨询。符合条件的，按年度集中受理、评审后拨付。"


def _policy(
    slug: str,
    measure: str,
    title: str,
    summary: str,
    unit: str,
    benefits: list[tuple[str, str, str, int | None, int | None]],
    conditions: dict[str, Any],
    *,
    auto: bool = False,
    how: str = HOW,
) -> PolicyInput:
    return PolicyInput(
        title=title,
        slug=slug,
        summary=summary,
        source_measure=measure,
        issuing_unit=unit,
        how_to_apply=how,
        deadline=UNTIL,
        auto_granted=auto,
        benefits=tuple(
            {
                "kind": kind,
                "description": description,
                "amount": amount,
                "cap_yuan": "" if cap is None else str(cap),
                "months": "" if months is None else str(months),
            }
            for kind, description, amount, cap, months in benefits
        ),
        conditions=conditions,
    )


OPC = ["opc"]
HOUSING_UNITS = "市住房和城市更新局，市人才工作局，市财政局，团市委，各区人民政府"

POLICIES: tuple[PolicyInput, ...] = (
    _policy(
        "compute-voucher",
        "措施一",
        "算力服务券",
        "设立算力服务券，对人工智能OPC当年支持周期内使用算力服务费用的 **50%** 给予补助，最高 20 万元，"
        "补助期限不超过 3 年。",
        "市数据局、市经信局",
        [("subsidy", "算力服务费用补助", "当年算力服务费用的 50%", 200_000, 36)],
        {"org_types": OPC, "activities": ["buy_compute"]},
    ),
    _policy(
        "free-compute-hours",
        "措施一",
        "每年不少于 2000 卡时免费算力",
        "各区在 OPC 生态社区集聚一批智能算力服务商，整合异构算力资源，每年为每家 OPC 提供不少于 2000 卡时的免费算力支持。",
        "各区人民政府（含开发区、长江新区、风景区管委会）",
        [("free_resource", "免费智能算力", "每年不少于 2000 卡时", None, 12)],
        {"org_types": OPC},
        auto=True,
        how="由所在区的 OPC 生态社区统一调度发放。",
    ),
    _policy(
        "data-product-subsidy",
        "措施二",
        "数据产品使用补助",
        "降低数据获取成本，支持 OPC 利用数据产品用于人工智能相关研发，对经认定符合要求的单位给予最高 200 万元补助。"
        "依托“汉数通”平台，“原始数据不出域，可用不可见”。",
        "市数据局",
        [("subsidy", "利用数据产品开展人工智能研发的补助", "经认定后核定", 2_000_000, None)],
        {"org_types": OPC, "activities": ["use_data_products"]},
    ),
    _policy(
        "tech-challenge",
        "措施三",
        "OPC 出题、高校院所揭榜攻关",
        "针对 OPC 在垂直行业落地中面临的技术瓶颈，支持 OPC 出题，高校院所、新型研发机构揭榜答题；"
        "经评定符合条件的项目纳入市级重点研发计划，给予最高 100 万元资金支持。",
        "市科创局，各区人民政府",
        [("grant", "纳入市级重点研发计划的项目资金", "", 1_000_000, None)],
        {"org_types": ["opc", "university"], "activities": ["tech_challenge"]},
    ),
    _policy(
        "vertical-model-subsidy",
        "措施三",
        "垂直领域模型研发补助",
        "支持 OPC 打造垂直领域模型，对于性能先进的模型，依规按照研发成本的 30% 给予研发单位最高 500 万元补助。",
        "市经信局",
        [("subsidy", "垂直领域模型研发补助", "研发成本的 30%", 5_000_000, None)],
        {"org_types": OPC, "activities": ["vertical_model"]},
    ),
    _policy(
        "model-application-subsidy",
        "措施三",
        "大模型垂直应用补助",
        "支持 OPC 通过调用第三方大模型 API 或者采用本地化部署等方式开展大模型垂直领域应用，"
        "依规按照不超过模型采购费用的 50% 给予最高 100 万元补助。",
        "市经信局",
        [("subsidy", "模型采购费用补助", "不超过模型采购费用的 50%", 1_000_000, None)],
        {"org_types": OPC, "activities": ["call_models"]},
    ),
    _policy(
        "talent-rental-housing",
        "措施四",
        "人才租赁房免租优惠",
        "对租住人才租赁房的 OPC 创业者，按照全日制博士研究生标准，给予 2 年且每月不超过 2000 元的免租优惠，"
        "第 3 年按照不高于市场上同类房产租金的 70% 缴纳租金。",
        HOUSING_UNITS,
        [
            ("housing", "人才租赁房免租", "每月不超过 2000 元", None, 24),
            ("housing", "第 3 年优惠租金", "不高于市场同类房产租金的 70%", None, 12),
        ],
        {"org_types": OPC, "activities": ["rent_talent_housing"]},
    ),
    _policy(
        "home-purchase-subsidy",
        "措施四",
        "新建商品房购房补贴",
        "对 OPC 创始人及高管在我市购买新建商品房的，由商品房所在区按照每平方米 1000 元给予最高 10 万元购房补贴。",
        HOUSING_UNITS,
        [("housing", "购房补贴", "每平方米 1000 元", 100_000, None)],
        {"org_types": OPC, "activities": ["buy_new_home"]},
    ),
    _policy(
        "youth-talent-home",
        "措施四",
        "武汉青年人才之家免费住宿",
        "提档升级“武汉青年人才之家”，为来汉创业就业的 OPC 人才提供最长 15 天免费住宿。",
        HOUSING_UNITS,
        [("housing", "青年人才之家免费住宿", "最长 15 天", None, None)],
        {"org_types": OPC, "activities": ["new_to_wuhan"]},
    ),
    _policy(
        "wuhan-talent-programme",
        "措施四",
        "武汉英才计划资助",
        "支持 OPC 引进具有知名人工智能企业 2 年以上研发经历的紧缺人才，支持 OPC 人才申报武汉英才计划；"
        "对入选战略科技人才、科技产业领军人才、优秀青年科技人才等专项的 OPC 人才，分别给予 100 万元、50 万元、20 万元资助。",
        "市人才工作局",
        [
            ("grant", "战略科技人才专项", "", 1_000_000, None),
            ("grant", "科技产业领军人才专项", "", 500_000, None),
            ("grant", "优秀青年科技人才专项", "", 200_000, None),
        ],
        {"org_types": OPC, "activities": ["talent_program", "recruit_talent"]},
    ),
    _policy(
        "eco-community-support",
        "措施五",
        "OPC 生态社区资金支持",
        "制定 OPC 生态社区认定标准，定期开展认定、评估工作，依规给予 OPC 生态社区最高 500 万元资金支持。"
        "面向建设、运营 OPC 生态社区的区政府与专业运营机构。",
        "市科创局，各区人民政府",
        [("grant", "OPC 生态社区资金支持", "依认定与评估结果", 5_000_000, None)],
        {"org_types": ["service", "government"], "activities": ["in_eco_community"]},
    ),
    _policy(
        "startup-grant",
        "措施六",
        "OPC 创业资助",
        "支持人工智能领域人才在汉创办 OPC，综合评定其经营发展、技术创新情况，给予初创企业最高 100 万元的创业资助。",
        "市人才工作局",
        [("grant", "初创企业创业资助", "综合评定后核定", 1_000_000, None)],
        {"org_types": OPC, "stages": ["startup"]},
    ),
    _policy(
        "free-service-package",
        "措施六",
        "免费公共服务包",
        "各区整合中试平台、概念验证中心及各类中介服务资源，为符合条件的 OPC 提供最长 2 年的免费公共服务包，"
        "涵盖财务代账、税务申报、法律咨询及专利申报等。",
        "各区人民政府",
        [("service_pack", "财务代账、税务申报、法律咨询及专利申报", "免费", None, 24)],
        {"org_types": OPC, "activities": ["in_eco_community"]},
        auto=True,
        how="入驻 OPC 生态社区后由社区运营方直接提供，无需另行申请。",
    ),
    _policy(
        "experience-voucher",
        "措施七",
        "AI 产品体验券",
        "探索设立“AI产品体验券”，支持在汉大学生体验 OPC 线上开放社区发布的 AI 产品，加速 AI 产品推广应用。",
        "市科创局，武汉投控集团",
        [("free_resource", "在汉大学生凭体验券免费试用贵单位的 AI 产品", "", None, None)],
        {"org_types": OPC, "approved_product": True},
        auto=True,
        how="在本社区发布 AI 产品并通过审核后，即可纳入体验券活动。",
    ),
    _policy(
        "demonstration-scenario",
        "措施八",
        "示范应用场景项目支持",
        "每年遴选一批示范应用场景项目，按照项目总投入的 30% 给予最高 100 万元资金支持。",
        "市经信局",
        [("grant", "示范应用场景项目资金", "项目总投入的 30%", 1_000_000, None)],
        {"org_types": ["opc", "enterprise"]},
    ),
    _policy(
        "seed-fund-green-channel",
        "措施九",
        "OPC 投资绿色通道",
        "发挥政府种子基金作用，建立 OPC 投资绿色通道，定期举办 OPC 专场投融资对接活动，用好“路演即投决”一体化机制，"
        "与市级人工智能产业基金形成接续式投资矩阵。",
        "市财政局，武汉投控集团、武汉金控集团",
        [("investment", "政府种子基金投资绿色通道与专场投融资对接", "路演即投决", None, None)],
        {"org_types": OPC},
        how="报名参加 OPC 专场投融资对接活动，现场路演；种子基金按“路演即投决”机制快速决策。",
    ),
    _policy(
        "seed-investment-insurance",
        "措施九",
        "种子项目投资保",
        "鼓励保险公司开发“种子项目投资保”等产品，对获得投资的 OPC 种子项目“见投即保”，降低企业早期研发活动风险。",
        "市科创局，市委金融办",
        [("insurance", "种子项目投资保", "见投即保", None, None)],
        {"org_types": OPC, "activities": ["got_investment"]},
    ),
    _policy(
        "compute-loan",
        "措施九",
        "算力贷",
        "将符合条件的 OPC 纳入科技型企业知识价值信用贷款支持范围，联合银行推出“算力贷”，缓解高性能算力服务采购中的资金压力；"
        "单笔贷款最高 1000 万元，对发生的贷款本金损失给予最高 80% 的风险补偿。",
        "市科创局，市委金融办，市财政局",
        [("loan", "算力贷", "单笔最高 1000 万元", 10_000_000, None)],
        {"org_types": OPC, "activities": ["compute_loan", "buy_compute"]},
    ),
    _policy(
        "startup-guaranteed-loan",
        "措施九",
        "创业担保贷款",
        "为符合条件的 OPC 创业者提供最高 30 万元、最长 3 年的创业担保贷款，其中 10 万元以下的免除反担保要求；"
        "为符合条件的 OPC 提供最高 500 万元、最长 2 年的创业担保贷款。",
        "市人社局、市财政局，团市委",
        [
            ("loan", "OPC 创业者个人创业担保贷款（10 万元以下免反担保）", "", 300_000, 36),
            ("loan", "OPC 企业创业担保贷款", "", 5_000_000, 24),
        ],
        {"org_types": OPC, "activities": ["startup_loan"]},
    ),
    _policy(
        "innovation-competition",
        "措施十",
        "OPC 创新创业大赛",
        "依托“武创荟”活动品牌举办 OPC 创新创业大赛，每年发掘不少于 50 个标杆项目并按照规定给予政策支持；"
        "对符合条件的获奖团队核心成员，优先推荐申报武汉英才计划。",
        "市科创局，市人才工作局，武汉投控集团、武汉金控集团，各区人民政府",
        [("grant", "标杆项目政策支持与武汉英才计划优先推荐", "", None, None)],
        {"org_types": OPC, "activities": ["competition"]},
    ),
    _policy(
        "event-host-reward",
        "措施十",
        "OPC 主题活动主办方奖励",
        "支持 OPC 创新创业联盟成员单位常态化举办 OPC 主题展会、高端论坛、前沿技术研讨会、创投沙龙等活动；"
        "各区结合组织成效、品牌影响力等标准，按照规定给予活动主办方奖励支持。",
        "各区人民政府",
        [("grant", "活动主办方奖励", "按各区评价体系核定", None, None)],
        {"activities": ["hosts_events"]},
    ),
)

# organization slug -> (founded on, stage, team size, activities)
FACTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "zhiyuan-ai": ("2025-09-01", "startup", "2", ("buy_compute", "call_models", "in_eco_community")),
    "qingyun-agent": (
        "2024-05-01",
        "startup",
        "3",
        ("call_models", "use_data_products", "rent_talent_housing"),
    ),
    "hanjiang-code": ("2020-11-01", "growth", "5", ("buy_compute", "recruit_talent", "got_investment")),
    "opc-service-center": ("2019-03-01", "mature", "20", ("hosts_events", "in_eco_community")),
    "tiandi-capital": ("2018-06-01", "mature", "12", ("hosts_events",)),
}


async def load_policy_demo(db: AsyncSession, admin: User) -> list[str]:
    service = PolicyService(db)
    made = 0
    report: list[str] = []
    for data in POLICIES:
        if await db.scalar(select(Policy.id).where(Policy.slug == data.slug)) is not None:
            continue
        try:
            policy = await service.create(admin, data)
            await service.publish(admin, policy.id)
            made += 1
        except FormError as exc:
            report.append(f"Policies: {data.slug} not made: {exc.errors}")
    facts = FactsService(db)
    written = 0
    for slug, (founded, stage, team, activities) in FACTS.items():
        org = await db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None or await facts.saved(org.id) is not None:
            continue
        owner = await db.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == org.id, Membership.role == MemberRole.OWNER)
        )
        await facts.save(owner or admin, org, FactsInput(founded, stage, team, activities))
        written += 1
    report.append(
        f"Policies: {made} published, {len(POLICIES) - made} already there; facts of {written} organizations."
    )
    return report
