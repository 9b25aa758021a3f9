"""The forum's JSON API: list and read topics; post as the signed-in member (session cookie + CSRF header).
Errors are problem details: 400 with each field's message, 404, 403, 429 with Retry-After."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.plugins.problem_details import ProblemDetailsException

from community.accounts.guards import Member, requires_login
from community.forum.controllers.common import DEPENDENCIES, Catalog, PageNumber, Reading, Topics, Votes
from community.forum.inputs import TopicFilters, TopicInput
from community.forum.schemas import (
    CategoryOut,
    PostIn,
    PostOut,
    TopicDetail,
    TopicIn,
    TopicList,
    TopicOut,
    VoteIn,
)
from community.forum.services import PostingTooSoon
from community.i18n import _
from community.web import Visitor


def _too_soon(request: Visitor, exc: PostingTooSoon) -> Response[Any]:
    return ProblemDetailsException(
        status_code=429,
        title=_("Too many attempts"),
        detail=" ".join(exc.errors.values()),
        instance=request.url.path,
        headers={"Retry-After": str(exc.retry_after)},
        extra={"errors": exc.errors, "retry_after": exc.retry_after},
    ).to_response(request)


class ForumApiController(Controller):
    path = "/api/v1/forum"
    dependencies = DEPENDENCIES
    tags = ["forum"]

    @get("/categories")
    async def categories(self, catalog: Catalog) -> list[CategoryOut]:
        return [CategoryOut.from_model(c) for c in await catalog.categories()]

    @get("/topics")
    async def list_topics(
        self,
        reading: Reading,
        sort: Annotated[str, QueryParameter(max_length=20)] = "latest",
        category: Annotated[str | None, QueryParameter(max_length=100)] = None,
        tag: Annotated[str | None, QueryParameter(max_length=100)] = None,
        page: PageNumber = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 30,
    ) -> TopicList:
        filters = TopicFilters.clean(sort=sort, page=page)
        rows, more = await reading.list_topics(
            filters.sort,
            category_id=(await reading.catalog.category(category)).id if category else None,
            tag_id=(await reading.catalog.tag(tag)).id if tag else None,
            page=filters.page,
            per_page=per_page,
        )
        return TopicList(items=[TopicOut.from_row(r) for r in rows], page=filters.page, has_more=more)

    @get("/topics/{topic_id:int}")
    async def topic(
        self, request: Visitor, topic_id: FromPath[int], reading: Reading, page: PageNumber = 1
    ) -> TopicDetail:
        view = await reading.topic_page(request.scope.get("user"), topic_id, page)
        accepted = view.topic.accepted_post_id
        return TopicDetail(
            topic=TopicOut.from_model(view.topic, view.category.slug, view.tags, view.author),
            opening_post=PostOut.from_model(view.opening.post, view.opening.author) if view.opening else None,
            posts=[PostOut.from_model(v.post, v.author, v.post.id == accepted) for v in view.posts],
            page=view.page,
            pages=view.pages,
        )

    @post("/topics", guards=[requires_login], status_code=201)
    async def create_topic(
        self, request: Member, data: JSONBody[TopicIn], reading: Reading, topics: Topics
    ) -> Response[Any]:
        try:
            topic = await topics.create_topic(request.user, TopicInput.from_api(data))
        except PostingTooSoon as exc:
            return _too_soon(request, exc)
        return Response(TopicOut.from_row(await reading.topic_row(topic.id)), status_code=201)

    @post("/topics/{topic_id:int}/posts", guards=[requires_login], status_code=201)
    async def reply(
        self, request: Member, topic_id: FromPath[int], data: JSONBody[PostIn], topics: Topics
    ) -> Response[Any]:
        try:
            _topic, post_ = await topics.reply(request.user, topic_id, data.body)
        except PostingTooSoon as exc:
            return _too_soon(request, exc)
        return Response(PostOut.from_model(post_, request.user.display_name), status_code=201)

    @post("/posts/{post_id:int}/vote", guards=[requires_login], status_code=200)
    async def vote(
        self, request: Member, post_id: FromPath[int], data: JSONBody[VoteIn], votes: Votes
    ) -> dict[str, int]:
        _topic, post_ = await votes.vote(request.user, post_id, data.vote)
        return {"post_id": post_.id, "score": post_.score}

    @post("/posts/{post_id:int}/accept", guards=[requires_login], status_code=200)
    async def accept(self, request: Member, post_id: FromPath[int], votes: Votes) -> dict[str, Any]:
        topic, post_, accepted = await votes.accept(request.user, post_id)
        return {"topic_id": topic.id, "post_id": post_.id, "accepted": accepted}
