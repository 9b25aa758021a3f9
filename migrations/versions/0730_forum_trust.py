"""forum trust: edits held for review, and the up-vote notices already sent (one per voter and post)

Revision ID: 0730_forum_trust
Revises: 0700_accounts_trust
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0730_forum_trust"
down_revision: str | None = "0700_accounts_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.execute("CREATE SEQUENCE forum_vote_notice_id_seq")
    op.create_table(
        "forum_vote_notice",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_vote_notice_id_seq')"),
            nullable=False,
        ),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("voter_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["forum_post.id"],
            name=op.f("fk_forum_vote_notice_post_id_forum_post"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["user_account.id"],
            name=op.f("fk_forum_vote_notice_voter_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_vote_notice")),
        sa.UniqueConstraint("post_id", "voter_id", name="uq_forum_vote_notice"),
    )
    op.execute("ALTER SEQUENCE forum_vote_notice_id_seq OWNED BY forum_vote_notice.id")

    op.execute("CREATE SEQUENCE forum_held_edit_id_seq")
    op.create_table(
        "forum_held_edit",
        sa.Column(
            "id", sa.BigInteger(), server_default=sa.text("nextval('forum_held_edit_id_seq')"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("editor_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["forum_post.id"],
            name=op.f("fk_forum_held_edit_post_id_forum_post"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["user_account.id"],
            name=op.f("fk_forum_held_edit_editor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_held_edit")),
        sa.UniqueConstraint("post_id", name=op.f("uq_forum_held_edit_post_id")),
    )
    op.execute("ALTER SEQUENCE forum_held_edit_id_seq OWNED BY forum_held_edit.id")


def downgrade() -> None:
    op.drop_table("forum_held_edit")
    op.drop_table("forum_vote_notice")
