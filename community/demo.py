"""Demo content: believable organizations of every type, their members and a site admin.

Safe to run again: what exists (by email or organization web name) is left as it is. Passwords are made
once and kept in var/demo-credentials.txt so that every run can print them again.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import AccountService, hash_password, organization_document
from community.forum.demo import load_forum_demo
from community.search.services import enqueue_upsert
from community.search.synonyms import SynonymService
from community.vouchers.demo import load_voucher_demo

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

ADMIN_EMAIL = "admin@example.com"

# (slug, name, type, district, summary, website)
ORGANIZATIONS: list[tuple[str, str, OrgType, str, str, str | None]] = [
    (
        "zhiyuan-ai",
        "智元视界（武汉）智能科技工作室",
        OrgType.OPC,
        "东湖新技术开发区",
        "一人公司，专注工业质检视觉模型的小样本微调与边缘部署，已为三家光谷制造企业交付缺陷检测方案。",
        None,
    ),
    (
        "qingyun-agent",
        "青云智能体工作室",
        OrgType.OPC,
        "洪山区",
        "基于大模型与智能体编排，为政务热线和中小企业客服提供知识库问答与工单自动分派。",
        None,
    ),
    (
        "hanjiang-code",
        "汉江码匠科技",
        OrgType.OPC,
        "武昌区",
        "AI 编程助手落地服务：代码审查机器人、遗留系统迁移与单元测试自动生成。",
        None,
    ),
    (
        "guanggu-medical",
        "光谷医联数字健康有限公司",
        OrgType.ENTERPRISE,
        "东湖新技术开发区",
        "区域医疗信息化服务商，寻找病历结构化、影像辅助诊断方向的技术合作伙伴。",
        None,
    ),
    (
        "changjiang-logistics",
        "长江智运物流集团",
        OrgType.ENTERPRISE,
        "东西湖区",
        "冷链与城配物流企业，关注路径优化、仓储视觉盘点与智能调度。",
        None,
    ),
    (
        "jiangan-data-bureau",
        "江岸区数据局",
        OrgType.GOVERNMENT,
        "江岸区",
        "负责区内政务数据统筹与数字政府建设，发布政务服务与城市治理类应用场景。",
        None,
    ),
    (
        "wuhan-sci-bureau",
        "武汉市科技创新局（示例）",
        OrgType.GOVERNMENT,
        "江汉区",
        "统筹科技创新政策与场景开放工作，组织发布场景机会清单与技术能力清单。",
        None,
    ),
    (
        "whu-ai-lab",
        "某高校人工智能研究院（示例）",
        OrgType.UNIVERSITY,
        "武昌区",
        "开展大模型对齐、多模态理解与时空智能研究，开放部分数据集与评测基准。",
        None,
    ),
    (
        "opc-service-center",
        "光谷OPC创业服务中心",
        OrgType.SERVICE,
        "东湖新技术开发区",
        "为一人公司提供注册、财税、算力券申领与场景对接陪跑服务。",
        None,
    ),
    (
        "tiandi-capital",
        "天地创投（示例）",
        OrgType.INVESTMENT,
        "江汉区",
        "早期投资机构，关注 AI 应用层与智能体方向的种子轮和天使轮项目。",
        None,
    ),
]

# (email, name, organization slug, role)
MEMBERS: list[tuple[str, str, str, MemberRole]] = [
    ("li.ming@example.com", "李明", "zhiyuan-ai", MemberRole.OWNER),
    ("zhang.wei@example.com", "张薇", "qingyun-agent", MemberRole.OWNER),
    ("chen.hao@example.com", "陈浩", "hanjiang-code", MemberRole.OWNER),
    ("wang.fang@example.com", "王芳", "guanggu-medical", MemberRole.OWNER),
    ("liu.yang@example.com", "刘洋", "guanggu-medical", MemberRole.MEMBER),
    ("zhao.lei@example.com", "赵磊", "changjiang-logistics", MemberRole.OWNER),
    ("sun.li@example.com", "孙丽", "jiangan-data-bureau", MemberRole.OWNER),
    ("zhou.jie@example.com", "周杰", "wuhan-sci-bureau", MemberRole.OWNER),
    ("wu.min@example.com", "吴敏", "whu-ai-lab", MemberRole.OWNER),
    ("xu.qiang@example.com", "徐强", "opc-service-center", MemberRole.OWNER),
    ("he.jing@example.com", "何静", "tiandi-capital", MemberRole.OWNER),
    ("student.demo@example.com", "林同学", "", MemberRole.MEMBER),
]


def _credentials(settings: Settings) -> tuple[str, str, bool]:
    """(admin password, member password, made now?)."""
    path = settings.var_dir / "demo-credentials.txt"
    if path.exists():
        values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        if "admin" in values and "member" in values:
            return values["admin"], values["member"], False
    admin, member = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(f"admin={admin}\nmember={member}\n")
    path.chmod(0o600)
    return admin, member, True


ZONES = ("scenarios", "forum", "vouchers", "matching", "policies", "talent", "events")


def demo_steps(zones: Sequence[str] = ZONES) -> int:
    """How many steps ``load_demo`` reports (accounts and organizations, then one per zone)."""
    return 1 + len([zone for zone in ZONES if zone in zones])


async def load_demo(
    db: AsyncSession,
    settings: Settings,
    zones: Sequence[str] = ZONES,
    step: Callable[[str], None] | None = None,
) -> list[str]:
    """Accounts and organizations, then each zone's content in ``zones`` (a zone's tests may load only
    its own, so that what they count does not change when another zone's demo grows). ``step`` is told
    the name of each part once it is loaded (``demo_steps`` of them), for a progress bar."""

    def done(name: str) -> None:
        if step is not None:
            step(name)

    admin_password, member_password, fresh = _credentials(settings)
    report: list[str] = []
    accounts = AccountService(db)

    admin = await accounts.by_email(ADMIN_EMAIL)
    if admin is None:
        admin = await accounts.create_admin(ADMIN_EMAIL, admin_password, "平台管理员")
        report.append(f"Created the admin {ADMIN_EMAIL}.")
    elif fresh:  # the kept passwords were lost: set the new ones so that what is printed works
        admin.password_hash = hash_password(admin_password)

    orgs: dict[str, Organization] = {}
    new_orgs: list[Organization] = []
    created_orgs = 0
    for slug, name, org_type, district, summary, website in ORGANIZATIONS:
        org = await db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            org = Organization(
                slug=slug,
                name=name,
                org_type=org_type,
                district=district,
                summary=summary,
                website=website,
                internal_notes="内部备注：仅本组织成员与平台管理员可见。",
            )
            db.add(org)
            new_orgs.append(org)
            created_orgs += 1
        orgs[slug] = org
    await db.flush()
    for org in new_orgs:
        enqueue_upsert(db, organization_document(org))

    created_users = 0
    member_hash = hash_password(member_password)
    for email, name, slug, role in MEMBERS:
        user = await accounts.by_email(email)
        if user is None:
            user = User(email=email, display_name=name, password_hash=member_hash)
            db.add(user)
            await db.flush()
            created_users += 1
        elif fresh:
            user.password_hash = member_hash
        if slug:
            exists = await db.scalar(
                select(Membership.id).where(
                    Membership.user_id == user.id, Membership.organization_id == orgs[slug].id
                )
            )
            if not exists:
                db.add(Membership(user_id=user.id, organization_id=orgs[slug].id, role=role))
    await db.flush()

    report.append(
        f"Organizations: {created_orgs} created, {len(ORGANIZATIONS) - created_orgs} already there."
    )
    report.append(f"Members: {created_users} created, {len(MEMBERS) - created_users} already there.")
    # Search's own synonyms (算力券 → 算力服务券 …), which a migrated database has but emptied tables lack.
    await SynonymService(db).ensure_defaults()
    done("accounts")
    # Each zone's content, through its services; matching comes after the scenarios it recommends.
    from community.matching.demo import load_matching_demo
    from community.scenarios.demo import load_scenario_demo

    if "scenarios" in zones:
        report += await load_scenario_demo(db, admin, member_hash)
        done("scenarios")
    if "forum" in zones:
        report.extend(await load_forum_demo(db, member_hash))
        done("forum")
    if "vouchers" in zones:
        report.extend(await load_voucher_demo(db, admin))
        done("vouchers")
    if "matching" in zones:
        report.extend(await load_matching_demo(db, settings, admin))
        done("matching")
    if "policies" in zones:
        from community.policies.demo import load_policy_demo

        report.extend(await load_policy_demo(db, admin))
        done("policies")
    if "events" in zones:
        from community.events.demo import load_event_demo

        report.extend(await load_event_demo(db, admin))
        done("events")
    if "talent" in zones:
        from community.talent.demo import load_talent_demo

        report.extend(await load_talent_demo(db, settings, admin, member_hash))
        done("talent")
    report.append(f"Log in as the admin: {ADMIN_EMAIL} / {admin_password}")
    report.append(f"Log in as a demo member (e.g. {MEMBERS[0][0]}): password {member_password}")
    report.append(f"(Passwords are kept in {settings.var_dir / 'demo-credentials.txt'}.)")
    return report
