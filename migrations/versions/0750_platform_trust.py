"""platform trust: per-member calendar-feed secrets, so a personal feed address can be revoked and reissued

Revision ID: 0750_platform_trust
Revises: 0720_vouchers_trust
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0750_platform_trust"
down_revision: str | None = "0720_vouchers_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_calendar_feed_key",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(secret) >= 16", name=op.f("ck_event_calendar_feed_key_secret_long_enough")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_event_calendar_feed_key_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_calendar_feed_key")),
        sa.UniqueConstraint("user_id", name="uq_event_calendar_feed_key_user"),
    )


def downgrade() -> None:
    op.drop_table("event_calendar_feed_key")
