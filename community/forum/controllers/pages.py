"""The forum's pages: lists, topics, writing, votes, acceptance, flags, watching, feeds. Thin: parse, call a
service, render. Every page reads fully without JavaScript; htmx only spares reloads."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy import select

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.errors import FormError, NotFound
from community.forum.controllers.common import (
    DEPENDENCIES,
    Form,
    category_name,
    field,
    forum_page,
)
from community.forum.feeds import atom_feed, json_ld, meta_description
from community.forum.models import Category, Member, Tag, Topic
from community.forum.services import (
    DigestService,
    ModerationService,
    PostingTooSoon,
    TopicInput,
    TopicService,
    TrustService,
    WatchService,
)
from community.forum.services.common import KIND_LABELS, topic_url
from community.forum.services.topics import SORTS, TOPIC_DOC_TYPE
from community.forum.services.votes import VoteService, post_url
from community.forum.services.writing import DraftService, preview, revisions_with_diffs
from community.i18n import _
from community.search.schemas import SearchQuery
from community.search.services import SearchService
from community.web import is_htmx, render, safe_next

Page = Annotated[int, QueryParameter(ge=1, le=100_000)]
Sort = Annotated[str, QueryParameter()]
TOPIC_FIELDS = (
    "title",
    "body",
    "kind",
    "category",
    "tags",
    "code_language",
    "repo_url",
    "repo_license",
    "tools",
)


def _sort(value: str) -> str:
    return value if value in SORTS else "latest"


def _too_soon(response: Response[Any], exc: FormError) -> Response[Any]:
    if isinstance(exc, PostingTooSoon):
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


class ForumController(Controller):
    path = "/forum"
    dependencies = DEPENDENCIES

    async def _listing(
        self,
        request: Request[Any, Any, Any],
        topics: TopicService,
        sort: str,
        page: int,
        *,
        category: Category | None = None,
        tag: Tag | None = None,
        base: str = "/forum",
        feed: str = "/forum/feed",
        **context: Any,
    ) -> Template:
        sort = _sort(sort)
        rows, more = await topics.list_topics(
            sort, category_id=category.id if category else None, tag_id=tag.id if tag else None, page=page
        )
        user = request.scope.get("user")
        watches = WatchService(topics.db)
        watching = False
        if user and category:
            watching = await watches.is_watching(user.id, "category", category.id)
        elif user and tag:
            watching = await watches.is_watching(user.id, "tag", tag.id)
        return forum_page(
            request,
            "forum/index.html",
            rows=rows,
            more=more,
            page=page,
            sort=sort,
            categories=await topics.categories(),
            category=category,
            tag=tag,
            base=base,
            feed=feed,
            watching=watching,
            **context,
        )

    @get("/", cache=True, name="forum")
    async def index(
        self,
        request: Request[Any, Any, Any],
        topics: NamedDependency[TopicService],
        sort: Sort = "latest",
        page: Page = 1,
    ) -> Template:
        return await self._listing(request, topics, sort, page, popular_tags=await topics.popular_tags(30))

    @get("/c/{slug:str}", cache=True, name="forum_category")
    async def category(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        topics: NamedDependency[TopicService],
        sort: Sort = "latest",
        page: Page = 1,
    ) -> Template:
        found = await topics.category(slug)
        return await self._listing(
            request, topics, sort, page, category=found, base=f"/forum/c/{slug}", feed=f"/forum/c/{slug}/feed"
        )

    @get("/tags", cache=True, name="forum_tags")
    async def tag_index(
        self, request: Request[Any, Any, Any], topics: NamedDependency[TopicService]
    ) -> Template:
        return forum_page(request, "forum/tags.html", tags=await topics.popular_tags(300))

    @get("/tags/{name:str}", cache=True, name="forum_tag")
    async def tag(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        topics: NamedDependency[TopicService],
        digests: NamedDependency[DigestService],
        sort: Sort = "latest",
        page: Page = 1,
    ) -> Response[Any]:
        found = await topics.tag(name)
        if found.name != name:  # a merged synonym, or different case: the tag's own address
            return Redirect(f"/forum/tags/{quote(found.name)}", status_code=301)
        user = request.scope.get("user")
        subscribed = bool(user and await digests.subscription(user.id, found.id))
        return await self._listing(
            request, topics, sort, page, tag=found, base=f"/forum/tags/{quote(found.name)}",
            feed=f"/forum/tags/{quote(found.name)}/feed", subscribed=subscribed,
        )  # fmt: skip

    # --- feeds ------------------------------------------------------------------------------------

    def _atom(
        self, request: Request[Any, Any, Any], title: str, self_url: str, page_url: str, rows: Any
    ) -> Response[str]:
        body = atom_feed(title, self_url, page_url, rows, request.app.state.settings.base_url)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    @get("/feed", cache=True, name="forum_feed")
    async def feed(
        self, request: Request[Any, Any, Any], topics: NamedDependency[TopicService]
    ) -> Response[str]:
        rows, _more = await topics.list_topics("latest", per_page=50)
        return self._atom(request, _("Tech exchange: latest"), "/forum/feed", "/forum", rows)

    @get("/c/{slug:str}/feed", cache=True, name="forum_category_feed")
    async def category_feed(
        self, request: Request[Any, Any, Any], slug: FromPath[str], topics: NamedDependency[TopicService]
    ) -> Response[str]:
        found = await topics.category(slug)
        rows, _more = await topics.list_topics("latest", category_id=found.id, per_page=50)
        return self._atom(request, category_name(found), f"/forum/c/{slug}/feed", f"/forum/c/{slug}", rows)

    @get("/tags/{name:str}/feed", cache=True, name="forum_tag_feed")
    async def tag_feed(
        self, request: Request[Any, Any, Any], name: FromPath[str], topics: NamedDependency[TopicService]
    ) -> Response[str]:
        found = await topics.tag(name)
        rows, _more = await topics.list_topics("latest", tag_id=found.id, per_page=50)
        return self._atom(
            request,
            f"#{found.name}",
            f"/forum/tags/{quote(found.name)}/feed",
            f"/forum/tags/{quote(found.name)}",
            rows,
        )

    # --- a topic ----------------------------------------------------------------------------------

    @get("/t/{topic_id:int}", name="forum_topic_short")
    async def topic_short(self, topic_id: FromPath[int], topics: NamedDependency[TopicService]) -> Redirect:
        found = await topics.db.get(Topic, topic_id)
        if found is None:
            raise NotFoundException
        return Redirect(topic_url(found.id, found.slug), status_code=301)

    async def _topic_page(
        self,
        request: Request[Any, Any, Any],
        topics: TopicService,
        topic_id: int,
        page: int,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        user = request.scope.get("user")
        view = await topics.topic_page(user, topic_id, page)
        trust = TrustService(topics.db)
        draft = await DraftService(topics.db).get(user.id if user else None, f"reply-{topic_id}")
        context.setdefault("form", {"body": draft.body} if draft else {})
        base_url = request.app.state.settings.base_url
        return forum_page(
            request,
            "forum/topic.html",
            status_code,
            view=view,
            topic=view.topic,
            is_moderator=await trust.is_moderator(user),
            level=await trust.level(user),
            watching=await WatchService(topics.db).is_watching(user.id if user else None, "topic", topic_id),
            json_ld=json_ld(view, base_url),
            description=meta_description(view.topic.excerpt or view.topic.title),
            canonical=base_url.rstrip("/") + topic_url(view.topic.id, view.topic.slug, view.page),
            **context,
        )

    @get("/t/{topic_id:int}/{slug:str}", cache=True, name="forum_topic")
    async def topic(
        self,
        request: Request[Any, Any, Any],
        topic_id: FromPath[int],
        slug: FromPath[str],
        topics: NamedDependency[TopicService],
        page: Page = 1,
    ) -> Response[Any]:
        page_view = await self._topic_page(request, topics, topic_id, page)
        topic = page_view.context["topic"]
        if slug != topic.slug:  # an old or mistyped slug: the permanent address
            return Redirect(topic_url(topic.id, topic.slug, page), status_code=301)
        return page_view

    @post("/t/{topic_id:int}/reply", guards=[requires_login])
    async def reply(
        self,
        request: Request[User, Any, Any],
        topic_id: FromPath[int],
        data: Form,
        topics: NamedDependency[TopicService],
    ) -> Response[Any]:
        body = field(data, "body")
        if field(data, "action") == "preview":
            return await self._topic_page(
                request, topics, topic_id, 1, form={"body": body}, preview_html=preview(body)
            )
        try:
            post_ = await topics.reply(request.user, topic_id, body)
        except FormError as exc:
            await topics.db.rollback()
            page = await self._topic_page(
                request, topics, topic_id, 1, 400, form={"body": body}, errors=exc.errors
            )
            return _too_soon(page, exc)
        topic = await topics.db.get(Topic, topic_id)
        assert topic is not None
        if post_.visibility.value == "pending":
            flash(
                request,
                _("Thanks! Your post waits for a moderator's review before others see it."),
                "success",
            )
        return Redirect(post_url(topic, post_))

    # --- writing a topic --------------------------------------------------------------------------

    async def _form(
        self, request: Request[Any, Any, Any], topics: TopicService, status_code: int = 200, **context: Any
    ) -> Template:
        return forum_page(
            request,
            "forum/new.html",
            status_code,
            categories=await topics.categories(),
            kinds=list(KIND_LABELS.items()),
            **context,
        )

    @get("/new", guards=[requires_login], name="forum_new")
    async def new_form(
        self,
        request: Request[User, Any, Any],
        topics: NamedDependency[TopicService],
        drafts: NamedDependency[DraftService],
        category: Annotated[str, QueryParameter()] = "",
        kind: Annotated[str, QueryParameter()] = "",
        tags: Annotated[str, QueryParameter()] = "",
    ) -> Template:
        form = {
            "category": category,
            "kind": kind or ("question" if category == "qa" else "discussion"),
            "tags": tags,
        }
        draft = await drafts.get(request.user.id, "new")
        if draft:
            form.update(title=draft.title, body=draft.body)
        return await self._form(request, topics, form=form, restored=bool(draft))

    @post("/new", guards=[requires_login])
    async def create(
        self, request: Request[User, Any, Any], data: Form, topics: NamedDependency[TopicService]
    ) -> Response[Any]:
        form = {k: field(data, k) for k in TOPIC_FIELDS}
        if field(data, "action") == "preview":
            return await self._form(request, topics, form=form, preview_html=preview(form["body"]))
        try:
            topic = await topics.create_topic(request.user, TopicInput(**form))
        except FormError as exc:
            await topics.db.rollback()
            return _too_soon(await self._form(request, topics, 400, form=form, errors=exc.errors), exc)
        if topic.visibility.value == "pending":
            flash(
                request,
                _("Thanks! Your topic waits for a moderator's review before others see it."),
                "success",
            )
        return Redirect(topic_url(topic.id, topic.slug))

    @post("/preview", guards=[requires_login])
    async def live_preview(
        self, request: Request[User, Any, Any], data: Form, drafts: NamedDependency[DraftService]
    ) -> Template:
        """htmx: the rendered preview, and the draft saved on the way."""
        key = field(data, "draft_key")
        saved = False
        if key:
            try:
                await drafts.save(request.user.id, key, field(data, "title"), field(data, "body"))
                saved = True
            except FormError:
                saved = False
        return render(request, "forum/_preview.html", preview_html=preview(field(data, "body")), saved=saved)

    @get("/similar")
    async def similar(
        self, request: Request[Any, Any, Any], title: Annotated[str, QueryParameter(max_length=400)] = ""
    ) -> Template:
        """htmx: questions like the title being typed, through the site's search."""
        hits = []
        if len(title.strip()) >= 4:
            service = SearchService(request.app.state.search_backend)
            results = await service.search(
                SearchQuery(q=title.strip()[:200], types=(TOPIC_DOC_TYPE,), per_page=5)
            )
            hits = results.hits
        return render(request, "forum/_similar.html", hits=hits)

    # --- editing, history -------------------------------------------------------------------------

    @get("/p/{post_id:int}/edit", guards=[requires_login])
    async def edit_form(
        self, request: Request[User, Any, Any], post_id: FromPath[int], topics: NamedDependency[TopicService]
    ) -> Template:
        post_, topic = await topics.get_post(post_id)
        if not await topics.may_edit(request.user, post_):
            raise NotFound
        return forum_page(
            request,
            "forum/edit.html",
            post=post_,
            topic=topic,
            form={"title": topic.title, "body": post_.body_md},
        )

    @post("/p/{post_id:int}/edit", guards=[requires_login])
    async def edit(
        self,
        request: Request[User, Any, Any],
        post_id: FromPath[int],
        data: Form,
        topics: NamedDependency[TopicService],
    ) -> Response[Any]:
        post_, topic = await topics.get_post(post_id)
        form = {"title": field(data, "title"), "body": field(data, "body")}
        if field(data, "action") == "preview":
            return forum_page(
                request,
                "forum/edit.html",
                post=post_,
                topic=topic,
                form=form,
                preview_html=preview(form["body"]),
            )
        try:
            await topics.edit(
                request.user, post_id, form["body"], form["title"] if post_.number == 1 else None
            )
        except FormError as exc:
            await topics.db.rollback()
            post_, topic = await topics.get_post(post_id)
            return forum_page(
                request, "forum/edit.html", 400, post=post_, topic=topic, form=form, errors=exc.errors
            )
        flash(request, _("Saved. The earlier version stays in the history."), "success")
        return Redirect(post_url(topic, post_))

    @get("/p/{post_id:int}/history")
    async def history(
        self, request: Request[Any, Any, Any], post_id: FromPath[int], topics: NamedDependency[TopicService]
    ) -> Template:
        post_, topic = await topics.get_post(post_id)
        if not await topics.can_see(
            request.scope.get("user"), post_.author_id, post_.visibility
        ) or not await topics.can_see(request.scope.get("user"), topic.author_id, topic.visibility):
            raise NotFound
        return forum_page(
            request,
            "forum/history.html",
            post=post_,
            topic=topic,
            revisions=await revisions_with_diffs(topics.db, post_id),
        )

    @post("/p/{post_id:int}/wiki", guards=[requires_login])
    async def wiki(
        self,
        request: Request[User, Any, Any],
        post_id: FromPath[int],
        data: Form,
        topics: NamedDependency[TopicService],
    ) -> Redirect:
        post_ = await topics.set_wiki(request.user, post_id, field(data, "on") == "1")
        _p, topic = await topics.get_post(post_.id)
        return Redirect(post_url(topic, post_))

    # --- votes, acceptance, flags, watching -------------------------------------------------------

    @post("/p/{post_id:int}/vote", guards=[requires_login])
    async def vote(
        self,
        request: Request[User, Any, Any],
        post_id: FromPath[int],
        data: Form,
        votes: NamedDependency[VoteService],
    ) -> Response[Any]:
        choice = field(data, "vote")
        post_ = await votes.vote(request.user, post_id, choice)
        if is_htmx(request):
            my_vote = {"up": 1, "down": -1}.get(choice, 0)
            return render(request, "forum/_votes.html", post=post_, my_vote=my_vote, can_vote=True)
        _p, topic = await TopicService(votes.db).get_post(post_id)
        return Redirect(post_url(topic, post_))

    @post("/p/{post_id:int}/accept", guards=[requires_login])
    async def accept(
        self, request: Request[User, Any, Any], post_id: FromPath[int], votes: NamedDependency[VoteService]
    ) -> Redirect:
        topic, post_, accepted = await votes.accept(request.user, post_id)
        flash(request, _("Answer accepted.") if accepted else _("Acceptance withdrawn."), "success")
        return Redirect(post_url(topic, post_))

    @get("/p/{post_id:int}/flag", guards=[requires_login])
    async def flag_form(
        self, request: Request[User, Any, Any], post_id: FromPath[int], topics: NamedDependency[TopicService]
    ) -> Template:
        post_, topic = await topics.get_post(post_id)
        return forum_page(request, "forum/flag.html", post=post_, topic=topic)

    @post("/p/{post_id:int}/flag", guards=[requires_login])
    async def flag(
        self,
        request: Request[User, Any, Any],
        post_id: FromPath[int],
        data: Form,
        moderation: NamedDependency[ModerationService],
    ) -> Response[Any]:
        form = {"reason": field(data, "reason"), "note": field(data, "note")}
        post_, topic = await moderation.topics.get_post(post_id)
        try:
            hidden = await moderation.flag(request.user, post_id, form["reason"], form["note"])
        except FormError as exc:
            await moderation.db.rollback()
            post_, topic = await moderation.topics.get_post(post_id)
            return forum_page(
                request, "forum/flag.html", 400, post=post_, topic=topic, form=form, errors=exc.errors
            )
        flash(
            request,
            _("Thank you. The post is hidden until a moderator reviews it.")
            if hidden
            else _("Thank you. Moderators will look at it."),
            "success",
        )
        return Redirect(topic_url(topic.id, topic.slug) if post_.number > 1 or not hidden else "/forum")

    @post("/watch", guards=[requires_login])
    async def watch(
        self, request: Request[User, Any, Any], data: Form, watches: NamedDependency[WatchService]
    ) -> Redirect:
        kind, target = field(data, "kind"), field(data, "target")
        if not target.isdigit():
            raise NotFound
        if field(data, "on") == "1":
            await watches.watch(request.user.id, kind, int(target))
            flash(request, _("You will be notified of new posts here."), "success")
        else:
            await watches.unwatch(request.user.id, kind, int(target))
            flash(request, _("You no longer watch this."), "success")
        return Redirect(safe_next(field(data, "next"), "/forum"))

    # --- digests ----------------------------------------------------------------------------------

    @post("/tags/{name:str}/digest", guards=[requires_login])
    async def digest(
        self,
        request: Request[User, Any, Any],
        name: FromPath[str],
        data: Form,
        topics: NamedDependency[TopicService],
        digests: NamedDependency[DigestService],
    ) -> Redirect:
        tag = await topics.tag(name)
        if field(data, "on") == "1":
            await digests.subscribe(request.user.id, tag.id)
            flash(
                request,
                _("Each week you will get one email with the new topics tagged #%(tag)s.", tag=tag.name),
                "success",
            )
        else:
            await digests.unsubscribe(request.user.id, tag.id)
            flash(request, _("No more weekly emails for #%(tag)s.", tag=tag.name), "success")
        return Redirect(f"/forum/tags/{quote(tag.name)}")

    @get("/digest/unsubscribe/{token:str}")
    async def unsubscribe(
        self, request: Request[Any, Any, Any], token: FromPath[str], digests: NamedDependency[DigestService]
    ) -> Template:
        tag = await digests.unsubscribe_by_token(token[:100])
        return forum_page(request, "forum/unsubscribed.html", 200 if tag else 404, tag=tag)

    # --- people -----------------------------------------------------------------------------------

    @get("/u/{user_id:uuid}", cache=True, name="forum_user")
    async def member(
        self, request: Request[Any, Any, Any], user_id: FromPath[UUID], topics: NamedDependency[TopicService]
    ) -> Template:
        person = await topics.db.get(User, user_id)
        if person is None or not person.is_active:
            raise NotFound
        standing = await topics.db.scalar(select(Member).where(Member.user_id == user_id))
        rows, _more = await topics.list_topics("latest", author_id=user_id, per_page=20)
        return forum_page(request, "forum/member.html", person=person, standing=standing, rows=rows)
