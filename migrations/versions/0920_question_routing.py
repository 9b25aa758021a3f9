"""question routing: unanswered forum questions offered to members who may answer them, and their opt-out

Revision ID: 0920_question_routing
Revises: 0910_presentation
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0920_question_routing"
down_revision: str | None = "0910_presentation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "match_subscription", sa.Column("questions", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.execute("CREATE SEQUENCE forum_question_offer_id_seq")
    op.create_table(
        "forum_question_offer",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('forum_question_offer_id_seq')"),
            nullable=False,
        ),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("offered_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "explanation", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('profile', 'answers')", name=op.f("ck_forum_question_offer_question_offer_source")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["forum_topic.id"],
            name=op.f("fk_forum_question_offer_topic_id_forum_topic"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_forum_question_offer_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_question_offer")),
        sa.UniqueConstraint("topic_id", "user_id", name="uq_forum_question_offer"),
        sa.UniqueConstraint("user_id", "offered_on", name="uq_forum_question_offer_day"),
    )


def downgrade() -> None:
    op.drop_table("forum_question_offer")
    op.execute("DROP SEQUENCE forum_question_offer_id_seq")
    op.drop_column("match_subscription", "questions")
