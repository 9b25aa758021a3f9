"""rate limits: one counter row per key, incremented atomically by every process (upsert ... RETURNING)

Revision ID: 0930_rate_limits
Revises: 0900_jobs_worker
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0930_rate_limits"
down_revision: str | None = "0900_jobs_worker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.CheckConstraint("hits > 0", name=op.f("ck_rate_limit_counter_hits_positive")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counter")),
    )
    op.create_index("ix_rate_limit_counter_expires_at", "rate_limit_counter", ["expires_at"])
    # The counters of Litestar's limiter, which the store held: no longer read.
    op.execute("DELETE FROM store_item WHERE namespace = 'rate_limit'")


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counter_expires_at", table_name="rate_limit_counter")
    op.drop_table("rate_limit_counter")
