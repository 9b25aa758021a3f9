"""user_account.session_epoch: a password change ends every other session

Revision ID: 3b1f0c2d9e77
Revises: cb40ac460bab
Create Date: 2026-11-27 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b1f0c2d9e77"
down_revision: str | None = "cb40ac460bab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("user_account", "session_epoch")
