"""Demo content of the talent zone: about thirty positions at the demo organizations, talent profiles of a few
job-seeking members, applications in every state (with small real PDFs as CVs), and the first 招贤榜 issue.

Safe to run again: positions are matched by organization and title, profiles by member, applications by
position and applicant; the issue is published only when there is none.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from community.accounts.models import Membership, Organization, User
from community.talent.models import Application, ApplicationStatus, Board, Position
from community.talent.services.applications import ApplicationService
from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

# (organization slug, title, skills, description, pay from, pay to (None: 面议 when from is None too),
#  district, remote, employment type, headcount)
POSITIONS: tuple[tuple[str, str, str, str, int | None, int | None, str, bool, str, int], ...] = (
    (
        "zhiyuan-ai",
        "工业视觉算法工程师",
        "Python，PyTorch，缺陷检测，小样本学习",
        "负责光谷制造企业产线的缺陷检测模型训练、小样本微调与上线评估。",
        15000,
        25000,
        "东湖新技术开发区",
        False,
        "full_time",
        2,
    ),
    (
        "zhiyuan-ai",
        "边缘部署工程师",
        "C++，TensorRT，边缘计算，模型量化",
        "把视觉模型量化并部署到产线边缘盒子，保证延迟与稳定性。",
        14000,
        22000,
        "东湖新技术开发区",
        False,
        "full_time",
        1,
    ),
    (
        "zhiyuan-ai",
        "数据标注与质检实习生",
        "数据标注，Python，细心",
        "参与工业图像的标注规范制定与质检，学习小样本训练流程。",
        3000,
        4000,
        "东湖新技术开发区",
        False,
        "internship",
        3,
    ),
    (
        "zhiyuan-ai",
        "视觉方案售前顾问（兼职）",
        "方案设计，工业软件，沟通",
        "为制造企业梳理质检需求，编写技术方案并参与演示。",
        None,
        None,
        "东湖新技术开发区",
        True,
        "part_time",
        1,
    ),
    (
        "qingyun-agent",
        "大模型应用开发工程师",
        "Python，大模型，RAG，智能体",
        "为政务热线搭建知识库问答与智能体工单分派，负责检索增强生成与评测。",
        12000,
        20000,
        "洪山区",
        True,
        "full_time",
        2,
    ),
    (
        "qingyun-agent",
        "智能体编排工程师",
        "LangGraph，智能体，Python，工作流",
        "设计多智能体协作流程，接入企业系统接口，完成工单自动流转。",
        15000,
        25000,
        "洪山区",
        True,
        "full_time",
        1,
    ),
    (
        "qingyun-agent",
        "知识库运营专员",
        "知识库，政务服务，文档整理",
        "整理政策文件与问答对，维护知识库质量，跟踪答复准确率。",
        6000,
        8000,
        "洪山区",
        False,
        "full_time",
        1,
    ),
    (
        "qingyun-agent",
        "大模型评测实习生",
        "评测，Python，大模型",
        "搭建问答评测集，分析模型回答中的错误类型并提出改进。",
        3500,
        4500,
        "洪山区",
        True,
        "internship",
        2,
    ),
    (
        "qingyun-agent",
        "客服对话设计（项目合作）",
        "对话设计，客服，提示词",
        "为中小企业客服机器人设计对话流程与提示词，按项目结算。",
        None,
        None,
        "",
        True,
        "project",
        2,
    ),
    (
        "hanjiang-code",
        "AI 编程助手研发工程师",
        "Python，TypeScript，代码生成，大模型",
        "开发代码审查机器人与单元测试自动生成工具，落地到客户研发流程。",
        16000,
        26000,
        "武昌区",
        True,
        "full_time",
        2,
    ),
    (
        "hanjiang-code",
        "遗留系统迁移工程师",
        "Java，COBOL，代码迁移，测试",
        "用 AI 辅助把遗留系统迁移到现代技术栈，保证行为一致。",
        15000,
        24000,
        "武昌区",
        False,
        "full_time",
        1,
    ),
    (
        "hanjiang-code",
        "开发者关系运营（兼职）",
        "技术写作，社区运营，开源",
        "撰写技术文章与示例，运营开发者社区与开源仓库。",
        5000,
        8000,
        "",
        True,
        "part_time",
        1,
    ),
    (
        "hanjiang-code",
        "前端工程师",
        "TypeScript，React，前端，可视化",
        "为代码审查平台开发前端界面与报告可视化。",
        13000,
        20000,
        "武昌区",
        True,
        "full_time",
        1,
    ),
    (
        "hanjiang-code",
        "测试开发实习生",
        "Python，自动化测试，CI",
        "参与测试自动生成工具的评测与持续集成流水线建设。",
        3500,
        4500,
        "武昌区",
        False,
        "internship",
        2,
    ),
    (
        "guanggu-medical",
        "病历结构化算法工程师",
        "自然语言处理，医疗，大模型，信息抽取",
        "把门诊与住院病历结构化，抽取诊断、用药与检查信息。",
        18000,
        28000,
        "东湖新技术开发区",
        False,
        "full_time",
        2,
    ),
    (
        "guanggu-medical",
        "医学影像算法研究员",
        "医学影像，深度学习，PyTorch，智慧医疗",
        "研究影像辅助诊断模型，与医院合作开展临床验证。",
        20000,
        35000,
        "东湖新技术开发区",
        False,
        "full_time",
        1,
    ),
    (
        "guanggu-medical",
        "医疗数据合规专员",
        "数据合规，医疗，隐私保护",
        "负责医疗数据使用的合规审查、脱敏流程与文档。",
        9000,
        13000,
        "东湖新技术开发区",
        False,
        "full_time",
        1,
    ),
    (
        "guanggu-medical",
        "医院信息化实施顾问（项目合作）",
        "医院信息化，实施，沟通",
        "在合作医院部署病历结构化系统，培训医护人员。",
        None,
        None,
        "江汉区",
        False,
        "project",
        2,
    ),
    (
        "changjiang-logistics",
        "路径优化算法工程师",
        "运筹优化，Python，路径规划，交通",
        "为冷链与城配车队做路径优化与智能调度，降低空驶率。",
        16000,
        25000,
        "东西湖区",
        False,
        "full_time",
        1,
    ),
    (
        "changjiang-logistics",
        "仓储视觉盘点工程师",
        "计算机视觉，目标检测，仓储",
        "用视觉模型做仓库货架盘点与异常识别。",
        14000,
        22000,
        "东西湖区",
        False,
        "full_time",
        1,
    ),
    (
        "changjiang-logistics",
        "调度数据分析实习生",
        "数据分析，SQL，Python",
        "分析车辆调度数据，为算法团队提供特征与报表。",
        3000,
        4000,
        "东西湖区",
        False,
        "internship",
        2,
    ),
    (
        "changjiang-logistics",
        "物流智能体产品经理",
        "产品经理，智能体，物流",
        "规划调度智能体产品，协调算法、运营与客户需求。",
        15000,
        22000,
        "东西湖区",
        False,
        "full_time",
        1,
    ),
    (
        "whu-ai-lab",
        "多模态研究助理",
        "多模态，深度学习，论文复现",
        "参与多模态理解研究，复现论文并维护开源评测基准。",
        8000,
        12000,
        "武昌区",
        False,
        "full_time",
        2,
    ),
    (
        "whu-ai-lab",
        "时空智能科研实习生",
        "时空数据，Python，机器学习",
        "参与时空智能课题的数据处理与模型实验。",
        2500,
        3500,
        "武昌区",
        False,
        "internship",
        3,
    ),
    (
        "whu-ai-lab",
        "大模型对齐研究合作（项目合作）",
        "大模型，对齐，强化学习",
        "与研究院合作开展对齐方向课题，按项目合作。",
        None,
        None,
        "武昌区",
        True,
        "project",
        2,
    ),
    (
        "opc-service-center",
        "OPC 创业陪跑顾问",
        "创业服务，财税，政策解读",
        "为一人公司提供注册、财税与算力券申领陪跑服务。",
        7000,
        10000,
        "东湖新技术开发区",
        False,
        "full_time",
        2,
    ),
    (
        "opc-service-center",
        "场景对接专员",
        "场景对接，沟通，政务服务",
        "对接企业与政府部门的应用场景需求，组织 OPC 揭榜。",
        7000,
        11000,
        "东湖新技术开发区",
        False,
        "full_time",
        1,
    ),
    (
        "opc-service-center",
        "活动运营实习生",
        "活动运营，新媒体，文案",
        "协助组织路演、培训与投融资对接活动。",
        2500,
        3500,
        "东湖新技术开发区",
        False,
        "internship",
        2,
    ),
    (
        "tiandi-capital",
        "AI 行业投资分析师",
        "投资分析，行业研究，大模型",
        "研究 AI 应用层与智能体赛道，撰写投资备忘录。",
        15000,
        25000,
        "江汉区",
        False,
        "full_time",
        1,
    ),
    (
        "jiangan-data-bureau",
        "政务数据治理顾问（项目合作）",
        "数据治理，政务服务，数据库",
        "协助梳理区内政务数据目录与共享规则，按项目合作。",
        None,
        None,
        "江岸区",
        False,
        "project",
        1,
    ),
)

# (email, name, headline, skills, experience, years, district, remote, open to offers)
SEEKERS: tuple[tuple[str, str, str, str, str, int, str, bool, bool], ...] = (
    (
        "talent.wang@example.com",
        "王子涵",
        "大模型应用工程师 / RAG 与智能体",
        "Python，大模型，RAG，智能体",
        "三年知识库问答与检索增强生成经验，做过政务热线工单分派。",
        3,
        "洪山区",
        True,
        True,
    ),
    (
        "talent.chen@example.com",
        "陈一鸣",
        "视觉算法工程师",
        "Python，PyTorch，缺陷检测，目标检测",
        "在制造企业做过两年产线缺陷检测，熟悉小样本训练。",
        2,
        "东湖新技术开发区",
        False,
        True,
    ),
    (
        "talent.li@example.com",
        "李思琪",
        "前端工程师，喜欢数据可视化",
        "TypeScript，React，前端，可视化",
        "四年前端经验，做过研发效能平台的报告可视化。",
        4,
        "武昌区",
        True,
        True,
    ),
    (
        "talent.zhao@example.com",
        "赵子豪",
        "在读研究生，方向时空数据",
        "Python，时空数据，机器学习，SQL",
        "参与过城市交通流量预测课题。",
        0,
        "武昌区",
        False,
        False,
    ),
)

# (seeker email, position title, final status, the organization's note)
APPLICATIONS: tuple[tuple[str, str, ApplicationStatus, str], ...] = (
    (
        "talent.wang@example.com",
        "大模型应用开发工程师",
        ApplicationStatus.INTERVIEW,
        "周三下午两点在光谷软件园面试。",
    ),
    ("talent.wang@example.com", "智能体编排工程师", ApplicationStatus.PENDING, ""),
    ("talent.chen@example.com", "工业视觉算法工程师", ApplicationStatus.OFFER, "欢迎加入，下周一入职。"),
    (
        "talent.chen@example.com",
        "仓储视觉盘点工程师",
        ApplicationStatus.DECLINED,
        "本岗位需要仓储场景经验，期待下次合作。",
    ),
    ("talent.li@example.com", "前端工程师", ApplicationStatus.SHORTLISTED, ""),
    ("talent.zhao@example.com", "时空智能科研实习生", ApplicationStatus.PENDING, ""),
)


def demo_pdf(name: str) -> bytes:
    """A one-page PDF that parses (a stand-in CV)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"CV {name}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _position_data(
    row: tuple[str, str, str, str, int | None, int | None, str, bool, str, int],
) -> dict[str, str]:
    _slug, title, skills, description, low, high, district, remote, kind, headcount = row
    return {
        "title": title,
        "skills": skills,
        "description": description,
        "pay_mode": "negotiable" if low is None else "range",
        "pay_min": "" if low is None else str(low),
        "pay_max": "" if high is None else str(high),
        "district": district,
        "remote": "yes" if remote else "",
        "employment_type": kind,
        "headcount": str(headcount),
        "deadline": "",
    }


async def load_talent_demo(db: AsyncSession, settings: Settings, admin: User, member_hash: str) -> list[str]:
    positions = PositionService(db)
    created_positions = 0
    by_title: dict[str, Position] = {}
    for row in POSITIONS:
        slug, title = row[0], row[1]
        org = await db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            continue
        position = await db.scalar(
            select(Position).where(Position.organization_id == org.id, Position.title == title)
        )
        if position is None:
            poster_id = await db.scalar(
                select(Membership.user_id)
                .where(Membership.organization_id == org.id)
                .order_by(Membership.created_at)
                .limit(1)
            )
            poster = await db.get(User, poster_id) if poster_id else None
            if poster is None:
                continue
            position = await positions.create(poster, org.id, _position_data(row), publish=True)
            created_positions += 1
        by_title[title] = position

    profiles = ProfileService(db)
    seekers: dict[str, User] = {}
    created_profiles = 0
    for email, name, headline, skills, experience, years, district, remote, open_to_offers in SEEKERS:
        user = await db.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=name, password_hash=member_hash)
            db.add(user)
            await db.flush()
        seekers[email] = user
        if await profiles.of_user(user.id) is None:
            await profiles.save(
                user,
                {
                    "headline": headline,
                    "skills": skills,
                    "experience": experience,
                    "years_experience": str(years),
                    "district": district,
                    "remote": "yes" if remote else "",
                    "open_to_offers": "yes" if open_to_offers else "",
                },
            )
            created_profiles += 1

    applications = ApplicationService.from_settings(db, settings)
    created_applications = 0
    for email, title, status, note in APPLICATIONS:
        position = by_title.get(title)
        user = seekers.get(email)
        if position is None or user is None:
            continue
        exists = await db.scalar(
            select(Application.id).where(
                Application.position_id == position.id, Application.applicant_id == user.id
            )
        )
        if exists:
            continue
        application = await applications.apply(
            user,
            position.id,
            f"我对“{title}”很感兴趣，相关经历见简历与人才名片。",
            "简历.pdf",
            demo_pdf(user.display_name),
        )
        created_applications += 1
        if status is not ApplicationStatus.PENDING:
            poster = await db.get(User, position.created_by_id) if position.created_by_id else None
            if poster is not None:
                await applications.answer(poster, application.id, status, note)

    published = ""
    if not await db.scalar(select(func.count()).select_from(Board)):
        chosen = [str(p.id) for p in list(by_title.values())[:12]]
        if chosen:
            board = await BoardService(db).publish(
                admin, chosen, "2026 冬季 AI 人才招募", "光谷与全市 OPC 的开放岗位，欢迎投递。"
            )
            published = f" Published talent board issue {board.number}."
    await db.flush()
    return [
        f"Talent: {created_positions} positions, {created_profiles} talent profiles, "
        f"{created_applications} applications created.{published}"
    ]
