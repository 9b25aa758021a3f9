"""talent trust: when an application closed, CVs deleted after a retention period (the row keeps a note)

Revision ID: 0740_talent_trust
Revises: 0730_forum_trust
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0740_talent_trust"
down_revision: str | None = "0730_forum_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "'pending', 'shortlisted', 'interview'"


def upgrade() -> None:
    op.add_column(
        "talent_application",
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column(
        "talent_application",
        sa.Column("cv_removed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.alter_column("talent_application", "cv_path", existing_type=sa.String(length=100), nullable=True)
    # Applications already over closed when their last step was taken.
    op.execute(
        """
        UPDATE talent_application a SET closed_at = coalesce(
            (SELECT max(e.created_at) FROM talent_application_event e WHERE e.application_id = a.id),
            a.updated_at)
        WHERE a.status NOT IN ('pending', 'shortlisted', 'interview')
        """
    )
    op.create_check_constraint(
        op.f("ck_talent_application_closed_at_when_closed"),
        "talent_application",
        f"(status IN ({OPEN})) = (closed_at IS NULL)",
    )
    op.create_check_constraint(
        op.f("ck_talent_application_cv_kept_or_removed"),
        "talent_application",
        "(cv_path IS NULL) = (cv_removed_at IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_talent_application_cv_removed_when_closed"),
        "talent_application",
        "cv_removed_at IS NULL OR closed_at IS NOT NULL",
    )
    op.create_index(
        "ix_talent_application_cv_retention",
        "talent_application",
        ["closed_at"],
        unique=False,
        postgresql_where=sa.text("cv_path IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_talent_application_cv_retention",
        table_name="talent_application",
        postgresql_where=sa.text("cv_path IS NOT NULL"),
    )
    op.drop_constraint(
        op.f("ck_talent_application_cv_removed_when_closed"), "talent_application", type_="check"
    )
    op.drop_constraint(op.f("ck_talent_application_cv_kept_or_removed"), "talent_application", type_="check")
    op.drop_constraint(
        op.f("ck_talent_application_closed_at_when_closed"), "talent_application", type_="check"
    )
    # A CV already deleted has no file: an empty name, which no download finds.
    op.execute("UPDATE talent_application SET cv_path = '' WHERE cv_path IS NULL")
    op.alter_column("talent_application", "cv_path", existing_type=sa.String(length=100), nullable=False)
    op.drop_column("talent_application", "cv_removed_at")
    op.drop_column("talent_application", "closed_at")
