"""Wake workers on PostgreSQL LISTEN/NOTIFY instead of polling.

Inserting into ``job`` or ``search_outbox`` notifies a channel (a statement trigger, migration 0900): the
notification belongs to the inserting transaction, so it is delivered at commit, and never for work rolled
back. One ``Listener`` per process holds one connection that LISTENs on the channels and sets the events of
whoever waits on them. Workers still wake after a fallback interval: notifications sent while the connection
was down are lost, and a job's ``run_at`` coming due sends none.

LISTEN needs a session of its own that lasts: through PgBouncer in transaction mode it would not hear a thing,
so its URL (``DATABASE_LISTEN_URL``) can point straight at PostgreSQL while the pools go through PgBouncer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

JOBS_CHANNEL = "community_jobs"
OUTBOX_CHANNEL = "community_search_outbox"
KEEPALIVE_SECONDS = 60.0  # a connection silently dropped (a NAT, a failover) is noticed this soon
RECONNECT_MAX_SECONDS = 30.0


async def connect(url: str) -> asyncpg.Connection:
    """A direct asyncpg connection for a SQLAlchemy URL (its driver-specific options are not asyncpg's)."""
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
    )


class Listener:
    """One LISTEN connection for the process; each notification sets the events waiting on its channel."""

    def __init__(self, url: str, channels: Mapping[str, Sequence[asyncio.Event]]) -> None:
        self.url = url
        self.channels = {channel: list(events) for channel, events in channels.items()}
        self.listening = asyncio.Event()

    def _wake(self, channel: str | None = None) -> None:
        for name, events in self.channels.items():
            if channel is None or name == channel:
                for event in events:
                    event.set()

    def _on_notification(self, _conn: Any, _pid: int, channel: str, _payload: object) -> None:
        self._wake(channel)

    async def run_forever(self) -> None:
        delay = 1.0
        while True:
            try:
                conn = await connect(self.url)
            except Exception as exc:  # the database may be away: the workers poll meanwhile
                logger.warning("cannot LISTEN (workers poll meanwhile): %s", exc)
                await asyncio.sleep(delay)
                delay = min(RECONNECT_MAX_SECONDS, delay * 2)
                continue
            delay = 1.0
            lost = asyncio.Event()
            conn.add_termination_listener(_setter(lost))
            try:
                for channel in self.channels:
                    await conn.add_listener(channel, self._on_notification)
                self.listening.set()
                self._wake()  # what was committed while nobody listened
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=KEEPALIVE_SECONDS)
                    if not lost.is_set():
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("LISTEN connection lost, reconnecting: %s", exc)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), timeout=5)
                if not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(delay)


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _conn: event.set()


async def wait_for_any(events: Sequence[asyncio.Event], seconds: float) -> None:
    """Return when one of ``events`` is set, or after ``seconds``."""
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
