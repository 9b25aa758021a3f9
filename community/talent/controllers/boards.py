"""招贤榜 pages (the issues, one issue, its CSV, the Atom feed) and the admins' talent page: publish an issue
from open positions, see overdue answers and the figures."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.errors import FormError
from community.i18n import _
from community.markup import markdown_html
from community.talent.controllers.deps import DEPENDENCIES, Form, field, many, settings_of
from community.talent.controllers.pages import context
from community.talent.labels import board_title
from community.talent.services import boards as board_exports
from community.talent.services.applications import ApplicationService
from community.talent.services.boards import BoardService, board_url, item_views
from community.talent.services.positions import PositionService
from community.web import render

_REF = re.compile(r"^([1-9][0-9]{0,9})(?:\.(csv))?$")


class BoardController(Controller):
    path = "/talent/boards"
    dependencies = DEPENDENCIES

    @get("/", name="talent-boards")
    async def index(
        self,
        request: Request[Any, Any, Any],
        boards: NamedDependency[BoardService],
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        return render(
            request, "talent/boards.html", listing=await boards.published(page), board_title=board_title
        )

    @get("/feed.atom", name="talent-boards-feed")
    async def feed(
        self, request: Request[Any, Any, Any], boards: NamedDependency[BoardService]
    ) -> Response[bytes]:
        settings = settings_of(request)
        listing = await boards.published(1, per_page=50)
        body = board_exports.atom_feed(
            listing.items, base_url=settings.base_url, site_name=settings.site_name
        )
        return Response(body, media_type=board_exports.ATOM_MEDIA_TYPE)

    @get("/{ref:str}", name="talent-board")
    async def board(
        self, request: Request[Any, Any, Any], ref: FromPath[str], boards: NamedDependency[BoardService]
    ) -> Response[Any]:
        match = _REF.match(ref)
        if match is None:
            raise NotFoundException
        board = await boards.get(int(match.group(1)))
        if match.group(2) == "csv":
            return Response(
                board_exports.to_csv(board, settings_of(request).base_url),
                media_type=board_exports.CSV_MEDIA_TYPE,
                headers={"Content-Disposition": board_exports.content_disposition(board, "csv")},
            )
        return render(
            request,
            "talent/board.html",
            board=board,
            title=board_title(board.number),
            introduction=markdown_html(board.introduction),
            views=item_views(board),
            base=board_url(board.number),
        )


class TalentAdminController(Controller):
    path = "/admin/talent"
    dependencies = DEPENDENCIES
    guards = [requires_admin]
    include_in_schema = False

    async def _page(
        self,
        request: Request[User, Any, Any],
        positions: PositionService,
        applications: ApplicationService,
        boards: BoardService,
        status_code: int = 200,
        form: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Template:
        latest = await boards.latest()
        candidates = await positions.open_for_board()
        return render(
            request,
            "talent/admin.html",
            status_code,
            overdue=await applications.overdue(),
            counts=await positions.count_by_status(),
            candidates=candidates,
            latest=latest,
            next_title=board_title((latest.number if latest else 0) + 1),
            form=form or {"positions": [str(p.id) for p in candidates]},
            errors=errors or {},
            **context(),
        )

    @get("/", name="admin-talent")
    async def index(
        self,
        request: Request[User, Any, Any],
        positions: NamedDependency[PositionService],
        applications: NamedDependency[ApplicationService],
        boards: NamedDependency[BoardService],
    ) -> Template:
        return await self._page(request, positions, applications, boards)

    @post("/boards")
    async def publish(
        self,
        request: Request[User, Any, Any],
        data: Form,
        positions: NamedDependency[PositionService],
        applications: NamedDependency[ApplicationService],
        boards: NamedDependency[BoardService],
    ) -> Response[Any]:
        chosen = many(data, "positions")
        try:
            board = await boards.publish(
                request.user, chosen, field(data, "title"), field(data, "introduction")
            )
        except FormError as exc:
            # Rendered, not redirected: a 4xx rolls the transaction back, so no number is used up.
            form = {
                "positions": chosen,
                "title": field(data, "title"),
                "introduction": field(data, "introduction"),
            }
            return await self._page(request, positions, applications, boards, 400, form, exc.errors)
        flash(request, _("%(title)s is published.", title=board_title(board.number)), "success")
        return Redirect(board_url(board.number))
