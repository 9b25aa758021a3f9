"""events: a calendar sequence and revision time, so calendar apps take an event's changes

Revision ID: 0910_presentation
Revises: 0930_rate_limits
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0910_presentation"
down_revision: str | None = "0930_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "event",
        sa.Column("revised_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # What calendars saw so far was last changed at the row's last update, at the latest.
    op.execute("UPDATE event SET revised_at = updated_at")
    op.create_check_constraint(op.f("ck_event_sequence_not_negative"), "event", "sequence >= 0")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_event_sequence_not_negative"), "event", type_="check")
    op.drop_column("event", "revised_at")
    op.drop_column("event", "sequence")
