"""Moderators' and admins' pages: the review queue, actions on posts, the log, trust thresholds, tag merging,
the tool directory's approvals."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_admin, requires_login
from community.accounts.models import User
from community.errors import FormError
from community.forum.controllers.common import DEPENDENCIES, Form, field, forum_page
from community.forum.services import ModerationService, ToolService, TopicService, TrustService
from community.forum.services.tools import save_category
from community.i18n import _
from community.web import safe_next


class ModerationController(Controller):
    path = "/forum"
    dependencies = DEPENDENCIES
    guards = [requires_login]

    @get("/review", name="forum_review")
    async def review(
        self, request: Request[User, Any, Any], moderation: NamedDependency[ModerationService]
    ) -> Template:
        return forum_page(request, "forum/review.html", items=await moderation.queue(request.user))

    @post("/p/{post_id:int}/moderate")
    async def moderate(
        self,
        request: Request[User, Any, Any],
        post_id: FromPath[int],
        data: Form,
        moderation: NamedDependency[ModerationService],
    ) -> Redirect:
        action = field(data, "action")
        await moderation.act(request.user, post_id, action, field(data, "note"))
        flash(request, _("Done: %(action)s.", action=action), "success")
        return Redirect(safe_next(field(data, "next"), "/forum/review"))

    @get("/mod-log", name="forum_mod_log")
    async def mod_log(
        self, request: Request[User, Any, Any], moderation: NamedDependency[ModerationService]
    ) -> Template:
        return forum_page(request, "forum/mod_log.html", entries=await moderation.log(request.user))


class ForumAdminController(Controller):
    path = "/forum/admin"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    async def _page(
        self, request: Request[User, Any, Any], trust: TrustService, status_code: int = 200, **context: Any
    ) -> Template:
        thresholds = await trust.thresholds()
        form = context.pop("form", None) or {
            f"l{t.level}_{name}": str(value)
            for t in thresholds
            for name, value in (
                ("posts", t.min_posts),
                ("reputation", t.min_reputation),
                ("days", t.min_days),
            )
        }
        categories = await TopicService(trust.db).categories()
        return forum_page(
            request,
            "forum/admin.html",
            status_code,
            thresholds=thresholds,
            form=form,
            categories=categories,
            **context,
        )

    @get("/", name="forum_admin")
    async def admin(self, request: Request[User, Any, Any], trust: NamedDependency[TrustService]) -> Template:
        return await self._page(request, trust)

    @post("/trust")
    async def set_trust(
        self, request: Request[User, Any, Any], data: Form, trust: NamedDependency[TrustService]
    ) -> Response[Any]:
        form = {k: field(data, k) for k in data}
        values = {
            level: (
                field(data, f"l{level}_posts"),
                field(data, f"l{level}_reputation"),
                field(data, f"l{level}_days"),
            )
            for level in (1, 2, 3, 4)
        }
        try:
            await trust.set_thresholds(values)
        except FormError as exc:
            return await self._page(request, trust, 400, form=form, errors=exc.errors)
        flash(request, _("Trust levels saved; every member's level follows the new thresholds."), "success")
        return Redirect("/forum/admin")

    @post("/tags/merge")
    async def merge_tags(
        self,
        request: Request[User, Any, Any],
        data: Form,
        tools: NamedDependency[ToolService],
        trust: NamedDependency[TrustService],
    ) -> Response[Any]:
        form = {"source": field(data, "source"), "target": field(data, "target")}
        try:
            await tools.merge_tags(request.user, form["source"], form["target"])
        except FormError as exc:
            return await self._page(request, trust, 400, merge=form, merge_errors=exc.errors)
        flash(request, _("Merged #%(source)s into #%(target)s.", **form), "success")
        return Redirect("/forum/admin")

    @post("/categories")
    async def save_category(
        self, request: Request[User, Any, Any], data: Form, trust: NamedDependency[TrustService]
    ) -> Response[Any]:
        form = {k: field(data, k) for k in ("slug", "name_zh", "name_en", "description", "position")}
        try:
            await save_category(trust.db, request.user, form)
        except FormError as exc:
            return await self._page(request, trust, 400, category_form=form, category_errors=exc.errors)
        flash(request, _("Category saved."), "success")
        return Redirect("/forum/admin")
