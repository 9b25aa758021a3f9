"""Tables of search: the outbox that carries every change to the index, and the PostgreSQL index itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from community.db import metadata


class SearchBase(DeclarativeBase):
    """Search keeps integer keys (ordered, compact) rather than the UUIDs of the domain tables."""

    metadata = metadata


class OutboxEntry(SearchBase):
    """A change to searchable content, written in the same transaction as the change itself.

    The delivery worker applies entries to the search backend in order per document and deletes them once
    delivered; a failed delivery waits (exponential backoff) and blocks later entries of the same document.
    While ``community search reindex`` builds a new index beside the live one, a delivered entry is kept
    (``delivered_at`` set) so that the rebuild can replay it into the new index before switching.
    """

    __tablename__ = "search_outbox"
    __table_args__ = (sa.Index("ix_search_outbox_doc", "doc_type", "doc_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[str] = mapped_column(sa.String(64))
    op: Mapped[str] = mapped_column(sa.String(10))  # "upsert" or "delete"
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=sa.func.now())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTimeUTC(timezone=True), server_default=sa.func.now()
    )
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


# What an upsert writes (and a rebuild copies), besides the (doc_type, doc_id) key.
INDEXED_COLUMNS = (
    "title",
    "body",
    "url",
    "domains",
    "tags",
    "district",
    "status",
    "extra",
    "published_at",
    "tsv",
    "title_tsv",
)


class SearchDocumentRow(SearchBase):
    """The PostgreSQL search index: one row per searchable document, its lexemes in a GIN-indexed tsvector."""

    __tablename__ = "search_document"
    __table_args__ = (
        sa.UniqueConstraint("doc_type", "doc_id", name="uq_search_document_ref"),
        sa.Index("ix_search_document_tsv", "tsv", postgresql_using="gin"),
        sa.Index("ix_search_document_title_tsv", "title_tsv", postgresql_using="gin"),
        sa.Index(
            "ix_search_document_title_trgm",
            "title_folded",
            postgresql_using="gin",
            postgresql_ops={"title_folded": "gin_trgm_ops"},
        ),
        sa.Index("ix_search_document_type", "doc_type"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.Text)
    title_folded: Mapped[str] = mapped_column(sa.Text, sa.Computed("lower(title)", persisted=True))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str] = mapped_column(sa.Text)
    domains: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    district: Mapped[str | None] = mapped_column(sa.Text, default=None)
    status: Mapped[str | None] = mapped_column(sa.Text, default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    tsv: Mapped[str] = mapped_column(TSVECTOR)
    # Title and tag lexemes alone: a small index that answers most queries before the body's is read.
    title_tsv: Mapped[str] = mapped_column(TSVECTOR)
    indexed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=sa.func.now())


class Synonym(SearchBase):
    """An admin's word for what the documents call something else: a query holding ``term`` also finds
    documents holding any of ``expansions`` (one way: 算力券 -> 算力服务券)."""

    __tablename__ = "search_synonym"
    __table_args__ = (
        sa.CheckConstraint("term <> '' AND char_length(term) <= 40", name="term"),
        sa.CheckConstraint("cardinality(expansions) BETWEEN 1 AND 10", name="expansions"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    term: Mapped[str] = mapped_column(sa.Text, unique=True)  # normalized (NFKC, lower case, no spaces)
    expansions: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=sa.func.now())


class TermStat(SearchBase):
    """How many documents hold a lexeme, from the index itself (ts_stat): what makes a rare word weigh more.
    Refreshed as a whole now and then (``PostgresSearchBackend.refresh_statistics``); a large index is
    counted from a sample and scaled."""

    __tablename__ = "search_term_stat"

    lexeme: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    documents: Mapped[int] = mapped_column(sa.Integer)


class TermStatState(SearchBase):
    """One row: when the term statistics were counted, over how many documents, and how many changes the
    index has had since (the outbox worker recounts when they are many)."""

    __tablename__ = "search_term_stat_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, default=1)
    documents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The documents one counted lexeme stands for (1 when every document was read, more for a sample).
    scale: Mapped[float] = mapped_column(sa.Float, default=1.0, server_default="1")
    changes: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
