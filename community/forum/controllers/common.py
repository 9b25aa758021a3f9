"""What the forum's controllers share: their services, query parameters, a topic list's order and page read
once from the query string, and the answer to a form that writes a post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.forum.inputs import PAGE_MAX, TopicFilters
from community.forum.services import (
    CatalogService,
    DigestService,
    DraftService,
    ModerationService,
    PostingTooSoon,
    ReadingService,
    ToolService,
    TopicService,
    TrustService,
    VoteService,
    WatchService,
)
from community.web import Visitor, form_or_redirect, services

T = TypeVar("T")
PageNumber = Annotated[int, QueryParameter(ge=1, le=PAGE_MAX)]


def topic_filters(sort: Annotated[str, QueryParameter()] = "latest", page: PageNumber = 1) -> TopicFilters:
    """How the forum's topic lists (all, a category's, a tag's) are ordered, and which page of them."""
    return TopicFilters.clean(sort=sort, page=page)


DEPENDENCIES = services(
    catalog=CatalogService,
    digests=DigestService,
    drafts=DraftService,
    moderation=ModerationService,
    reading=ReadingService,
    tools=ToolService,
    topics=TopicService,
    trust=TrustService,
    votes=VoteService,
    watches=WatchService,
) | {"filters": Provide(topic_filters, sync_to_thread=False)}


def then_flash(
    request: Visitor, step: Callable[[], Awaitable[T]], message: Callable[[T], str | None]
) -> Callable[[], Awaitable[T]]:
    """``step``, then a success message chosen by what it gave (None: no message). For a save whose outcome
    the member should hear about: a post waiting for review, a flag that hid the post."""

    async def run() -> T:
        result = await step()
        text = message(result)
        if text:
            flash(request, text, "success")
        return result

    return run


async def posting_form(
    request: Visitor,
    save: Callable[[], Awaitable[T]],
    *,
    template: str,
    form: Mapping[str, Any],
    redirect_to: Callable[[T], str],
    context: Callable[[], Awaitable[Mapping[str, Any]]],
) -> Template | Redirect:
    """``form_or_redirect`` for a form that writes a post: a new member who must wait gets the form back
    with 429 and Retry-After (when they may post again), not 400."""
    waiting: list[PostingTooSoon] = []

    async def attempt() -> T:
        try:
            return await save()
        except PostingTooSoon as exc:
            waiting.append(exc)
            raise

    answer = await form_or_redirect(
        request, attempt, template=template, form=form, done=None, redirect_to=redirect_to, context=context
    )
    if waiting:
        answer.status_code = 429
        answer.headers["Retry-After"] = str(waiting[0].retry_after)
    return answer


# Handler parameter types: the zone's services as its handlers receive them.
Catalog = NamedDependency[CatalogService]
Digests = NamedDependency[DigestService]
Drafts = NamedDependency[DraftService]
Filters = NamedDependency[TopicFilters]
Moderation = NamedDependency[ModerationService]
Reading = NamedDependency[ReadingService]
Tools = NamedDependency[ToolService]
Topics = NamedDependency[TopicService]
Trust = NamedDependency[TrustService]
Votes = NamedDependency[VoteService]
Watches = NamedDependency[WatchService]
