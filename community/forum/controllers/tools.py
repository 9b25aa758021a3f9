"""The AI tool directory (工具与模型目录): entries, their topics and unanswered questions, suggestions."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin, requires_login
from community.forum.controllers.common import DEPENDENCIES, Reading, Tools, then_flash
from community.forum.inputs import ToolInput
from community.i18n import N_, _
from community.web import Form, Visitor, act, field, form_or_redirect, render

TOOL_TOPICS = 30
WAITS_FOR_ADMIN = N_("Thank you! An admin will review the entry before it is listed.")


class ToolController(Controller):
    path = "/forum/tools"
    dependencies = DEPENDENCIES

    @get("/", name="forum_tools")
    async def index(
        self, request: Visitor, tools: Tools, kind: Annotated[str, QueryParameter()] = ""
    ) -> Template:
        user = request.scope.get("user")
        pending = await tools.list(approved=False) if user and user.is_admin else []
        listed = await tools.list(kind or None)
        return render(request, "forum/tools.html", tools=listed, kind=kind, pending=pending)

    @get("/suggest", guards=[requires_login], name="forum_tool_suggest")
    async def suggest_form(self, request: Member) -> Template:
        return render(request, "forum/tool_form.html")

    @post("/suggest", guards=[requires_login])
    async def suggest(self, request: Member, data: Form, tools: Tools) -> Response[Any]:
        typed = ToolInput.from_form(data)

        return await form_or_redirect(
            request,
            then_flash(
                request,
                partial(tools.suggest, request.user, typed),
                lambda tool: None if tool.approved else _(WAITS_FOR_ADMIN),
            ),
            template="forum/tool_form.html",
            form=typed.as_form(),
            done=None,
            redirect_to=lambda tool: f"/forum/tools/{tool.slug}",
        )

    @get("/{slug:str}", name="forum_tool")
    async def show(self, request: Visitor, slug: FromPath[str], tools: Tools, reading: Reading) -> Template:
        tool = await tools.by_slug(slug, request.scope.get("user"))
        rows, _more = await reading.list_topics("latest", tool_id=tool.id, per_page=TOOL_TOPICS)
        unanswered, _more = await reading.list_topics("unanswered", tool_id=tool.id, per_page=TOOL_TOPICS)
        return render(request, "forum/tool.html", tool=tool, rows=rows, unanswered=unanswered)

    @post("/{slug:str}/review", guards=[requires_admin])
    async def review(self, request: Member, slug: FromPath[str], data: Form, tools: Tools) -> Redirect:
        approve = field(data, "decision") == "approve"
        return await act(
            request,
            lambda: tools.approve(request.user, slug, approve),
            done=_("Entry approved.") if approve else _("Entry rejected."),
            redirect_to=f"/forum/tools/{slug}" if approve else "/forum/tools",
        )
