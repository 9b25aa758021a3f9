"""Public pages served again to visitors who are not logged in: rendered once per short interval, shared."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from litestar import Request
from litestar.config.response_cache import ResponseCacheConfig, default_cache_key_builder
from litestar.status_codes import HTTP_200_OK
from litestar.stores.memory import MemoryStore

from community import i18n

if TYPE_CHECKING:
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
    """A page may be shared between visitors only when it cannot hold anything of this visitor's: no session
    (so no member, no flash message) and a CSRF cookie already set (so the response sets no cookie: a cached
    Set-Cookie would hand every visitor the same token)."""
    names = _cookie_names(scope)
    return SESSION_COOKIE not in names and CSRF_COOKIE in names


class AnonymousPageStore(MemoryStore):
    """Shared pages in memory, filled by one request at a time: when a page is missing (first asked, or
    expired), the first request renders it and the others asking for it meanwhile wait for that copy, up to
    ``fill_wait`` seconds, instead of all rendering it at once (a stampede every time a busy page expires)."""

    def __init__(self, fill_wait: float = 2.0) -> None:
        super().__init__()
        self.fill_wait = fill_wait
        self._filling: dict[str, tuple[float, asyncio.Event]] = {}

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        value = await super().get(key, renew_for)
        if value is not None or key.startswith(PRIVATE_KEY):
            return value
        moment = time.monotonic()
        filling = self._filling.get(key)
        if filling is None or moment - filling[0] > self.fill_wait:
            self._filling[key] = (moment, asyncio.Event())
            return None  # this request renders the page
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(filling[1].wait(), self.fill_wait - (moment - filling[0]))
        return await super().get(key, renew_for)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await super().set(key, value, expires_in)
        self.release(key)

    async def delete_expired(self) -> None:
        await super().delete_expired()
        cutoff = time.monotonic() - self.fill_wait
        for key in [key for key, (started, _done) in self._filling.items() if started < cutoff]:
            self.release(key)  # a render that never answered (the client went away)

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


def anonymous_page_cache(seconds: int, store: AnonymousPageStore) -> ResponseCacheConfig:
    """Routes marked ``cache=True`` are rendered once per ``seconds`` for all anonymous visitors, per address,
    query, language and htmx-or-not. A member's request gets a key that is never stored, so it never hits."""

    def key(request: Request[Any, Any, Any]) -> str:
        if seconds <= 0 or not _shared_view(request.scope):
            return f"{PRIVATE_KEY}{uuid4().hex}"
        partial = "hx" if request.headers.get("hx-request") else "page"
        return f"{i18n.current_locale()}:{partial}:{default_cache_key_builder(request)}"

    def store_it(scope: HTTPScope, status_code: int) -> bool:
        shared = seconds > 0 and _shared_view(scope)
        if shared and status_code != HTTP_200_OK:
            store.release(key(Request(scope)))
        return shared and status_code == HTTP_200_OK

    return ResponseCacheConfig(
        default_expiration=max(seconds, 1),
        key_builder=key,
        cache_response_filter=store_it,
        store=ANONYMOUS_PAGES_STORE,
    )
