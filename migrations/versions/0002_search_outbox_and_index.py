"""search outbox and index

Revision ID: cb40ac460bab
Revises: 1d772d06bea5
Create Date: 2026-11-27 10:35:46.758783
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "cb40ac460bab"
down_revision: str | None = "1d772d06bea5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes for typo-tolerant titles.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_document",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("doc_type", sa.String(length=30), nullable=False),
        sa.Column("doc_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_folded", sa.Text(), sa.Computed("lower(title)", persisted=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("domains", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("district", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
        sa.Column("title_tsv", postgresql.TSVECTOR(), nullable=False),
        sa.Column(
            "indexed_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("doc_type", "doc_id", name="uq_search_document_ref"),
    )
    op.create_index(
        "ix_search_document_title_trgm",
        "search_document",
        ["title_folded"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title_folded": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_search_document_tsv", "search_document", ["tsv"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_search_document_type", "search_document", ["doc_type"], unique=False)
    op.create_index(
        "ix_search_document_title_tsv", "search_document", ["title_tsv"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("doc_type", sa.String(length=30), nullable=False),
        sa.Column("doc_id", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    op.create_index("ix_search_outbox_doc", "search_outbox", ["doc_type", "doc_id", "id"], unique=False)
    # Organizations that exist already go into the index through the outbox, like every later change.
    op.execute(
        """
        INSERT INTO search_outbox (doc_type, doc_id, op, payload)
        SELECT 'organization', id::text, 'upsert', jsonb_build_object(
            'doc_type', 'organization', 'doc_id', id::text, 'title', name, 'body', summary,
            'url', '/orgs/' || slug, 'domains', '[]'::jsonb, 'tags', '[]'::jsonb, 'district', district,
            'status', org_type::text, 'published_at', to_jsonb(created_at),
            'extra', jsonb_build_object('meta', district))
        FROM organization ORDER BY created_at
        """
    )


def downgrade() -> None:
    op.drop_index("ix_search_outbox_doc", table_name="search_outbox")
    op.drop_table("search_outbox")
    op.drop_index("ix_search_document_title_tsv", table_name="search_document", postgresql_using="gin")
    op.drop_index("ix_search_document_type", table_name="search_document")
    op.drop_index("ix_search_document_tsv", table_name="search_document", postgresql_using="gin")
    op.drop_index(
        "ix_search_document_title_trgm",
        table_name="search_document",
        postgresql_using="gin",
        postgresql_ops={"title_folded": "gin_trgm_ops"},
    )
    op.drop_table("search_document")
