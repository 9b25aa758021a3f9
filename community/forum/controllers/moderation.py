"""Flags, moderators' and admins' pages: flagging a post, the review queue, actions on posts, the log,
trust thresholds, categories, tag merging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin, requires_login
from community.forum.controllers.common import DEPENDENCIES, Catalog, Moderation, Reading, Trust, then_flash
from community.forum.documents import topic_url
from community.forum.inputs import CategoryInput, thresholds_of
from community.forum.services import CatalogService, TrustService
from community.i18n import N_, _
from community.web import Form, field, form_of, form_or_redirect, render, safe_next

FLAG_HID = N_("Thank you. The post is hidden until a moderator reviews it.")
FLAG_NOTED = N_("Thank you. Moderators will look at it.")


class ModerationController(Controller):
    path = "/forum"
    dependencies = DEPENDENCIES
    guards = [requires_login]

    @get("/p/{post_id:int}/flag")
    async def flag_form(self, request: Member, post_id: FromPath[int], reading: Reading) -> Template:
        post_, topic = await reading.post(request.user, post_id)
        return render(request, "forum/flag.html", post=post_, topic=topic)

    @post("/p/{post_id:int}/flag")
    async def flag(
        self, request: Member, post_id: FromPath[int], data: Form, reading: Reading, moderation: Moderation
    ) -> Response[Any]:
        post_, topic = await reading.post(request.user, post_id)
        form = {"reason": field(data, "reason"), "note": field(data, "note")}

        save = then_flash(
            request,
            partial(moderation.flag, request.user, post_id, form["reason"], form["note"]),
            lambda hidden: _(FLAG_HID) if hidden else _(FLAG_NOTED),
        )
        # A topic hidden by its opening post's flags is gone for the flagger too: back to the forum.
        return await form_or_redirect(
            request,
            save,
            template="forum/flag.html",
            form=form,
            done=None,
            redirect_to=lambda hidden: (
                "/forum" if hidden and post_.number == 1 else topic_url(topic.id, topic.slug)
            ),
            context={"post": post_, "topic": topic},
        )

    @get("/review", name="forum_review")
    async def review(self, request: Member, moderation: Moderation) -> Template:
        return render(request, "forum/review.html", items=await moderation.queue(request.user))

    @post("/p/{post_id:int}/moderate")
    async def moderate(
        self, request: Member, post_id: FromPath[int], data: Form, moderation: Moderation
    ) -> Redirect:
        # An unknown action (a form changed by hand) is refused with a 400 page, not flashed.
        action = field(data, "action")
        await moderation.act(request.user, post_id, action, field(data, "note"))
        flash(request, _("Done: %(action)s.", action=action), "success")
        return Redirect(safe_next(field(data, "next"), "/forum/review"))

    @get("/mod-log", name="forum_mod_log")
    async def mod_log(self, request: Member, moderation: Moderation) -> Template:
        return render(request, "forum/mod_log.html", entries=await moderation.log(request.user))


class ForumAdminController(Controller):
    path = "/forum/admin"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    async def _page(
        self, trust: TrustService, catalog: CatalogService, section: str | None
    ) -> dict[str, Any]:
        """The settings page; ``section`` names the form sent back with its errors (the others show what is
        saved)."""
        thresholds = await trust.thresholds()
        saved = {
            f"l{t.level}_{name}": str(value)
            for t in thresholds
            for name, value in (
                ("posts", t.min_posts),
                ("reputation", t.min_reputation),
                ("days", t.min_days),
            )
        }
        categories = await catalog.categories()
        return {"thresholds": thresholds, "saved": saved, "categories": categories, "section": section}

    @get("/", name="forum_admin")
    async def admin(self, request: Member, trust: Trust, catalog: Catalog) -> Template:
        return render(request, "forum/admin.html", **await self._page(trust, catalog, None))

    async def _save(
        self,
        request: Member,
        section: str,
        save: Callable[[], Awaitable[object]],
        *,
        form: dict[str, str],
        done: str,
        services: tuple[TrustService, CatalogService],
    ) -> Response[Any]:
        """Each of the page's forms: saved, back to the page with ``done``; refused, the page again with
        that form's fields and errors."""
        return await form_or_redirect(
            request,
            save,
            template="forum/admin.html",
            form=form,
            done=done,
            redirect_to="/forum/admin",
            context=lambda: self._page(*services, section),
        )

    @post("/trust")
    async def set_trust(self, request: Member, data: Form, trust: Trust, catalog: Catalog) -> Response[Any]:
        save = partial(trust.set_thresholds, thresholds_of(data))
        done = _("Trust levels saved; every member's level follows the new thresholds.")
        return await self._save(
            request, "trust", save, form=form_of(data), done=done, services=(trust, catalog)
        )

    @post("/tags/merge")
    async def merge_tags(self, request: Member, data: Form, trust: Trust, catalog: Catalog) -> Response[Any]:
        form = {"source": field(data, "source"), "target": field(data, "target")}
        save = partial(catalog.merge_tags, request.user, form["source"], form["target"])
        done = _("Merged #%(source)s into #%(target)s.", **form)
        return await self._save(request, "merge", save, form=form, done=done, services=(trust, catalog))

    @post("/categories")
    async def save_category(
        self, request: Member, data: Form, trust: Trust, catalog: Catalog
    ) -> Response[Any]:
        typed = CategoryInput.from_form(data)
        save, done = partial(catalog.save_category, request.user, typed), _("Category saved.")
        return await self._save(
            request, "category", save, form=typed.as_form(), done=done, services=(trust, catalog)
        )
