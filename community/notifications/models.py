"""In-site notifications: one row per recipient and event, read or not; and how often a member wants the
mailed ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base
from community.notifications.notices import word

# How often a member is mailed their mailed notices: each at once, a daily or weekly digest, or never.
RHYTHMS = ("immediate", "daily", "weekly", "off")


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # The inbox reads a member's newest first; the header badge counts only unread rows.
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        Index("ix_notification_unread", "recipient_id", postgresql_where=text("read_at IS NULL")),
        # The mail job reads a member's notices still to be mailed.
        Index("ix_notification_mail_due", "recipient_id", postgresql_where=text("mail_due")),
    )

    recipient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # What happened: a kind a zone declares (``Notice``), "scenario.returned", "forum.answer", ...
    kind: Mapped[str] = mapped_column(String(60))
    # What the sentence needs (titles, names, reasons), worded in the reader's language when read.
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    url: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # To be mailed at the member's rhythm, and not mailed yet; cleared by the mail that carries it.
    mail_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    emailed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def subject(self) -> str:
        """One plain sentence in the words of whoever reads it now (shown as text, never as HTML)."""
        return word(self.kind, self.params)


class MailPreference(Base):
    """How often a member is mailed the notices that are mailed; no row: the site's default."""

    __tablename__ = "notification_mail_preference"
    __table_args__ = (
        CheckConstraint("rhythm IN ('immediate', 'daily', 'weekly', 'off')", name="rhythm_known"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    rhythm: Mapped[str] = mapped_column(String(20))
