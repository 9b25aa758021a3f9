"""Public pages served again to visitors who are not logged in: rendered once per short interval, shared."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.config.response_cache import ResponseCacheConfig
from litestar.plugins.base import ReceiveRoutePlugin
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_200_OK
from litestar.stores.base import StorageObject, Store

from community import i18n
from community.metrics import PAGE_CACHE_HITS, PAGE_CACHE_MISSES

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.routes import BaseRoute
    from litestar.types import HTTPScope, Scope

# --- public pages served again to visitors who are not logged in -------------------------------------------

SESSION_COOKIE = "opc_session"
CSRF_COOKIE = "opc_csrf"
ANONYMOUS_PAGES_STORE = "anonymous_pages"


def _cookie_names(scope: Scope) -> set[str]:
    names: set[str] = set()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            names.update(part.split("=", 1)[0].strip() for part in value.decode("latin-1").split(";"))
    return names


def _shared_view(scope: Scope) -> bool:
    """A shared page may be served to a visitor without a session (so no member, no flash message): a first
    visit too, whose CSRF cookie is set on the way out, outside the cached answer."""
    return SESSION_COOKIE not in _cookie_names(scope)


def _may_store(scope: Scope) -> bool:
    """A page may be stored for all only when it cannot hold anything of this visitor's: no session and a CSRF
    cookie already set (so the answer sets no cookie: a stored Set-Cookie would hand every visitor the same
    token)."""
    names = _cookie_names(scope)
    return SESSION_COOKIE not in names and CSRF_COOKIE in names


class AnonymousPageStore(Store):
    """Shared pages in memory, bounded, filled by one request at a time.

    Bounded: at most ``max_entries`` pages and ``max_bytes`` bytes; past either, the least recently used
    pages are dropped first, so a flood of distinct addresses costs the cache its oldest pages, never the
    process its memory.

    Filled once: when a page is missing (first asked, or expired), the first request renders it and the
    others asking for it meanwhile wait for that copy, up to ``fill_wait`` seconds, instead of all rendering
    it at once (a stampede every time a busy page expires).

    Its methods do not await between reading and changing the pages, so on one event loop they need no lock.
    """

    def __init__(
        self, fill_wait: float = 2.0, *, max_entries: int = 2000, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self.fill_wait = fill_wait
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._pages: OrderedDict[str, StorageObject] = OrderedDict()
        self._bytes = 0
        self._filling: dict[str, tuple[float, asyncio.Event]] = {}

    # --- the pages, least recently used first ---------------------------------------------------------

    def _drop(self, key: str) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._bytes -= len(page.data)

    def _read(self, key: str, renew_for: int | timedelta | None) -> bytes | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if page.expired:
            self._drop(key)
            return None
        if renew_for and page.expires_at:
            page = self._pages[key] = StorageObject.new(data=page.data, expires_in=renew_for)
        self._pages.move_to_end(key)
        return page.data

    @property
    def size(self) -> tuple[int, int]:
        """(pages, bytes) held now."""
        return len(self._pages), self._bytes

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if key.startswith(PRIVATE_KEY):
            return None  # a member's page: never shared, so neither a hit nor a miss
        value = self._read(key, renew_for)
        if value is not None:
            PAGE_CACHE_HITS.inc()
            return value
        moment = time.monotonic()
        filling = self._filling.get(key)
        if filling is None or moment - filling[0] > self.fill_wait:
            self._filling[key] = (moment, asyncio.Event())
            PAGE_CACHE_MISSES.inc()
            return None  # this request renders the page
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(filling[1].wait(), self.fill_wait - (moment - filling[0]))
        value = self._read(key, renew_for)
        (PAGE_CACHE_HITS if value is not None else PAGE_CACHE_MISSES).inc()
        return value

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        self._drop(key)
        if self.max_entries > 0 and len(data) <= self.max_bytes:
            self._pages[key] = StorageObject.new(data=data, expires_in=expires_in)
            self._bytes += len(data)
            while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
                _oldest, page = self._pages.popitem(last=False)
                self._bytes -= len(page.data)
        self.release(key)

    async def delete(self, key: str) -> None:
        self._drop(key)

    async def delete_all(self) -> None:
        self._pages.clear()
        self._bytes = 0

    async def exists(self, key: str) -> bool:
        return self._read(key, None) is not None

    async def expires_in(self, key: str) -> int | None:
        page = self._pages.get(key)
        return page.expires_in if page is not None and page.expires_at else None

    async def delete_expired(self) -> None:
        for key in [key for key, page in self._pages.items() if page.expired]:
            self._drop(key)
        cutoff = time.monotonic() - self.fill_wait
        for key in [key for key, (started, _done) in self._filling.items() if started < cutoff]:
            self.release(key)  # a render that never answered (the client went away)

    # --- renders under way ----------------------------------------------------------------------------

    @property
    def rendering(self) -> frozenset[str]:
        """The pages being rendered now, that others would wait for."""
        return frozenset(self._filling)

    def release(self, key: str) -> None:
        """The render of ``key`` is over, stored or not (an error page is not): let the waiting go on."""
        filling = self._filling.pop(key, None)
        if filling is not None:
            filling[1].set()


PRIVATE_KEY = "private:"
# Where a cached route's handler keeps the names of the query parameters it reads (its own and its
# dependencies'), recorded when the route is registered (``CachedRouteQueries``).
QUERY_NAMES = "page_cache_query_names"


class CachedRouteQueries(ReceiveRoutePlugin):
    """Records, for each route marked ``cache=True``, the query parameters it declares: the page cache keys
    on those alone, so ``?utm_source=...`` or ``?x=1..N`` is the same page, one entry, not N."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs_model in route.route_handler_map.values():
            if handler.cache:
                names = frozenset(param.field_alias for param in kwargs_model.expected_query_params)
                handler.opt[QUERY_NAMES] = names


def known_query(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The query string of the parameters the route reads, sorted; "" when it reads none. A route not
    recorded (not cached) keeps its whole query."""
    handler = request.scope.get("route_handler")
    names = handler.opt.get(QUERY_NAMES) if handler is not None else None
    if names is None:
        return request.url.query
    pairs = sorted((name, value) for name, value in request.query_params.multi_items() if name in names)
    return urlencode(pairs)


def anonymous_page_cache(seconds: int, store: AnonymousPageStore) -> ResponseCacheConfig:
    """Routes marked ``cache=True`` are rendered once per ``seconds`` for all anonymous visitors, per address,
    the query parameters the route reads (others are ignored), language and htmx-or-not. A first visit is
    served the stored page too (its CSRF cookie is set outside the stored answer), but what it renders
    itself is not stored. A member's request gets a key that is never stored, so it never hits."""

    private = itertools.count()  # a key never stored needs only to be unique in this process: no random bytes

    def key(request: Request[Any, Any, Any]) -> str:
        if seconds <= 0 or not _shared_view(request.scope):
            return f"{PRIVATE_KEY}{next(private)}"
        partial = "hx" if request.headers.get("hx-request") else "page"
        return f"{i18n.current_locale()}:{partial}:{request.method}{request.url.path}?{known_query(request)}"

    def store_it(scope: HTTPScope, status_code: int) -> bool:
        shared = seconds > 0 and _shared_view(scope)
        stored = shared and status_code == HTTP_200_OK and _may_store(scope)
        if shared and not stored:  # those waiting for this render go on and render their own
            store.release(key(Request(scope)))
        return stored

    return ResponseCacheConfig(
        default_expiration=max(seconds, 1),
        key_builder=key,
        cache_response_filter=store_it,
        store=ANONYMOUS_PAGES_STORE,
    )
