"""A published 招贤榜 issue as people take it elsewhere: a CSV and an XLSX of its positions (Excel opens the
Chinese text; a cell that looks like a formula stays text) and the Atom feed of the issues. All read the
issue's frozen snapshot only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from community.i18n import _
from community.kernel import exports
from community.talent.documents import board_url
from community.talent.labels import board_title
from community.talent.views import item_views

if TYPE_CHECKING:
    from collections.abc import Sequence

    from community.talent.models import Board

# The feed's date when no issue has been published yet.
FEED_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


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


def _rows(board: Board, base_url: str) -> list[list[str]]:
    """One row a position, in the issue's order; links made absolute."""
    base = base_url.rstrip("/")
    return [
        [
            str(view.position),
            view.title,
            view.organization,
            "、".join(view.skills),
            view.pay_text,
            view.place_text,
            view.employment_type_label,
            str(view.headcount or ""),
            view.deadline.isoformat() if view.deadline else "",
            base + view.url if view.url.startswith("/") else view.url,
        ]
        for view in item_views(board)
    ]


def board_csv(board: Board, base_url: str) -> bytes:
    return exports.to_csv(csv_headers(), _rows(board, base_url))


# Column widths of the workbook, in characters, in the order of ``csv_headers``.
XLSX_WIDTHS = (6, 30, 24, 30, 18, 14, 12, 8, 12, 48)


def board_xlsx(board: Board, base_url: str) -> bytes:
    """The same table as a workbook (``kernel.exports.to_xlsx``: every cell text, never a formula), its
    sheet named for the issue in the reader's language."""
    return exports.to_xlsx(
        csv_headers(), _rows(board, base_url), title=board_title(board.number), widths=XLSX_WIDTHS
    )


def board_disposition(board: Board, extension: str) -> str:
    """An attachment named for the issue in the reader's language ("第3期招贤榜.csv"), with an ASCII name
    for clients that cannot read it."""
    name, fallback = exports.download_name(
        board_title(board.number), extension, f"talent-board-{board.number}"
    )
    return exports.content_disposition(name, fallback)


def boards_feed(boards: Sequence[Board], *, base_url: str, site_name: str) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of the published issues, newest first, each with its CSV enclosed."""
    base = base_url.rstrip("/")
    list_url = f"{base}/talent/boards"
    entries = []
    for board in boards:
        url = base + board_url(board.number)
        title = board_title(board.number)
        lines = [f"{v.title} · {v.organization} · {v.pay_text}" for v in item_views(board)]
        entries.append(
            exports.AtomEntry(
                id=url,
                title=f"{title}: {board.title}" if board.title else title,
                updated=board.published_at,
                published=board.published_at,
                url=url,
                summary="\n".join(([board.introduction, ""] if board.introduction else []) + lines),
                enclosures=(exports.AtomLink(f"{url}.csv", rel="enclosure", type="text/csv"),),
            )
        )
    return exports.atom_feed(
        feed_id=list_url,
        title=f"{_('Talent board')} · {site_name}",
        self_url=f"{list_url}/feed.atom",
        page_url=list_url,
        updated=max((b.published_at for b in boards), default=FEED_EPOCH),
        entries=entries,
        author=site_name,
    )
