"""scenario_interest.reminded_at: owners are reminded once before an answer is due

Revision ID: 0007_interest_reminders
Revises: 0006_scenarios
Create Date: 2026-11-27 13:00:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0007_interest_reminders"
down_revision: str | None = "0006_scenarios"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "scenario_interest",
        sa.Column("reminded_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("scenario_interest", "reminded_at")
