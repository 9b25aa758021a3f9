"""search reindex beside the live index: outbox entries delivered during a rebuild are kept (delivered_at)
until the rebuild replays them into the new index and switches

Revision ID: 1030_search_reindex
Revises: 1020_matching_index
Create Date: 2026-12-06 23:50:00
"""

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "1030_search_reindex"
down_revision: str | None = "1020_matching_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "search_outbox",
        sa.Column("delivered_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("search_outbox", "delivered_at")
