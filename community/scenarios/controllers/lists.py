"""List issues: the public pages, print view, downloads and Atom feed; the admin pages that compose and
publish (the JSON API is in ``list_api``). Thin: parse, call ListService, render."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin
from community.errors import NotFound
from community.i18n import _, ngettext
from community.kernel import exports as files
from community.markup import markdown_html
from community.scenarios.controllers.deps import Lists
from community.scenarios.controllers.list_api import ListApiController
from community.scenarios.labels import choices, issue_title, label
from community.scenarios.models import ListIssue, ListKind
from community.scenarios.services import exports
from community.scenarios.services.list_inputs import ItemsChange, parse_ref
from community.scenarios.services.lists import (
    CandidateFilters,
    IssueInput,
    ListService,
    issue_url,
    item_views,
    parse_kind,
)
from community.vocabulary import DOMAINS
from community.web import Form, Visitor, field, form_or_redirect, render, services, settings_of

DEPENDENCIES = services(lists=ListService)
COMPOSE = "scenarios/lists/admin/compose.html"
NEW = "scenarios/lists/admin/new.html"
FEED_EMPTY_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # "updated" of a feed with no issue yet

# --- public pages ------------------------------------------------------------------------------------------


class ListPagesController(Controller):
    path = "/lists"
    dependencies = DEPENDENCIES

    @get("/", name="lists")
    async def lists_home(self) -> Redirect:
        return Redirect(f"/lists/{ListKind.SCENARIOS.value}")

    @get("/print.css", name="lists-print-css", include_in_schema=False)
    async def print_css(self) -> Template:
        return Template(
            template_name="scenarios/lists/print.css",
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @get("/{kind:str}", name="list-issues")
    async def issues(
        self,
        request: Visitor,
        kind: FromPath[str],
        lists: Lists,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        list_kind = parse_kind(kind)
        listing = await lists.published(list_kind, page)
        return render(
            request,
            "scenarios/lists/index.html",
            kind=list_kind,
            kinds=list(ListKind),
            label=label,
            listing=listing,
        )

    @get("/{kind:str}/feed.atom", name="list-feed")
    async def feed(self, request: Visitor, kind: FromPath[str], lists: Lists) -> Response[bytes]:
        list_kind = parse_kind(kind)
        listing = await lists.published(list_kind, 1, per_page=50)
        stamps = [s.issue.published_at for s in listing.items if s.issue.published_at is not None]
        settings = settings_of(request)
        body = exports.atom_feed(
            list_kind,
            listing.items,
            base_url=settings.base_url,
            site_name=settings.site_name,
            updated=max(stamps, default=FEED_EMPTY_SINCE),
        )
        return Response(body, media_type=files.ATOM_MEDIA_TYPE)

    @get("/{kind:str}/{ref:str}", name="list-issue")
    async def issue(
        self, request: Visitor, kind: FromPath[str], ref: FromPath[str], lists: Lists
    ) -> Response[Any]:
        list_kind = parse_kind(kind)
        number, extension = parse_ref(ref)
        issue = await lists.get_published(list_kind, number)
        if extension is not None:
            return await _download(request, issue, extension)
        return _issue_page(request, issue, "scenarios/lists/issue.html")

    @get("/{kind:str}/{ref:str}/print", name="list-issue-print")
    async def printable(
        self, request: Visitor, kind: FromPath[str], ref: FromPath[str], lists: Lists
    ) -> Template:
        list_kind = parse_kind(kind)
        number, extension = parse_ref(ref)
        if extension is not None:
            raise NotFound
        issue = await lists.get_published(list_kind, number)
        return _issue_page(request, issue, "scenarios/lists/print.html")


def _issue_page(request: Visitor, issue: ListIssue, template: str) -> Template:
    assert issue.number is not None
    return render(
        request,
        template,
        issue=issue,
        kind=issue.list_kind,
        title=issue_title(issue.list_kind, issue.number),
        label=label,
        introduction=markdown_html(issue.introduction),
        views=item_views(issue.list_kind, issue.items),
        base=issue_url(issue.list_kind, issue.number),
    )


async def _download(request: Visitor, issue: ListIssue, extension: str) -> Response[bytes]:
    base_url = settings_of(request).base_url
    # Building a workbook of a few hundred rows is CPU work: off the event loop (the locale goes along, as
    # to_thread copies the context).
    if extension == "csv":
        body = await asyncio.to_thread(exports.to_csv, issue, base_url)
        media_type = files.CSV_MEDIA_TYPE
    else:
        body = await asyncio.to_thread(exports.to_xlsx, issue, base_url)
        media_type = files.XLSX_MEDIA_TYPE
    filename, fallback = exports.download_name(issue, extension)
    return Response(
        body,
        media_type=media_type,
        # Headers and labels follow the reader's language (a cookie): no shared caching.
        headers={"Content-Disposition": files.content_disposition(filename, fallback)},
    )


# --- admin pages -------------------------------------------------------------------------------------------


def _compose_path(issue_id: UUID) -> str:
    return f"/admin/lists/{issue_id}"


async def _compose_context(
    request: Member, lists: ListService, issue: ListIssue, filters: CandidateFilters
) -> dict[str, Any]:
    """What the compose page of a draft shows besides its form: the items, and the candidates to add."""
    return {
        "issue": issue,
        "kind": issue.list_kind,
        "title": issue_title(issue.list_kind, None),
        "label": label,
        "draft_items": await lists.draft_items(issue),
        "candidates": await lists.candidates(request.user, issue, filters),
        "filters": filters,
        "compose_path": _compose_path(issue.id),
        "domains": DOMAINS,
        "saved": IssueInput.of(issue).as_form(),
        "is_scenarios": issue.list_kind is ListKind.SCENARIOS,
    }


class ListAdminController(Controller):
    path = "/admin/lists"
    dependencies = DEPENDENCIES
    guards = [requires_admin]
    include_in_schema = False

    @get("/", name="admin-lists")
    async def index(self, request: Member, lists: Lists) -> Template:
        drafts = await lists.drafts(request.user)
        latest = await lists.latest_numbers()
        return render(
            request,
            "scenarios/lists/admin/index.html",
            drafts=drafts,
            latest=latest,
            kinds=list(ListKind),
            label=label,
            issue_title=issue_title,
        )

    @get("/new", name="admin-list-new")
    async def new_form(
        self, request: Member, kind: Annotated[str | None, QueryParameter()] = None
    ) -> Template:
        chosen = kind if kind in {k.value for k in ListKind} else ListKind.SCENARIOS.value
        return render(request, NEW, form={"kind": chosen}, kind_choices=choices(ListKind))

    @post("/new")
    async def create(self, request: Member, data: Form, lists: Lists) -> Response[Any]:
        kind, typed = field(data, "kind"), IssueInput.from_form(data)
        return await form_or_redirect(
            request,
            lambda: lists.create_draft(request.user, kind, typed),
            template=NEW,
            form={"kind": kind, **typed.as_form()},
            done=_("The draft is created. Now choose its items."),
            redirect_to=lambda issue: _compose_path(issue.id),
            context={"kind_choices": choices(ListKind)},
        )

    @get("/{issue_id:uuid}", name="admin-list-compose")
    async def compose(
        self,
        request: Member,
        issue_id: FromPath[UUID],
        lists: Lists,
        q: Annotated[str | None, QueryParameter(max_length=1000)] = None,
        domain: Annotated[str | None, QueryParameter(max_length=100)] = None,
        show: Annotated[str | None, QueryParameter(max_length=10)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Response[Any]:
        issue = await lists.get(request.user, issue_id)
        if issue.number is not None:
            return Redirect(issue_url(issue.list_kind, issue.number))
        filters = CandidateFilters.clean(q=q, domain=domain, show=show, page=page)
        return render(request, COMPOSE, **await _compose_context(request, lists, issue, filters))

    async def _step(
        self,
        request: Member,
        lists: ListService,
        issue_id: UUID,
        step: Callable[[], Awaitable[Any]],
        *,
        redirect_to: str | Callable[[Any], str],
        done: str | None = None,
        form: dict[str, str] | None = None,
        filters: CandidateFilters | None = None,
    ) -> Response[Any]:
        """Run a step on a draft; refused, the compose page again with the errors beside what they are
        about. Rendered, not redirected: a 4xx rolls the transaction back, so a refused publication uses up
        no number."""

        async def context() -> dict[str, Any]:
            issue = await lists.get(request.user, issue_id)
            return await _compose_context(request, lists, issue, filters or CandidateFilters())

        return await form_or_redirect(
            request,
            step,
            template=COMPOSE,
            form=form or {},
            done=done,
            redirect_to=redirect_to,
            context=context,
        )

    @post("/{issue_id:uuid}")
    async def update(
        self, request: Member, issue_id: FromPath[UUID], data: Form, lists: Lists
    ) -> Response[Any]:
        typed = IssueInput.from_form(data)
        return await self._step(
            request,
            lists,
            issue_id,
            lambda: lists.update_draft(request.user, issue_id, typed),
            done=_("Saved."),
            redirect_to=_compose_path(issue_id),
            form=typed.as_form(),
        )

    @post("/{issue_id:uuid}/items")
    async def items(
        self, request: Member, issue_id: FromPath[UUID], data: Form, lists: Lists
    ) -> Response[Any]:
        change = ItemsChange.from_form(data)
        filters = CandidateFilters.from_form(data)

        async def step() -> None:
            if change.action == "move":
                await lists.move_item(request.user, issue_id, change.source_id, change.direction)
            elif change.action == "remove":
                removed = await lists.remove_items(request.user, issue_id, change.source_ids)
                if removed:
                    message = ngettext("Removed %(num)s item.", "Removed %(num)s items.", removed)
                    flash(request, message % {"num": removed}, "success")
            elif change.action == "add":
                added = await lists.add_items(request.user, issue_id, change.source_ids)
                if added:
                    message = ngettext("Added %(num)s item.", "Added %(num)s items.", added)
                    flash(request, message % {"num": added}, "success")
                else:
                    flash(request, _("Nothing was added: tick the items to add first."), "info")

        return await self._step(
            request, lists, issue_id, step, redirect_to=filters.href(_compose_path(issue_id)), filters=filters
        )

    @post("/{issue_id:uuid}/publish")
    async def publish(self, request: Member, issue_id: FromPath[UUID], lists: Lists) -> Response[Any]:
        async def step() -> str:
            issue = await lists.publish(request.user, issue_id)
            assert issue.number is not None
            title = issue_title(issue.list_kind, issue.number)
            flash(request, _("%(title)s is published.", title=title), "success")
            return issue_url(issue.list_kind, issue.number)

        return await self._step(request, lists, issue_id, step, redirect_to=lambda url: url)

    @post("/{issue_id:uuid}/delete")
    async def delete(self, request: Member, issue_id: FromPath[UUID], lists: Lists) -> Response[Any]:
        return await self._step(
            request,
            lists,
            issue_id,
            lambda: lists.delete_draft(request.user, issue_id),
            done=_("The draft is deleted."),
            redirect_to="/admin/lists",
        )


LIST_CONTROLLERS = [ListPagesController, ListAdminController, ListApiController]
