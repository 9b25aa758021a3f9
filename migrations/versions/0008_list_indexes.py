"""indexes for the public scenario list and the capability list (newest first, maturity filter)

Revision ID: 0008_list_indexes
Revises: 0007_interest_reminders
Create Date: 2026-11-27 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_list_indexes"
down_revision: str | None = "0007_interest_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scenario_public_newest",
        "scenario",
        [sa.text("published_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("status IN ('published', 'docking', 'landed', 'closed')"),
    )
    op.create_index(
        "ix_capability_profile_verified_newest",
        "capability_profile",
        [sa.text("verified_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("status = 'verified'"),
    )
    op.create_index("ix_capability_item_maturity", "capability_item", ["maturity", "profile_id"])


def downgrade() -> None:
    op.drop_index("ix_capability_item_maturity", table_name="capability_item")
    op.drop_index("ix_capability_profile_verified_newest", table_name="capability_profile")
    op.drop_index("ix_scenario_public_newest", table_name="scenario")
