"""How often an action may be repeated, counted the same way by every process of the site, and who the client
is when the site sits behind proxies.

The count is one atomic increment in a shared place, and the decision is made from the value that increment
returned: a PostgreSQL upsert ... RETURNING on ``rate_limit_counter``, or a Redis INCR when REDIS_URL is set.
A read-then-write (what Litestar's own limiter does with a store) lets simultaneous requests in different
processes all read the same count, and so all pass.

A window opens at the first counted request of a key and lasts ``WINDOW_SECONDS``; the next request after
it opens a new one. Expired rows are dropped by the store clean-up job (``community.housekeeping``); Redis
expires its keys itself.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from litestar.datastructures import Headers
from sqlalchemy import CheckConstraint, Column, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import TIMESTAMP

from community.db import metadata

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
    from litestar.types import Scope

    from community.config import Settings

WINDOW_SECONDS = 60

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

rate_limit_counter = Table(
    "rate_limit_counter",
    metadata,
    Column("key", Text, primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", TIMESTAMP(timezone=True), nullable=False),
    CheckConstraint("hits > 0", name="hits_positive"),
    Index("ix_rate_limit_counter_expires_at", "expires_at"),
)

# One statement, so one row lock: concurrent requests for one key queue on the row, and each gets back the
# count including itself. A window that has ended starts again at 1. The seconds left are at most the window:
# now() is when a statement's transaction began, and one that began before the window's first request (then
# waited for its lock) would otherwise see a second more than the window.
_UPSERT = text(
    """
    INSERT INTO rate_limit_counter AS c (key, hits, expires_at)
    VALUES (:key, 1, now() + make_interval(secs => :window))
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.hits + 1 END,
        expires_at = CASE WHEN c.expires_at <= now() THEN excluded.expires_at ELSE c.expires_at END
    RETURNING hits, least(:window, ceil(extract(epoch FROM c.expires_at - now())))::integer AS reset
    """
)

# INCR and the expiry in one script: a key never outlives its window, whatever happens between two calls.
_REDIS_HIT = """
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if hits == 1 or ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""


class Counter(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, int]:
        """Count one request under ``key``: the count in the current window (this one included) and the
        seconds until the window ends."""
        ...

    async def close(self) -> None: ...


class PostgresCounter:
    def __init__(self, alchemy_config: SQLAlchemyAsyncConfig) -> None:
        self.alchemy_config = alchemy_config

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        # Its own short transaction: the count is seen by every process at once, and stays when the request
        # it counts fails or rolls back.
        async with self.alchemy_config.get_engine().begin() as conn:
            row = (await conn.execute(_UPSERT, {"key": key, "window": window})).one()
        return int(row.hits), max(1, int(row.reset))

    async def close(self) -> None:
        """The engine belongs to the app (its plugin disposes of it)."""


class RedisCounter:
    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)
        self.script = self.redis.register_script(_REDIS_HIT)

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        hits, ttl = await self.script(keys=[f"community:rate_limit:{key}"], args=[window])
        return int(hits), max(1, int(ttl))

    async def close(self) -> None:
        await self.redis.aclose()


def make_counter(settings: Settings, alchemy_config: SQLAlchemyAsyncConfig) -> Counter:
    if settings.redis_url:
        return RedisCounter(settings.redis_url)
    return PostgresCounter(alchemy_config)


# --- who the client is ------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks; a wrong entry is an error at start-up, not a silent hole."""
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {proxy!r} is not an address or a network") from exc
    return tuple(networks)


def _address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[IPNetwork, ...]
) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(scope: Scope) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (each proxy appends the address it saw, so everything
    left of that was written by the client and proves nothing), or X-Real-IP. A test client's peer is a
    name ("testclient"), returned as it is."""
    client = scope.get("client")
    peer = str(client[0]) if client else "127.0.0.1"
    settings: Settings = scope["litestar_app"].state.settings
    networks = trusted_networks(settings.trusted_proxies)
    peer_address = _address(peer)
    if not networks or peer_address is None or not _is_trusted(peer_address, networks):
        return str(peer_address) if peer_address is not None else peer
    headers = Headers.from_scope(scope)
    forwarded = ",".join(headers.getall("x-forwarded-for", []))
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    nearest = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: the nearest address we can vouch for
            return str(nearest)
        if not _is_trusted(address, networks):
            return str(address)
        nearest = address
    if hops:  # every hop is one of our proxies: the request started inside
        return str(nearest)
    real = _address(headers.get("x-real-ip", ""))
    return str(real) if real is not None else str(peer_address)
