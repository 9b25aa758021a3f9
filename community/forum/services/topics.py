"""Topics and posts: categories and tags, writing, editing, reading and listing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from community.accounts.models import User
from community.errors import Forbidden, FormError, NotFound
from community.forum.models import (
    Category,
    Member,
    ModAction,
    Post,
    Tag,
    Tool,
    Topic,
    TopicKind,
    TopicTag,
    TopicTool,
    Visibility,
    Vote,
)
from community.forum.services.common import (
    DEFAULT_CATEGORIES,
    PAGE_SIZE,
    POSTS_PER_PAGE,
    TAG_MAX,
    TAG_RE,
    TAGS_MAX,
    TopicInput,
    now,
    short_time,
    slugify,
    topic_url,
)
from community.forum.services.notify import WatchService, tell
from community.forum.services.trust import CREATE_TAG_LEVEL, EDIT_WIKI_LEVEL, TrustService
from community.forum.services.writing import (
    DraftService,
    add_revision,
    check_body,
    check_title,
    render_with_mentions,
)
from community.i18n import N_, _
from community.markup import clean_line, count_links
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

TOPIC_DOC_TYPE = "forum_topic"
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
SORTS = ("latest", "top", "unanswered")


@dataclass
class TopicRow:
    topic: Topic
    author: str
    category: Category
    tags: list[str] = field(default_factory=list)
    # Ready for the page: a list of 30 rows renders without calling back into Python for each one.
    url: str = ""
    tag_links: list[tuple[str, str]] = field(default_factory=list)
    when: str = ""


@dataclass
class PostView:
    post: Post
    author: str
    reputation: int
    trust_level: int
    my_vote: int = 0
    when: str = ""


@dataclass
class TopicPage:
    topic: Topic
    category: Category
    author: str
    tags: list[str]
    tools: list[tuple[Tool, str]]
    opening: PostView | None
    posts: list[PostView]
    page: int
    pages: int


def topic_document(topic: Topic, body: str, tags: list[str], category: str) -> SearchDocument:
    return SearchDocument(
        doc_type=TOPIC_DOC_TYPE,
        doc_id=str(topic.id),
        title=topic.title,
        body=body[:20_000],
        url=topic_url(topic.id, topic.slug),
        tags=tags,
        status=topic.kind.value,
        published_at=topic.created_at,
        extra={"meta": category},
    )


async def topic_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every visible topic, for rebuilding the index."""
    rows = await db.stream(
        select(Topic, Post.body_md, Category.name_zh)
        .join(Post, (Post.topic_id == Topic.id) & (Post.number == 1))
        .join(Category, Category.id == Topic.category_id)
        .where(Topic.visibility == Visibility.VISIBLE)
        .order_by(Topic.id)
    )
    async for topic, body, category in rows:
        tags = (
            await db.scalars(
                select(Tag.name)
                .join(TopicTag, TopicTag.tag_id == Tag.id)
                .where(TopicTag.topic_id == topic.id)
            )
        ).all()
        yield topic_document(topic, body, list(tags), category)


class TopicService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)

    # --- categories and tags ----------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        rows = list((await self.db.scalars(select(Category).order_by(Category.position, Category.id))).all())
        if rows:
            return rows
        for position, (slug, zh, en, description) in enumerate(DEFAULT_CATEGORIES):
            await self.db.execute(
                insert(Category)
                .values(slug=slug, name_zh=zh, name_en=en, description=description, position=position)
                .on_conflict_do_nothing()
            )
        return list((await self.db.scalars(select(Category).order_by(Category.position, Category.id))).all())

    async def category(self, slug: str) -> Category:
        await self.categories()
        found = await self.db.scalar(select(Category).where(Category.slug == slug))
        if found is None:
            raise NotFound
        return found

    async def tag(self, name: str) -> Tag:
        found = await self.db.scalar(select(Tag).where(Tag.name == name.strip().lower()))
        if found is None:
            raise NotFound
        if found.synonym_of_id:
            target = await self.db.get(Tag, found.synonym_of_id)
            if target is not None:
                return target
        return found

    async def popular_tags(self, limit: int = 60) -> list[Tag]:
        return list(
            (
                await self.db.scalars(
                    select(Tag)
                    .where(Tag.synonym_of_id.is_(None))
                    .order_by(Tag.topic_count.desc(), Tag.name)
                    .limit(limit)
                )
            ).all()
        )

    async def _resolve_tags(self, user: Any, raw: str, errors: dict[str, str]) -> list[Tag]:
        names = [clean_line(n).lower().lstrip("#") for n in re.split(r"[,，、\s]+", raw) if n.strip()]
        names = list(dict.fromkeys(n for n in names if n))
        if len(names) > TAGS_MAX:
            errors["tags"] = _("Use at most %(n)s tags.", n=TAGS_MAX)
            return []
        bad = [n for n in names if len(n) > TAG_MAX or not TAG_RE.match(n)]
        if bad:
            errors["tags"] = _(
                "Tags are single words of letters, digits, Chinese characters and + # . - (at most %(n)s "
                "characters): %(bad)s",
                n=TAG_MAX,
                bad=", ".join(bad)[:120],
            )
            return []
        existing = {t.name: t for t in (await self.db.scalars(select(Tag).where(Tag.name.in_(names)))).all()}
        missing = [n for n in names if n not in existing]
        if missing and await self.trust.level(user) < CREATE_TAG_LEVEL:
            errors["tags"] = _(
                "New tags can be created from trust level %(level)s; use existing tags for now: %(names)s",
                level=CREATE_TAG_LEVEL,
                names=", ".join(missing)[:120],
            )
            return []
        for name in missing:
            await self.db.execute(insert(Tag).values(name=name).on_conflict_do_nothing())
        if missing:
            for tag in (await self.db.scalars(select(Tag).where(Tag.name.in_(missing)))).all():
                existing[tag.name] = tag
        result: list[Tag] = []
        for name in names:
            tag = existing[name]
            if tag.synonym_of_id:
                tag = await self.db.get(Tag, tag.synonym_of_id) or tag
            if tag not in result:
                result.append(tag)
        return result

    async def _resolve_tools(self, raw: str, errors: dict[str, str]) -> list[tuple[Tool, str]]:
        cited: list[tuple[Tool, str]] = []
        for item in [p.strip() for p in re.split(r"[,，\s]+", raw) if p.strip()][:10]:
            slug, _sep, version = item.partition("@")
            tool = await self.db.scalar(
                select(Tool).where(Tool.slug == slug.lower(), Tool.approved.is_(True))
            )
            if tool is None:
                errors["tools"] = _("No approved directory entry is called %(slug)s.", slug=slug[:60])
                return []
            cited.append((tool, clean_line(version)[:40]))
        return cited

    # --- writing ----------------------------------------------------------------------------------

    async def create_topic(self, user: Any, data: TopicInput) -> Topic:
        errors: dict[str, str] = {}
        title = check_title(data.title, errors)
        body = check_body(data.body, errors)
        kind = data.kind if data.kind in {k.value for k in TopicKind} else None
        if kind is None:
            errors["kind"] = _("Choose what kind of topic this is.")
        category = next((c for c in await self.categories() if c.slug == data.category), None)
        if category is None:
            errors["category"] = _("Choose a category.")
        tags = await self._resolve_tags(user, data.tags, errors)
        tools = await self._resolve_tools(data.tools, errors)
        language = clean_line(data.code_language)[:40] or None
        repo_url = clean_line(data.repo_url)[:300] or None
        if repo_url and not URL_RE.match(repo_url):
            errors["repo_url"] = _("Enter the repository's web address, starting with https://.")
        if kind == TopicKind.CODE and not repo_url and "```" not in body:
            errors["body"] = _(
                "A code share needs a fenced code block (```python ... ```) or a repository URL."
            )
        if errors:
            raise FormError(errors)
        assert category is not None and kind is not None
        links = count_links(body) + (1 if repo_url else 0)
        member = await self.trust.check_can_post(user, topic=True, links=links)
        rendered, mentioned = await render_with_mentions(self.db, body)
        # A new member's first post with links waits for a moderator (the usual spam pattern).
        pending = not user.is_admin and member.trust_level == 0 and member.post_count == 0 and links > 0
        visibility = Visibility.PENDING if pending else Visibility.VISIBLE
        topic = Topic(
            category_id=category.id,
            author_id=user.id,
            kind=TopicKind(kind),
            title=title,
            slug=slugify(title),
            excerpt=rendered.text[:280],
            visibility=visibility,
            last_posted_at=now(),
            code_language=language if kind == TopicKind.CODE else None,
            repo_url=repo_url if kind == TopicKind.CODE else None,
            repo_license=(clean_line(data.repo_license)[:60] or None) if kind == TopicKind.CODE else None,
        )
        self.db.add(topic)
        await self.db.flush()
        post = Post(
            topic_id=topic.id,
            number=1,
            author_id=user.id,
            body_md=body,
            body_html=rendered.html,
            visibility=visibility,
        )
        self.db.add(post)
        await self.db.flush()
        await add_revision(self.db, post.id, 1, user.id, body, title)
        for tag in tags:
            self.db.add(TopicTag(topic_id=topic.id, tag_id=tag.id))
        for tool, version in tools:
            self.db.add(TopicTool(topic_id=topic.id, tool_id=tool.id, version=version))
        await self.trust.record_post(member, topic=True)
        await WatchService(self.db).watch(user.id, "topic", topic.id)
        await DraftService(self.db).discard(user.id, "new")
        await self.db.flush()
        if visibility is Visibility.VISIBLE:
            await self._after_visible_topic(topic, [t.id for t in tags], mentioned, user.id)
        return topic

    async def _after_visible_topic(
        self, topic: Topic, tag_ids: list[int], mentioned: list[UUID], actor_id: UUID | None
    ) -> None:
        await self.db.execute(
            update(Tag).where(Tag.id.in_(tag_ids or [-1])).values(topic_count=Tag.topic_count + 1)
        )
        await self.reindex(topic)
        url = topic_url(topic.id, topic.slug)
        await tell(
            self.db, mentioned, "forum.mention", N_("%(title)s: you were mentioned"), url,
            actor_id=actor_id, title=topic.title,
        )  # fmt: skip
        watchers = await WatchService(self.db).watchers_of_new_topic(topic.category_id, tag_ids)
        await tell(
            self.db, [w for w in watchers if w not in mentioned], "forum.watched",
            N_("New topic where you watch: %(title)s"), url, actor_id=actor_id, title=topic.title,
        )  # fmt: skip

    async def reply(self, user: Any, topic_id: int, body: str) -> Post:
        errors: dict[str, str] = {}
        body = check_body(body, errors)
        topic = await self.db.scalar(select(Topic).where(Topic.id == topic_id).with_for_update())
        if topic is None or topic.visibility in (Visibility.DELETED,):
            raise NotFound
        if topic.visibility is not Visibility.VISIBLE:
            raise Forbidden
        if errors:
            raise FormError(errors)
        links = count_links(body)
        member = await self.trust.check_can_post(user, topic=False, links=links)
        rendered, mentioned = await render_with_mentions(self.db, body)
        pending = not user.is_admin and member.trust_level == 0 and member.post_count == 0 and links > 0
        number = (
            int(await self.db.scalar(select(func.max(Post.number)).where(Post.topic_id == topic.id)) or 0) + 1
        )
        post = Post(
            topic_id=topic.id,
            number=number,
            author_id=user.id,
            body_md=body,
            body_html=rendered.html,
            visibility=Visibility.PENDING if pending else Visibility.VISIBLE,
        )
        self.db.add(post)
        await self.db.flush()
        await add_revision(self.db, post.id, 1, user.id, body, None)
        await self.trust.record_post(member, topic=False)
        await WatchService(self.db).watch(user.id, "topic", topic.id)
        await DraftService(self.db).discard(user.id, f"reply-{topic.id}")
        if not pending:
            await self._after_visible_post(topic, post, mentioned, user.id)
        return post

    async def _after_visible_post(
        self, topic: Topic, post: Post, mentioned: list[UUID], actor_id: UUID
    ) -> None:
        topic.last_posted_at = now()
        await self.refresh_counts(topic.id)
        page = (post.number - 2) // POSTS_PER_PAGE + 1
        url = f"{topic_url(topic.id, topic.slug, page)}#p{post.id}"
        await tell(
            self.db, mentioned, "forum.mention", N_("%(title)s: you were mentioned"), url,
            actor_id=actor_id, title=topic.title,
        )  # fmt: skip
        if topic.author_id not in mentioned:
            if topic.kind is TopicKind.QUESTION:
                kind, message = "forum.answer", N_("New answer to your question: %(title)s")
            else:
                kind, message = "forum.reply", N_("New reply to your topic: %(title)s")
            await tell(self.db, [topic.author_id], kind, message, url, actor_id=actor_id, title=topic.title)
        others = [
            w for w in await WatchService(self.db).watchers_of_topic(topic.id)
            if w not in mentioned and w != topic.author_id
        ]  # fmt: skip
        await tell(
            self.db, others, "forum.reply", N_("New post in a topic you watch: %(title)s"), url,
            actor_id=actor_id, title=topic.title,
        )  # fmt: skip

    async def refresh_counts(self, topic_id: int) -> None:
        visible_replies = (
            select(func.count())
            .where(Post.topic_id == topic_id, Post.number > 1, Post.visibility == Visibility.VISIBLE)
            .scalar_subquery()
        )
        await self.db.execute(update(Topic).where(Topic.id == topic_id).values(reply_count=visible_replies))

    async def reindex(self, topic: Topic) -> None:
        if topic.visibility is not Visibility.VISIBLE:
            enqueue_delete(self.db, TOPIC_DOC_TYPE, str(topic.id))
            return
        body = await self.db.scalar(select(Post.body_md).where(Post.topic_id == topic.id, Post.number == 1))
        category = await self.db.get(Category, topic.category_id)
        enqueue_upsert(
            self.db,
            topic_document(
                topic, body or "", await self.tag_names(topic.id), category.name_zh if category else ""
            ),
        )

    async def tag_names(self, topic_id: int) -> list[str]:
        return list(
            (
                await self.db.scalars(
                    select(Tag.name)
                    .join(TopicTag, TopicTag.tag_id == Tag.id)
                    .where(TopicTag.topic_id == topic_id)
                )
            ).all()
        )

    async def may_edit(self, user: Any, post: Post) -> bool:
        if user is None:
            return False
        if user.id == post.author_id or await self.trust.is_moderator(user):
            return True
        return post.is_wiki and await self.trust.level(user) >= EDIT_WIKI_LEVEL

    async def edit(self, user: Any, post_id: int, body: str, title: str | None = None) -> Post:
        post = await self.db.scalar(select(Post).where(Post.id == post_id).with_for_update())
        if post is None or post.visibility is Visibility.DELETED:
            raise NotFound
        if not await self.may_edit(user, post):
            raise Forbidden
        topic = await self.db.get(Topic, post.topic_id)
        assert topic is not None
        errors: dict[str, str] = {}
        body = check_body(body, errors)
        new_title = check_title(title, errors) if post.number == 1 and title is not None else None
        if errors:
            raise FormError(errors)
        if body == post.body_md and (new_title is None or new_title == topic.title):
            return post
        rendered, _mentioned = await render_with_mentions(self.db, body)
        post.body_md, post.body_html = body, rendered.html
        post.revision_count += 1
        post.edited_at = now()
        if new_title is not None:
            topic.title = new_title
            topic.excerpt = rendered.text[:280]
        await add_revision(
            self.db, post.id, post.revision_count, user.id, body, topic.title if post.number == 1 else None
        )
        if post.number == 1:
            await self.reindex(topic)
        if user.id != post.author_id and not post.is_wiki:  # a moderator edited someone's post: logged
            self.db.add(ModAction(moderator_id=user.id, action="edit", post_id=post.id, topic_id=topic.id))
        return post

    async def set_wiki(self, user: Any, post_id: int, on: bool) -> Post:
        post = await self.db.get(Post, post_id)
        if post is None:
            raise NotFound
        if user.id != post.author_id and not await self.trust.is_moderator(user):
            raise Forbidden
        post.is_wiki = on
        return post

    # --- reading ----------------------------------------------------------------------------------

    async def get_post(self, post_id: int) -> tuple[Post, Topic]:
        row = (
            await self.db.execute(
                select(Post, Topic).join(Topic, Topic.id == Post.topic_id).where(Post.id == post_id)
            )
        ).first()
        if row is None:
            raise NotFound
        return row[0], row[1]

    async def can_see(self, user: Any, author_id: UUID, visibility: Visibility) -> bool:
        if visibility is Visibility.VISIBLE:
            return True
        if user is None:
            return False
        if visibility is not Visibility.DELETED and user.id == author_id:
            return True
        return await self.trust.is_moderator(user)

    async def topic_page(self, user: Any, topic_id: int, page: int = 1) -> TopicPage:
        row = (
            await self.db.execute(
                select(Topic, Category, User.display_name)
                .join(Category, Category.id == Topic.category_id)
                .join(User, User.id == Topic.author_id)
                .where(Topic.id == topic_id)
            )
        ).first()
        if row is None:
            raise NotFound
        topic, category, author = row
        if not await self.can_see(user, topic.author_id, topic.visibility):
            raise NotFound
        moderator = await self.trust.is_moderator(user)
        query = (
            select(Post, User.display_name, Member.reputation, Member.trust_level)
            .join(User, User.id == Post.author_id)
            .outerjoin(Member, Member.user_id == Post.author_id)
            .where(Post.topic_id == topic.id, Post.number > 1)
        )
        if not moderator:
            visible = Post.visibility == Visibility.VISIBLE
            if user is not None:
                visible = visible | ((Post.author_id == user.id) & (Post.visibility != Visibility.DELETED))
            query = query.where(visible)
        pages = max(1, -(-topic.reply_count // POSTS_PER_PAGE))
        page = max(1, page)
        rows = (
            await self.db.execute(
                query.order_by(Post.number).limit(POSTS_PER_PAGE).offset((page - 1) * POSTS_PER_PAGE)
            )
        ).all()
        first = (
            await self.db.execute(
                select(Post, User.display_name, Member.reputation, Member.trust_level)
                .join(User, User.id == Post.author_id)
                .outerjoin(Member, Member.user_id == Post.author_id)
                .where(Post.topic_id == topic.id, Post.number == 1)
            )
        ).first()
        views = [
            PostView(p, name, rep or 0, level or 0, 0, short_time(p.created_at))
            for p, name, rep, level in [*([first] if first else []), *rows]
        ]
        if user is not None and views:
            votes = dict(
                (
                    await self.db.execute(
                        select(Vote.post_id, Vote.value).where(
                            Vote.user_id == user.id, Vote.post_id.in_([v.post.id for v in views])
                        )
                    )
                ).all()
            )
            for view in views:
                view.my_vote = votes.get(view.post.id, 0)
        opening = views[0] if first else None
        if opening and not await self.can_see(user, opening.post.author_id, opening.post.visibility):
            opening = None
        tools = (
            await self.db.execute(
                select(Tool, TopicTool.version)
                .join(TopicTool, TopicTool.tool_id == Tool.id)
                .where(TopicTool.topic_id == topic.id)
            )
        ).all()
        return TopicPage(
            topic=topic,
            category=category,
            author=author,
            tags=await self.tag_names(topic.id),
            tools=list(tools),
            opening=opening,
            posts=views[1:] if first else views,
            page=page,
            pages=pages,
        )

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
                )
            ).all():
                tags.setdefault(topic_id, []).append(name)
            for row in result:
                row.tags = sorted(tags.get(row.topic.id, []))
                row.tag_links = [(name, f"/forum/tags/{quote(name)}") for name in row.tags]
                row.url = topic_url(row.topic.id, row.topic.slug)
                row.when = short_time(row.topic.last_posted_at)
        return result, len(rows) > per_page
