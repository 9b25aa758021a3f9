"""Demo content of the voucher zone: a dozen products of the demo OPCs, a running campaign, verified and
unverified students, and a few confirmed trials with ratings so that the gallery has a ranking.

Safe to run again: products are matched by name and organization; the campaign by name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.kernel.clock import SITE_TZ, now
from community.search.services import enqueue_upsert
from community.vouchers.documents import product_document
from community.vouchers.inputs import CampaignInput
from community.vouchers.models import Campaign, Product, ProductStatus
from community.vouchers.services.campaigns import CampaignService
from community.vouchers.services.redemptions import RedemptionService
from community.vouchers.services.students import StudentService
from community.vouchers.services.universities import UniversityService
from community.vouchers.services.vouchers import VoucherService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CAMPAIGN_NAME = "2026 冬季 AI 产品体验券"
VERIFIED_STUDENT = "student.demo@example.com"
UNVERIFIED_STUDENT = "student.new@example.com"
RATERS = 8

# (organization slug, name, summary, domains, what a voucher gives)
PRODUCTS: tuple[tuple[str, str, str, list[str], str], ...] = (
    (
        "zhiyuan-ai",
        "慧眼质检 Lite",
        "小样本工业缺陷检测，手机拍照即可标注与训练。",
        ["生产制造", "工业软件"],
        "60 天标准版",
    ),
    (
        "zhiyuan-ai",
        "边缘视觉盒子模拟器",
        "在浏览器里体验边缘部署的视觉模型推理与调优。",
        ["智能芯片", "生产制造"],
        "100 小时算力",
    ),
    (
        "zhiyuan-ai",
        "AI 读图助手",
        "上传图表或仪表照片，自动读数并生成报告。",
        ["能源优化", "数字创意"],
        "300 次识别",
    ),
    (
        "qingyun-agent",
        "政务问答智能体",
        "基于政策文件的知识库问答，引用原文出处。",
        ["政务服务", "城市服务"],
        "30 天专业版",
    ),
    (
        "qingyun-agent",
        "工单分派机器人",
        "读懂热线工单，自动分派到责任部门并跟踪。",
        ["政务服务"],
        "30 天专业版",
    ),
    (
        "qingyun-agent",
        "校园事务助手",
        "课表、报修、请假一问即答，可接入企业微信。",
        ["教育", "城市服务"],
        "一学期免费",
    ),
    (
        "qingyun-agent",
        "客服知识库一键建",
        "把产品手册变成可对话的客服，支持中英双语。",
        ["数字创意", "金融"],
        "1000 次对话",
    ),
    (
        "hanjiang-code",
        "代码审查机器人",
        "在 Git 平台上自动审查合并请求，指出缺陷与风格问题。",
        ["工业软件", "网络安全"],
        "3 个仓库 60 天",
    ),
    (
        "hanjiang-code",
        "单测生成器",
        "为 Python/Java 项目自动生成单元测试并报告覆盖率。",
        ["工业软件", "教育"],
        "500 次生成",
    ),
    (
        "hanjiang-code",
        "遗留系统迁移助手",
        "把老旧代码库迁移到新框架，逐文件给出改写建议。",
        ["工业软件"],
        "1 个项目 30 天",
    ),
    (
        "hanjiang-code",
        "毕业设计代码导师",
        "讲解代码、指出错误，引导学生自己写出毕设程序。",
        ["教育"],
        "一学期免费",
    ),
    (
        "hanjiang-code",
        "安全漏洞速查",
        "扫描依赖与代码中的已知漏洞，给出修复版本。",
        ["网络安全"],
        "10 次完整扫描",
    ),
)


async def load_voucher_demo(db: AsyncSession, admin: User) -> list[str]:
    report: list[str] = []
    universities = await UniversityService(db).list()
    whu = next(u for u in universities if "whu.edu.cn" in u.email_domains)
    hust = next(u for u in universities if "hust.edu.cn" in u.email_domains)

    orgs = {
        org.slug: org
        for org in (await db.scalars(select(Organization).where(Organization.org_type == OrgType.OPC))).all()
    }
    products: list[Product] = []
    created = 0
    for slug, name, summary, domains, benefit in PRODUCTS:
        org = orgs.get(slug)
        if org is None:
            continue
        product = await db.scalar(
            select(Product).where(Product.organization_id == org.id, Product.name == name)
        )
        if product is None:
            product = Product(
                organization_id=org.id,
                name=name,
                summary=summary,
                description=f"## {name}\n\n{summary}\n\n- 中文与 English 界面\n- 学生体验券可直接兑换",
                domains=domains,
                screenshots=[],
                how_to_try="在产品网站注册后，在“兑换”页输入体验券兑换码即可开通。",
                voucher_benefit=benefit,
                status=ProductStatus.PUBLISHED,
                published_at=now(),
            )
            db.add(product)
            await db.flush()
            enqueue_upsert(db, product_document(product, org.name))
            created += 1
        products.append(product)
    report.append(f"Products: {created} created, {len(products) - created} already there.")

    campaign = await db.scalar(select(Campaign).where(Campaign.name == CAMPAIGN_NAME))
    vouchers = VoucherService(db)
    if campaign is None:
        start = (now() - timedelta(days=7)).astimezone(SITE_TZ)
        end = (now() + timedelta(days=90)).astimezone(SITE_TZ)
        campaign = await CampaignService(db).create(
            admin,
            CampaignInput.parse(
                {
                    "name": CAMPAIGN_NAME,
                    "funder": "武汉市科学技术局",
                    "description": "面向在汉高校学生的 AI 产品体验券，每张 100 元，由 OPC 确认交付后结算。",
                    "budget": "200000",
                    "face_value": "100",
                    "per_student_cap": "2",
                    "per_product_cap": "300",
                    "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                    "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
                }
            ),
        )
        report.append(f"Campaign: {CAMPAIGN_NAME} created, running until {end:%Y-%m-%d}.")

    # Students: one verified (the demo member), one not yet, and a few who tried products and rated them.
    template = await db.scalar(select(User).where(User.email == VERIFIED_STUDENT))
    if template is not None:
        students = StudentService(db)
        status = await students.status(template.id)
        if status.verification is None:
            await students.grant(template.id, whu.id, "lin.demo@whu.edu.cn", reviewed_by_id=admin.id)
        if await db.scalar(select(User).where(User.email == UNVERIFIED_STUDENT)) is None:
            db.add(
                User(email=UNVERIFIED_STUDENT, display_name="周同学", password_hash=template.password_hash)
            )
        for n in range(RATERS):
            email = f"rater{n}.demo@example.com"
            if await db.scalar(select(User).where(User.email == email)) is not None:
                continue
            rater = User(email=email, display_name=f"体验学生{n + 1}", password_hash=template.password_hash)
            db.add(rater)
            await db.flush()
            await students.grant(rater.id, hust.id, f"rater{n}.demo@hust.edu.cn", reviewed_by_id=admin.id)
            for k, product in enumerate(products[n % 4 :: 4][:2]):
                # Both sides confirm: a member of the product's OPC types the code, then the student.
                maker_ids = await OrganizationService(db).member_ids(product.organization_id)
                maker = await db.get(User, maker_ids[0]) if maker_ids else None
                if maker is None:
                    continue
                voucher = await vouchers.claim(rater, campaign.id)
                voucher = await vouchers.redeem(rater, voucher.id, product.id)
                await RedemptionService(db).confirm(
                    maker, voucher.redemption_code or "", product_id=product.id
                )
                await vouchers.confirm_trial(rater, voucher.id)
                await vouchers.rate(rater, voucher.id, str(5 - (n + k) % 3), "体验很顺畅，推荐同学试试。")
        report.append(
            f"Students: {VERIFIED_STUDENT} is verified, {UNVERIFIED_STUDENT} is not; "
            f"{RATERS} more tried products and rated them (same password as the demo members)."
        )
    await db.flush()
    return report
