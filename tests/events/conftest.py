"""The event zone's people and events, arranged through our own services on the test database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import AccountService, hash_password
from community.config import Settings
from community.events.inputs import EventInput
from community.events.models import Event
from community.events.services.events import EventService
from community.kernel.clock import SITE_TZ, now

PASSWORD = "correct horse 42"
_HASH = hash_password(PASSWORD)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, job_worker=False)  # tests run the due jobs themselves


def local(delta: timedelta) -> str:
    """A time ``delta`` from now as a form's datetime-local value (Wuhan time)."""
    return (now() + delta).astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M")


def event_form(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "training",
        "title": "智能体应用专项培训（金融）",
        "summary": "面向金融行业从业者的智能体应用实操培训 / hands-on agents for finance.",
        "description": "## 日程\n\n- 上午：智能体编排\n- 下午：实操",
        "starts_at": local(timedelta(days=3)),
        "ends_at": local(timedelta(days=3, hours=3)),
        "mode": "onsite",
        "address": "光谷软件园 F3 栋 201",
        "district": "东湖新技术开发区",
        "capacity": "20",
        "audience": "everyone",
        **changes,
    }


async def add_user(db: AsyncSession, email: str, name: str = "成员") -> User:
    user = User(email=email, display_name=name, password_hash=_HASH)
    db.add(user)
    await db.flush()
    return user


async def add_org(db: AsyncSession, owner: User, name: str, slug: str, org_type: OrgType) -> Organization:
    org = Organization(name=name, slug=slug, org_type=org_type, district="洪山区")
    db.add(org)
    await db.flush()
    db.add(Membership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
    await db.flush()
    return org


async def make_event(db: AsyncSession, organizer: User, org: Organization, **changes: Any) -> Event:
    data = EventInput.from_mapping(event_form(organization=str(org.id), **changes))
    return await EventService(db).create(organizer, data, publish=True)


@dataclass
class World:
    admin: User
    organizer: User
    center: Organization  # a service organization that runs trainings
    opc_member: User
    opc: Organization


@pytest.fixture
async def world(services: AsyncSession) -> World:
    db = services
    admin = await AccountService(db).create_admin("admin@example.com", PASSWORD, "管理员")
    organizer = await add_user(db, "organizer@example.com", "徐强")
    center = await add_org(db, organizer, "光谷OPC创业服务中心", "opc-center", OrgType.SERVICE)
    opc_member = await add_user(db, "opc@example.com", "李明")
    opc = await add_org(db, opc_member, "智元视界工作室", "zhiyuan", OrgType.OPC)
    await db.commit()
    return World(admin, organizer, center, opc_member, opc)


async def members(db: AsyncSession, count: int, prefix: str = "m") -> list[User]:
    people = [await add_user(db, f"{prefix}{n}@example.com", f"成员{n}") for n in range(count)]
    await db.commit()
    return people
