"""The one translation point: domain errors (``FormError``, ``NotFound``, ``Forbidden``), HTTP errors and
failures become an error page for people or RFC 9457 problem details for the JSON API."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from community import i18n
from community.errors import Forbidden, FormError, NotFound
from community.i18n import N_, _
from community.web.rendering import is_api, render

logger = logging.getLogger(__name__)

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
