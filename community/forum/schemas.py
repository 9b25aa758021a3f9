"""Shapes of the forum's JSON API (/api/v1/forum)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import msgspec

from community.forum.documents import topic_url
from community.forum.models import Category, Post, Topic
from community.kernel.models import from_attributes

if TYPE_CHECKING:
    from community.forum.views import TopicRow


class CategoryOut(msgspec.Struct):
    slug: str
    name_zh: str
    name_en: str
    description: str

    @classmethod
    def from_model(cls, category: Category) -> CategoryOut:
        return from_attributes(cls, category)


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
        url = topic_url(topic.id, topic.slug)
        return from_attributes(cls, topic, category=category, tags=tags, author=author, url=url)

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
        return from_attributes(cls, post, author=author, body_markdown=post.body_md, accepted=accepted)


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
