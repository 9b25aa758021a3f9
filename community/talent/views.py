"""What the talent zone's pages, downloads and API show: what a viewer may do with a position, applications
as their organization and their applicant see them, and the positions of a published 招贤榜 issue read from
its frozen snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec

from community.kernel.clock import today
from community.talent.labels import code_label, format_pay, format_place
from community.talent.models import ApplicationStatus, EmploymentType

if TYPE_CHECKING:
    from uuid import UUID

    from community.talent.models import Application, ApplicationEvent, Board


def mb(size: int) -> str:
    """A size in bytes as whole megabytes, as the CV limit is told."""
    return f"{size / (1024 * 1024):.0f}"


@dataclass(frozen=True)
class PositionAccess:
    """What one viewer may do with one position; pages show buttons from this, services check it again."""

    is_member: bool
    is_admin: bool

    @property
    def can_manage(self) -> bool:
        return self.is_member


@dataclass(frozen=True)
class ApplicationView:
    """An application as the position's organization sees it."""

    application: Application
    applicant_name: str

    @property
    def overdue(self) -> bool:
        return self.application.status is ApplicationStatus.PENDING and self.application.respond_by < today()

    @property
    def profile(self) -> dict[str, Any]:
        snap = self.application.profile_snapshot
        return snap if isinstance(snap, dict) else {}


History = dict["UUID", list[tuple["ApplicationEvent", str | None]]]


@dataclass(frozen=True)
class PositionApplications:
    """The applications on a position's page: all of them with their history for its organization, the
    viewer's own, and whether the viewer may apply now."""

    views: list[ApplicationView] = field(default_factory=list)
    histories: History = field(default_factory=dict)
    own: list[Application] = field(default_factory=list)
    own_histories: History = field(default_factory=dict)
    can_apply: bool = False


class BoardItem(msgspec.Struct, frozen=True):
    """A position as it was when the issue was published (later edits do not change it): what its page, the
    CSV, the feed and the API show."""

    position: int
    position_id: str
    title: str
    organization: str
    skills: list[str]
    pay_min: int | None
    pay_max: int | None
    pay_negotiable: bool
    pay_text: str
    district: str
    remote: bool
    employment_type: str
    employment_type_label: str
    headcount: int | None
    deadline: date | None
    url: str

    @property
    def place_text(self) -> str:
        return format_place(self.district, self.remote)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(_str(value)[:10]) if _str(value) else None
    except ValueError:
        return None


def item_views(board: Board) -> list[BoardItem]:
    """The positions of an issue, numbered, from its snapshot only (a value this version does not know shows
    as itself, never fails the page)."""
    items = board.items if isinstance(board.items, list) else []
    views = []
    for index, snap in enumerate((s for s in items if isinstance(s, dict)), start=1):
        low, high = _int(snap.get("pay_min")), _int(snap.get("pay_max"))
        negotiable = snap.get("pay_negotiable") is True
        views.append(
            BoardItem(
                position=index,
                position_id=_str(snap.get("position_id")),
                title=_str(snap.get("title")),
                organization=_str(snap.get("organization")),
                skills=[s for s in snap.get("skills") or [] if isinstance(s, str)],
                pay_min=low,
                pay_max=high,
                pay_negotiable=negotiable,
                pay_text=format_pay(low, high, negotiable),
                district=_str(snap.get("district")),
                remote=snap.get("remote") is True,
                employment_type=_str(snap.get("employment_type")),
                employment_type_label=code_label(EmploymentType, snap.get("employment_type")),
                headcount=_int(snap.get("headcount")),
                deadline=_date(snap.get("deadline")),
                url=_str(snap.get("url")),
            )
        )
    return views
