"""Where forum things live: the addresses of topics and posts, and their search documents.

A topic is one document (its title and opening post); each visible reply of a visible topic is another, whose
hit leads to the reply itself (its page and anchor), as Discourse and Stack Overflow do. A reply's document
holds the reply's words only: its topic's title is its heading, shown but not searched, so that a topic's
replies never crowd out the topic on the words of its title.

Topics have integer ids in permanent URLs (/forum/t/42/slug); a reply's address names the page of the topic
it stands on, so the page size belongs here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from community.forum.models import Category, Post, Tag, Topic, TopicTag, Visibility
from community.kernel.search_text import search_text
from community.search.schemas import SearchDocument

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

TOPIC_DOC_TYPE = "forum_topic"
REPLY_DOC_TYPE = "forum_reply"
POSTS_PER_PAGE = 50  # replies on one page of a topic


def topic_url(topic_id: int, slug: str, page: int = 1) -> str:
    return f"/forum/t/{topic_id}/{slug}" + (f"?page={page}" if page > 1 else "")


def post_url(topic: Topic, post: Post) -> str:
    if post.number == 1:
        return topic_url(topic.id, topic.slug)
    return f"{topic_url(topic.id, topic.slug, (post.number - 2) // POSTS_PER_PAGE + 1)}#p{post.id}"


def topic_document(topic: Topic, body: str, tags: list[str], category: str) -> SearchDocument:
    """A topic as the index sees it: its title, and its opening post's words (markdown rendered and
    scrubbed by the site's one search-text preparer)."""
    return SearchDocument(
        doc_type=TOPIC_DOC_TYPE,
        doc_id=str(topic.id),
        title=topic.title,
        body=search_text(body),
        url=topic_url(topic.id, topic.slug),
        tags=tags,
        status=topic.kind.value,
        published_at=topic.created_at,
        extra={"meta": category},
    )


def reply_document(topic: Topic, post: Post, category: str) -> SearchDocument:
    """A reply (an answer, a comment) as the index sees it: its words, under its topic's title."""
    return SearchDocument(
        doc_type=REPLY_DOC_TYPE,
        doc_id=str(post.id),
        title="",
        body=search_text(post.body_md),
        url=post_url(topic, post),
        published_at=post.created_at,
        extra={"meta": category, "heading": topic.title},
    )


# A tag's name collated by code point: the order of a topic's tags wherever they are shown (its page, the
# API, the lists), whatever the database's collation.
TAG_NAME_IN_ORDER = Tag.name.collate("C")


def tag_names_query(topic_id: int) -> Select[str]:
    """The names of a topic's tags, in order: each looked up by its key from the topic's few links. As a
    join, the topic page's statement (planned once for any topic, community.db.DriverStatement) hashed every
    tag of the forum on every request."""
    name = select(TAG_NAME_IN_ORDER).where(Tag.id == TopicTag.tag_id).scalar_subquery().label("name")
    return select(name).where(TopicTag.topic_id == topic_id).order_by(name)


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
        tags = (await db.scalars(tag_names_query(topic.id))).all()
        yield topic_document(topic, body, list(tags), category)


async def reply_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every visible reply of a visible topic, for rebuilding the index."""
    rows = await db.stream(
        select(Topic, Post, Category.name_zh)
        .join(Post, Post.topic_id == Topic.id)
        .join(Category, Category.id == Topic.category_id)
        .where(Topic.visibility == Visibility.VISIBLE, Post.visibility == Visibility.VISIBLE, Post.number > 1)
        .order_by(Post.id)
    )
    async for topic, post, category in rows:
        yield reply_document(topic, post, category)
