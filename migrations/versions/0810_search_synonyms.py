"""search: admin-managed synonyms and the index's term statistics (how rare each word is)

Revision ID: 0810_search_synonyms
Revises: 0740_talent_trust
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0810_search_synonyms"
down_revision: str | None = "0740_talent_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the policies call the vouchers people ask for by their short names.
SEED = [("算力券", ["算力服务券"]), ("体验券", ["ai产品体验券"])]


def upgrade() -> None:
    synonym = op.create_table(
        "search_synonym",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("expansions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("term <> '' AND char_length(term) <= 40", name=op.f("ck_search_synonym_term")),
        sa.CheckConstraint(
            "cardinality(expansions) BETWEEN 1 AND 10", name=op.f("ck_search_synonym_expansions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonym")),
        sa.UniqueConstraint("term", name=op.f("uq_search_synonym_term")),
    )
    op.bulk_insert(synonym, [{"term": term, "expansions": expansions} for term, expansions in SEED])
    op.create_table(
        "search_term_stat",
        sa.Column("lexeme", sa.Text(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lexeme", name=op.f("pk_search_term_stat")),
    )
    op.create_table(
        "search_term_stat_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("documents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("scale", sa.Float(), server_default="1", nullable=False),
        sa.Column("changes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refreshed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_search_term_stat_state_one")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_term_stat_state")),
    )


def downgrade() -> None:
    op.drop_table("search_term_stat_state")
    op.drop_table("search_term_stat")
    op.drop_table("search_synonym")
