"""Running the event zone's due jobs the way the app's worker does, with the real mailer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from community import events
from community.config import Settings
from community.jobs import JobWorker
from community.notifications.email import Mailer
from community.zones import register_zone_work


async def run_due_jobs(settings: Settings) -> int:
    register_zone_work([events.zone()])
    engine = create_async_engine(settings.database_url)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        resources: dict[str, Any] = {"settings": settings, "mailer": Mailer(settings)}
        return await JobWorker(sessions, resources=resources).drain()
    finally:
        await engine.dispose()


def mails_to(mailbox: Any, address: str) -> list[Any]:
    return [m for m in mailbox.messages if address in str(m["To"])]
