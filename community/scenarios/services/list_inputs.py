"""What admins and readers send to the list pages, read into one shape each: the list and issue named in a
URL, a draft's theme and introduction, the candidate filters, and a change to a draft's items.

Unknown codes in filters are dropped (a stale link still shows a page); what a form gets wrong is refused
with a ``FormError`` beside its field when the service checks it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import UUID

from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import today
from community.kernel.models import page_number
from community.kernel.text import clean_body, clean_line
from community.scenarios.models import ListKind
from community.vocabulary import DOMAINS
from community.web.forms import field, many

if TYPE_CHECKING:
    from community.scenarios.models import ListIssue

TITLE_MAX = 120
INTRODUCTION_MAX = 5_000
QUERY_MAX = 200
ISSUE_FIELDS = ("title", "introduction", "publish_on")
UUIDS_MAX = 1_000  # ticked boxes read from one form
# An issue in a URL: its number, and .csv or .xlsx for a download.
_REF = re.compile(r"^([1-9][0-9]{0,9})(?:\.(csv|xlsx))?$")


def parse_kind(value: str | None) -> ListKind:
    """A list kind from a URL segment or a form; anything else does not exist."""
    try:
        return ListKind(value or "")
    except ValueError as exc:
        raise NotFound from exc


def parse_ref(ref: str) -> tuple[int, str | None]:
    """``3`` -> (3, None), ``3.xlsx`` -> (3, "xlsx"); anything else does not exist."""
    match = _REF.match(ref)
    if match is None:
        raise NotFound
    return int(match.group(1)), match.group(2)


def uuids(values: list[str]) -> list[UUID]:
    """The ids among ``values``; what is not one is skipped."""
    result = []
    for value in values[:UUIDS_MAX]:
        try:
            result.append(UUID(value))
        except ValueError:
            continue
    return result


@dataclass(frozen=True)
class IssueInput:
    """The editable part of a draft, as typed."""

    title: str = ""
    introduction: str = ""
    publish_on: str = ""

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> IssueInput:
        return cls(**{name: field(data, name) for name in ISSUE_FIELDS})

    @classmethod
    def of(cls, issue: ListIssue) -> IssueInput:
        """What the draft's form shows before anything is typed."""
        return cls(
            title=issue.title,
            introduction=issue.introduction,
            publish_on=issue.publish_on.isoformat() if issue.publish_on else "",
        )

    def as_form(self) -> dict[str, str]:
        return {"title": self.title, "introduction": self.introduction, "publish_on": self.publish_on}

    def values(self) -> dict[str, Any]:
        """The cleaned values for the issue's columns; ``FormError`` names each field that is wrong."""
        errors: dict[str, str] = {}
        title = clean_line(self.title)
        if len(title) > TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters for the theme.", n=TITLE_MAX)
        introduction = clean_body(self.introduction)
        if len(introduction) > INTRODUCTION_MAX:
            errors["introduction"] = _(
                "Use at most %(n)s characters for the introduction.", n=INTRODUCTION_MAX
            )
        publish_on: date | None = None
        raw = clean_line(self.publish_on)
        if raw:
            try:
                publish_on = date.fromisoformat(raw[:10].replace("/", "-"))
            except ValueError:
                errors["publish_on"] = _("Enter the date as a date, like 2027-03-31.")
            else:
                low, high = date(2020, 1, 1), today() + timedelta(days=366)
                if not low <= publish_on <= high:
                    errors["publish_on"] = _(
                        "Choose a date between %(low)s and %(high)s.",
                        low=low.isoformat(),
                        high=high.isoformat(),
                    )
        if errors:
            raise FormError(errors)
        return {"title": title, "introduction": introduction, "publish_on": publish_on}


@dataclass(frozen=True)
class CandidateFilters:
    """What an admin looks for among the candidates of a draft."""

    q: str = ""
    domain: str = ""
    show_all: bool = False  # also what earlier issues listed
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> CandidateFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows the page."""
        domain = values.get("domain")
        return cls(
            q=clean_line(str(values.get("q") or ""))[:QUERY_MAX],
            domain=domain if isinstance(domain, str) and domain in DOMAINS else "",
            show_all=values.get("show") == "all",
            page=page_number(values.get("page") or 1),
        )

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> CandidateFilters:
        """The filters a form sends along (kept while ticking items to add)."""
        return cls.clean(**{name: field(data, name) for name in ("q", "domain", "show", "page")})

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (for links that change one of them)."""
        values: dict[str, Any] = {
            "q": self.q,
            "domain": self.domain,
            "show": "all" if self.show_all else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def href(self, path: str, **changes: Any) -> str:
        query = urlencode(self.as_query(**changes))
        return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class ItemsChange:
    """What the items form of a draft asks: move one item, or remove or add the ticked ones ("" for
    nothing)."""

    action: str
    source_ids: tuple[UUID, ...] = ()
    direction: str = ""

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> ItemsChange:
        move = field(data, "move")
        if move:  # "<id>:up", the button pressed
            source, _sep, direction = move.partition(":")
            return cls("move", tuple(uuids([source])), direction)
        action = field(data, "action")
        if action in ("remove", "add"):
            return cls(action, tuple(uuids(many(data, action))))
        return cls("")

    @property
    def source_id(self) -> UUID | None:
        return self.source_ids[0] if self.source_ids else None
