"""Rendering a page with what the layout needs, and the small request questions every handler asks."""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias
from urllib.parse import urlencode, urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Template

from community import i18n
from community.web.page_cache import known_query

API_PREFIX = "/api/"
# The request of a route anyone may open: ``request.scope["user"]`` is the member or None.
Visitor: TypeAlias = Request[Any, Any, Any]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    return connection.scope.get("user")


def render(
    request: ASGIConnection[Any, Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Template:
    """A page with what the layout needs: who is signed in, the language, the current path."""
    locale = i18n.current_locale()
    # A shared page's links (log in, language) carry only the query the page reads: nothing a visitor
    # added to the address ends up in the copy served to the next visitors.
    query = known_query(request)
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.update(
        user=current_user(request),
        unread_notifications=request.scope.get("unread_notifications", 0),
        locale=locale,
        html_lang=i18n.HTML_LANG.get(locale, "zh-CN"),
        locales=i18n.LOCALE_NAMES,
        current_path=request.url.path + (f"?{query}" if query else ""),
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


class _Filters(Protocol):
    def as_query(self, **changes: Any) -> dict[str, str]: ...


def filter_chips(
    filters: _Filters, base: str, groups: list[tuple[str, str, list[tuple[str, str]]]]
) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Each filter group as (heading, [(text, link, chosen)]): a chosen chip's link removes it, another's
    sets it; either way back to page 1. Built here, not in the template: a list page has ~60 of them."""
    current = filters.as_query()
    result = []
    for heading, name, options in groups:
        chosen = current.get(name, "")
        chips = []
        for value, text in options:
            on = chosen == value
            query = filters.as_query(**{name: None if on else value, "page": None})
            chips.append((text, f"{base}?{urlencode(query)}", on))
        result.append((heading, chips))
    return result
