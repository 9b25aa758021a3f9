"""Tables of the technical exchange zone: categories, tags, topics, posts and their revisions, edits held
for review, votes and the notices they sent, members' forum standing, flags and the moderators' log,
watching, drafts, digests and the AI tool directory.

Topics and posts have integer ids (``BigIntAuditBase``): they appear in permanent URLs (/forum/t/42/slug).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.kernel.models import enum_column


class TopicKind(enum.StrEnum):
    ARTICLE = "article"
    QUESTION = "question"
    CODE = "code"
    DISCUSSION = "discussion"


class Visibility(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # waits in the review queue
    HIDDEN = "hidden"  # hidden by flags or by a moderator
    DELETED = "deleted"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    INAPPROPRIATE = "inappropriate"
    OTHER = "other"


class ToolKind(enum.StrEnum):
    FRAMEWORK = "framework"
    MODEL = "model"
    AGENT = "agent"


class Category(BigIntAuditBase):
    __tablename__ = "forum_category"

    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    position: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class Tag(BigIntAuditBase):
    __tablename__ = "forum_tag"

    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # A merged synonym points at the tag it was merged into; typing it files the topic under that tag.
    synonym_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_tag.id", ondelete="SET NULL"), default=None
    )
    topic_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class Topic(BigIntAuditBase):
    __tablename__ = "forum_topic"
    __table_args__ = (
        sa.Index(
            "ix_forum_topic_latest", "last_posted_at", postgresql_where=sa.text("visibility = 'visible'")
        ),
        sa.Index(
            "ix_forum_topic_category_latest",
            "category_id",
            "last_posted_at",
            postgresql_where=sa.text("visibility = 'visible'"),
        ),
        sa.Index("ix_forum_topic_top", "score", postgresql_where=sa.text("visibility = 'visible'")),
        sa.Index("ix_forum_topic_author", "author_id"),
    )

    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_category.id"))
    author_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[TopicKind] = mapped_column(enum_column(TopicKind, "forum_topic_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(120))
    excerpt: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "forum_visibility"), default=Visibility.VISIBLE, server_default="visible"
    )
    # One accepted answer at most: a single column cannot hold two.
    accepted_post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_post.id", ondelete="SET NULL", use_alter=True), default=None
    )
    score: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    last_posted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # Code share: a snippet's language, or a repository card.
    code_language: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    repo_url: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    repo_license: Mapped[str | None] = mapped_column(sa.String(60), default=None)


class Post(BigIntAuditBase):
    __tablename__ = "forum_post"
    __table_args__ = (
        sa.UniqueConstraint("topic_id", "number", name="uq_forum_post_number"),
        sa.Index("ix_forum_post_author_created", "author_id", "created_at"),
    )

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)  # 1 is the topic's opening post
    author_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    body_md: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    score: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "forum_visibility"), default=Visibility.VISIBLE, server_default="visible"
    )
    # A wiki post may be edited by any member of trust level 3 and above.
    is_wiki: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    edited_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revision_count: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")


class PostRevision(BigIntAuditBase):
    __tablename__ = "forum_post_revision"
    __table_args__ = (sa.UniqueConstraint("post_id", "number", name="uq_forum_post_revision_number"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    editor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    body_md: Mapped[str] = mapped_column(sa.Text)


class Vote(BigIntAuditBase):
    __tablename__ = "forum_vote"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "user_id", name="uq_forum_vote_member_post"),
        sa.CheckConstraint("value IN (-1, 1)", name="vote_value"),
    )

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(sa.SmallInteger)


class VoteNotice(BigIntAuditBase):
    """A voter's first up-vote of a post told its author; the row says it was told, so voting up, back and
    up again tells nobody twice."""

    __tablename__ = "forum_vote_notice"
    __table_args__ = (sa.UniqueConstraint("post_id", "voter_id", name="uq_forum_vote_notice"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"))
    voter_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))


class HeldEdit(BigIntAuditBase):
    """An edit that waits for a moderator (a new member's edit that brings in links). Readers keep seeing the
    post as it was approved; one held edit per post, the latest one the member sent."""

    __tablename__ = "forum_held_edit"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), unique=True)
    editor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    body_md: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)


class TopicTag(BigIntAuditBase):
    __tablename__ = "forum_topic_tag"
    __table_args__ = (
        sa.UniqueConstraint("topic_id", "tag_id", name="uq_forum_topic_tag"),
        sa.Index("ix_forum_topic_tag_tag", "tag_id", "topic_id"),
    )

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_tag.id", ondelete="CASCADE"))


class Member(BigIntAuditBase):
    """A member's standing in the forum: reputation, trust level and counts the limits read."""

    __tablename__ = "forum_member"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    reputation: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    trust_level: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    post_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    topic_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    last_posted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_topic_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class TrustThreshold(BigIntAuditBase):
    """What a member needs to reach a trust level (1-4); admins change these."""

    __tablename__ = "forum_trust_threshold"

    level: Mapped[int] = mapped_column(sa.SmallInteger, unique=True)
    min_posts: Mapped[int] = mapped_column(sa.Integer)
    min_reputation: Mapped[int] = mapped_column(sa.Integer)
    min_days: Mapped[int] = mapped_column(sa.Integer)


class Flag(BigIntAuditBase):
    __tablename__ = "forum_flag"
    __table_args__ = (
        # One open flag per member and post.
        sa.Index(
            "uq_forum_flag_open",
            "post_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("resolved_at IS NULL"),
        ),
    )

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason, "forum_flag_reason"))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    resolution: Mapped[str | None] = mapped_column(sa.String(20), default=None)


class ModAction(BigIntAuditBase):
    """Every moderator action, for the log."""

    __tablename__ = "forum_mod_action"

    moderator_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(30))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")


class Watch(BigIntAuditBase):
    """A member watches a topic, a category or a tag: new posts there notify them."""

    __tablename__ = "forum_watch"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "target_kind", "target_id", name="uq_forum_watch"),
        sa.Index("ix_forum_watch_target", "target_kind", "target_id"),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(sa.String(10))  # topic, category, tag
    target_id: Mapped[int] = mapped_column(sa.BigInteger)


class Draft(BigIntAuditBase):
    """What a member is writing, saved as they type: a new topic, or a reply to one topic."""

    __tablename__ = "forum_draft"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_forum_draft"),)

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(400), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class DigestSubscription(BigIntAuditBase):
    """A weekly email of a tag's new topics; the token unsubscribes with one click."""

    __tablename__ = "forum_digest_subscription"
    __table_args__ = (sa.UniqueConstraint("user_id", "tag_id", name="uq_forum_digest"),)

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_tag.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Tool(BigIntAuditBase):
    """An entry of the AI tool directory (工具与模型目录): a framework, an open model or an agent tool."""

    __tablename__ = "forum_tool"

    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[ToolKind] = mapped_column(enum_column(ToolKind, "forum_tool_kind"))
    homepage: Mapped[str] = mapped_column(sa.String(300))
    license: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    tags: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")  # comma-separated
    approved: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    suggested_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class TopicTool(BigIntAuditBase):
    """A topic cites a tool entry and the version it was tested with."""

    __tablename__ = "forum_topic_tool"
    __table_args__ = (
        sa.UniqueConstraint("topic_id", "tool_id", name="uq_forum_topic_tool"),
        sa.Index("ix_forum_topic_tool_tool", "tool_id"),
    )

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_tool.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")


class QuestionOffer(BigIntAuditBase):
    """An unanswered question offered to a member who may be able to answer it, and why. The database holds
    the promises: one question is offered to one member once (``uq_forum_question_offer``), and a member is
    offered at most one question a day (``uq_forum_question_offer_day``, the day in the site's time zone)."""

    __tablename__ = "forum_question_offer"
    __table_args__ = (
        sa.UniqueConstraint("topic_id", "user_id", name="uq_forum_question_offer"),
        sa.UniqueConstraint("user_id", "offered_on", name="uq_forum_question_offer_day"),
        sa.CheckConstraint("source IN ('profile', 'answers')", name="question_offer_source"),
    )

    # The unique constraints' indexes serve the lookups by question and by member.
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    offered_on: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(10))  # profile: their OPC's profile; answers: their answers
    score: Mapped[float] = mapped_column(sa.Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
