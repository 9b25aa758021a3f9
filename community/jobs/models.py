"""The job table: one row per piece of background work, kept after it ran (done or failed) for a while."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        # The worker's question: which open jobs are due? Only open rows are in this index.
        Index("ix_job_due", "run_at", postgresql_where=text("done_at IS NULL AND failed_at IS NULL")),
        # At most one open job per dedupe key: enqueueing the same work twice while it waits is a no-op.
        Index(
            "uq_job_open_dedupe",
            "dedupe_key",
            unique=True,
            postgresql_where=text("done_at IS NULL AND failed_at IS NULL AND dedupe_key IS NOT NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    run_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=text("now()"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    # Set while a worker runs it; a lock older than the lease is taken over (the worker died).
    locked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    locked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    done_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    failed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
