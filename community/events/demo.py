"""Demo content of the event zone: about fifteen courses, trainings, roadshows, matchmaking and talent events
drawn from the seed text (measures 4, 8, 9 and 10), at dates around today, a few past; some registrations,
and one small salon that is full with a waiting list.

Everything goes through the zone's services. Safe to run again: an event is matched by its title, and a
member already registered is left as they are.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from community.accounts.models import Organization, User
from community.errors import FormError
from community.events.inputs import EventInput
from community.events.models import Event
from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService
from community.kernel.clock import SITE_TZ, now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class DemoEvent:
    organizer: str  # organization slug
    kind: str
    title: str
    summary: str
    description: str
    days: int  # from today; negative: already held
    start: time
    hours: float
    capacity: int
    place: str = ""  # empty: online
    district: str = ""
    audience: str = "everyone"
    org_types: tuple[str, ...] = ()
    registrants: tuple[str, ...] = ()


ONLINE_URL = "https://meeting.example.com/opc/"

EVENTS: tuple[DemoEvent, ...] = (
    DemoEvent(
        "opc-service-center",
        "training",
        "智能体应用专项培训（金融行业专场）",
        "面向银行、证券、保险等金融领域资深从业者，学习用智能体重塑业务流程，引导面向行业需求创办 OPC。",
        "## 培训内容\n\n- 大模型与智能体基础：提示词、工具调用、知识库\n"
        "- 金融场景实操：智能投顾问答、合规审查助手、"
        "信贷材料预审\n- 从从业者到 OPC：选题、定价与第一个客户\n\n依据《武汉市支持人工智能OPC发展若干措施》"
        "第四条“推动行业人才转型”开展。",
        5,
        time(9, 30),
        6.5,
        40,
        "光谷金融港 B3 栋 2 楼培训室",
        "东湖新技术开发区",
        registrants=("liu.yang@example.com", "wang.fang@example.com"),
    ),
    DemoEvent(
        "opc-service-center",
        "training",
        "智能体应用专项培训（制造行业专场）",
        "面向制造业工程师与管理者：设备运维问答、工艺文档生成、质检数据分析的智能体搭建实训。",
        "## 适合谁\n\n在制造企业工作五年以上、熟悉一线业务、想用 AI 创业的从业者。\n\n## 安排\n\n"
        "上午讲解，下午分组搭建一个设备运维智能体并现场演示。",
        12,
        time(9, 30),
        6.5,
        40,
        "智能制造产业园 1 号楼",
        "武汉经济技术开发区",
        registrants=("zhao.lei@example.com", "li.ming@example.com"),
    ),
    DemoEvent(
        "opc-service-center",
        "training",
        "智能体应用专项培训（医疗行业专场）",
        "面向医疗领域资深从业者：病历结构化、导诊问答与医学文献助手，讲清数据合规边界。",
        "## 内容\n\n- 医疗数据合规要点\n- 病历结构化与导诊问答实操\n- 医疗 OPC 的场景来源：对接场景机会清单",
        19,
        time(14, 0),
        4,
        30,
        "珞喻路 OPC 生态社区路演厅",
        "洪山区",
    ),
    DemoEvent(
        "wuhan-sci-bureau",
        "roadshow",
        "“武创荟”科技成果转化 OPC 专场路演（第一期）",
        "十个 OPC 项目路演人工智能创新成果，应用场景供需现场对接。",
        "首期专场已举办，路演项目与对接结果见社区场景专区。",
        -20,
        time(14, 0),
        3.5,
        120,
        "武汉创新街区路演中心",
        "江汉区",
    ),
    DemoEvent(
        "wuhan-sci-bureau",
        "roadshow",
        "“武创荟”科技成果转化 OPC 专场路演（第二期）",
        "OPC 路演人工智能创新成果，企业与政府部门带来应用场景，现场供需对接。",
        "## 流程\n\n1. 场景发布：三家企业与一个区直部门发布真实需求\n"
        "2. OPC 路演：每个项目 8 分钟 + 问答 5 分钟\n"
        "3. 分组对接\n\n报名对象：OPC、投资机构、企业与政府部门的成员。",
        9,
        time(14, 0),
        3.5,
        20,
        "武汉创新街区路演中心",
        "江汉区",
        audience="org_types",
        org_types=("opc", "investment", "enterprise", "government"),
        registrants=("li.ming@example.com", "zhang.wei@example.com", "sun.li@example.com"),
    ),
    DemoEvent(
        "tiandi-capital",
        "investment",
        "OPC 专场投融资对接会（“路演即投决”）",
        "种子基金与早期投资机构现场听项目、当场给出投资意向，走 OPC 投资绿色通道。",
        "## 说明\n\n依托“路演即投决”一体化机制，投资决策委员会成员到场。"
        "每个项目 10 分钟路演、10 分钟问答。\n\n"
        "请提前准备：商业计划书、产品演示、近三个月经营数据。",
        16,
        time(14, 30),
        3,
        30,
        "金融街 9 号天地创投会议室",
        "江汉区",
        audience="org_types",
        org_types=("opc", "investment"),
        registrants=("li.ming@example.com", "chen.hao@example.com"),
    ),
    DemoEvent(
        "tiandi-capital",
        "investment",
        "OPC 专场投融资对接会（11 月）",
        "早期投资机构与八个 OPC 项目一对一对接。",
        "本场已结束，共促成三项投资意向。",
        -10,
        time(14, 30),
        3,
        30,
        "金融街 9 号天地创投会议室",
        "江汉区",
        audience="org_types",
        org_types=("opc", "investment"),
    ),
    DemoEvent(
        "opc-service-center",
        "salon",
        "人工智能领域引才活动：OPC 优薪优岗双选会",
        "配合“招贤榜”，OPC 与人工智能人才面对面，现场投递、现场面谈。",
        "## 参会\n\n- 求职者：带上简历，可现场面谈\n- OPC：可设展位，提前在社区发布岗位",
        7,
        time(13, 30),
        4,
        200,
        "光谷青年人才之家一楼大厅",
        "东湖新技术开发区",
        registrants=("student.demo@example.com",),
    ),
    DemoEvent(
        "whu-ai-lab",
        "salon",
        "人工智能引才活动·高校专场：走近一人公司",
        "面向在汉高校学生：OPC 创始人分享创业经历，介绍校企协同育人与 OPC 创业实践基地。",
        "仅限通过学生认证的在汉高校学生报名（在“体验券”页面完成认证）。",
        25,
        time(19, 0),
        2,
        100,
        "某高校人工智能研究院报告厅",
        "武昌区",
        audience="students",
        registrants=("student.demo@example.com",),
    ),
    DemoEvent(
        "tiandi-capital",
        "salon",
        "创投沙龙：AI 应用层早期项目怎么融资",
        "投资人小范围交流：估值、条款与“见投即保”，名额很少。",
        "小范围闭门交流，每场三人。",
        4,
        time(19, 0),
        2,
        3,
        "金融街 9 号天地创投会议室",
        "江汉区",
        registrants=(
            "li.ming@example.com",
            "zhang.wei@example.com",
            "chen.hao@example.com",
            "liu.yang@example.com",
        ),
    ),
    DemoEvent(
        "qingyun-agent",
        "course",
        "课程：智能体开发框架入门（线上）",
        "两小时上手主流智能体开发框架：工具调用、记忆与多智能体编排。",
        "## 准备\n\n- 一台能上网的电脑\n- 任一大模型 API 密钥（课上提供试用额度）",
        3,
        time(19, 30),
        2,
        200,
        registrants=("chen.hao@example.com", "li.ming@example.com"),
    ),
    DemoEvent(
        "whu-ai-lab",
        "course",
        "课程：垂直领域模型工具与轻量化部署实战",
        "从开源模型微调到本地化部署：量化、蒸馏与低代码平台的取舍。",
        "高校院所揭榜答题的配套课程，讲解轻量化开发工具与垂直领域模型工具。",
        11,
        time(14, 0),
        3,
        60,
        "某高校人工智能研究院 305 教室",
        "武昌区",
    ),
    DemoEvent(
        "hanjiang-code",
        "course",
        "课程：AI 编程助手提效实践",
        "代码审查机器人、单元测试生成与遗留系统迁移的实战经验。",
        "本课已结束，讲义在技术交流专区。",
        -5,
        time(19, 30),
        2,
        150,
    ),
    DemoEvent(
        "opc-service-center",
        "course",
        "算力服务券申领与 OPC 政策解读会",
        "讲清算力服务券、免费算力卡时与模型调用补助怎么申领，现场答疑。",
        "## 内容\n\n- 算力服务券：使用费用 50%、最高 20 万元\n- 每年不少于 2000 卡时免费算力\n"
        "- 模型采购费用补助\n\n带上营业执照与算力合同可现场预审。",
        2,
        time(15, 0),
        2,
        60,
        "光谷OPC创业服务中心 2 楼",
        "东湖新技术开发区",
        registrants=("li.ming@example.com", "zhang.wei@example.com"),
    ),
    DemoEvent(
        "wuhan-sci-bureau",
        "training",
        "OPC 创新创业大赛赛前辅导",
        "“武创荟”OPC 创新创业大赛报名前的辅导：评审标准、路演技巧与人才计划直通机制。",
        "获奖团队核心成员可优先推荐申报武汉英才计划。",
        30,
        time(9, 30),
        3,
        80,
        "武汉创新街区路演中心",
        "江汉区",
    ),
)


def _local(day: datetime, at: time, plus: float = 0) -> str:
    moment = datetime.combine(day.date(), at, tzinfo=SITE_TZ) + timedelta(hours=plus)
    return moment.strftime("%Y-%m-%dT%H:%M")


async def load_event_demo(db: AsyncSession, admin: User) -> list[str]:
    events = EventService(db)
    registrations = RegistrationService(db)
    today = now().astimezone(SITE_TZ)
    created = registered = 0
    for item in EVENTS:
        event = await db.scalar(select(Event).where(Event.title == item.title))
        if event is None:
            org = await db.scalar(select(Organization).where(Organization.slug == item.organizer))
            if org is None:
                continue
            day = today + timedelta(days=item.days)
            data = EventInput(
                organization=str(org.id),
                kind=item.kind,
                title=item.title,
                summary=item.summary,
                description=item.description,
                starts_at=_local(day, item.start),
                ends_at=_local(day, item.start, item.hours),
                registration_deadline=_local(day, item.start, -2) if item.days > 0 else "",
                mode="onsite" if item.place else "online",
                address=item.place,
                district=item.district,
                online_url="" if item.place else ONLINE_URL + str(zlib.crc32(item.title.encode())),
                capacity=str(item.capacity),
                audience=item.audience,
                audience_org_types=list(item.org_types),
            )
            event = await events.create(admin, data, publish=True, allow_past=True)
            created += 1
        for email in item.registrants:
            user = await db.scalar(select(User).where(User.email == email))
            if user is None or await registrations.state_of(user.id, event.id) is not None:
                continue
            try:
                await registrations.register(user, event.id)
                registered += 1
            except FormError:  # outside the audience (a student not verified in this demo): leave it
                continue
    await db.flush()
    return [f"Events: {created} created, {len(EVENTS) - created} already there; {registered} registrations."]
