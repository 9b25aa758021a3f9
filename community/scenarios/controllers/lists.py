"""List issues: the public pages, print view, downloads and Atom feed; the admin pages that compose and
publish; the JSON API. Thin: parse, call ListService, render."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.config import Settings, get_settings
from community.errors import FormError
from community.i18n import _, ngettext
from community.markup import markdown_html
from community.scenarios.labels import choices, issue_title, label
from community.scenarios.models import ListIssue, ListKind
from community.scenarios.services import exports
from community.scenarios.services.lists import (
    CandidateFilters,
    CapabilityView,
    IssueInput,
    ListService,
    ScenarioView,
    issue_url,
    item_views,
    now,
    parse_kind,
)
from community.vocabulary import DOMAINS
from community.web import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
_REF = re.compile(r"^([1-9][0-9]{0,9})(?:\.(csv|xlsx))?$")
FORM_FIELDS = ("title", "introduction", "publish_on")


async def provide_lists(db_session: NamedDependency[AsyncSession]) -> ListService:
    return ListService(db_session)


DEPENDENCIES = {"lists": Provide(provide_lists)}


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def _one(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: take the last, like a browser would
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v not in (None, "")]


def _uuids(values: list[str]) -> list[UUID]:
    result = []
    for value in values[:1000]:
        try:
            result.append(UUID(value))
        except ValueError:
            continue
    return result


def _kind_or_404(kind: str) -> ListKind:
    return parse_kind(kind)


def _ref(ref: str) -> tuple[int, str | None]:
    match = _REF.match(ref)
    if match is None:
        raise NotFoundException
    return int(match.group(1)), match.group(2)


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
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        lists: NamedDependency[ListService],
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        list_kind = _kind_or_404(kind)
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
    async def feed(
        self, request: Request[Any, Any, Any], kind: FromPath[str], lists: NamedDependency[ListService]
    ) -> Response[bytes]:
        list_kind = _kind_or_404(kind)
        listing = await lists.published(list_kind, 1, per_page=50)
        stamps = [s.issue.published_at for s in listing.items if s.issue.published_at is not None]
        settings = _settings(request)
        body = exports.atom_feed(
            list_kind,
            listing.items,
            base_url=settings.base_url,
            site_name=settings.site_name,
            updated=max(stamps) if stamps else datetime(2026, 1, 1, tzinfo=now().tzinfo),
        )
        return Response(body, media_type=exports.ATOM_MEDIA_TYPE)

    @get("/{kind:str}/{ref:str}", name="list-issue")
    async def issue(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        ref: FromPath[str],
        lists: NamedDependency[ListService],
    ) -> Response[Any]:
        list_kind = _kind_or_404(kind)
        number, extension = _ref(ref)
        issue = await lists.get_published(list_kind, number)
        if extension is not None:
            return await _download(request, issue, extension)
        return _issue_page(request, issue, "scenarios/lists/issue.html")

    @get("/{kind:str}/{ref:str}/print", name="list-issue-print")
    async def printable(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        ref: FromPath[str],
        lists: NamedDependency[ListService],
    ) -> Template:
        list_kind = _kind_or_404(kind)
        number, extension = _ref(ref)
        if extension is not None:
            raise NotFoundException
        issue = await lists.get_published(list_kind, number)
        return _issue_page(request, issue, "scenarios/lists/print.html")


def _issue_page(request: Request[Any, Any, Any], issue: ListIssue, template: str) -> Template:
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


async def _download(request: Request[Any, Any, Any], issue: ListIssue, extension: str) -> Response[bytes]:
    base_url = _settings(request).base_url
    # Building a workbook of a few hundred rows is CPU work: off the event loop (the locale goes along, as
    # to_thread copies the context).
    if extension == "csv":
        body = await asyncio.to_thread(exports.to_csv, issue, base_url)
        media_type = exports.CSV_MEDIA_TYPE
    else:
        body = await asyncio.to_thread(exports.to_xlsx, issue, base_url)
        media_type = exports.XLSX_MEDIA_TYPE
    filename, fallback = exports.download_name(issue, extension)
    return Response(
        body,
        media_type=media_type,
        # Headers and labels follow the reader's language (a cookie): no shared caching.
        headers={"Content-Disposition": exports.content_disposition(filename, fallback)},
    )


# --- admin pages -------------------------------------------------------------------------------------------


def _filters(q: str | None, domain: str | None, show: str | None, page: int) -> CandidateFilters:
    return CandidateFilters(
        q=(q or "")[:200],
        domain=domain if domain in DOMAINS else "",
        show_all=show == "all",
        page=page,
    )


def _filter_query(filters: CandidateFilters, **changes: Any) -> str:
    values: dict[str, Any] = {
        "q": filters.q or None,
        "domain": filters.domain or None,
        "show": "all" if filters.show_all else None,
        "page": filters.page if filters.page > 1 else None,
    }
    values.update(changes)
    query = urlencode({k: v for k, v in values.items() if v not in (None, "")})
    return f"?{query}" if query else ""


def _issue_form(issue: ListIssue) -> dict[str, str]:
    return {
        "title": issue.title,
        "introduction": issue.introduction,
        "publish_on": issue.publish_on.isoformat() if issue.publish_on else "",
    }


class ListAdminController(Controller):
    path = "/admin/lists"
    dependencies = DEPENDENCIES
    guards = [requires_admin]
    include_in_schema = False

    @get("/", name="admin-lists")
    async def index(self, request: Request[User, Any, Any], lists: NamedDependency[ListService]) -> Template:
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
        self,
        request: Request[User, Any, Any],
        kind: Annotated[str | None, QueryParameter()] = None,
    ) -> Template:
        chosen = kind if kind in {k.value for k in ListKind} else ListKind.SCENARIOS.value
        return render(
            request,
            "scenarios/lists/admin/new.html",
            form={"kind": chosen},
            kind_choices=choices(ListKind),
        )

    @post("/new")
    async def create(
        self, request: Request[User, Any, Any], data: Form, lists: NamedDependency[ListService]
    ) -> Response[Any]:
        form = {name: _one(data, name) for name in ("kind", *FORM_FIELDS)}
        try:
            issue = await lists.create_draft(
                request.user, form["kind"], IssueInput(**{k: form[k] for k in FORM_FIELDS})
            )
        except FormError as exc:
            return render(
                request,
                "scenarios/lists/admin/new.html",
                400,
                form=form,
                errors=exc.errors,
                kind_choices=choices(ListKind),
            )
        flash(request, _("The draft is created. Now choose its items."), "success")
        return Redirect(f"/admin/lists/{issue.id}")

    async def _compose(
        self,
        request: Request[User, Any, Any],
        lists: ListService,
        issue_id: UUID,
        filters: CandidateFilters,
        status_code: int = 200,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response[Any]:
        issue = await lists.get(request.user, issue_id)
        if issue.number is not None:
            return Redirect(issue_url(issue.list_kind, issue.number))
        draft_items = await lists.draft_items(issue)
        candidates = await lists.candidates(request.user, issue, filters)
        return render(
            request,
            "scenarios/lists/admin/compose.html",
            status_code,
            issue=issue,
            kind=issue.list_kind,
            title=issue_title(issue.list_kind, None),
            label=label,
            draft_items=draft_items,
            candidates=candidates,
            filters=filters,
            filter_query=_filter_query,
            domains=DOMAINS,
            form=form if form is not None else _issue_form(issue),
            errors=errors or {},
            meta_errors={k: v for k, v in (errors or {}).items() if k in FORM_FIELDS},
            is_scenarios=issue.list_kind is ListKind.SCENARIOS,
        )

    @get("/{issue_id:uuid}", name="admin-list-compose")
    async def compose(
        self,
        request: Request[User, Any, Any],
        issue_id: FromPath[UUID],
        lists: NamedDependency[ListService],
        q: Annotated[str | None, QueryParameter(max_length=1000)] = None,
        domain: Annotated[str | None, QueryParameter(max_length=100)] = None,
        show: Annotated[str | None, QueryParameter(max_length=10)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Response[Any]:
        return await self._compose(request, lists, issue_id, _filters(q, domain, show, page))

    @post("/{issue_id:uuid}")
    async def update(
        self,
        request: Request[User, Any, Any],
        issue_id: FromPath[UUID],
        data: Form,
        lists: NamedDependency[ListService],
    ) -> Response[Any]:
        form = {name: _one(data, name) for name in FORM_FIELDS}
        try:
            await lists.update_draft(request.user, issue_id, IssueInput(**form))
        except FormError as exc:
            return await self._compose(
                request, lists, issue_id, CandidateFilters(), 400, form=form, errors=exc.errors
            )
        flash(request, _("Saved."), "success")
        return Redirect(f"/admin/lists/{issue_id}")

    @post("/{issue_id:uuid}/items")
    async def items(
        self,
        request: Request[User, Any, Any],
        issue_id: FromPath[UUID],
        data: Form,
        lists: NamedDependency[ListService],
    ) -> Response[Any]:
        filters = _filters(_one(data, "q"), _one(data, "domain"), _one(data, "show"), 1)
        try:
            page = int(_one(data, "page") or "1")
        except ValueError:
            page = 1
        filters = CandidateFilters(filters.q, filters.domain, filters.show_all, max(1, min(page, 10_000)))
        move = _one(data, "move")
        action = _one(data, "action")
        try:
            if move:
                source, _sep, direction = move.partition(":")
                ids = _uuids([source])
                if not ids:
                    raise FormError({"items": _("Choose where to move the item.")})
                await lists.move_item(request.user, issue_id, ids[0], direction)
            elif action == "remove":
                removed = await lists.remove_items(request.user, issue_id, _uuids(_many(data, "remove")))
                if removed:
                    message = ngettext("Removed %(num)s item.", "Removed %(num)s items.", removed)
                    flash(request, message % {"num": removed}, "success")
            elif action == "add":
                added = await lists.add_items(request.user, issue_id, _uuids(_many(data, "add")))
                if added:
                    message = ngettext("Added %(num)s item.", "Added %(num)s items.", added)
                    flash(request, message % {"num": added}, "success")
                else:
                    flash(request, _("Nothing was added: tick the items to add first."), "info")
        except FormError as exc:
            return await self._compose(request, lists, issue_id, filters, 400, errors=exc.errors)
        return Redirect(f"/admin/lists/{issue_id}{_filter_query(filters)}")

    @post("/{issue_id:uuid}/publish")
    async def publish(
        self, request: Request[User, Any, Any], issue_id: FromPath[UUID], lists: NamedDependency[ListService]
    ) -> Response[Any]:
        try:
            issue = await lists.publish(request.user, issue_id)
        except FormError as exc:
            # Rendered, not redirected: a 4xx rolls the transaction back, so no number is used up.
            return await self._compose(request, lists, issue_id, CandidateFilters(), 400, errors=exc.errors)
        assert issue.number is not None
        flash(
            request,
            _("%(title)s is published.", title=issue_title(issue.list_kind, issue.number)),
            "success",
        )
        return Redirect(issue_url(issue.list_kind, issue.number))

    @post("/{issue_id:uuid}/delete")
    async def delete(
        self, request: Request[User, Any, Any], issue_id: FromPath[UUID], lists: NamedDependency[ListService]
    ) -> Response[Any]:
        try:
            await lists.delete_draft(request.user, issue_id)
        except FormError as exc:
            return await self._compose(request, lists, issue_id, CandidateFilters(), 400, errors=exc.errors)
        flash(request, _("The draft is deleted."), "success")
        return Redirect("/admin/lists")


# --- JSON API ----------------------------------------------------------------------------------------------


class ListIssueSummaryOut(msgspec.Struct):
    """A published issue. ``title`` is 第N期… in the reader's language; ``theme`` is the optional subtitle."""

    kind: ListKind
    number: int
    title: str
    theme: str
    introduction: str
    publish_on: date | None
    published_at: datetime
    item_count: int
    url: str
    csv_url: str
    xlsx_url: str


class ListIssuePageOut(msgspec.Struct):
    """One page of a list's published issues, newest first."""

    items: list[ListIssueSummaryOut]
    total: int
    page: int
    pages: int


class ScenarioItemOut(msgspec.Struct, tag_field="type", tag="scenario"):
    """A scenario as it was when the issue was published (codes, and their words in the reader's language)."""

    position: int
    source_id: UUID | None
    title: str
    kind: str
    kind_label: str
    scale: str
    scale_label: str
    domains: list[str]
    district: str
    abstract: str
    budget_min: int | None
    budget_max: int | None
    budget_negotiable: bool
    budget_text: str
    deadline: date | None
    organization: str
    status: str
    status_label: str
    url: str


class CapabilityEntryOut(msgspec.Struct):
    domain: str
    technology: str
    maturity: str
    maturity_label: str


class CapabilityItemOut(msgspec.Struct, tag_field="type", tag="capability"):
    """A verified capability profile as it was when the issue was published."""

    position: int
    source_id: UUID | None
    organization: str
    organization_slug: str
    summary: str
    district: str
    team_size: int | None
    domains: list[str]
    items: list[CapabilityEntryOut]
    verified_at: datetime | None
    url: str


class ListIssueOut(msgspec.Struct):
    """A published issue with its items, in order; the items never change after publication."""

    kind: ListKind
    number: int
    title: str
    theme: str
    introduction: str
    publish_on: date | None
    published_at: datetime
    url: str
    csv_url: str
    xlsx_url: str
    items: list[ScenarioItemOut | CapabilityItemOut]


def _summary_out(issue: ListIssue, count: int) -> ListIssueSummaryOut:
    assert issue.number is not None and issue.published_at is not None
    url = issue_url(issue.list_kind, issue.number)
    return ListIssueSummaryOut(
        kind=issue.list_kind,
        number=issue.number,
        title=issue_title(issue.list_kind, issue.number),
        theme=issue.title,
        introduction=issue.introduction,
        publish_on=issue.publish_on,
        published_at=issue.published_at,
        item_count=count,
        url=url,
        csv_url=f"{url}.csv",
        xlsx_url=f"{url}.xlsx",
    )


def _item_out(view: ScenarioView | CapabilityView) -> ScenarioItemOut | CapabilityItemOut:
    if isinstance(view, ScenarioView):
        return ScenarioItemOut(
            position=view.position,
            source_id=view.source_id,
            title=view.title,
            kind=view.kind,
            kind_label=view.kind_label,
            scale=view.scale,
            scale_label=view.scale_label,
            domains=view.domains,
            district=view.district,
            abstract=view.abstract,
            budget_min=view.budget_min,
            budget_max=view.budget_max,
            budget_negotiable=view.budget_negotiable,
            budget_text=view.budget_text,
            deadline=view.deadline,
            organization=view.organization,
            status=view.status,
            status_label=view.status_label,
            url=view.url,
        )
    return CapabilityItemOut(
        position=view.position,
        source_id=view.source_id,
        organization=view.organization,
        organization_slug=view.organization_slug,
        summary=view.summary,
        district=view.district,
        team_size=view.team_size,
        domains=view.domains,
        items=[CapabilityEntryOut(e.domain, e.technology, e.maturity, e.maturity_label) for e in view.items],
        verified_at=view.verified_at,
        url=view.url,
    )


class ListApiController(Controller):
    path = "/api/v1/lists"
    dependencies = DEPENDENCIES
    tags = ["lists"]

    @get("/{kind:str}", summary="Published issues of a list, newest first")
    async def list_issues(
        self,
        kind: FromPath[ListKind],
        lists: NamedDependency[ListService],
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> ListIssuePageOut:
        """第N期场景机会清单 (``scenarios``) or 第N期技术能力清单 (``capabilities``)."""
        listing = await lists.published(kind, page)
        return ListIssuePageOut(
            items=[_summary_out(s.issue, s.item_count) for s in listing.items],
            total=listing.total,
            page=listing.page,
            pages=listing.pages,
        )

    @get("/{kind:str}/{number:int}", summary="One published issue with its items")
    async def get_issue(
        self, kind: FromPath[ListKind], number: FromPath[int], lists: NamedDependency[ListService]
    ) -> ListIssueOut:
        """The items as they were when the issue was published (later edits do not change them)."""
        issue = await lists.get_published(kind, number)
        summary = _summary_out(issue, len(issue.items))
        return ListIssueOut(
            kind=summary.kind,
            number=summary.number,
            title=summary.title,
            theme=summary.theme,
            introduction=summary.introduction,
            publish_on=summary.publish_on,
            published_at=summary.published_at,
            url=summary.url,
            csv_url=summary.csv_url,
            xlsx_url=summary.xlsx_url,
            items=[_item_out(v) for v in item_views(issue.list_kind, issue.items)],
        )


LIST_CONTROLLERS = [ListPagesController, ListAdminController, ListApiController]
