"""accounts trust: registrations confirmed by mail, and indexes for the invitation limits

Revision ID: 0700_accounts_trust
Revises: 0750_platform_trust
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0700_accounts_trust"
down_revision: str | None = "0750_platform_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_registration",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("next_url", sa.String(length=500), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("mailed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("confirmed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_registration")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_registration_token_hash")),
    )
    op.create_index(
        "ix_pending_registration_email_mailed_at",
        "pending_registration",
        ["email", "mailed_at"],
        unique=False,
    )
    op.create_index(
        "ix_invitation_invited_by_created_at", "invitation", ["invited_by_id", "created_at"], unique=False
    )
    op.create_index("ix_invitation_email_created_at", "invitation", ["email", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_invitation_email_created_at", table_name="invitation")
    op.drop_index("ix_invitation_invited_by_created_at", table_name="invitation")
    op.drop_index("ix_pending_registration_email_mailed_at", table_name="pending_registration")
    op.drop_table("pending_registration")
