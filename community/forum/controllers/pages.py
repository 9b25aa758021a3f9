"""The forum's lists and what readers follow: all topics, a category's, a tag's, their Atom feeds, a
member's page; watching, the weekly tag email. Thin: parse, call a service, render. Every page reads fully
without JavaScript."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.errors import NotFound
from community.forum.controllers.common import DEPENDENCIES, Catalog, Digests, Filters, Reading, Watches
from community.forum.documents import topic_url
from community.forum.feeds import topics_feed
from community.forum.inputs import TopicFilters
from community.forum.labels import category_name
from community.forum.models import Category, Tag
from community.forum.services import ReadingService
from community.forum.views import TopicListing, TopicRow
from community.i18n import _
from community.kernel.exports import ATOM_MEDIA_TYPE
from community.web import Form, Visitor, act, field, render, safe_next, settings_of, shared_fragment

FEED_SIZE = 50


def _tag_path(tag: Tag) -> str:
    return f"/forum/tags/{quote(tag.name)}"


async def _category_links(
    reading: ReadingService, category: Category | None, tag: Tag | None
) -> dict[str, Any]:
    return {"categories": await reading.catalog.categories(), "category": category, "tag": tag}


class ForumController(Controller):
    path = "/forum"
    dependencies = DEPENDENCIES

    async def _listing(
        self,
        request: Visitor,
        reading: ReadingService,
        filters: TopicFilters,
        *,
        base: str,
        category: Category | None = None,
        tag: Tag | None = None,
        popular_tags: int = 0,
        listing: TopicListing | None = None,
    ) -> Template:
        if listing is None:
            listing = await reading.listing(
                request.scope.get("user"), filters, category=category, tag=tag, rows=False, categories=False
            )

        async def public_part() -> dict[str, Any]:
            rows, more = await reading.list_topics(
                filters.sort,
                category_id=category.id if category else None,
                tag_id=tag.id if tag else None,
                page=filters.page,
            )
            tags = await reading.catalog.popular_tags(popular_tags) if popular_tags else []
            return {"rows": rows, "more": more, "filters": filters, "base": base, "popular_tags": tags}

        # The topics are everyone's: rendered once per interval or change, per language; the reader's
        # watch and email buttons are theirs (community.web.fragments).
        shared = await shared_fragment(
            request, "forum/_listing.html", f"{base}?{urlencode(filters.as_query())}", public_part
        )
        # The category links: the same for every reader of a category's, a tag's or all topics' pages.
        categories = await shared_fragment(
            request,
            "forum/_categories.html",
            f"categories?current={category.slug if category else ('#' if tag else '')}",
            partial(_category_links, reading, category, tag),
        )
        return render(
            request,
            "forum/index.html",
            listing=listing,
            base=base,
            feed=f"{base}/feed",
            shared=shared,
            categories=categories,
        )

    @get("/", cache=True, name="forum")
    async def index(self, request: Visitor, reading: Reading, filters: Filters) -> Template:
        return await self._listing(request, reading, filters, base="/forum", popular_tags=30)

    @get("/c/{slug:str}", cache=True, name="forum_category")
    async def category(
        self, request: Visitor, slug: FromPath[str], reading: Reading, filters: Filters
    ) -> Template:
        found = await reading.catalog.category(slug)
        return await self._listing(request, reading, filters, base=f"/forum/c/{slug}", category=found)

    @get("/tags", cache=True, name="forum_tags")
    async def tag_index(self, request: Visitor, catalog: Catalog) -> Template:
        return render(request, "forum/tags.html", tags=await catalog.popular_tags(300))

    @get("/tags/{name:str}", cache=True, name="forum_tag")
    async def tag(
        self, request: Visitor, name: FromPath[str], reading: Reading, filters: Filters
    ) -> Response[Any]:
        listing = await reading.tag_listing(request.scope.get("user"), name, filters)
        found = listing.tag
        assert found is not None
        if found.name != name:  # a merged synonym, or different case: the tag's own address
            return Redirect(_tag_path(found), status_code=301)
        return await self._listing(
            request, reading, filters, base=_tag_path(found), tag=found, listing=listing
        )

    # --- feeds ------------------------------------------------------------------------------------

    def _atom(self, request: Visitor, title: str, page_url: str, rows: list[TopicRow]) -> Response[bytes]:
        settings = settings_of(request)
        body = topics_feed(
            title,
            f"{page_url}/feed",
            page_url,
            rows,
            base_url=settings.base_url,
            site_name=settings.site_name,
        )
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    @get("/feed", cache=True, name="forum_feed")
    async def feed(self, request: Visitor, reading: Reading) -> Response[bytes]:
        rows, _more = await reading.list_topics("latest", per_page=FEED_SIZE)
        return self._atom(request, _("Tech exchange: latest"), "/forum", rows)

    @get("/c/{slug:str}/feed", cache=True, name="forum_category_feed")
    async def category_feed(self, request: Visitor, slug: FromPath[str], reading: Reading) -> Response[bytes]:
        found = await reading.catalog.category(slug)
        rows, _more = await reading.list_topics("latest", category_id=found.id, per_page=FEED_SIZE)
        return self._atom(request, category_name(found), f"/forum/c/{slug}", rows)

    @get("/tags/{name:str}/feed", cache=True, name="forum_tag_feed")
    async def tag_feed(self, request: Visitor, name: FromPath[str], reading: Reading) -> Response[bytes]:
        found = await reading.catalog.tag(name)
        rows, _more = await reading.list_topics("latest", tag_id=found.id, per_page=FEED_SIZE)
        return self._atom(request, f"#{found.name}", _tag_path(found), rows)

    # --- permanent addresses, people -----------------------------------------------------------------

    @get("/t/{topic_id:int}", name="forum_topic_short")
    async def topic_short(self, request: Visitor, topic_id: FromPath[int], reading: Reading) -> Redirect:
        found = await reading.topic(request.scope.get("user"), topic_id)
        return Redirect(topic_url(found.id, found.slug), status_code=301)

    @get("/u/{user_id:uuid}", cache=True, name="forum_user")
    async def member(self, request: Visitor, user_id: FromPath[UUID], reading: Reading) -> Template:
        person, standing = await reading.person(user_id)
        rows, _more = await reading.list_topics("latest", author_id=user_id, per_page=20)
        return render(request, "forum/member.html", person=person, standing=standing, rows=rows)

    # --- watching, the weekly tag email ------------------------------------------------------------

    @post("/watch", guards=[requires_login])
    async def watch(self, request: Member, data: Form, watches: Watches) -> Redirect:
        kind, target, on = field(data, "kind"), field(data, "target"), field(data, "on") == "1"
        if not target.isdigit():
            raise NotFound
        return await act(
            request,
            lambda: watches.set_watching(request.user.id, kind, int(target), on),
            done=_("You will be notified of new posts here.") if on else _("You no longer watch this."),
            redirect_to=safe_next(field(data, "next"), "/forum"),
        )

    @post("/tags/{name:str}/digest", guards=[requires_login])
    async def digest(
        self, request: Member, name: FromPath[str], data: Form, catalog: Catalog, digests: Digests
    ) -> Redirect:
        tag, on = await catalog.tag(name), field(data, "on") == "1"
        done = (
            _("Each week you will get one email with the new topics tagged #%(tag)s.", tag=tag.name)
            if on
            else _("No more weekly emails for #%(tag)s.", tag=tag.name)
        )
        return await act(
            request,
            lambda: digests.set_subscribed(request.user.id, tag.id, on),
            done=done,
            redirect_to=_tag_path(tag),
        )

    @get("/digest/unsubscribe/{token:str}")
    async def unsubscribe(self, request: Visitor, token: FromPath[str], digests: Digests) -> Template:
        tag = await digests.unsubscribe_by_token(token[:100])
        return render(request, "forum/unsubscribed.html", 200 if tag else 404, tag=tag)
