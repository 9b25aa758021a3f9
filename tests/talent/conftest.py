"""The talent zone's people and things, arranged through our own services on the test database: an admin, an
OPC with its owner and an open position, an applicant with a talent profile, an outsider; real PDFs."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from pypdf import PdfWriter
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services import AccountService, hash_password
from community.talent.models import Position
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService

PASSWORD = "correct horse 42"
_HASH = hash_password(PASSWORD)

POSITION = {
    "title": "大模型应用开发工程师",
    "skills": "Python，大模型，RAG",
    "description": "为政务热线搭建知识库问答与智能体工单分派，负责检索增强生成和评测。",
    "pay_mode": "range",
    "pay_min": "12000",
    "pay_max": "20000",
    "district": "洪山区",
    "remote": "yes",
    "employment_type": "full_time",
    "headcount": "2",
    "deadline": "",
}

PROFILE = {
    "headline": "大模型应用工程师 / RAG and agents",
    "skills": "Python, RAG, 智能体",
    "experience": "三年知识库问答与检索增强生成经验，做过政务热线的工单分派。",
    "years_experience": "3",
    "district": "洪山区",
    "remote": "yes",
    "links": "https://github.com/example",
    "open_to_offers": "yes",
}


def make_pdf(pages: int = 1, padding: int = 0) -> bytes:
    """A real, small PDF (it parses), as a CV would be; ``padding`` bytes of metadata make it larger."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_metadata({"/Subject": "x" * padding})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` blank pages, written by hand in a fraction of a second (pypdf would take minutes
    for 100,000): one page tree node whose /Kids lists every page object. It parses with pypdf."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets: list[int] = []

    def obj(number: int, body: bytes) -> None:
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    obj(1, b"<</Type/Catalog/Pages 2 0 R>>")
    kids = b" ".join(b"%d 0 R" % (n + 3) for n in range(pages))
    obj(2, b"<</Type/Pages/Count %d/MediaBox[0 0 595 842]/Kids[" % pages + kids + b"]>>")
    for n in range(pages):
        obj(n + 3, b"<</Type/Page/Parent 2 0 R>>")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    return out.getvalue()


@pytest.fixture(scope="session")
def huge_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A CV of 100,000 pages in under 10 MB (about 3 s for pypdf to count), made once per run."""
    path = tmp_path_factory.getbasetemp() / "100000-pages.pdf"
    if not path.exists():
        path.write_bytes(many_pages_pdf(100_000))
    return path.read_bytes()


@dataclass
class World:
    admin: User
    owner: User
    opc: Organization
    position: Position
    applicant: User
    outsider: User


async def add_user(db: AsyncSession, email: str, name: str) -> User:
    user = User(email=email, display_name=name, password_hash=_HASH)
    db.add(user)
    await db.flush()
    return user


async def add_org(
    db: AsyncSession, owner: User, name: str, slug: str, org_type: OrgType = OrgType.OPC
) -> Organization:
    org = Organization(name=name, slug=slug, org_type=org_type, district="洪山区")
    db.add(org)
    await db.flush()
    db.add(Membership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
    await db.flush()
    return org


@pytest.fixture
async def world(services: AsyncSession) -> World:
    db = services
    admin = await AccountService(db).create_admin("admin@example.com", PASSWORD, "管理员")
    owner = await add_user(db, "owner@example.com", "张薇")
    opc = await add_org(db, owner, "青云智能体工作室", "qingyun")
    position = await PositionService(db).create(owner, opc.id, POSITION, publish=True)
    applicant = await add_user(db, "applicant@example.com", "王小明")
    await ProfileService(db).save(applicant, PROFILE)
    outsider = await add_user(db, "outsider@example.com", "路人甲")
    await db.commit()
    return World(admin, owner, opc, position, applicant, outsider)


async def login(make_client: Any, email: str) -> Any:
    person = await make_client()
    response = await person.login(email, PASSWORD)
    assert response.status_code == 200, response.text
    return person


async def apply(
    person: Any,
    position_id: Any,
    content: bytes,
    note: str = "我做过三个政务知识库项目，熟悉 RAG。",
    name: str = "简历.pdf",
    kind: str = "application/pdf",
) -> Any:
    token = await person.csrf_token()
    return await person.client.post(
        f"/talent/positions/{position_id}/apply",
        data={"cover_note": note, "_csrf_token": token},
        files={"cv": (name, content, kind)},
        follow_redirects=True,
    )
