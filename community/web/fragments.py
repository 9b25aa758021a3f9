"""Shared fragments: the public part of a listing, rendered once and shared by every reader.

A listing page is two things: what everyone sees the same way (the topic rows, the scenario cards, the
pager) and what is this reader's (the header, their votes, watch state, buttons their rights allow). The
first is rendered once per ``FRAGMENT_CACHE_SECONDS`` or on change, per language, and handed to every
reader; only the second is rendered per request.

- **On change**: PostgreSQL moves ``content_version`` on in the same transaction as any change to what
  listings show (statement triggers, migration ``1000_member_pages``), so a reader sees the new version
  exactly when they can see the change. The version is part of every fragment's key: a new post is in
  the next page its author (or anyone, in any process) asks for. The version is read in the request's one
  query for the session and the member (``community.accounts.sessions.ReaderMiddleware``), or in one
  small query when a fragment needs it and that did not run (a visitor without a session).
- **Shared across processes**: rendered fragments go to the ``fragments`` store, so the processes of a site
  render each fragment once between them; each process keeps the ones it served in memory too (bounded),
  which is safe because the key holds the version. In PostgreSQL (``store_item``, namespace ``fragments``)
  the store is read and written through the request's own session, in its transaction: a request never
  holds two connections at once (``community.db.single_statement_engine`` says why that matters); with
  Redis configured, Redis holds them.
- **Nothing personal**: a fragment is rendered without the request, with ``user`` None and no CSRF
  token, from a context its producer builds without the reader. A template that asked for the reader
  would get nothing of theirs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy import BigInteger, Column, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert

from community import i18n
from community.db import StoreItem, metadata

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
    from litestar.connection import ASGIConnection
    from litestar.stores.base import Store
    from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

FRAGMENTS_STORE = "fragments"
CONTENT = "content"
VERSION_SCOPE_KEY = "content_version"

# One row per version; 'content' moves on with every change to the tables below (the migration's triggers).
content_version = Table(
    "content_version",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default="0"),
)
# What the listings show; a change to any of them moves the version on (and to a member's name or state).
CONTENT_TABLES = (
    "forum_category", "forum_tag", "forum_topic", "forum_topic_tag", "forum_post",
    "scenario", "capability_profile", "capability_item", "product", "product_rating", "policy",
    "talent_position", "talent_board", "talent_profile", "event", "event_registration", "organization",
)  # fmt: skip


def version_query() -> Any:
    """The content version, as a scalar subquery (for the request's one query)."""
    version = select(content_version.c.version).where(content_version.c.name == CONTENT).scalar_subquery()
    return func.coalesce(version, 0)


class FragmentCache:
    """Rendered fragments by key: in this process (bounded, least recently used first) over the shared
    store. A missing fragment is produced once per process at a time; the others asking meanwhile wait."""

    def __init__(
        self,
        alchemy_config: SQLAlchemyAsyncConfig,
        store: Store | None,
        seconds: int,
        *,
        max_entries: int = 2000,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.alchemy_config = alchemy_config
        self.store = store  # Redis; None: the request's session, in PostgreSQL
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._held: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._bytes = 0
        self._filling: dict[str, asyncio.Future[str]] = {}

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    async def version(self, connection: ASGIConnection[Any, Any, Any, Any]) -> int:
        """The content version this request sees: read with the session, else asked now (once)."""
        found: Any = connection.scope.get(VERSION_SCOPE_KEY)
        if found is None:
            found = (await self._session(connection).execute(select(version_query()))).scalar_one()
            connection.scope[VERSION_SCOPE_KEY] = found  # type: ignore[literal-required]
        return int(found)

    def _session(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
        """The request's own session (the one its handler uses, ended by the app's before-send)."""
        return self.alchemy_config.provide_session(connection.app.state, connection.scope)

    def _keep(self, key: str, expires: float, html: str) -> None:
        self._drop(key)
        size = len(html)
        if size > self.max_bytes:
            return
        self._held[key] = (expires, html)
        self._bytes += size
        while len(self._held) > self.max_entries or self._bytes > self.max_bytes:
            _key, (_expires, old) = self._held.popitem(last=False)
            self._bytes -= len(old)

    def _drop(self, key: str) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self._bytes -= len(held[1])

    def _read(self, key: str) -> str | None:
        held = self._held.get(key)
        if held is None:
            return None
        if held[0] <= time.time():
            self._drop(key)
            return None
        self._held.move_to_end(key)
        return held[1]

    async def get_or_make(
        self, connection: ASGIConnection[Any, Any, Any, Any], key: str, make: Callable[[], Awaitable[str]]
    ) -> str:
        if (html := self._read(key)) is not None:
            return html
        if (filling := self._filling.get(key)) is not None:
            return await asyncio.shield(filling)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._filling[key] = future
        try:
            html = await self._fetch_or_make(connection, key, make)
            future.set_result(html)
            return html
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiting see it, an unwaited future logs nothing
            raise
        finally:
            del self._filling[key]

    async def _fetch_or_make(
        self, connection: ASGIConnection[Any, Any, Any, Any], key: str, make: Callable[[], Awaitable[str]]
    ) -> str:
        now = time.time()
        stored = await self._stored(connection, key)
        if stored is not None:
            made, _, body = stored.decode("utf-8").partition("\n")
            expires = float(made) + self.seconds
            if expires > now:
                self._keep(key, expires, body)
                return body
        html = await make()
        self._keep(key, now + self.seconds, html)
        try:
            await self._store(connection, key, f"{now}\n{html}".encode())
        except Exception:  # the shared copy is a saving, not a need: this process has its own
            logger.warning("fragment %s not stored", key, exc_info=True)
        return html

    async def _stored(self, connection: ASGIConnection[Any, Any, Any, Any], key: str) -> bytes | None:
        if self.store is not None:
            return await self.store.get(key)
        found = select(StoreItem.value).where(
            StoreItem.namespace == FRAGMENTS_STORE, StoreItem.key == key, StoreItem.expires_at > func.now()
        )
        value: bytes | None = (await self._session(connection).execute(found)).scalar_one_or_none()
        return value

    async def _store(self, connection: ASGIConnection[Any, Any, Any, Any], key: str, value: bytes) -> None:
        if self.store is not None:
            await self.store.set(key, value, expires_in=self.seconds)
            return
        expires_at = datetime.now(UTC) + timedelta(seconds=self.seconds)
        row = insert(StoreItem).values(namespace=FRAGMENTS_STORE, key=key, value=value, expires_at=expires_at)
        # Another process may have stored the same fragment meanwhile (same version, same content): keep
        # theirs, unless it expired. Never an error that would end the request's transaction.
        await self._session(connection).execute(
            row.on_conflict_do_update(
                index_elements=[StoreItem.key, StoreItem.namespace],
                set_={"value": row.excluded.value, "expires_at": row.excluded.expires_at},
                where=StoreItem.expires_at <= func.now(),
            )
        )

    def clear(self) -> None:
        self._held.clear()
        self._bytes = 0


def fragment_cache(connection: ASGIConnection[Any, Any, Any, Any]) -> FragmentCache | None:
    cache: FragmentCache | None = connection.app.state.get("fragments")
    return cache


async def shared_fragment(
    connection: ASGIConnection[Any, Any, Any, Any],
    template: str,
    key: str | None,
    produce: Callable[[], Awaitable[Mapping[str, Any]]],
) -> Markup:
    """The public part of a page: ``template`` rendered from what ``produce`` reads (never the reader), once
    per interval or content version, per language, for every reader. ``key`` names what the fragment
    depends on besides those (the page's path and the query it reads); None: for this request only."""
    locale = i18n.current_locale()
    cache = fragment_cache(connection)

    async def make() -> str:
        context = dict(await produce())
        engine = connection.app.template_engine
        assert engine is not None
        compiled = engine.get_template(template)
        # The reader's parts are not there to be asked for: no user, no token, no request.
        context.update(user=None, locale=locale, html_lang=i18n.HTML_LANG.get(locale, "zh-CN"))
        return str(compiled.render(**context))

    if cache is None or not cache.enabled:
        return Markup(await make())  # noqa: S704 (rendered by the autoescaping environment)
    if key is None:  # free text in the address (a search): this reader's alone, not worth sharing
        return Markup(await make())  # noqa: S704 (rendered by the autoescaping environment)
    version = await cache.version(connection)
    # Hashed: the store's keys are short, and what a visitor put in the address has no say in their length.
    digest = hashlib.sha256(f"{locale}|{version}|{key}".encode()).hexdigest()
    return Markup(await cache.get_or_make(connection, f"{template}|{digest}", make))  # noqa: S704 (autoescaped)
