"""The maintained list of Wuhan's universities and the email domains of their students."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.i18n import _
from community.kernel.models import add_unique, get_or_404
from community.vouchers.models import University

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.vouchers.inputs import UniversityInput

# The maintained list: name, English name, email domains of students and staff (subdomains count too).
WUHAN_UNIVERSITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("武汉大学", "Wuhan University", ("whu.edu.cn",)),
    ("华中科技大学", "Huazhong University of Science and Technology", ("hust.edu.cn",)),
    ("武汉理工大学", "Wuhan University of Technology", ("whut.edu.cn",)),
    ("华中师范大学", "Central China Normal University", ("ccnu.edu.cn",)),
    ("中国地质大学（武汉）", "China University of Geosciences (Wuhan)", ("cug.edu.cn",)),
    ("华中农业大学", "Huazhong Agricultural University", ("hzau.edu.cn",)),
    ("中南财经政法大学", "Zhongnan University of Economics and Law", ("zuel.edu.cn",)),
    ("武汉科技大学", "Wuhan University of Science and Technology", ("wust.edu.cn",)),
    ("湖北大学", "Hubei University", ("hubu.edu.cn",)),
    ("武汉工程大学", "Wuhan Institute of Technology", ("wit.edu.cn",)),
    ("湖北工业大学", "Hubei University of Technology", ("hbut.edu.cn",)),
    ("中南民族大学", "South-Central Minzu University", ("scuec.edu.cn",)),
    ("武汉纺织大学", "Wuhan Textile University", ("wtu.edu.cn",)),
    ("武汉轻工大学", "Wuhan Polytechnic University", ("whpu.edu.cn",)),
    ("江汉大学", "Jianghan University", ("jhun.edu.cn",)),
    ("湖北经济学院", "Hubei University of Economics", ("hbue.edu.cn",)),
    ("武汉体育学院", "Wuhan Sports University", ("whsu.edu.cn",)),
    ("湖北中医药大学", "Hubei University of Chinese Medicine", ("hbtcm.edu.cn",)),
    ("武汉音乐学院", "Wuhan Conservatory of Music", ("whcm.edu.cn",)),
    ("湖北美术学院", "Hubei Institute of Fine Arts", ("hifa.edu.cn",)),
    ("武汉商学院", "Wuhan Business University", ("wbu.edu.cn",)),
    ("武汉东湖学院", "Wuhan Donghu University", ("wdu.edu.cn",)),
)


def domain_matches(email: str, domains: Sequence[str]) -> bool:
    host = email.rsplit("@", 1)[-1].lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class UniversityService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def ensure_defaults(self) -> None:
        """Put the maintained list in an empty table (a fresh database); admins keep it up to date after."""
        if await self.db.scalar(select(func.count()).select_from(University)):
            return
        stmt = insert(University).values(
            [
                {"id": uuid4(), "name": name, "name_en": name_en, "email_domains": list(domains)}
                for name, name_en, domains in WUHAN_UNIVERSITIES
            ]
        )
        await self.db.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))

    async def list(self, *, active_only: bool = True) -> Sequence[University]:
        await self.ensure_defaults()
        query = select(University).order_by(University.name)
        if active_only:
            query = query.where(University.active.is_(True))
        return (await self.db.scalars(query)).all()

    async def get(self, university_id: UUID) -> University:
        return await get_or_404(self.db, University, university_id)

    async def save(self, data: UniversityInput) -> University:
        """Add a university to the list or change one; two of one name are refused."""
        university = await self.get(data.university_id) if data.university_id else University(name=data.name)
        university.name, university.name_en = data.name, data.name_en
        university.email_domains, university.active = data.email_domains, data.active
        await add_unique(
            self.db, university, {"name": _("A university with this name is already on the list.")}
        )
        return university
