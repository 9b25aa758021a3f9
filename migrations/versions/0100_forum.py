"""forum: categories, tags, topics, posts, revisions, votes, members' standing, trust thresholds, flags,
moderators' log, watching, drafts, digests, the AI tool directory

Revision ID: 0100_forum
Revises: 0007_interest_reminders
Create Date: 2026-11-27 12:30:00.419184
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0100_forum"
down_revision: str | None = "0007_interest_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE forum_category_id_seq")
    op.create_table(
        "forum_category",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_category_id_seq')"), nullable=False
        ),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_category")),
        sa.UniqueConstraint("slug", name=op.f("uq_forum_category_slug")),
    )
    op.execute("CREATE SEQUENCE forum_tag_id_seq")
    op.create_table(
        "forum_tag",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_tag_id_seq')"), nullable=False
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("synonym_of_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["synonym_of_id"],
            ["forum_tag.id"],
            name=op.f("fk_forum_tag_synonym_of_id_forum_tag"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_forum_tag_name")),
    )
    op.execute("CREATE SEQUENCE forum_trust_threshold_id_seq")
    op.create_table(
        "forum_trust_threshold",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_trust_threshold_id_seq')"),
            nullable=False,
        ),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("min_posts", sa.Integer(), nullable=False),
        sa.Column("min_reputation", sa.Integer(), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_trust_threshold")),
        sa.UniqueConstraint("level", name=op.f("uq_forum_trust_threshold_level")),
    )
    op.execute("CREATE SEQUENCE forum_digest_subscription_id_seq")
    op.create_table(
        "forum_digest_subscription",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_digest_subscription_id_seq')"),
            nullable=False,
        ),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("last_sent_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["forum_tag.id"],
            name=op.f("fk_forum_digest_subscription_tag_id_forum_tag"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_digest_subscription_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_digest_subscription")),
        sa.UniqueConstraint("token", name=op.f("uq_forum_digest_subscription_token")),
        sa.UniqueConstraint("user_id", "tag_id", name="uq_forum_digest"),
    )
    op.execute("CREATE SEQUENCE forum_draft_id_seq")
    op.create_table(
        "forum_draft",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_draft_id_seq')"), nullable=False
        ),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=400), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_draft_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_draft")),
        sa.UniqueConstraint("user_id", "key", name="uq_forum_draft"),
    )
    op.execute("CREATE SEQUENCE forum_member_id_seq")
    op.create_table(
        "forum_member",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_member_id_seq')"), nullable=False
        ),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("reputation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trust_level", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("post_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("topic_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_posted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("last_topic_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_member")),
        sa.UniqueConstraint("user_id", name=op.f("uq_forum_member_user_id")),
    )
    op.execute("CREATE SEQUENCE forum_tool_id_seq")
    op.create_table(
        "forum_tool",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_tool_id_seq')"), nullable=False
        ),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.Enum("framework", "model", "agent", name="forum_tool_kind"), nullable=False),
        sa.Column("homepage", sa.String(length=300), nullable=False),
        sa.Column("license", sa.String(length=60), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("tags", sa.String(length=300), server_default="", nullable=False),
        sa.Column("approved", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("suggested_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggested_by_id"],
            ["user_account.id"],
            name=op.f("fk_forum_tool_suggested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_tool")),
        sa.UniqueConstraint("slug", name=op.f("uq_forum_tool_slug")),
    )
    op.execute("CREATE SEQUENCE forum_topic_id_seq")
    op.create_table(
        "forum_topic",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_topic_id_seq')"), nullable=False
        ),
        sa.Column("category_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("article", "question", "code", "discussion", name="forum_topic_kind"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("excerpt", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("visible", "pending", "hidden", "deleted", name="forum_visibility"),
            server_default="visible",
            nullable=False,
        ),
        sa.Column("accepted_post_id", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_posted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column("code_language", sa.String(length=40), nullable=True),
        sa.Column("repo_url", sa.String(length=300), nullable=True),
        sa.Column("repo_license", sa.String(length=60), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_forum_topic_author_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["forum_category.id"], name=op.f("fk_forum_topic_category_id_forum_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_topic")),
    )
    op.create_index("ix_forum_topic_author", "forum_topic", ["author_id"], unique=False)
    op.create_index(
        "ix_forum_topic_category_latest",
        "forum_topic",
        ["category_id", "last_posted_at"],
        unique=False,
        postgresql_where=sa.text("visibility = 'visible'"),
    )
    op.create_index(
        "ix_forum_topic_latest",
        "forum_topic",
        ["last_posted_at"],
        unique=False,
        postgresql_where=sa.text("visibility = 'visible'"),
    )
    op.create_index(
        "ix_forum_topic_top",
        "forum_topic",
        ["score"],
        unique=False,
        postgresql_where=sa.text("visibility = 'visible'"),
    )
    op.execute("CREATE SEQUENCE forum_watch_id_seq")
    op.create_table(
        "forum_watch",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_watch_id_seq')"), nullable=False
        ),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_watch_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_watch")),
        sa.UniqueConstraint("user_id", "target_kind", "target_id", name="uq_forum_watch"),
    )
    op.create_index("ix_forum_watch_target", "forum_watch", ["target_kind", "target_id"], unique=False)
    op.execute("CREATE SEQUENCE forum_post_id_seq")
    op.create_table(
        "forum_post",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_post_id_seq')"), nullable=False
        ),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("visible", "pending", "hidden", "deleted", name="forum_visibility"),
            server_default="visible",
            nullable=False,
        ),
        sa.Column("is_wiki", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("edited_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revision_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_forum_post_author_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["forum_topic.id"],
            name=op.f("fk_forum_post_topic_id_forum_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_post")),
        sa.UniqueConstraint("topic_id", "number", name="uq_forum_post_number"),
    )
    op.create_index("ix_forum_post_author_created", "forum_post", ["author_id", "created_at"], unique=False)
    op.execute("CREATE SEQUENCE forum_topic_tag_id_seq")
    op.create_table(
        "forum_topic_tag",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_topic_tag_id_seq')"), nullable=False
        ),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["forum_tag.id"], name=op.f("fk_forum_topic_tag_tag_id_forum_tag"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["forum_topic.id"],
            name=op.f("fk_forum_topic_tag_topic_id_forum_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_topic_tag")),
        sa.UniqueConstraint("topic_id", "tag_id", name="uq_forum_topic_tag"),
    )
    op.create_index("ix_forum_topic_tag_tag", "forum_topic_tag", ["tag_id", "topic_id"], unique=False)
    op.execute("CREATE SEQUENCE forum_topic_tool_id_seq")
    op.create_table(
        "forum_topic_tool",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_topic_tool_id_seq')"),
            nullable=False,
        ),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("tool_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.String(length=40), server_default="", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["forum_tool.id"],
            name=op.f("fk_forum_topic_tool_tool_id_forum_tool"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["forum_topic.id"],
            name=op.f("fk_forum_topic_tool_topic_id_forum_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_topic_tool")),
        sa.UniqueConstraint("topic_id", "tool_id", name="uq_forum_topic_tool"),
    )
    op.create_index("ix_forum_topic_tool_tool", "forum_topic_tool", ["tool_id"], unique=False)
    op.execute("CREATE SEQUENCE forum_flag_id_seq")
    op.create_table(
        "forum_flag",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_flag_id_seq')"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("spam", "off_topic", "inappropriate", "other", name="forum_flag_reason"),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("resolved_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["forum_post.id"], name=op.f("fk_forum_flag_post_id_forum_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_flag_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_flag")),
    )
    op.create_index(op.f("ix_forum_flag_post_id"), "forum_flag", ["post_id"], unique=False)
    op.create_index(
        "uq_forum_flag_open",
        "forum_flag",
        ["post_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.execute("CREATE SEQUENCE forum_mod_action_id_seq")
    op.create_table(
        "forum_mod_action",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_mod_action_id_seq')"),
            nullable=False,
        ),
        sa.Column("moderator_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user_account.id"],
            name=op.f("fk_forum_mod_action_moderator_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["forum_post.id"],
            name=op.f("fk_forum_mod_action_post_id_forum_post"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["forum_topic.id"],
            name=op.f("fk_forum_mod_action_topic_id_forum_topic"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_mod_action")),
    )
    op.execute("CREATE SEQUENCE forum_post_revision_id_seq")
    op.create_table(
        "forum_post_revision",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_post_revision_id_seq')"),
            nullable=False,
        ),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("editor_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["user_account.id"],
            name=op.f("fk_forum_post_revision_editor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["forum_post.id"],
            name=op.f("fk_forum_post_revision_post_id_forum_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_post_revision")),
        sa.UniqueConstraint("post_id", "number", name="uq_forum_post_revision_number"),
    )
    op.execute("CREATE SEQUENCE forum_vote_id_seq")
    op.create_table(
        "forum_vote",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_vote_id_seq')"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_forum_vote_vote_value")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["forum_post.id"], name=op.f("fk_forum_vote_post_id_forum_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_vote_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_vote")),
        sa.UniqueConstraint("post_id", "user_id", name="uq_forum_vote_member_post"),
    )
    op.execute("ALTER SEQUENCE forum_category_id_seq OWNED BY forum_category.id")
    op.execute("ALTER SEQUENCE forum_tag_id_seq OWNED BY forum_tag.id")
    op.execute("ALTER SEQUENCE forum_trust_threshold_id_seq OWNED BY forum_trust_threshold.id")
    op.execute("ALTER SEQUENCE forum_digest_subscription_id_seq OWNED BY forum_digest_subscription.id")
    op.execute("ALTER SEQUENCE forum_draft_id_seq OWNED BY forum_draft.id")
    op.execute("ALTER SEQUENCE forum_member_id_seq OWNED BY forum_member.id")
    op.execute("ALTER SEQUENCE forum_tool_id_seq OWNED BY forum_tool.id")
    op.execute("ALTER SEQUENCE forum_topic_id_seq OWNED BY forum_topic.id")
    op.execute("ALTER SEQUENCE forum_watch_id_seq OWNED BY forum_watch.id")
    op.execute("ALTER SEQUENCE forum_post_id_seq OWNED BY forum_post.id")
    op.execute("ALTER SEQUENCE forum_topic_tag_id_seq OWNED BY forum_topic_tag.id")
    op.execute("ALTER SEQUENCE forum_topic_tool_id_seq OWNED BY forum_topic_tool.id")
    op.execute("ALTER SEQUENCE forum_flag_id_seq OWNED BY forum_flag.id")
    op.execute("ALTER SEQUENCE forum_mod_action_id_seq OWNED BY forum_mod_action.id")
    op.execute("ALTER SEQUENCE forum_post_revision_id_seq OWNED BY forum_post_revision.id")
    op.execute("ALTER SEQUENCE forum_vote_id_seq OWNED BY forum_vote.id")
    op.create_foreign_key(
        op.f("fk_forum_topic_accepted_post_id_forum_post"),
        "forum_topic",
        "forum_post",
        ["accepted_post_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_forum_topic_accepted_post_id_forum_post"), "forum_topic", type_="foreignkey")
    op.drop_table("forum_vote")
    op.drop_table("forum_post_revision")
    op.drop_table("forum_mod_action")
    op.drop_index(
        "uq_forum_flag_open", table_name="forum_flag", postgresql_where=sa.text("resolved_at IS NULL")
    )
    op.drop_index(op.f("ix_forum_flag_post_id"), table_name="forum_flag")
    op.drop_table("forum_flag")
    op.drop_index("ix_forum_topic_tool_tool", table_name="forum_topic_tool")
    op.drop_table("forum_topic_tool")
    op.drop_index("ix_forum_topic_tag_tag", table_name="forum_topic_tag")
    op.drop_table("forum_topic_tag")
    op.drop_index("ix_forum_post_author_created", table_name="forum_post")
    op.drop_table("forum_post")
    op.drop_index("ix_forum_watch_target", table_name="forum_watch")
    op.drop_table("forum_watch")
    op.drop_index(
        "ix_forum_topic_top", table_name="forum_topic", postgresql_where=sa.text("visibility = 'visible'")
    )
    op.drop_index(
        "ix_forum_topic_latest", table_name="forum_topic", postgresql_where=sa.text("visibility = 'visible'")
    )
    op.drop_index(
        "ix_forum_topic_category_latest",
        table_name="forum_topic",
        postgresql_where=sa.text("visibility = 'visible'"),
    )
    op.drop_index("ix_forum_topic_author", table_name="forum_topic")
    op.drop_table("forum_topic")
    op.drop_table("forum_tool")
    op.drop_table("forum_member")
    op.drop_table("forum_draft")
    op.drop_table("forum_digest_subscription")
    op.drop_table("forum_trust_threshold")
    op.drop_table("forum_tag")
    op.drop_table("forum_category")
    for name in ("forum_visibility", "forum_topic_kind", "forum_tool_kind", "forum_flag_reason"):
        op.execute(f"DROP TYPE IF EXISTS {name}")
