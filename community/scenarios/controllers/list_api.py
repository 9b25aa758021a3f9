"""The JSON API of the list issues: a list's published issues, and one issue with its items as they were
when it was published."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from community.scenarios.controllers.deps import Lists
from community.scenarios.labels import issue_title
from community.scenarios.models import ListIssue, ListKind
from community.scenarios.services.list_views import CapabilityView, ScenarioView
from community.scenarios.services.lists import ListService, issue_url, item_views
from community.web import services


class ListIssueFields(msgspec.Struct):
    """A published issue. ``title`` is 第N期… in the reader's language; ``theme`` is the optional subtitle."""

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


class ListIssueSummaryOut(ListIssueFields):
    """A published issue and how many items it holds."""

    item_count: int


class ListIssuePageOut(msgspec.Struct):
    """One page of a list's published issues, newest first."""

    items: list[ListIssueSummaryOut]
    total: int
    page: int
    pages: int


class ListIssueOut(ListIssueFields):
    """A published issue with its items, in order; the items never change after publication."""

    items: list[ScenarioView | CapabilityView]


def _issue_fields(issue: ListIssue) -> dict[str, Any]:
    assert issue.number is not None and issue.published_at is not None
    url = issue_url(issue.list_kind, issue.number)
    return {
        "kind": issue.list_kind,
        "number": issue.number,
        "title": issue_title(issue.list_kind, issue.number),
        "theme": issue.title,
        "introduction": issue.introduction,
        "publish_on": issue.publish_on,
        "published_at": issue.published_at,
        "url": url,
        "csv_url": f"{url}.csv",
        "xlsx_url": f"{url}.xlsx",
    }


class ListApiController(Controller):
    path = "/api/v1/lists"
    dependencies = services(lists=ListService)
    tags = ["lists"]

    @get("/{kind:str}", summary="Published issues of a list, newest first")
    async def list_issues(
        self,
        kind: FromPath[ListKind],
        lists: Lists,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> ListIssuePageOut:
        """第N期场景机会清单 (``scenarios``) or 第N期技术能力清单 (``capabilities``)."""
        listing = await lists.published(kind, page)
        return ListIssuePageOut(
            items=[
                ListIssueSummaryOut(**_issue_fields(s.issue), item_count=s.item_count) for s in listing.items
            ],
            total=listing.total,
            page=listing.page,
            pages=listing.pages,
        )

    @get("/{kind:str}/{number:int}", summary="One published issue with its items")
    async def get_issue(self, kind: FromPath[ListKind], number: FromPath[int], lists: Lists) -> ListIssueOut:
        """The items as they were when the issue was published (later edits do not change them)."""
        issue = await lists.get_published(kind, number)
        return ListIssueOut(**_issue_fields(issue), items=item_views(issue.list_kind, issue.items))
