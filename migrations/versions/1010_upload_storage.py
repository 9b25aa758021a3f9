"""upload storage: uploaded files (CVs, proofs) in PostgreSQL, in chunks, for every process on every machine

Files already under var/cvs and var/proofs are copied in by `community uploads migrate` (run it once after
this migration, on each machine that kept uploads; it is idempotent).

Revision ID: 1010_upload_storage
Revises: 1000_member_pages
Create Date: 2026-12-06 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1010_upload_storage"
down_revision: str | None = "1000_member_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload_chunk",
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_upload_chunk_seq_not_negative")),
        sa.PrimaryKeyConstraint("area", "name", "seq", name=op.f("pk_upload_chunk")),
    )
    # The chunks are written once and read whole: no compression attempt on data that is compressed already.
    op.execute("ALTER TABLE upload_chunk ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("upload_chunk")
