"""招贤榜 pages (the issues, one issue, its CSV and XLSX, the Atom feed) and the admins' talent page:
publish an issue from open positions or keep it as a draft to edit, preview and publish later; see overdue
answers and the figures."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin
from community.errors import NotFound
from community.i18n import _
from community.kernel.exports import ATOM_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from community.markup import markdown_html
from community.talent.controllers.deps import DEPENDENCIES, Applications, Boards, Positions, context
from community.talent.documents import board_url
from community.talent.exports import board_csv, board_disposition, board_xlsx, boards_feed
from community.talent.labels import board_title
from community.talent.models import Board, BoardDraft
from community.talent.services.applications import ApplicationService
from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from community.talent.views import item_views
from community.web import Form, Visitor, field, form_of, form_or_redirect, render, settings_of

_REF = re.compile(r"^([1-9][0-9]{0,9})(?:\.(csv|xlsx))?$")
DRAFT_PAGE = "talent/draft.html"


class BoardController(Controller):
    path = "/talent/boards"
    dependencies = DEPENDENCIES

    @get("/", name="talent-boards")
    async def index(
        self, request: Visitor, boards: Boards, page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1
    ) -> Template:
        return render(
            request, "talent/boards.html", listing=await boards.published(page), board_title=board_title
        )

    @get("/feed.atom", name="talent-boards-feed")
    async def feed(self, request: Visitor, boards: Boards) -> Response[bytes]:
        settings = settings_of(request)
        listing = await boards.published(1, per_page=50)
        body = boards_feed(listing.items, base_url=settings.base_url, site_name=settings.site_name)
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    @get("/{ref:str}", name="talent-board")
    async def board(self, request: Visitor, ref: FromPath[str], boards: Boards) -> Response[Any]:
        match = _REF.match(ref)
        if match is None:
            raise NotFound
        board = await boards.get(int(match.group(1)))
        if match.group(2) == "csv":
            return Response(
                board_csv(board, settings_of(request).base_url),
                media_type=CSV_MEDIA_TYPE,
                headers={"Content-Disposition": board_disposition(board, "csv")},
            )
        if match.group(2) == "xlsx":
            # A workbook is CPU work: off the event loop (to_thread carries the reader's language along).
            body = await asyncio.to_thread(board_xlsx, board, settings_of(request).base_url)
            return Response(
                body,
                media_type=XLSX_MEDIA_TYPE,
                headers={"Content-Disposition": board_disposition(board, "xlsx")},
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

    @staticmethod
    async def _page(
        admin: Any, positions: PositionService, applications: ApplicationService, boards: BoardService
    ) -> dict[str, Any]:
        latest = await boards.latest()
        candidates = await positions.open_for_board()
        return {
            "drafts": await boards.drafts(admin),
            "overdue": await applications.overdue(),
            "counts": await positions.count_by_status(),
            "candidates": candidates,
            "latest": latest,
            "next_title": board_title((latest.number if latest else 0) + 1),
            "form": {"positions": [str(p.id) for p in candidates]},
            "errors": {},
            **context(),
        }

    @get("/", name="admin-talent")
    async def index(
        self, request: Member, positions: Positions, applications: Applications, boards: Boards
    ) -> Template:
        return render(
            request, "talent/admin.html", **await self._page(request.user, positions, applications, boards)
        )

    @post("/boards")
    async def publish(
        self, request: Member, data: Form, positions: Positions, applications: Applications, boards: Boards
    ) -> Response[Any]:
        form = form_of(data, "positions")
        if field(data, "action") == "draft":
            return await form_or_redirect(
                request,
                lambda: boards.save_draft(
                    request.user, form["positions"], field(data, "title"), field(data, "introduction")
                ),
                template="talent/admin.html",
                form=form,
                done=_("The draft is saved. Only admins see it until it is published."),
                redirect_to=lambda draft: _draft_path(draft.id),
                context=lambda: self._page(request.user, positions, applications, boards),
            )

        def published(board: Board) -> str:
            # The message names the number, which only the publication gives.
            flash(request, _("%(title)s is published.", title=board_title(board.number)), "success")
            return board_url(board.number)

        # Refused, the page is rendered, not redirected: a 4xx rolls the transaction back, so no number is
        # used up.
        return await form_or_redirect(
            request,
            lambda: boards.publish(
                request.user, form["positions"], field(data, "title"), field(data, "introduction")
            ),
            template="talent/admin.html",
            form=form,
            done=None,
            redirect_to=published,
            context=lambda: self._page(request.user, positions, applications, boards),
        )

    # --- drafts ------------------------------------------------------------------------------------------

    @staticmethod
    async def _draft_page(
        admin: Any, draft: BoardDraft, boards: BoardService, positions: PositionService
    ) -> dict[str, Any]:
        preview = await boards.preview(admin, draft)
        return {
            "draft": draft,
            "candidates": await positions.open_for_board(),
            "chosen": draft.position_ids,
            "preview": preview,
            "preview_title": board_title(preview.number),
            "introduction": markdown_html(draft.introduction),
            "views": item_views(preview),
            "form": {
                "title": draft.title,
                "introduction": draft.introduction,
                "positions": list(draft.position_ids),
            },
            "errors": {},
            **context(),
        }

    @get("/drafts/{draft_id:uuid}", name="admin-talent-draft")
    async def draft(
        self, request: Member, draft_id: FromPath[UUID], boards: Boards, positions: Positions
    ) -> Template:
        draft = await boards.draft(request.user, draft_id)
        return render(request, DRAFT_PAGE, **await self._draft_page(request.user, draft, boards, positions))

    @post("/drafts/{draft_id:uuid}")
    async def change_draft(
        self, request: Member, draft_id: FromPath[UUID], data: Form, boards: Boards, positions: Positions
    ) -> Response[Any]:
        """One form, three buttons: save the changes, publish (what the form says), or delete the draft."""
        action = field(data, "action")
        if action == "delete":
            await boards.delete_draft(request.user, draft_id)
            flash(request, _("The draft is deleted."), "success")
            return Redirect("/admin/talent")
        form = form_of(data, "positions")
        draft = await boards.draft(request.user, draft_id)

        async def page() -> dict[str, Any]:
            return await self._draft_page(request.user, draft, boards, positions)

        async def save() -> BoardDraft:
            return await boards.save_draft(
                request.user,
                form["positions"],
                field(data, "title"),
                field(data, "introduction"),
                draft_id=draft_id,
            )

        async def save_and_publish() -> Board:
            await save()
            return await boards.publish_draft(request.user, draft_id)

        if action == "publish":

            def published(board: Board) -> str:
                flash(request, _("%(title)s is published.", title=board_title(board.number)), "success")
                return board_url(board.number)

            return await form_or_redirect(
                request,
                save_and_publish,
                template=DRAFT_PAGE,
                form=form,
                done=None,
                redirect_to=published,
                context=page,
            )
        return await form_or_redirect(
            request,
            save,
            template=DRAFT_PAGE,
            form=form,
            done=_("The draft is saved."),
            redirect_to=_draft_path(draft_id),
            context=page,
        )


def _draft_path(draft_id: UUID) -> str:
    return f"/admin/talent/drafts/{draft_id}"
