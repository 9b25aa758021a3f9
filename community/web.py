"""What every page shares: rendering with the common context, error pages and problem details,
security headers, safe redirects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg
from litestar import MediaType, Request, Response
from litestar.config.response_cache import ResponseCacheConfig, default_cache_key_builder
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import ASGIMiddleware
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.stores.memory import MemoryStore
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from community import i18n
from community.errors import Forbidden, FormError, NotFound
from community.i18n import N_, _

if TYPE_CHECKING:
    from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    return connection.scope.get("user")


def render(
    request: ASGIConnection[Any, Any, Any, Any],
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A page with what the layout needs: who is signed in, the language, the current path."""
    locale = i18n.current_locale()
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.update(
        user=current_user(request),
        unread_notifications=request.scope.get("unread_notifications", 0),
        locale=locale,
        html_lang=i18n.HTML_LANG.get(locale, "zh-CN"),
        locales=i18n.LOCALE_NAMES,
        current_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
    return Template(template_name=template, context=context, status_code=status_code)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: a login link must not send people to another site afterwards."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def is_api(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return request.url.path.startswith(API_PREFIX)


def is_htmx(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


_TITLES: dict[int, str] = {
    400: N_("The request could not be understood"),
    401: N_("Please log in"),
    403: N_("You may not open this page"),
    404: N_("Page not found"),
    405: N_("This action is not allowed here"),
    413: N_("What you sent is too large"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The site is busy"),
}

_MESSAGES: dict[int, str] = {
    400: N_("Check what you entered and try again."),
    403: N_("This page belongs to an organization you are not a member of, or needs a role you do not have."),
    404: N_("The page may have moved or been removed. Check the address, or start again from the home page."),
    405: N_("Go back and use the buttons on the page."),
    413: N_("Send less at once, or a smaller file."),
    500: N_("We have been told and will look into it. Please try again in a moment."),
    503: N_("Please try again in a moment."),
}


def _problem(request: Request[Any, Any, Any], status: int, detail: str, **extra: Any) -> Response[Any]:
    exc = ProblemDetailsException(
        status_code=status,
        title=_(_TITLES.get(status, "Error")),
        detail=detail,
        type_="about:blank",
        instance=request.url.path,
        extra=extra or None,
    )
    return exc.to_response(request)


def _error_page(
    request: Request[Any, Any, Any],
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if not request.scope.get("user") and "user" not in request.scope:
        request.scope["user"] = None
    i18n.set_locale(i18n.resolve_locale(request))
    title = _(_TITLES.get(status, "Error"))
    page = render(
        request, "errors/error.html", status_code=status, status=status, title=title, message=message or ""
    )
    if headers:
        page.headers.update(headers)
    return page


def _retry_after(exc: HTTPException) -> str:
    headers = exc.headers or {}
    return headers.get("RateLimit-Reset") or headers.get("Retry-After") or "60"


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == HTTP_429_TOO_MANY_REQUESTS:
        seconds = _retry_after(exc)
        message = _("Too many attempts from your network. Wait %(s)s seconds, then try again.", s=seconds)
        headers = {**(exc.headers or {}), "Retry-After": seconds}
        if is_api(request):
            return _problem(request, status, message)
        return _error_page(request, status, message, headers)
    if is_api(request):
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            extra["errors"] = exc.extra
        detail = (
            exc.detail if exc.detail and exc.detail != _TITLES.get(status) else _(_MESSAGES.get(status, ""))
        )
        if isinstance(exc, PermissionDeniedException) and "CSRF" in (exc.detail or ""):
            detail = _("The form expired or came from another site. Reload the page and try again.")
        return _problem(request, status, detail, **extra)
    if isinstance(exc, NotAuthorizedException):
        return Redirect(f"/login?next={request.url.path}")
    message = _(_MESSAGES[status]) if status in _MESSAGES else ""
    if isinstance(exc, PermissionDeniedException) and "CSRF" in (exc.detail or ""):
        message = _("The form expired or came from another site. Reload the page and try again.")
    return _error_page(request, status, message)


def domain_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, NotFound):
        return http_exception_handler(request, NotFoundException())
    if isinstance(exc, Forbidden):
        return http_exception_handler(request, PermissionDeniedException())
    if isinstance(exc, FormError):
        if is_api(request):
            return _problem(request, HTTP_400_BAD_REQUEST, _("Check the fields marked."), errors=exc.errors)
        return _error_page(request, HTTP_400_BAD_REQUEST, " ".join(exc.errors.values()))
    return internal_error_handler(request, exc)


def _database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, SATimeoutError | ConnectionError | asyncpg.CannotConnectNowError):
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc.orig, OSError)):
        return True
    return isinstance(exc, OSError) or (exc.__cause__ is not None and _database_unreachable(exc.__cause__))


def _invalid_for_database(exc: BaseException | None) -> bool:
    """PostgreSQL refused a value (a NUL character, say): the request was bad, not the site."""
    while exc is not None:
        if isinstance(exc, asyncpg.DataError):
            return True
        exc = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not exc.__cause__ else exc.__cause__
    return False


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _invalid_for_database(exc):
        logger.info("refused input on %s %s: %s", request.method, request.url.path, exc)
        message = _(
            "The request contains characters or values that cannot be stored, such as a NUL character."
        )
        if is_api(request):
            return _problem(request, HTTP_400_BAD_REQUEST, message)
        return _error_page(request, HTTP_400_BAD_REQUEST, message)
    if _database_unreachable(exc):
        # An outage, not a bug: say so, and let the client (or load balancer) try again shortly.
        logger.warning("database unreachable on %s %s: %s", request.method, request.url.path, exc)
        if is_api(request):
            response = _problem(request, HTTP_503_SERVICE_UNAVAILABLE, _(_MESSAGES[503]))
        else:
            response = _error_page(request, HTTP_503_SERVICE_UNAVAILABLE, _(_MESSAGES[503]))
        response.headers["Retry-After"] = "5"
        return response
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if is_api(request):
        return _problem(request, HTTP_500_INTERNAL_SERVER_ERROR, _(_MESSAGES[500]))
    try:
        return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, _(_MESSAGES[500]))
    except Exception:  # the error page itself failed: answer in plain text rather than not at all
        logger.exception("error page failed")
        return Response("500 服务器出错 / Server error", status_code=500, media_type=MediaType.TEXT)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: http_exception_handler,
    NotFound: domain_exception_handler,
    Forbidden: domain_exception_handler,
    FormError: domain_exception_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
    Exception: internal_error_handler,
}


class SecurityHeadersMiddleware(ASGIMiddleware):
    """CSP, frame-ancestors, nosniff, referrer policy on every answer; HSTS when served over https."""

    scopes = (ScopeType.HTTP,)

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )
    # The OpenAPI viewers load their scripts from a CDN; only the /schema pages may do so.
    SCHEMA_CSP = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        https = scope.get("scheme") == "https"
        csp = self.SCHEMA_CSP if scope["path"].startswith("/schema") else self.CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            await send(message)

        await next_app(scope, receive, send_with_headers)


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
