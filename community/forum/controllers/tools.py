"""The AI tool directory (工具与模型目录): entries, their topics and unanswered questions, suggestions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_admin, requires_login
from community.accounts.models import User
from community.errors import FormError
from community.forum.controllers.common import DEPENDENCIES, Form, field, forum_page
from community.forum.services import ToolService, TopicService
from community.i18n import _

TOOL_FIELDS = ("name", "slug", "kind", "homepage", "license", "description", "tags")


class ToolController(Controller):
    path = "/forum/tools"
    dependencies = DEPENDENCIES

    @get("/", name="forum_tools")
    async def index(
        self,
        request: Request[Any, Any, Any],
        tools: NamedDependency[ToolService],
        kind: Annotated[str, QueryParameter()] = "",
    ) -> Template:
        user = request.scope.get("user")
        pending = await tools.list(approved=False) if user and user.is_admin else []
        return forum_page(
            request, "forum/tools.html", tools=await tools.list(kind or None), kind=kind, pending=pending
        )

    @get("/suggest", guards=[requires_login], name="forum_tool_suggest")
    async def suggest_form(self, request: Request[User, Any, Any]) -> Template:
        return forum_page(request, "forum/tool_form.html")

    @post("/suggest", guards=[requires_login])
    async def suggest(
        self, request: Request[User, Any, Any], data: Form, tools: NamedDependency[ToolService]
    ) -> Response[Any]:
        form = {k: field(data, k) for k in TOOL_FIELDS}
        try:
            tool = await tools.suggest(request.user, form)
        except FormError as exc:
            return forum_page(request, "forum/tool_form.html", 400, form=form, errors=exc.errors)
        if not tool.approved:
            flash(request, _("Thank you! An admin will review the entry before it is listed."), "success")
        return Redirect(f"/forum/tools/{tool.slug}")

    @get("/{slug:str}", name="forum_tool")
    async def show(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        tools: NamedDependency[ToolService],
        topics: NamedDependency[TopicService],
    ) -> Template:
        tool = await tools.by_slug(slug, request.scope.get("user"))
        rows, _more = await topics.list_topics("latest", tool_id=tool.id, per_page=30)
        unanswered, _more = await topics.list_topics("unanswered", tool_id=tool.id, per_page=30)
        return forum_page(request, "forum/tool.html", tool=tool, rows=rows, unanswered=unanswered)

    @post("/{slug:str}/review", guards=[requires_admin])
    async def review(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        data: Form,
        tools: NamedDependency[ToolService],
    ) -> Redirect:
        approve = field(data, "decision") == "approve"
        await tools.approve(request.user, slug, approve)
        flash(request, _("Entry approved.") if approve else _("Entry rejected."), "success")
        return Redirect(f"/forum/tools/{slug}" if approve else "/forum/tools")
