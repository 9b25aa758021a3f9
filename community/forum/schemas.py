"""Shapes of the forum's JSON API (/api/v1/forum)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import msgspec

from community.forum.documents import topic_url
from community.forum.models import Category, Post, Topic

if TYPE_CHECKING:
    from community.forum.views import TopicRow


class CategoryOut(msgspec.Struct):
    slug: str
    name_zh: str
    name_en: str
    description: str

    @classmethod
    def from_model(cls, category: Category) -> CategoryOut:
        return cls(category.slug, category.name_zh, category.name_en, category.description)


class TopicOut(msgspec.Struct):
    id: int
    title: str
    kind: str
    category: str
    tags: list[str]
    author: str
    author_id: UUID
    url: str
    excerpt: str
    score: int
    reply_count: int
    accepted_post_id: int | None
    created_at: datetime
    last_posted_at: datetime
    visibility: str

    @classmethod
    def from_model(cls, topic: Topic, category: str, tags: list[str], author: str) -> TopicOut:
        return cls(
            id=topic.id,
            title=topic.title,
            kind=topic.kind.value,
            category=category,
            tags=tags,
            author=author,
            author_id=topic.author_id,
            url=topic_url(topic.id, topic.slug),
            excerpt=topic.excerpt,
            score=topic.score,
            reply_count=topic.reply_count,
            accepted_post_id=topic.accepted_post_id,
            created_at=topic.created_at,
            last_posted_at=topic.last_posted_at,
            visibility=topic.visibility.value,
        )

    @classmethod
    def from_row(cls, row: TopicRow) -> TopicOut:
        return cls.from_model(row.topic, row.category.slug, row.tags, row.author)


class TopicList(msgspec.Struct):
    items: list[TopicOut]
    page: int
    has_more: bool


class PostOut(msgspec.Struct):
    id: int
    number: int
    author: str
    author_id: UUID
    body_markdown: str
    body_html: str
    score: int
    accepted: bool
    created_at: datetime
    edited_at: datetime | None
    visibility: str

    @classmethod
    def from_model(cls, post: Post, author: str, accepted: bool = False) -> PostOut:
        return cls(
            id=post.id,
            number=post.number,
            author=author,
            author_id=post.author_id,
            body_markdown=post.body_md,
            body_html=post.body_html,
            score=post.score,
            accepted=accepted,
            created_at=post.created_at,
            edited_at=post.edited_at,
            visibility=post.visibility.value,
        )


class TopicDetail(msgspec.Struct):
    topic: TopicOut
    opening_post: PostOut | None
    posts: list[PostOut]
    page: int
    pages: int


class TopicIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(max_length=1000)]
    body: Annotated[str, msgspec.Meta(max_length=200_000)]
    category: Annotated[str, msgspec.Meta(max_length=100)]
    kind: Annotated[str, msgspec.Meta(max_length=20)] = "discussion"
    tags: list[Annotated[str, msgspec.Meta(max_length=100)]] = msgspec.field(default_factory=list)
    code_language: Annotated[str, msgspec.Meta(max_length=100)] = ""
    repo_url: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    repo_license: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PostIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(max_length=200_000)]


class VoteIn(msgspec.Struct, forbid_unknown_fields=True):
    vote: Annotated[str, msgspec.Meta(max_length=10)]
