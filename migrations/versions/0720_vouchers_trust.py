"""vouchers: proof of delivery from both sides, disputes, per-organization confirmation limits, product
revisions awaiting review, daily caps on student email codes

Revision ID: 0720_vouchers_trust
Revises: 0710_scenarios_trust
Create Date: 2026-12-06 21:00:00

How the vouchers already in the database are mapped:

* ``claimed``, ``redeemed``, ``expired``, ``voided``, ``settled``: unchanged. A redeemed voucher now waits
  for its OPC to type the student's code, then for the student's confirmation, like any new one.
* ``confirmed``: unchanged, so still settleable. Before this revision the OPC's confirmation was the only
  one there was; those vouchers were confirmed under the rules of their time and are kept as they were
  (their ``student_confirmed_at`` stays empty, which tells them apart from vouchers confirmed by both
  sides). From now on a voucher the OPC confirms becomes ``delivered`` and waits for the student.
* Published products keep their text; they have no pending revision.
* Students' daily code counts start at zero.

Downgrading maps ``delivered`` back to ``confirmed`` (what an OPC's confirmation meant before) and refuses
while any voucher is ``disputed``: an admin resolves those first.
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0720_vouchers_trust"
down_revision: str | None = "0710_scenarios_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("claimed", "redeemed", "confirmed", "settled", "expired", "voided")


def upgrade() -> None:
    # A new value of an enum type cannot be used in the transaction that adds it: add them on their own.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE voucher_status ADD VALUE IF NOT EXISTS 'delivered' AFTER 'redeemed'")
        op.execute("ALTER TYPE voucher_status ADD VALUE IF NOT EXISTS 'disputed' AFTER 'delivered'")

    op.add_column(
        "voucher",
        sa.Column(
            "student_confirmed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "voucher",
        sa.Column("disputed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column("voucher", sa.Column("dispute_reason", sa.Text(), server_default="", nullable=False))
    # Every confirmation so far was made by confirm(), which set confirmed_at; a row written some other way
    # takes its last change as the moment, so that the CHECK below holds for the data already there.
    op.execute(
        "UPDATE voucher SET confirmed_at = updated_at "
        "WHERE status IN ('confirmed', 'settled') AND confirmed_at IS NULL"
    )
    op.create_check_constraint(
        op.f("ck_voucher_delivery_confirmed_by_opc"),
        "voucher",
        "status NOT IN ('delivered', 'disputed', 'confirmed', 'settled') OR confirmed_at IS NOT NULL",
    )
    op.create_check_constraint(
        op.f("ck_voucher_dispute_has_reason"), "voucher", "status <> 'disputed' OR dispute_reason <> ''"
    )
    op.create_index(
        "ix_voucher_disputed",
        "voucher",
        ["disputed_at"],
        unique=False,
        postgresql_where=sa.text("status = 'disputed'"),
    )

    op.create_table(
        "voucher_confirm_window",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("organization_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("window_start", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "used >= 0 AND used <= cap", name=op.f("ck_voucher_confirm_window_confirm_failures_within_cap")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_voucher_confirm_window_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_confirm_window")),
        sa.UniqueConstraint("organization_id", "window_start", name="uq_voucher_confirm_window"),
    )

    op.add_column("product", sa.Column("revision", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column(
        "product",
        sa.Column(
            "revision_submitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
    )
    op.add_column("product", sa.Column("revision_note", sa.Text(), server_default="", nullable=False))
    op.create_check_constraint(
        op.f("ck_product_submitted_revision_has_content"),
        "product",
        "revision_submitted_at IS NULL OR revision IS NOT NULL",
    )

    op.add_column("student_verification", sa.Column("code_day", sa.Date(), nullable=True))
    op.add_column(
        "student_verification",
        sa.Column("codes_sent_today", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "student_verification",
        sa.Column("code_attempts_today", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_student_verification_daily_code_counts_not_negative"),
        "student_verification",
        "codes_sent_today >= 0 AND code_attempts_today >= 0",
    )


def downgrade() -> None:
    disputed = op.get_bind().scalar(sa.text("SELECT count(*) FROM voucher WHERE status = 'disputed'"))
    if disputed:
        raise RuntimeError(f"{disputed} disputed voucher(s): resolve them before downgrading")
    op.drop_constraint(
        op.f("ck_student_verification_daily_code_counts_not_negative"), "student_verification", type_="check"
    )
    op.drop_column("student_verification", "code_attempts_today")
    op.drop_column("student_verification", "codes_sent_today")
    op.drop_column("student_verification", "code_day")
    op.drop_constraint(op.f("ck_product_submitted_revision_has_content"), "product", type_="check")
    op.drop_column("product", "revision_note")
    op.drop_column("product", "revision_submitted_at")
    op.drop_column("product", "revision")
    op.drop_table("voucher_confirm_window")
    op.drop_index(
        "ix_voucher_disputed", table_name="voucher", postgresql_where=sa.text("status = 'disputed'")
    )
    op.drop_constraint(op.f("ck_voucher_dispute_has_reason"), "voucher", type_="check")
    op.drop_constraint(op.f("ck_voucher_delivery_confirmed_by_opc"), "voucher", type_="check")
    op.execute("UPDATE voucher SET status = 'confirmed' WHERE status = 'delivered'")
    op.drop_column("voucher", "dispute_reason")
    op.drop_column("voucher", "disputed_at")
    op.drop_column("voucher", "student_confirmed_at")
    # PostgreSQL cannot drop a value from an enum type: make the old type again and move the column over.
    # The partial unique index and the CHECK that compare the status to text are dropped and made again.
    op.drop_index("uq_voucher_student_product", table_name="voucher")
    op.drop_constraint(op.f("ck_voucher_redeemed_has_product_and_code"), "voucher", type_="check")
    op.execute("ALTER TYPE voucher_status RENAME TO voucher_status_new")
    values = ", ".join(f"'{value}'" for value in OLD_STATUSES)
    op.execute(f"CREATE TYPE voucher_status AS ENUM ({values})")
    op.execute(
        "ALTER TABLE voucher ALTER COLUMN status TYPE voucher_status USING status::text::voucher_status"
    )
    op.execute("DROP TYPE voucher_status_new")
    op.create_check_constraint(
        op.f("ck_voucher_redeemed_has_product_and_code"),
        "voucher",
        "(status = 'claimed') OR (status IN ('expired', 'voided')) OR "
        "(product_id IS NOT NULL AND redemption_code IS NOT NULL)",
    )
    op.create_index(
        "uq_voucher_student_product",
        "voucher",
        ["student_id", "product_id"],
        unique=True,
        postgresql_where=sa.text("product_id IS NOT NULL AND status <> 'voided'"),
    )
