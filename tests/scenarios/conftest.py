"""People of the scenario zone, each in a browser of their own: an admin, an enterprise that publishes
needs, an OPC that answers them, another enterprise, and a visitor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import User
from community.accounts.services import AccountService, OrganizationService
from community.scenarios.models import CapabilityProfile
from community.scenarios.services.capabilities import CapabilityInput, CapabilityItemInput, CapabilityService
from tests.conftest import FormClient

PASSWORD = "correct horse 42"

COMPLETE = {
    "title": "社区医院 AI 分诊助手 / AI triage",
    "kind": "need",
    "scale": "focused",
    "domains": ["智慧医疗", "医疗"],
    "district": "洪山区",
    "abstract": "为 12 家社区医院提供基于大模型的预约分诊与随访提醒。",
    "description": "## 现状\n\n每天 3000 人次门诊，**人工分诊**压力大。\n\n```python\nprint('hello')\n```",
    "expected_outcome": "分诊准确率 ≥ 90%，上线 3 个月内覆盖全部网点。",
    "budget_mode": "range",
    "budget_min": "20万",
    "budget_max": "500000",
    "deadline": "2099-12-31",
    "contact_name": "王主任",
    "contact_phone": "027-8765 4321",
    "contact_email": "wang@hospital.example",
}


@dataclass
class Zone:
    admin: FormClient
    owner: FormClient  # member of the enterprise 光谷医联
    opc: FormClient  # member of the OPC 智元视界
    rival: FormClient  # member of another enterprise
    visitor: FormClient
    ids: dict[str, Any]


async def _org(person: FormClient, name: str, slug: str, org_type: str) -> None:
    response = await person.submit("/orgs/new", {"name": name, "org_type": org_type, "slug": slug})
    assert response.status_code == 200, response.text


@pytest.fixture
async def zone(make_client: Any, services: Any) -> Zone:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()
    admin = await make_client()
    await admin.login("admin@example.com")
    owner = await make_client()
    await owner.register("owner@example.com", name="王主任")
    await _org(owner, "光谷医联数字健康有限公司", "guanggu-medical", "enterprise")
    opc = await make_client()
    await opc.register("opc@example.com", name="李一人")
    await _org(opc, "智元视界工作室", "zhiyuan", "opc")
    rival = await make_client()
    await rival.register("rival@example.com", name="张三")
    await _org(rival, "长江制造有限公司", "changjiang", "enterprise")
    visitor = await make_client()
    return Zone(admin=admin, owner=owner, opc=opc, rival=rival, visitor=visitor, ids={})


async def verified_opc(services: AsyncSession, slug: str, member_email: str) -> CapabilityProfile:
    """The OPC ``slug`` gets a capability profile that an admin verified, through the services: only such an
    OPC's members read confidential details."""
    member = await services.scalar(select(User).where(User.email == member_email))
    admin = await services.scalar(select(User).where(User.is_admin.is_(True)).limit(1))
    assert member is not None and admin is not None
    org = await OrganizationService(services).by_slug(slug)
    capabilities = CapabilityService(services)
    data = CapabilityInput(
        summary="一人公司：医疗影像与分诊模型的微调与部署。",
        team_size="3",
        district="东湖新技术开发区",
        items=(CapabilityItemInput("智慧医疗", "医学影像大模型", "pilot"),),
    )
    profile = await capabilities.save(member, org.id, data, submit=True)
    await capabilities.verify(admin, profile.id)
    await services.commit()
    return profile
