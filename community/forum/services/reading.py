"""Reading the forum: topic lists, a topic's page with its posts, a member's page. Readers see what is
visible; authors also see their own posts waiting for review; moderators see everything but the deleted."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import BindParameter, Select, bindparam, exists, func, select, true
from sqlalchemy.orm import aliased

from community.accounts.models import User
from community.db import DriverStatement
from community.errors import NotFound
from community.forum.documents import POSTS_PER_PAGE, TAG_NAME_IN_ORDER, tag_names_query, topic_url
from community.forum.models import (
    Category,
    HeldEdit,
    Member,
    Post,
    PostRevision,
    Tag,
    Tool,
    Topic,
    TopicKind,
    TopicTag,
    TopicTool,
    Visibility,
    Vote,
)
from community.forum.services.catalog import CatalogService
from community.forum.services.common import PAGE_SIZE, short_time
from community.forum.services.drafts import DraftService
from community.forum.services.notify import DigestService
from community.forum.services.trust import MODERATE_LEVEL, TrustService
from community.forum.services.watches import WatchService
from community.forum.services.writing import diff_lines
from community.forum.views import PostView, TopicListing, TopicPage, TopicRow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.forum.inputs import TopicFilters


def _posts_of(topic_id: int) -> Select[Post, str, int, int]:
    """A topic's posts with their authors' names and standing."""
    return (
        select(Post, User.display_name, Member.reputation, Member.trust_level)
        .join(User, User.id == Post.author_id)
        .outerjoin(Member, Member.user_id == Post.author_id)
        .where(Post.topic_id == topic_id)
    )


def _topic_row_query(topic_id: Any, *, columns: bool = False) -> Select[Any]:
    """A topic, its category, its author's name, its tags' names and whether it was tested with tools
    (``columns``: the topic and the category as their columns, for a ``DriverStatement``)."""
    tags = func.array(tag_names_query(topic_id).scalar_subquery())
    tested = exists().where(TopicTool.topic_id == topic_id)
    heads: list[Any] = [Topic, Category]
    if columns:
        heads = [*DriverStatement.columns_of(Topic), *DriverStatement.columns_of(Category)]
    return (
        select(*heads, User.display_name, tags, tested)
        .join(Category, Category.id == Topic.category_id)
        .join(User, User.id == Topic.author_id)
        .where(Topic.id == topic_id)
    )


TOPIC_ROW_WIDTH = 5  # the columns of _topic_row_query


def _readers_part_of(topic_row: Select[Any], user_id: Any, topic_id: Any, draft_key: Any) -> Select[Any]:
    """The topic's statement with what the topic page shows this reader alone as more columns: their trust
    level, their votes in the topic (the posts and the values), whether they have posts or edits here only
    they see, whether they watch it, the draft of their reply."""
    in_topic = Post.topic_id == topic_id
    theirs = in_topic & (Post.author_id == user_id)
    # Two comparisons, not NOT IN: a list is a parameter expanded per statement, which a statement compiled
    # once (community.db.DriverStatement) cannot have.
    unpublished = (Post.visibility != Visibility.VISIBLE) & (Post.visibility != Visibility.DELETED)
    held = select(HeldEdit.post_id).join(Post, Post.id == HeldEdit.post_id).where(theirs)
    # Both arrays from one pass over the topic's posts, a row of its own joined in (an aggregate gives one
    # row always); as two subqueries, each walked the posts again.
    votes = (
        select(func.array_agg(Vote.post_id).label("post_ids"), func.array_agg(Vote.value).label("values"))
        .join(Post, Post.id == Vote.post_id)
        .where(Vote.user_id == user_id, in_topic)
        .subquery("votes")
    )
    return topic_row.join(votes, true()).add_columns(
        TrustService.level_query(user_id),
        votes.c.post_ids,
        votes.c["values"],
        exists().where(theirs & unpublished) | exists(held),
        WatchService.watching_query(user_id, "topic", topic_id),
        DraftService.body_query(user_id, draft_key),
    )


# The topic's statement, for a visitor and for a member, built once with bound parameters: building and keying
# it (some forty SQL expressions) cost a member's topic page about as much CPU as rendering it. SQLAlchemy
# keeps the compiled form of each; a request only binds the topic, the reader and the draft's key.
_TOPIC_ID: BindParameter[int] = bindparam("topic_id")
_USER_ID: BindParameter[UUID] = bindparam("user_id")
_DRAFT_KEY: BindParameter[str] = bindparam("draft_key")
_TOPIC_ROW = _topic_row_query(_TOPIC_ID)
# The topic page's statements run on the driver (community.db.DriverStatement): the session's result
# machinery for a row of two objects and a dozen values cost about as much again as compiling it did.
_TOPIC_PARTS: list[type[Any] | None] = [Topic, Category, None, None, None]
_TOPIC_FOR_VISITOR = DriverStatement(_topic_row_query(_TOPIC_ID, columns=True), _TOPIC_PARTS)
_TOPIC_FOR_READER = DriverStatement(
    _readers_part_of(_topic_row_query(_TOPIC_ID, columns=True), _USER_ID, _TOPIC_ID, _DRAFT_KEY),
    [*_TOPIC_PARTS, None, None, None, None, None, None],
)
# A tag by its name with whether the reader watches it and gets its weekly email: a tag page's one statement.
_TAG_FOR_READER = DriverStatement(
    select(*DriverStatement.columns_of(Tag))
    .add_columns(
        WatchService.watching_query(_USER_ID, "tag", Tag.id), DigestService.subscribed_query(_USER_ID, Tag.id)
    )
    .where(Tag.name == bindparam("tag_name")),
    [Tag, None, None],
)


def _topic_row_of(row: Any) -> TopicRow:
    topic, category, author, names, has_tools = row[:TOPIC_ROW_WIDTH]
    return TopicRow(topic, author, category, list(names or ()), has_tools=bool(has_tools))


class ReadingService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)
        self.catalog = CatalogService(db)
        self.watches = WatchService(db)

    async def topic(self, user: Any, topic_id: int) -> Topic:
        """A topic the reader sees; any other is "not found" (its title and address never shown)."""
        topic = await self.db.get(Topic, topic_id)
        if not await self.trust.sees(user, topic):
            raise NotFound
        assert topic is not None
        return topic

    async def post(self, user: Any, post_id: int) -> tuple[Post, Topic]:
        """A post and its topic, when the reader sees both; to anyone else the post does not exist."""
        row = (
            await self.db.execute(
                select(Post, Topic).join(Topic, Topic.id == Post.topic_id).where(Post.id == post_id)
            )
        ).first()
        if row is None or not await self.trust.sees(user, row[1], row[0]):
            raise NotFound
        return row[0], row[1]

    async def history(self, user: Any, post_id: int) -> tuple[Post, Topic, list[dict[str, Any]]]:
        """A post's versions, newest first, each with its difference from the one before; only for those
        who may see the post and its topic."""
        post, topic = await self.post(user, post_id)
        rows = (
            await self.db.execute(
                select(PostRevision, User.display_name)
                .outerjoin(User, User.id == PostRevision.editor_id)
                .where(PostRevision.post_id == post_id)
                .order_by(PostRevision.number)
            )
        ).all()
        result: list[dict[str, Any]] = []
        previous: PostRevision | None = None
        for revision, editor in rows:
            result.append(
                {
                    "number": revision.number,
                    "editor": editor,
                    "at": revision.created_at,
                    "title": revision.title,
                    "title_changed": previous is not None and revision.title != previous.title,
                    "previous_title": previous.title if previous else None,
                    "diff": diff_lines(previous.body_md if previous else "", revision.body_md),
                }
            )
            previous = revision
        result.reverse()
        return post, topic, result

    async def editable_post(self, user: Any, post_id: int) -> tuple[Post, Topic, HeldEdit | None]:
        """A post and its topic, when ``user`` sees them and may edit the post (to anyone else it does not
        exist), and the edit of it that waits for review, if any."""
        post, topic = await self.post(user, post_id)
        if not await self.trust.may_edit(user, post):
            raise NotFound
        held = await self.db.scalar(select(HeldEdit).where(HeldEdit.post_id == post.id))
        return post, topic, held

    async def topic_row(self, topic_id: int) -> TopicRow:
        """A topic with its author's name, its category and its tags (one statement)."""
        row = (await self.db.execute(_TOPIC_ROW, {"topic_id": topic_id})).first()
        if row is None:
            raise NotFound
        return _topic_row_of(row)

    async def topic_page(self, user: Any, topic_id: int, page: int = 1, *, posts: bool = True) -> TopicPage:
        """A topic's page for ``user``: the posts they see and their parts (votes, rights, watch, draft).
        ``posts=False``: when the reader sees what every reader sees (``public``), their parts alone, for a
        page that takes the posts from a shared fragment (``public_posts``); otherwise the posts too."""
        # The topic and what this reader alone sees of it in one statement (a statement is a round trip);
        # nothing of it is shown before the reader is known to see the topic.
        if user is None:
            row = await _TOPIC_FOR_VISITOR.fetchrow(self.db, {"topic_id": topic_id})
        else:
            row = await _TOPIC_FOR_READER.fetchrow(
                self.db, {"topic_id": topic_id, "user_id": user.id, "draft_key": f"reply-{topic_id}"}
            )
        if row is None:
            raise NotFound
        head = _topic_row_of(row)
        topic = head.topic
        if not await self.trust.can_see(user, topic.author_id, topic.visibility):
            raise NotFound
        level, my_votes, own_unseen, watching, draft = await self._readers_part(user, row[TOPIC_ROW_WIDTH:])
        moderator = user is not None and (user.is_admin or level >= MODERATE_LEVEL)
        sees_more = moderator or topic.visibility is not Visibility.VISIBLE or own_unseen
        view = TopicPage(
            topic=topic,
            category=head.category,
            author=head.author,
            tags=head.tags,
            tools=await self._tools(topic.id) if head.has_tools else [],
            opening=None,
            posts=[],
            page=max(1, page),
            pages=max(1, -(-topic.reply_count // POSTS_PER_PAGE)),
            is_moderator=moderator,
            level=level,
            watching=watching,
            draft=draft,
            my_votes=my_votes,
            public=not sees_more,
        )
        if posts or sees_more:
            await self._fill_posts(view, user, moderator)
        return view

    async def _readers_part(
        self, user: Any, columns: Sequence[Any]
    ) -> tuple[int, dict[int, int], bool, bool, str | None]:
        """The reader's part from the columns ``_readers_part_of`` adds."""
        if user is None:
            return -1, {}, False, False, None
        level, post_ids, values, own_unseen, watching, draft = columns
        if user.is_admin or level is None:  # an admin's level is fixed; a first visit makes their standing
            level = await self.trust.level(user)
        votes = dict(zip(post_ids or (), values or (), strict=True))
        return level, votes, bool(own_unseen), bool(watching), draft

    async def public_posts(self, view: TopicPage) -> TopicPage:
        """The posts of ``view``'s topic and page as every reader sees them (no reader's votes or rights)."""
        public = replace(view, is_moderator=False, level=-1, watching=False, draft=None, my_votes={})
        await self._fill_posts(public, None, False)
        return public

    async def _fill_posts(self, view: TopicPage, user: Any, moderator: bool) -> None:
        """The page's posts, with their authors' names and standing, in two queries whatever their number."""
        topic = view.topic
        query = _posts_of(topic.id).where(Post.number > 1)
        if not moderator:
            visible = Post.visibility == Visibility.VISIBLE
            if user is not None:
                visible = visible | ((Post.author_id == user.id) & (Post.visibility != Visibility.DELETED))
            query = query.where(visible)
        offset = (view.page - 1) * POSTS_PER_PAGE
        rows = (await self.db.execute(query.order_by(Post.number).limit(POSTS_PER_PAGE).offset(offset))).all()
        first = (await self.db.execute(_posts_of(topic.id).where(Post.number == 1))).first()
        views = [
            PostView(p, name, rep or 0, level or 0, view.my_votes.get(p.id, 0), short_time(p.created_at))
            for p, name, rep, level in [*([first] if first else []), *rows]
        ]
        if user is not None and views:
            # Its author and moderators are told which posts have an edit waiting for review.
            mine = [v.post.id for v in views if moderator or v.post.author_id == user.id]
            held = select(HeldEdit.post_id).where(HeldEdit.post_id.in_(mine))
            held_ids = set((await self.db.scalars(held)).all()) if mine else set()
            for post_view in views:
                post_view.held_edit = post_view.post.id in held_ids
        opening = views[0] if first else None
        if opening and not await self.trust.can_see(user, opening.post.author_id, opening.post.visibility):
            opening = None
        view.opening = opening
        view.posts = views[1:] if first else views

    async def _tools(self, topic_id: int) -> list[tuple[Tool, str]]:
        rows = (
            await self.db.execute(
                select(Tool, TopicTool.version)
                .join(TopicTool, TopicTool.tool_id == Tool.id)
                .where(TopicTool.topic_id == topic_id)
            )
        ).all()
        return [(tool, version) for tool, version in rows]

    async def listing(
        self,
        user: Any,
        filters: TopicFilters,
        *,
        category: Category | None = None,
        tag: Tag | None = None,
        popular_tags: int = 0,
        rows: bool = True,
        categories: bool = True,
    ) -> TopicListing:
        """A page of visible topics (a category's, a tag's, or all), with whether the reader watches the
        category or tag and gets the tag's weekly email. ``rows=False``: only the categories and the reader's
        part (the page takes its topics from a shared fragment); ``categories=False``: without the categories
        (the page takes their links from a shared fragment too)."""
        found: tuple[list[TopicRow], bool] = ([], False)
        if rows:
            found = await self.list_topics(
                filters.sort,
                category_id=category.id if category else None,
                tag_id=tag.id if tag else None,
                page=filters.page,
            )
        rows_found, more = found
        listing = TopicListing(
            rows_found, more, filters, await self.catalog.categories() if categories else [], category, tag
        )
        if user and category:
            listing.watching = await self.watches.is_watching(user.id, "category", category.id)
        elif user and tag:  # both in one statement: a statement is a round trip
            watching, subscribed = (
                await self.db.execute(
                    select(
                        self.watches.watching_query(user.id, "tag", tag.id),
                        DigestService.subscribed_query(user.id, tag.id),
                    )
                )
            ).one()
            listing.watching, listing.subscribed = bool(watching), bool(subscribed)
        if popular_tags:
            listing.popular_tags = await self.catalog.popular_tags(popular_tags)
        return listing

    async def tag_listing(self, user: Any, name: str, filters: TopicFilters) -> TopicListing:
        """A tag's page without its topics and categories (they come from shared fragments): the tag, whether
        the reader watches it and gets its weekly email, in one statement. A merged synonym gives the tag it
        was merged into, and nothing of the reader's (its page only sends them to the tag's own address)."""
        if user is None:
            return await self.listing(
                None, filters, tag=await self.catalog.tag(name), rows=False, categories=False
            )
        row = await _TAG_FOR_READER.fetchrow(self.db, {"tag_name": name.strip().lower(), "user_id": user.id})
        if row is None:
            raise NotFound
        tag, watching, subscribed = row
        if tag.synonym_of_id:
            return TopicListing([], False, filters, [], tag=await self.catalog.tag(name))
        listing = TopicListing([], False, filters, [], tag=tag)
        listing.watching, listing.subscribed = bool(watching), bool(subscribed)
        return listing

    async def list_topics(
        self,
        sort: str = "latest",
        *,
        category_id: int | None = None,
        tag_id: int | None = None,
        tool_id: int | None = None,
        author_id: UUID | None = None,
        page: int = 1,
        per_page: int = PAGE_SIZE,
    ) -> tuple[list[TopicRow], bool]:
        """One page of visible topics, and whether there is a next page."""
        author = aliased(User)
        query = (
            select(Topic, author.display_name, Category)
            .join(author, author.id == Topic.author_id)
            .join(Category, Category.id == Topic.category_id)
            .where(Topic.visibility == Visibility.VISIBLE)
        )
        if category_id is not None:
            query = query.where(Topic.category_id == category_id)
        if tag_id is not None:
            # The tag's id is written into the SQL (an integer, never user text) so that PostgreSQL plans each
            # tag for its size: a rare tag reads its few topics, a popular one walks the newest-first index.
            # A generic prepared plan would walk 100,000 topics to find a rare tag's 30.
            in_tag = TopicTag.tag_id == bindparam("tag_id", int(tag_id), literal_execute=True)
            query = query.where(Topic.id.in_(select(TopicTag.topic_id).where(in_tag)))
        if tool_id is not None:
            query = query.where(Topic.id.in_(select(TopicTool.topic_id).where(TopicTool.tool_id == tool_id)))
        if author_id is not None:
            query = query.where(Topic.author_id == author_id)
        if sort == "top":
            query = query.order_by(Topic.score.desc(), Topic.id.desc())
        elif sort == "unanswered":
            query = query.where(
                Topic.kind == TopicKind.QUESTION, Topic.reply_count == 0, Topic.accepted_post_id.is_(None)
            ).order_by(Topic.last_posted_at.desc())
        else:
            query = query.order_by(Topic.last_posted_at.desc())
        page = max(1, page)
        rows = (await self.db.execute(query.limit(per_page + 1).offset((page - 1) * per_page))).all()
        result = [TopicRow(topic, name, category) for topic, name, category in rows[:per_page]]
        if result:
            tags: dict[int, list[str]] = {}
            for topic_id, name in (
                await self.db.execute(
                    select(TopicTag.topic_id, Tag.name)
                    .join(Tag, Tag.id == TopicTag.tag_id)
                    .where(TopicTag.topic_id.in_([r.topic.id for r in result]))
                    .order_by(TAG_NAME_IN_ORDER)
                )
            ).all():
                tags.setdefault(topic_id, []).append(name)
            for row in result:
                row.tags = tags.get(row.topic.id, [])
                row.tag_links = [(name, f"/forum/tags/{quote(name)}") for name in row.tags]
                row.url = topic_url(row.topic.id, row.topic.slug)
                row.when = short_time(row.topic.last_posted_at)
        return result, len(rows) > per_page

    async def person(self, user_id: UUID) -> tuple[User, Member | None]:
        """An active member and their forum standing (None before their first post or vote)."""
        person = await self.db.get(User, user_id)
        if person is None or not person.is_active:
            raise NotFound
        return person, await self.trust.standing(user_id)
