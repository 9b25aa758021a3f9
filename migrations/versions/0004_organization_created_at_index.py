"""index organization.created_at for newest-first listings

Revision ID: 9c4e2a7b5d10
Revises: 3b1f0c2d9e77
Create Date: 2026-11-27 12:08:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e2a7b5d10"
down_revision: str | None = "3b1f0c2d9e77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_organization_created_at", "organization", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_organization_created_at", table_name="organization")
