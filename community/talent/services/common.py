"""What the talent zone's services share: time in Wuhan, pages of results, skills as tags, links."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Generic, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from community.i18n import _
from community.markup import clean_line

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

T = TypeVar("T")
SITE_TZ = ZoneInfo("Asia/Shanghai")
SKILLS_MAX = 20
SKILL_MAX = 40
_SKILL_SPLIT = re.compile(r"[,，、;；\n/|]+")
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,290}$", re.IGNORECASE)
# Job kinds other parts of the site handle (by name: the talent zone never imports them).
JOB_EMBED = "talent.embed"
JOB_REMINDERS = "talent.reminders"


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(SITE_TZ).date()


def position_url(position_id: UUID | str) -> str:
    return f"/talent/positions/{position_id}"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def normalize_skill(raw: str) -> str:
    """One skill as a tag: full-width letters made plain (ＰＹＴＨＯＮ → python), Latin in lower case, spaces
    collapsed, no markup characters."""
    text = clean_line(unicodedata.normalize("NFKC", raw or ""))
    text = "".join(ch for ch in text if ch not in "<>\"'`#")
    return " ".join(text.lower().split())


def parse_skills(raw: str | Iterable[str], errors: dict[str, str], field: str = "skills") -> list[str]:
    """Skills typed as 'Python, 大模型、RAG' (or a list): normalised, each once, in the order given."""
    parts = (
        _SKILL_SPLIT.split(raw)
        if isinstance(raw, str)
        else [p for item in raw for p in _SKILL_SPLIT.split(item)]
    )
    skills: list[str] = []
    for part in parts:
        skill = normalize_skill(part)
        if not skill:
            continue
        if len(skill) > SKILL_MAX:
            errors[field] = _("Keep each skill to at most %(n)s characters.", n=SKILL_MAX)
            continue
        if skill not in skills:
            skills.append(skill)
    if len(skills) > SKILLS_MAX:
        errors[field] = _("List at most %(n)s skills.", n=SKILLS_MAX)
    return skills[:SKILLS_MAX]


def parse_links(raw: str, errors: dict[str, str], field: str = "links", maximum: int = 5) -> list[str]:
    links = [clean_line(part) for part in re.split(r"[\s,，]+", raw or "") if clean_line(part)]
    if len(links) > maximum:
        errors[field] = _("Give at most %(n)s links.", n=maximum)
    elif any(not URL_RE.match(link) for link in links):
        errors[field] = _("Give links that start with http:// or https://, separated by spaces.")
    return list(dict.fromkeys(links))[:maximum]


def whole_number(raw: str, errors: dict[str, str], field: str, *, low: int, high: int) -> int | None:
    text = clean_line(raw).replace(",", "").replace("，", "")
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors[field] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return int(text)


def skills_in_common(a: Iterable[str], b: Iterable[str]) -> list[str]:
    others = set(b)
    return [skill for skill in dict.fromkeys(a) if skill in others]
