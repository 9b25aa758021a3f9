"""notification: kind and parameters instead of a frozen sentence; mailed notices and their rhythm

A notification is worded when it is read, in the reader's language. Rows made before keep their sentence
as the ``legacy_text`` parameter and still show it.

Revision ID: 1060_notice_params
Revises: 1010_upload_storage
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1060_notice_params"
down_revision: str | None = "1010_upload_storage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notification",
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("notification", sa.Column("mail_due", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column(
        "notification",
        sa.Column("emailed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    # Rows written before: their sentence, frozen in the actor's language, is what they go on showing.
    op.execute("UPDATE notification SET params = jsonb_build_object('legacy_text', subject)")
    op.drop_column("notification", "subject")
    op.create_index(
        "ix_notification_mail_due", "notification", ["recipient_id"], postgresql_where=sa.text("mail_due")
    )
    op.create_table(
        "notification_mail_preference",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("rhythm", sa.String(length=20), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rhythm IN ('immediate', 'daily', 'weekly', 'off')",
            name=op.f("ck_notification_mail_preference_rhythm_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_mail_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_mail_preference")),
        sa.UniqueConstraint("user_id", name=op.f("uq_notification_mail_preference_user_id")),
    )


def downgrade() -> None:
    op.drop_table("notification_mail_preference")
    op.drop_index("ix_notification_mail_due", table_name="notification")
    op.add_column("notification", sa.Column("subject", sa.String(length=300), server_default="", nullable=False))
    # Back to one sentence: the frozen one where there is one, else the kind (the words live in the code).
    op.execute("UPDATE notification SET subject = left(coalesce(params->>'legacy_text', kind), 300)")
    op.alter_column("notification", "subject", server_default=None)
    op.drop_column("notification", "emailed_at")
    op.drop_column("notification", "mail_due")
    op.drop_column("notification", "params")
