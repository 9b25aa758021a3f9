"""job: a durable background job queue

Revision ID: 0200_jobs
Revises: 0100_forum
Create Date: 2026-11-27 12:53:49
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0200_jobs"
down_revision: str | None = "0100_forum"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column(
            "run_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.SmallInteger(), server_default="5", nullable=False),
        sa.Column("locked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("done_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("failed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(
        "ix_job_due",
        "job",
        ["run_at"],
        unique=False,
        postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
    )
    op.create_index(
        "uq_job_open_dedupe",
        "job",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL AND dedupe_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_job_open_dedupe",
        table_name="job",
        postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL AND dedupe_key IS NOT NULL"),
    )
    op.drop_index(
        "ix_job_due", table_name="job", postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL")
    )
    op.drop_table("job")
