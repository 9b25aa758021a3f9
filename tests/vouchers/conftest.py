"""The voucher zone's people and things, arranged through our own services on the test database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import AccountService, hash_password
from community.kernel.clock import now
from community.vouchers.inputs import CampaignInput, ProductInput
from community.vouchers.models import Campaign, Product
from community.vouchers.services.campaigns import CampaignService
from community.vouchers.services.products import ProductService
from community.vouchers.services.students import StudentService, UniversityService

PASSWORD = "correct horse 42"
_HASH = hash_password(PASSWORD)

PRODUCT = {
    "name": "光谷写作助手 Writer",
    "summary": "用大模型帮学生润色论文摘要 / polish abstracts with an LLM.",
    "description": "## 功能\n\n- 摘要润色\n- 参考文献格式",
    "domains": ["教育"],
    "screenshots": "https://img.example.com/writer-1.png",
    "website": "https://writer.example.com",
    "how_to_try": "打开网站，用学校邮箱注册，输入兑换码。",
    "voucher_benefit": "30 天专业版",
}


@dataclass
class World:
    admin: User
    opc_member: User
    opc: Organization
    product: Product
    other_product: Product
    campaign: Campaign
    university_id: UUID
    students: list[User] = field(default_factory=list)


async def add_user(db: AsyncSession, email: str, name: str = "同学") -> User:
    user = User(email=email, display_name=name, password_hash=_HASH)
    db.add(user)
    await db.flush()
    return user


async def verified_students(
    db: AsyncSession, university_id: UUID, count: int, prefix: str = "s"
) -> list[User]:
    students = []
    for n in range(count):
        user = await add_user(db, f"{prefix}{n}@example.com", f"学生{n}")
        await StudentService(db).grant(user.id, university_id, f"{prefix}{n}@whu.edu.cn")
        students.append(user)
    return students


async def published_product(
    db: AsyncSession, admin: User, member: User, org_id: UUID, **changes: Any
) -> Product:
    products = ProductService(db)
    product = await products.create(
        member, org_id, ProductInput.from_mapping({**PRODUCT, **changes}), submit=True
    )
    return await products.review(admin, product.id, True, "")


async def make_campaign(db: AsyncSession, admin: User, **changes: str) -> Campaign:
    start = (now() - timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    end = (now() + timedelta(days=30)).astimezone().strftime("%Y-%m-%dT%H:%M")
    data = {
        "name": "2026 秋季 AI 体验券",
        "funder": "武汉市科技局",
        "budget": "5000",
        "face_value": "100",
        "per_student_cap": "2",
        "per_product_cap": "1000",
        "starts_at": start,
        "ends_at": end,
        **changes,
    }
    return await CampaignService(db).create(admin, CampaignInput.parse(data))


@pytest.fixture
async def world(services: AsyncSession) -> World:
    db = services
    admin = await AccountService(db).create_admin("admin@example.com", PASSWORD, "管理员")
    member = await add_user(db, "opc@example.com", "李一人")
    opc = Organization(name="智元视界工作室", slug="zhiyuan", org_type=OrgType.OPC)
    db.add(opc)
    await db.flush()
    db.add(Membership(user_id=member.id, organization_id=opc.id, role=MemberRole.OWNER))
    await db.flush()
    product = await published_product(db, admin, member, opc.id)
    other = await published_product(
        db, admin, member, opc.id, name="编程伙伴 Coder", domains=["教育", "金融"]
    )
    campaign = await make_campaign(db, admin)
    universities = await UniversityService(db).list()
    whu = next(u for u in universities if "whu.edu.cn" in u.email_domains)
    await db.commit()
    return World(admin, member, opc, product, other, campaign, whu.id)


async def reload(db: AsyncSession, model: Any, id_: UUID) -> Any:
    return (
        await db.execute(select(model).where(model.id == id_).execution_options(populate_existing=True))
    ).scalar_one()
