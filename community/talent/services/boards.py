"""招贤榜: admins publish numbered issues (第N期招贤榜) from open positions.

Publishing takes the next number from the counter row in the same transaction that freezes every position's
snapshot: the counter's row lock serializes concurrent publishers, a rolled-back publication gives its number
back (no gaps), and the unique number constraint backs it. A published issue is never edited; its pages, the
CSV, the Atom feed and the API read only its snapshot.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import Organization, User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.markup import clean_body, clean_line
from community.talent.labels import board_title, code_label, format_pay, format_place
from community.talent.models import Board, BoardCounter, EmploymentType, Position, PositionStatus
from community.talent.services.common import Page, now, position_url, today

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SNAPSHOT_VERSION = 1
COUNTER_SCOPE = "board"
TITLE_MAX = 120
INTRODUCTION_MAX = 5000
ITEMS_MAX = 500
BOARDS_PAGE = 20
NUMBER_MAX = 2**31 - 1
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def board_url(number: int) -> str:
    return f"/talent/boards/{number}"


def position_snapshot(position: Position, organization: Organization) -> dict[str, Any]:
    """Everything a 招贤榜 shows of a position, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "position_id": str(position.id),
        "title": position.title,
        "organization": organization.name,
        "organization_slug": organization.slug,
        "skills": list(position.skills),
        "pay_min": position.pay_min,
        "pay_max": position.pay_max,
        "pay_negotiable": position.pay_negotiable,
        "district": position.district,
        "remote": position.remote,
        "employment_type": position.employment_type.value,
        "headcount": position.headcount,
        "deadline": position.deadline.isoformat() if position.deadline else None,
        "url": position_url(position.id),
    }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class BoardItemView:
    """One position of a published issue as a reader sees it (from the snapshot only)."""

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
    place_text: str
    employment_type: str
    employment_type_label: str
    headcount: int | None
    deadline: date | None
    url: str


def item_views(board: Board) -> list[BoardItemView]:
    views = []
    items = board.items if isinstance(board.items, list) else []
    for index, snap in enumerate((s for s in items if isinstance(s, dict)), start=1):
        low, high = _int(snap.get("pay_min")), _int(snap.get("pay_max"))
        negotiable = snap.get("pay_negotiable") is True
        remote = snap.get("remote") is True
        deadline = None
        if _str(snap.get("deadline")):
            try:
                deadline = date.fromisoformat(_str(snap.get("deadline"))[:10])
            except ValueError:
                deadline = None
        views.append(
            BoardItemView(
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
                remote=remote,
                place_text=format_place(_str(snap.get("district")), remote),
                employment_type=_str(snap.get("employment_type")),
                employment_type_label=code_label(EmploymentType, snap.get("employment_type")),
                headcount=_int(snap.get("headcount")),
                deadline=deadline,
                url=_str(snap.get("url")),
            )
        )
    return views


def listable(position: Position) -> bool:
    """Open, and its deadline (if any) not passed."""
    deadline = position.deadline
    return position.status is PositionStatus.OPEN and (deadline is None or deadline >= today())


def _uuids(values: Sequence[str]) -> list[UUID]:
    result = []
    for value in values[: ITEMS_MAX + 1]:
        try:
            result.append(UUID(str(value)))
        except ValueError:
            continue
    return list(dict.fromkeys(result))


class BoardService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def published(self, page: int = 1, per_page: int = BOARDS_PAGE) -> Page[Board]:
        total = int(await self.db.scalar(select(func.count()).select_from(Board)) or 0)
        page = max(1, min(page, 10_000))
        items = (
            await self.db.scalars(
                select(Board).order_by(Board.number.desc()).limit(per_page).offset((page - 1) * per_page)
            )
        ).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def get(self, number: int) -> Board:
        if not 0 < number <= NUMBER_MAX:
            raise NotFound
        board = await self.db.scalar(select(Board).where(Board.number == number))
        if board is None:
            raise NotFound
        return board

    async def _next_number(self) -> int:
        """Take the next number: the counter row stays locked until this transaction ends."""
        number = await self.db.scalar(
            update(BoardCounter)
            .where(BoardCounter.scope == COUNTER_SCOPE)
            .values(last_number=BoardCounter.last_number + 1, updated_at=now())
            .returning(BoardCounter.last_number)
        )
        if number is None:  # no counter row yet (a fresh database): create it, as locked
            stamp = now()
            number = await self.db.scalar(
                insert(BoardCounter)
                .values(
                    id=uuid.uuid4(), scope=COUNTER_SCOPE, last_number=1, created_at=stamp, updated_at=stamp
                )
                .on_conflict_do_update(
                    index_elements=[BoardCounter.scope],
                    set_={"last_number": BoardCounter.last_number + 1, "updated_at": stamp},
                )
                .returning(BoardCounter.last_number)
            )
        assert number is not None
        return int(number)

    async def publish(
        self, admin: User, position_ids: Sequence[str], title: str = "", introduction: str = ""
    ) -> Board:
        """Number a new issue and freeze the chosen open positions, in the caller's one transaction. Every
        check comes before the number is taken, so a refused publication never uses a number up."""
        if not admin.is_admin:
            raise Forbidden
        errors: dict[str, str] = {}
        theme = clean_line(title)
        if len(theme) > TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters.", n=TITLE_MAX)
        intro = clean_body(introduction)
        if len(intro) > INTRODUCTION_MAX:
            errors["introduction"] = _("Use at most %(n)s characters.", n=INTRODUCTION_MAX)
        ids = _uuids(position_ids)
        if not ids:
            errors["positions"] = _("Choose at least one open position.")
        elif len(ids) > ITEMS_MAX:
            errors["positions"] = _("An issue holds at most %(n)s positions.", n=ITEMS_MAX)
        if errors:
            raise FormError(errors)
        # Shared locks: nobody closes or edits a chosen position between this check and the commit.
        rows = (
            await self.db.execute(
                select(Position, Organization)
                .join(Organization, Organization.id == Position.organization_id)
                .where(Position.id.in_(ids))
                .with_for_update(of=Position, read=True)
            )
        ).all()
        found = {position.id: (position, org) for position, org in rows}
        refused = [i for i in ids if i not in found or not listable(found[i][0])]
        if refused:
            raise FormError(
                {
                    "positions": _(
                        "%(n)s of the chosen positions are no longer open. Reload the page and choose again.",
                        n=len(refused),
                    )
                }
            )
        number = await self._next_number()
        board = Board(
            number=number,
            title=theme,
            introduction=intro,
            published_at=now(),
            published_by_id=admin.id,
            items=[position_snapshot(*found[i]) for i in ids],
        )
        self.db.add(board)
        await self.db.flush()
        return board

    async def latest(self) -> Board | None:
        return await self.db.scalar(select(Board).order_by(Board.number.desc()).limit(1))


# --- downloads and feed ------------------------------------------------------------------------------------


def csv_headers() -> list[str]:
    return [
        _("No."),
        _("Position"),
        _("Organization"),
        _("Skills"),
        _("Pay"),
        _("Place"),
        _("Kind of work"),
        _("Openings"),
        _("Deadline"),
        _("Link"),
    ]


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is kept as text instead."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(board: Board, base_url: str) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens the Chinese text correctly."""
    base = base_url.rstrip("/")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_headers())
    for view in item_views(board):
        link = base + view.url if view.url.startswith("/") else view.url
        row = [
            str(view.position),
            view.title,
            view.organization,
            "、".join(view.skills),
            view.pay_text,
            view.place_text,
            view.employment_type_label,
            str(view.headcount or ""),
            view.deadline.isoformat() if view.deadline else "",
            link,
        ]
        writer.writerow([_csv_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def content_disposition(board: Board, extension: str) -> str:
    name = re.sub(r'[\x00-\x1f\x7f"\\/:*?<>|]+', " ", board_title(board.number)).strip(" .") or "board"
    fallback = f"talent-board-{board.number}.{extension}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _xml_text(value: str) -> str:
    return _XML_BAD.sub("", value).encode("utf-8", "replace").decode("utf-8")


def atom_feed(boards: Sequence[Board], *, base_url: str, site_name: str) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of the published issues, newest first."""
    base = base_url.rstrip("/")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    list_url = f"{base}/talent/boards"
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", list_url)
    sub(feed, "title", f"{_('Talent board')} · {site_name}")
    updated = max((b.published_at for b in boards), default=datetime(2026, 1, 1, tzinfo=UTC))
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "link", rel="self", href=f"{list_url}/feed.atom", type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=list_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", site_name)
    for board in boards:
        url = base + board_url(board.number)
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        title = board_title(board.number)
        sub(entry, "title", f"{title}: {board.title}" if board.title else title)
        sub(entry, "updated", _rfc3339(board.published_at))
        sub(entry, "published", _rfc3339(board.published_at))
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "link", rel="enclosure", href=f"{url}.csv", type="text/csv")
        lines = [f"{v.title} · {v.organization} · {v.pay_text}" for v in item_views(board)]
        text = "\n".join(([board.introduction, ""] if board.introduction else []) + lines)
        sub(entry, "summary", text, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
