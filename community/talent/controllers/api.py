"""JSON API (/api/v1/talent): open positions, applying with a CV, the published 招贤榜 issues (and, for
admins, the drafts of coming ones: for anyone else a draft is 404, like an address that names nothing).

Errors are problem details: a broken rule (a CV that is not a PDF, too large, a second application) is 400
with ``errors`` per field; a position the caller may not see is 404; applying without logging in is 401.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from community.accounts.guards import Member, requires_login
from community.kernel.models import Page, from_attributes
from community.talent.controllers.deps import (
    API_DEPENDENCIES,
    APPLY_RATE_PER_MINUTE,
    UPLOAD_MAX_BODY,
    Applications,
    Boards,
    Filters,
    Positions,
    read_upload,
)
from community.talent.documents import board_url, position_url
from community.talent.labels import board_title, format_pay, format_place, label
from community.talent.models import Application, Board, EmploymentType, Position
from community.talent.views import BoardItem, item_views
from community.web import Multipart, Visitor, field, limit_per_account


class PositionOut(msgspec.Struct):
    id: UUID
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
    employment_type: EmploymentType
    employment_type_label: str
    headcount: int
    deadline: date | None
    status: str
    published_at: datetime | None
    url: str


class PositionDetailOut(PositionOut):
    description: str = ""


class PositionPageOut(msgspec.Struct):
    items: list[PositionOut]
    total: int
    page: int
    pages: int


class ApplicationOut(msgspec.Struct):
    id: UUID
    position_id: UUID
    status: str
    status_label: str
    respond_by: date
    url: str


class BoardSummaryOut(msgspec.Struct):
    number: int
    title: str
    theme: str
    published_at: datetime
    item_count: int
    url: str
    csv_url: str
    xlsx_url: str


class BoardPageOut(msgspec.Struct):
    items: list[BoardSummaryOut]
    total: int
    page: int
    pages: int


class BoardOut(BoardSummaryOut):
    introduction: str = ""
    items: list[BoardItem] = msgspec.field(default_factory=list)


class BoardDraftOut(msgspec.Struct):
    """A draft as it would be published now (its preview), with what it was saved with."""

    id: UUID
    theme: str
    introduction: str
    position_ids: list[str]
    updated_at: datetime
    preview: list[BoardItem] = msgspec.field(default_factory=list)


def _position_out(position: Position, cls: Any = PositionOut, **extra: Any) -> Any:
    return from_attributes(
        cls,
        position,
        organization=position.organization.name,
        pay_text=format_pay(position.pay_min, position.pay_max, position.pay_negotiable),
        place_text=format_place(position.district, position.remote),
        employment_type_label=label(position.employment_type),
        url=position_url(position.id),
        **extra,
    )


def _page_out(cls: Any, listing: Page[Any], item: Callable[[Any], Any]) -> Any:
    return cls(
        items=[item(row) for row in listing.items],
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
    )


def _board_out(board: Board, cls: Any = BoardSummaryOut, **extra: Any) -> Any:
    url = board_url(board.number)
    given = {
        "title": board_title(board.number),
        "theme": board.title,
        "url": url,
        "csv_url": f"{url}.csv",
        "xlsx_url": f"{url}.xlsx",
    }
    return from_attributes(cls, board, **{**given, "item_count": len(board.items or []), **extra})


class TalentApiController(Controller):
    path = "/api/v1/talent"
    dependencies = API_DEPENDENCIES
    tags = ["talent"]

    @get("/positions", summary="Open positions, newest first")
    async def list_positions(self, positions: Positions, filters: Filters) -> PositionPageOut:
        listing = await positions.list_open(filters)
        out: PositionPageOut = _page_out(PositionPageOut, listing, _position_out)
        return out

    @get("/positions/{position_id:uuid}", summary="One position")
    async def get_position(
        self, request: Visitor, position_id: FromPath[UUID], positions: Positions
    ) -> PositionDetailOut:
        """Open and closed positions for everyone; drafts only for their organization (404 for others)."""
        position, _access = await positions.get_for(request.scope.get("user"), position_id)
        out: PositionDetailOut = _position_out(position, PositionDetailOut, description=position.description)
        return out

    @post(
        "/positions/{position_id:uuid}/applications",
        summary="Apply with a cover note and a CV (PDF)",
        guards=[requires_login],
        request_max_body_size=UPLOAD_MAX_BODY,
        middleware=limit_per_account("talent-apply", APPLY_RATE_PER_MINUTE),
        status_code=HTTP_201_CREATED,
    )
    async def apply(
        self, request: Member, position_id: FromPath[UUID], data: Multipart, applications: Applications
    ) -> ApplicationOut:
        """multipart/form-data with ``cover_note`` and ``cv`` (a PDF). The caller needs a talent profile."""
        filename, content = await read_upload(data, "cv", applications.cv_max_bytes)
        application: Application = await applications.apply(
            request.user, position_id, field(data, "cover_note"), filename, content
        )
        url = position_url(application.position_id) + "#my-application"
        return from_attributes(ApplicationOut, application, status_label=label(application.status), url=url)

    @get("/boards", summary="Published 招贤榜 issues, newest first")
    async def list_boards(
        self, boards: Boards, page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1
    ) -> BoardPageOut:
        out: BoardPageOut = _page_out(BoardPageOut, await boards.published(page), _board_out)
        return out

    @get("/boards/{number:int}", summary="One published 招贤榜 issue with its positions")
    async def get_board(self, number: FromPath[int], boards: Boards) -> BoardOut:
        board = await boards.get(number)
        views = item_views(board)
        out: BoardOut = _board_out(
            board, BoardOut, item_count=len(views), introduction=board.introduction, items=views
        )
        return out

    @get(
        "/boards/drafts/{draft_id:uuid}",
        summary="A draft of a coming 招贤榜 issue with its preview (admins; 404 for anyone else)",
    )
    async def get_board_draft(
        self, request: Visitor, draft_id: FromPath[UUID], boards: Boards
    ) -> BoardDraftOut:
        user = request.scope.get("user")
        draft = await boards.draft(user, draft_id)
        preview = item_views(await boards.preview(user, draft))
        return from_attributes(BoardDraftOut, draft, theme=draft.title, preview=preview)
