"""Writing: new topics, replies, edits, wiki posts; and what follows a post becoming visible (counts, the
search index, notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from community.errors import Forbidden, FormError, NotFound
from community.forum import notices
from community.forum.documents import (
    REPLY_DOC_TYPE,
    TOPIC_DOC_TYPE,
    post_url,
    reply_document,
    topic_document,
    topic_url,
)
from community.forum.models import (
    Category,
    HeldEdit,
    Member,
    ModAction,
    Post,
    Tag,
    Topic,
    TopicKind,
    TopicTag,
    TopicTool,
    Visibility,
)
from community.forum.services.catalog import CatalogService
from community.forum.services.common import URL_RE, slugify
from community.forum.services.drafts import NEW_TOPIC_KEY, DraftService
from community.forum.services.notify import tell
from community.forum.services.trust import TrustService
from community.forum.services.watches import WatchService
from community.forum.services.writing import (
    add_revision,
    check_body,
    check_title,
    link_targets,
    render_with_mentions,
)
from community.i18n import _
from community.kernel.clock import now
from community.kernel.text import clean_line
from community.markup import count_links
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.forum.inputs import TopicInput
    from community.markup import Rendered

EXCERPT_MAX = 280
MENTIONED = notices.MENTION


def waits_for_review(user: Any, member: Member, links: int) -> bool:
    """A new member's first post with links waits for a moderator (the usual spam pattern)."""
    return TrustService.is_new(user, member) and member.post_count == 0 and links > 0


def edit_waits_for_review(user: Any, member: Member, approved: str, edited: str) -> bool:
    """A new member's edit that brings in a link the approved text did not have waits for a moderator: the
    same pattern edited in later (a harmless post first, the links once it is through)."""
    return TrustService.is_new(user, member) and bool(link_targets(edited) - link_targets(approved))


@dataclass(frozen=True)
class Edited:
    topic: Topic
    post: Post
    held: bool  # the edit waits for review; readers see the approved version until a moderator approves


class TopicService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)
        self.catalog = CatalogService(db)

    async def create_topic(self, user: Any, data: TopicInput) -> Topic:
        errors: dict[str, str] = {}
        title = check_title(data.title, errors)
        body = check_body(data.body, errors)
        kind = data.kind if data.kind in {k.value for k in TopicKind} else None
        if kind is None:
            errors["kind"] = _("Choose what kind of topic this is.")
        category = next((c for c in await self.catalog.categories() if c.slug == data.category), None)
        if category is None:
            errors["category"] = _("Choose a category.")
        tags = await self.catalog.resolve_tags(user, data.tags, errors)
        tools = await self.catalog.resolve_tools(data.tools, errors)
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
        visibility = Visibility.PENDING if waits_for_review(user, member, links) else Visibility.VISIBLE
        code = kind == TopicKind.CODE
        topic = Topic(
            category_id=category.id,
            author_id=user.id,
            kind=TopicKind(kind),
            title=title,
            slug=slugify(title),
            excerpt=rendered.text[:EXCERPT_MAX],
            visibility=visibility,
            last_posted_at=now(),
            code_language=language if code else None,
            repo_url=repo_url if code else None,
            repo_license=(clean_line(data.repo_license)[:60] or None) if code else None,
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
        await DraftService(self.db).discard(user.id, NEW_TOPIC_KEY)
        await self.db.flush()
        if visibility is Visibility.VISIBLE:
            await self.after_visible_topic(topic, [t.id for t in tags], mentioned, user.id)
        return topic

    async def after_visible_topic(
        self, topic: Topic, tag_ids: list[int], mentioned: list[UUID], actor_id: UUID | None
    ) -> None:
        """A topic readers now see: its tags count it, the index has it, mentioned members and those who
        watch its category or tags are told."""
        await self.db.execute(
            update(Tag).where(Tag.id.in_(tag_ids or [-1])).values(topic_count=Tag.topic_count + 1)
        )
        await self.reindex(topic)
        url = topic_url(topic.id, topic.slug)
        await tell(self.db, mentioned, MENTIONED, url, actor_id=actor_id, title=topic.title)
        watchers = await WatchService(self.db).watchers_of_new_topic(topic.category_id, tag_ids)
        await tell(
            self.db, [w for w in watchers if w not in mentioned], notices.WATCHED_TOPIC, url,
            actor_id=actor_id, title=topic.title,
        )  # fmt: skip

    async def reply(self, user: Any, topic_id: int, body: str) -> tuple[Topic, Post]:
        """A reply (an answer, for a question), visible at once or waiting for review; gives the topic and
        the post."""
        errors: dict[str, str] = {}
        body = check_body(body, errors)
        topic = await self.db.scalar(select(Topic).where(Topic.id == topic_id).with_for_update())
        if not await self.trust.sees(user, topic):
            raise NotFound
        assert topic is not None
        if topic.visibility is not Visibility.VISIBLE:
            raise Forbidden
        if errors:
            raise FormError(errors)
        links = count_links(body)
        member = await self.trust.check_can_post(user, topic=False, links=links)
        rendered, mentioned = await render_with_mentions(self.db, body)
        pending = waits_for_review(user, member, links)
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
            await self.reindex_reply(topic, post)
            await self.after_visible_post(topic, post, mentioned, user.id)
        return topic, post

    async def after_visible_post(
        self, topic: Topic, post: Post, mentioned: list[UUID], actor_id: UUID
    ) -> None:
        """A reply readers now see: the topic moves up and counts it; the mentioned, the topic's author and
        its watchers are told (each once)."""
        topic.last_posted_at = now()
        await self.refresh_counts(topic.id)
        url = post_url(topic, post)
        await tell(self.db, mentioned, MENTIONED, url, actor_id=actor_id, title=topic.title)
        if topic.author_id not in mentioned:
            notice = notices.ANSWER if topic.kind is TopicKind.QUESTION else notices.REPLY
            await tell(self.db, [topic.author_id], notice, url, actor_id=actor_id, title=topic.title)
        others = [
            w for w in await WatchService(self.db).watchers_of_topic(topic.id)
            if w not in mentioned and w != topic.author_id
        ]  # fmt: skip
        await tell(
            self.db, others, notices.WATCHED_REPLY, url, actor_id=actor_id, title=topic.title,
        )  # fmt: skip

    async def refresh_counts(self, topic_id: int) -> None:
        visible_replies = (
            select(func.count())
            .where(Post.topic_id == topic_id, Post.number > 1, Post.visibility == Visibility.VISIBLE)
            .scalar_subquery()
        )
        await self.db.execute(update(Topic).where(Topic.id == topic_id).values(reply_count=visible_replies))

    async def reindex(self, topic: Topic) -> None:
        """The topic's search document follows it: written while it is visible, removed otherwise (through
        the search outbox, in this transaction)."""
        if topic.visibility is not Visibility.VISIBLE:
            enqueue_delete(self.db, TOPIC_DOC_TYPE, str(topic.id))
            return
        body = await self.db.scalar(select(Post.body_md).where(Post.topic_id == topic.id, Post.number == 1))
        category = await self.db.get(Category, topic.category_id)
        tags = await self.catalog.tag_names(topic.id)
        enqueue_upsert(self.db, topic_document(topic, body or "", tags, category.name_zh if category else ""))

    async def reindex_reply(self, topic: Topic, post: Post) -> None:
        """A reply's search document follows it: there while the reply and its topic are visible, removed
        otherwise (hidden, deleted, waiting for review)."""
        if post.visibility is Visibility.VISIBLE and topic.visibility is Visibility.VISIBLE:
            category = await self.db.get(Category, topic.category_id)
            enqueue_upsert(self.db, reply_document(topic, post, category.name_zh if category else ""))
        else:
            enqueue_delete(self.db, REPLY_DOC_TYPE, str(post.id))

    async def reindex_replies(self, topic: Topic) -> None:
        """Every reply of a topic whose visibility or title changed."""
        for post in await self.db.scalars(select(Post).where(Post.topic_id == topic.id, Post.number > 1)):
            await self.reindex_reply(topic, post)

    async def edit(self, user: Any, post_id: int, body: str, title: str | None = None) -> Edited:
        """Change a post (and, for an opening post, its topic's title); every version stays in the history,
        and a moderator's edit of someone's post is logged. A new member's edit has the link limit of a new
        post, and one that brings in links waits for review (readers keep the approved text meanwhile)."""
        post = await self.db.scalar(select(Post).where(Post.id == post_id).with_for_update())
        topic = await self.db.get(Topic, post.topic_id) if post is not None else None
        if post is None or topic is None or not await self.trust.sees(user, topic, post):
            raise NotFound
        if not await self.trust.may_edit(user, post):
            raise Forbidden
        errors: dict[str, str] = {}
        body = check_body(body, errors)
        new_title = check_title(title, errors) if post.number == 1 and title is not None else None
        if errors:
            raise FormError(errors)
        # A member's new edit replaces the one of theirs that waited (sent back unchanged: they took it back).
        mine = delete(HeldEdit).where(HeldEdit.post_id == post.id, HeldEdit.editor_id == user.id)
        if body == post.body_md and (new_title is None or new_title == topic.title):
            await self.db.execute(mine)
            return Edited(topic, post, held=False)
        member = await self.trust.member(user.id)
        links = count_links(body) + (1 if post.number == 1 and topic.repo_url else 0)
        self.trust.check_links(user, member, links)
        rendered, _mentioned = await render_with_mentions(self.db, body)
        if post.visibility is Visibility.VISIBLE and edit_waits_for_review(user, member, post.body_md, body):
            values = {"editor_id": user.id, "title": new_title, "body_md": body, "body_html": rendered.html}
            await self.db.execute(
                insert(HeldEdit)
                .values(post_id=post.id, **values)
                .on_conflict_do_update(index_elements=["post_id"], set_={**values, "updated_at": now()})
            )
            return Edited(topic, post, held=True)
        await self.db.execute(mine)
        await self.apply_edit(topic, post, user.id, body, rendered, new_title)
        if user.id != post.author_id and not post.is_wiki:  # a moderator edited someone's post: logged
            self.db.add(ModAction(moderator_id=user.id, action="edit", post_id=post.id, topic_id=topic.id))
        return Edited(topic, post, held=False)

    async def apply_edit(
        self,
        topic: Topic,
        post: Post,
        editor_id: UUID | None,
        body: str,
        rendered: Rendered,
        title: str | None,
    ) -> None:
        """An edit readers now see: the post's text (and the topic's title), a new version in the history,
        the search index."""
        post.body_md, post.body_html = body, rendered.html
        post.revision_count += 1
        post.edited_at = now()
        if post.number == 1:
            if title is not None:
                topic.title = title
            topic.excerpt = rendered.text[:EXCERPT_MAX]
        await add_revision(
            self.db, post.id, post.revision_count, editor_id, body, topic.title if post.number == 1 else None
        )
        if post.number == 1:
            await self.reindex(topic)
            if title is not None:  # the replies' heading
                await self.reindex_replies(topic)
        else:
            await self.reindex_reply(topic, post)

    async def set_wiki(self, user: Any, post_id: int, on: bool) -> tuple[Topic, Post]:
        """Its author or a moderator makes a post a wiki post (or stops it being one)."""
        post = await self.db.get(Post, post_id)
        topic = await self.db.get(Topic, post.topic_id) if post is not None else None
        if post is None or topic is None or not await self.trust.sees(user, topic, post):
            raise NotFound
        if user.id != post.author_id and not await self.trust.is_moderator(user):
            raise Forbidden
        post.is_wiki = on
        return topic, post
