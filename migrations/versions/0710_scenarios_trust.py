"""Scenario trust: owners withdraw a reader's access to the details; owners' edits of published scenarios
wait for an admin as revisions

Revision ID: 0710_scenarios_trust
Revises: 0600_events
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0710_scenarios_trust"
down_revision: str | None = "0600_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVISION_STATUS = sa.Enum("pending", "approved", "rejected", "discarded", name="scenario_revision_status")


def upgrade() -> None:
    op.add_column(
        "scenario_confidentiality",
        sa.Column("revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column(
        "scenario_confidentiality",
        sa.Column("revoked_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_scenario_confidentiality_revoked_by_id_user_account"),
        "scenario_confidentiality",
        "user_account",
        ["revoked_by_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_scenario_confidentiality_revoked_by_only_when_revoked"),
        "scenario_confidentiality",
        "revoked_by_id IS NULL OR revoked_at IS NOT NULL",
    )
    op.create_table(
        "scenario_revision",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("scenario_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("submitted_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", REVISION_STATUS, nullable=False),
        sa.Column("reviewed_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("reviewed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), server_default="", nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_scenario_revision_scenario_id_scenario"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_scenario_revision_submitted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_scenario_revision_reviewed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_revision")),
    )
    # One pending revision per scenario, held by the database: a second edit replaces the first.
    op.create_index(
        "uq_scenario_revision_pending",
        "scenario_revision",
        ["scenario_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_scenario_revision_scenario", "scenario_revision", ["scenario_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_scenario_revision_scenario", table_name="scenario_revision")
    op.drop_index(
        "uq_scenario_revision_pending",
        table_name="scenario_revision",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("scenario_revision")
    REVISION_STATUS.drop(op.get_bind(), checkfirst=True)
    op.drop_constraint(
        op.f("ck_scenario_confidentiality_revoked_by_only_when_revoked"), "scenario_confidentiality", "check"
    )
    op.drop_constraint(
        op.f("fk_scenario_confidentiality_revoked_by_id_user_account"),
        "scenario_confidentiality",
        "foreignkey",
    )
    op.drop_column("scenario_confidentiality", "revoked_by_id")
    op.drop_column("scenario_confidentiality", "revoked_at")
