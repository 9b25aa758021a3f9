"""What people type in the talent zone, read into one shape each: skills as tags, links, whole numbers,
reasons; the position, talent profile and 招贤榜 issue forms; an application's cover note and CV; the open
positions' filters; and the form values to fill in again.

Each parser reads a form as the browser sent it and raises ``FormError`` with a message beside each field it
refuses; the services check what needs the database (membership, a second application, a position's state).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community.errors import FormError
from community.i18n import _
from community.kernel.clock import today
from community.kernel.models import page_number
from community.kernel.text import clean_body, clean_line
from community.talent.models import EmploymentType
from community.talent.views import mb
from community.uploads import PdfCheck
from community.vocabulary import DISTRICTS
from community.web.forms import field

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from community.talent.models import Position, TalentProfile

SKILLS_MAX = 20
SKILL_MAX = 40
LINKS_MAX = 5
TITLE_MAX = 100
DESCRIPTION_MAX = 10_000
PAY_MAX = 1_000_000  # yuan a month
HEADCOUNT_MAX = 999
HEADLINE_MAX = 100
EXPERIENCE_MAX = 5000
QUERY_MAX = 100
BOARD_TITLE_MAX = 120
INTRODUCTION_MAX = 5000
ITEMS_MAX = 500  # positions in one 招贤榜 issue
COVER_MIN = 10
COVER_MAX = 3000
_SKILL_SPLIT = re.compile(r"[,，、;；\n/|]+")
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,290}$", re.IGNORECASE)
YES = ("yes", "on", "true", "1")


def normalize_skill(raw: str) -> str:
    """One skill as a tag: full-width letters made plain (ＰＹＴＨＯＮ → python), Latin in lower case, spaces
    collapsed, no markup characters."""
    text = clean_line(unicodedata.normalize("NFKC", raw or ""))
    text = "".join(ch for ch in text if ch not in "<>\"'`#")
    return " ".join(text.lower().split())


def parse_skills(raw: str | Iterable[str], errors: dict[str, str], name: str = "skills") -> list[str]:
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
            errors[name] = _("Keep each skill to at most %(n)s characters.", n=SKILL_MAX)
            continue
        if skill not in skills:
            skills.append(skill)
    if len(skills) > SKILLS_MAX:
        errors[name] = _("List at most %(n)s skills.", n=SKILLS_MAX)
    return skills[:SKILLS_MAX]


def parse_links(raw: str, errors: dict[str, str], name: str = "links", maximum: int = LINKS_MAX) -> list[str]:
    links = [clean_line(part) for part in re.split(r"[\s,，]+", raw or "") if clean_line(part)]
    if len(links) > maximum:
        errors[name] = _("Give at most %(n)s links.", n=maximum)
    elif any(not URL_RE.match(link) for link in links):
        errors[name] = _("Give links that start with http:// or https://, separated by spaces.")
    return list(dict.fromkeys(links))[:maximum]


def whole_number(raw: str, errors: dict[str, str], name: str, *, low: int, high: int) -> int | None:
    text = clean_line(raw).replace(",", "").replace("，", "")
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return int(text)


def note_text(raw: str, name: str, *, maximum: int, required: str = "") -> str:
    """A reason or a message the other side reads; ``required`` is what to say when it is missing."""
    text = clean_body(raw)
    if required and not text:
        raise FormError({name: required})
    if len(text) > maximum:
        raise FormError({name: _("Use at most %(n)s characters.", n=maximum)})
    return text


def _skills(data: Mapping[str, Any], errors: dict[str, str]) -> list[str]:
    """The skills of a position or a profile: at least one."""
    skills = parse_skills(field(data, "skills"), errors)
    if not skills and "skills" not in errors:
        errors["skills"] = _("List at least one skill, separated by commas.")
    return skills


def _place(data: Mapping[str, Any], errors: dict[str, str], missing: str) -> tuple[str, bool]:
    """(district, remote): a district from the list, or remote work, or both."""
    district = clean_line(field(data, "district"))
    if district and district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    remote = field(data, "remote") in YES
    if not district and not remote:
        errors["district"] = missing
    return district, remote


@dataclass(frozen=True)
class PositionInput:
    """A position as its organization describes it (the same form creates and edits it)."""

    title: str
    skills: list[str]
    description: str
    pay_min: int | None
    pay_max: int | None
    pay_negotiable: bool
    district: str
    remote: bool
    employment_type: EmploymentType
    headcount: int
    deadline: date | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PositionInput:
        errors: dict[str, str] = {}
        title = clean_line(field(data, "title"))
        if len(title) < 2:
            errors["title"] = _("Give the position a title, like “大模型应用开发工程师”.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters.", n=TITLE_MAX)
        skills = _skills(data, errors)
        description = clean_body(field(data, "description"))
        if len(description) < 10:
            errors["description"] = _("Describe the work in at least %(n)s characters.", n=10)
        elif len(description) > DESCRIPTION_MAX:
            errors["description"] = _("Use at most %(n)s characters.", n=DESCRIPTION_MAX)
        negotiable = field(data, "pay_mode") == "negotiable"
        pay_min = pay_max = None
        if not negotiable:
            pay_min = whole_number(field(data, "pay_min"), errors, "pay_min", low=1, high=PAY_MAX)
            pay_max = whole_number(field(data, "pay_max"), errors, "pay_max", low=1, high=PAY_MAX)
            if pay_min is None and "pay_min" not in errors:
                errors["pay_min"] = _("Give the monthly pay in yuan, or choose “negotiable”.")
            if pay_min is not None and pay_max is not None and pay_max < pay_min:
                errors["pay_max"] = _("The highest pay must not be below the lowest.")
        district, remote = _place(
            data, errors, _("Choose where the work is, or say it can be done remotely.")
        )
        try:
            employment_type = EmploymentType(field(data, "employment_type"))
        except ValueError:
            errors["employment_type"] = _("Choose the kind of work.")
            employment_type = EmploymentType.FULL_TIME
        headcount = whole_number(
            field(data, "headcount") or "1", errors, "headcount", low=1, high=HEADCOUNT_MAX
        )
        deadline = _deadline(field(data, "deadline"), errors)
        if errors:
            raise FormError(errors)
        return cls(
            title=title,
            skills=skills,
            description=description,
            pay_min=pay_min,
            pay_max=pay_max,
            pay_negotiable=negotiable,
            district=district,
            remote=remote,
            employment_type=employment_type,
            headcount=headcount or 1,
            deadline=deadline,
        )


def _deadline(raw: str, errors: dict[str, str]) -> date | None:
    """An optional deadline, from today to two years ahead."""
    text = clean_line(raw)
    if not text:
        return None
    try:
        deadline = date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError:
        errors["deadline"] = _("Enter the date as a date, like 2027-03-31.")
        return None
    if not today() <= deadline <= today() + timedelta(days=731):
        errors["deadline"] = _("Choose a date from today to two years ahead.")
    return deadline


def chosen_organization(data: Mapping[str, Any]) -> UUID:
    """The organization a new position is posted for (the service checks that the poster belongs to it)."""
    try:
        return UUID(field(data, "organization"))
    except ValueError as exc:
        raise FormError({"organization": _("Choose one of your organizations.")}) from exc


@dataclass(frozen=True)
class ProfileInput:
    """人才名片 as its member fills it in."""

    headline: str
    skills: list[str]
    experience: str
    years_experience: int
    district: str
    remote: bool
    links: list[str]
    open_to_offers: bool

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProfileInput:
        errors: dict[str, str] = {}
        headline = clean_line(field(data, "headline"))
        if not headline:
            errors["headline"] = _("Say in one line what you do, like “大模型应用工程师 / RAG and agents”.")
        elif len(headline) > HEADLINE_MAX:
            errors["headline"] = _("Use at most %(n)s characters.", n=HEADLINE_MAX)
        skills = _skills(data, errors)
        experience = clean_body(field(data, "experience"))
        if len(experience) > EXPERIENCE_MAX:
            errors["experience"] = _("Use at most %(n)s characters.", n=EXPERIENCE_MAX)
        years = whole_number(field(data, "years_experience"), errors, "years_experience", low=0, high=60)
        district, remote = _place(data, errors, _("Choose your district, or say you work remotely."))
        links = parse_links(field(data, "links"), errors)
        if errors:
            raise FormError(errors)
        return cls(
            headline=headline,
            skills=skills,
            experience=experience,
            years_experience=years or 0,
            district=district,
            remote=remote,
            links=links,
            open_to_offers=field(data, "open_to_offers") in YES,
        )


@dataclass(frozen=True)
class BoardInput:
    """A 招贤榜 issue as an admin composes it: an optional theme and introduction, the positions chosen (each
    once, in the order chosen)."""

    title: str
    introduction: str
    position_ids: list[UUID]

    @classmethod
    def parse(cls, position_ids: Sequence[str], title: str = "", introduction: str = "") -> BoardInput:
        errors: dict[str, str] = {}
        theme = clean_line(title)
        if len(theme) > BOARD_TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters.", n=BOARD_TITLE_MAX)
        intro = clean_body(introduction)
        if len(intro) > INTRODUCTION_MAX:
            errors["introduction"] = _("Use at most %(n)s characters.", n=INTRODUCTION_MAX)
        ids = []
        for value in position_ids[: ITEMS_MAX + 1]:
            try:
                ids.append(UUID(str(value)))
            except ValueError:
                continue
        ids = list(dict.fromkeys(ids))
        if not ids:
            errors["positions"] = _("Choose at least one open position.")
        elif len(ids) > ITEMS_MAX:
            errors["positions"] = _("An issue holds at most %(n)s positions.", n=ITEMS_MAX)
        if errors:
            raise FormError(errors)
        return cls(title=theme, introduction=intro, position_ids=ids)


# --- applying ---------------------------------------------------------------------------------------------


def cover_note_text(raw: str, errors: dict[str, str]) -> str:
    """Why the applicant suits the position: at least a sentence (a refusal already given stays first)."""
    note = clean_body(raw)
    if len(note) < COVER_MIN:
        errors.setdefault(
            "cover_note",
            _("Tell the organization in at least %(n)s characters why you suit it.", n=COVER_MIN),
        )
    elif len(note) > COVER_MAX:
        errors.setdefault("cover_note", _("Use at most %(n)s characters.", n=COVER_MAX))
    return note


def check_cv(filename: str, content: bytes, max_bytes: int, errors: dict[str, str]) -> None:
    """A clear message beside the CV field for an empty or too large file (whether it is a PDF is read from
    its content afterwards, off the event loop: ``pdf_refusal``)."""
    limit = mb(max_bytes)
    if not content:
        errors["cv"] = _("Choose your CV: a PDF file of at most %(mb)s MB.", mb=limit)
    elif len(content) > max_bytes:
        errors["cv"] = _(
            "Your CV is larger than %(mb)s MB. Send a smaller PDF (fewer images, or printed to PDF).",
            mb=limit,
        )


def pdf_refusal(found: PdfCheck, filename: str, max_pages: int) -> str | None:
    """What to say beside the CV field when reading it as a PDF found it wanting (None when it is fine)."""
    if found is PdfCheck.NOT_PDF:
        return _(
            "“%(name)s” is not a PDF. Save or print your CV as a PDF, then send that file.",
            name=clean_line(filename)[:80] or "?",
        )
    if found is PdfCheck.TOO_MANY_PAGES:
        return _("Your CV has more than %(n)s pages. Send a shorter PDF.", n=max_pages)
    if found is PdfCheck.TIMED_OUT:
        return _(
            "Your CV took too long to read. Send a simpler PDF (printed to PDF, with fewer images), or try "
            "again in a moment."
        )
    return None


# --- forms filled in again ---------------------------------------------------------------------------------


def position_form(position: Position) -> dict[str, Any]:
    """The position form as its stored position fills it."""
    return {
        "title": position.title,
        "skills": "，".join(position.skills),
        "description": position.description,
        "pay_mode": "negotiable" if position.pay_negotiable else "range",
        "pay_min": "" if position.pay_min is None else str(position.pay_min),
        "pay_max": "" if position.pay_max is None else str(position.pay_max),
        "district": position.district,
        "remote": "yes" if position.remote else "",
        "employment_type": position.employment_type.value,
        "headcount": str(position.headcount),
        "deadline": position.deadline.isoformat() if position.deadline else "",
    }


def new_position_form(organization: str) -> dict[str, Any]:
    """A blank position form: full time, one opening, a pay range, for the chosen organization."""
    return {
        "organization": organization,
        "employment_type": EmploymentType.FULL_TIME.value,
        "headcount": "1",
        "pay_mode": "range",
    }


def profile_form(profile: TalentProfile | None) -> dict[str, Any]:
    if profile is None:
        return {}
    return {
        "headline": profile.headline,
        "skills": "，".join(profile.skills),
        "experience": profile.experience,
        "years_experience": str(profile.years_experience),
        "district": profile.district,
        "remote": "yes" if profile.remote else "",
        "links": " ".join(profile.links),
        "open_to_offers": "yes" if profile.open_to_offers else "",
    }


# --- the list of open positions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionFilters:
    q: str = ""
    skill: str = ""
    district: str = ""
    employment_type: str = ""
    remote: bool = False
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> PositionFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        district = values.get("district")
        kind = values.get("employment_type")
        return cls(
            q=clean_line(str(values.get("q") or "")),
            skill=clean_line(str(values.get("skill") or "")),
            district=district if district in DISTRICTS else "",
            employment_type=kind if kind in {t.value for t in EmploymentType} else "",
            remote=values.get("remote") is True or str(values.get("remote")) in YES,
            page=page_number(values.get("page") or 1),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "q": self.q or None,
            "skill": self.skill or None,
            "district": self.district or None,
            "type": self.employment_type or None,
            "remote": "1" if self.remote else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}
