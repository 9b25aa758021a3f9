"""Requests the other side must answer by a date (an OPC's interest in a scenario, an application to a
position): the answers that are late, and the one reminder each gets before its day.

A zone's model has ``status``, ``respond_by`` (a date in Wuhan) and ``reminded_at``. The reminder is claimed
with one ``UPDATE ... RETURNING``, so each request is reminded exactly once, whichever process runs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from community.kernel.clock import now, today


async def count_overdue(db: AsyncSession, model: Any, waiting: Any) -> int:
    """How many requests still waiting for an answer are past their day."""
    late = select(func.count()).select_from(model).where(model.status == waiting, model.respond_by < today())
    return int(await db.scalar(late) or 0)


async def claim_reminders(db: AsyncSession, model: Any, waiting: Any, *, days_before: int) -> list[Any]:
    """The ids of the waiting requests due within ``days_before`` days (or late) that were not reminded
    yet, marked reminded in the caller's transaction."""
    claimed = await db.execute(
        update(model)
        .where(
            model.status == waiting,
            model.reminded_at.is_(None),
            model.respond_by <= today() + timedelta(days=days_before),
        )
        .values(reminded_at=now())
        .returning(model.id)
    )
    return list(claimed.scalars().all())
