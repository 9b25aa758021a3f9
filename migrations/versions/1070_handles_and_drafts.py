"""handles and drafts: every account gets a unique handle to be mentioned by (existing accounts one made from
their name); 招贤榜 issues can be kept as drafts before they are published

Revision ID: 1070_handles_and_drafts
Revises: 1060_notice_params
Create Date: 2026-12-07 00:00:00
"""

import re
import secrets
import unicodedata
from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1070_handles_and_drafts"
down_revision: str | None = "1060_notice_params"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HANDLE_MAX = 30
RESERVED = {
    "admin", "administrator", "all", "everyone", "here", "moderator", "moderators", "mod", "null", "root",
    "site", "staff", "support", "system", "team", "none", "anonymous",
}  # fmt: skip


def _from_name(name: str) -> str:
    """As ``accounts.services.handles.handle_from_name`` was when this revision was written."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:HANDLE_MAX].strip("_")
    return "" if len(slug) < 2 or slug in RESERVED else slug


def _backfill(connection: sa.Connection) -> None:
    """Oldest accounts first: the first "Li Wei" is li_wei, the next li_wei2; a name with no ASCII letters
    (a Chinese name: no pinyin here) gets user and four or more digits."""
    taken: set[str] = set()
    rows = connection.execute(sa.text("SELECT id, display_name FROM user_account ORDER BY created_at, id"))
    for user_id, name in rows.all():
        base = _from_name(name)
        handle = base if base and base not in taken else ""
        number = 2
        while not handle:
            if base:
                candidate = f"{base[: HANDLE_MAX - len(str(number))]}{number}"
                number += 1
            else:
                candidate = (
                    f"user{secrets.randbelow(9000) + 1000 if len(taken) < 4000 else secrets.token_hex(6)}"
                )
            if candidate not in taken:
                handle = candidate
        taken.add(handle)
        connection.execute(
            sa.text("UPDATE user_account SET handle = :handle WHERE id = :id"),
            {"handle": handle, "id": user_id},
        )


def upgrade() -> None:
    op.add_column("user_account", sa.Column("handle", sa.String(length=30), nullable=True))
    _backfill(op.get_bind())
    op.alter_column("user_account", "handle", nullable=False)
    op.create_index(
        "uq_user_account_handle", "user_account", [sa.literal_column("lower(handle)")], unique=True
    )
    op.create_check_constraint(
        op.f("ck_user_account_handle_format"), "user_account", "handle ~ '^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$'"
    )
    op.add_column("pending_registration", sa.Column("handle", sa.String(length=30), nullable=True))
    op.create_table(
        "talent_board_draft",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), server_default="", nullable=False),
        sa.Column("introduction", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "position_ids", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("created_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("updated_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_talent_board_draft_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_talent_board_draft_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_board_draft")),
    )


def downgrade() -> None:
    op.drop_table("talent_board_draft")
    op.drop_column("pending_registration", "handle")
    op.drop_constraint(op.f("ck_user_account_handle_format"), "user_account", type_="check")
    op.drop_index("uq_user_account_handle", table_name="user_account")
    op.drop_column("user_account", "handle")
