"""In-site notifications: one row per recipient and event, read or not."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # The inbox reads a member's newest first; the header badge counts only unread rows.
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        Index("ix_notification_unread", "recipient_id", postgresql_where=text("read_at IS NULL")),
    )

    recipient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # What happened, for icons and filters: "scenario.returned", "forum.answer", ... (free-form, zone-owned)
    kind: Mapped[str] = mapped_column(String(60))
    # One plain sentence in the recipient's words at the time of the event; shown as text, never as HTML.
    subject: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
