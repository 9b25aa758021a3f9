"""Languages: zh_CN first, English second.

Message ids are English; ``locales/<locale>/LC_MESSAGES/messages.po`` holds each translation. The
catalogs are compiled in memory when first used, so there is no build step to forget.
The locale of the request being served lives in a context variable that the reader middleware sets
(``community.accounts.sessions.ReaderMiddleware``).
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from litestar.datastructures import MutableScopeHeaders
from markupsafe import escape

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import Message

LOCALE_COOKIE = "lang"
# The languages the site speaks (catalogs ship inside the package), Chinese first.
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

_current_locale: ContextVar[str] = ContextVar("community_locale", default="zh_CN")


@lru_cache(maxsize=8)
def translations(locale: str) -> gettext_module.NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext_module.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def current_locale() -> str:
    return _current_locale.get()


class LocalName:
    """A name with a form per language (the site's name), read in the current locale wherever it is printed:
    a template's ``{{ site_name }}``, ``_("… %(site)s", site=site_name)`` and comparisons with strings."""

    def __init__(self, chinese: str, english: str) -> None:
        self.chinese = chinese
        self.english = english or chinese

    def __str__(self) -> str:
        return self.english if current_locale().startswith("en") else self.chinese

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


@contextmanager
def locale(name: str | None) -> Iterator[None]:
    """Speak ``name`` (the site's default when None) inside the block: a mail to a member in their words,
    whoever's request or job sends it."""
    token = _current_locale.set(name or DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return translations(_current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current_locale.get()).ngettext(singular, plural, n)


def _(message: str, **params: Any) -> str:
    """Translate, then fill ``%(name)s`` placeholders."""
    text = gettext(message)
    return text % params if params else text


def normalize_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().replace("-", "_")
    lowered = value.lower()
    for locale in LOCALES:
        if lowered == locale.lower() or lowered.split("_")[0] == locale.lower().split("_")[0]:
            return locale
    return None


def _quality(value: str) -> float:
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def negotiate_locale(accept_language: str | None) -> str | None:
    """The site's language that the browser's ``Accept-Language`` prefers most (RFC 9110 weights), or None.

    Any Chinese (zh, zh-CN, zh-Hans, zh-TW...) is our Chinese, any English (en, en-GB...) our English;
    ``*`` and ``q=0`` choose nothing. Among equal weights the browser's order stands (the sort is stable)."""
    if not accept_language:
        return None
    ranges: list[tuple[float, str]] = []
    for item in accept_language.split(",")[:32]:  # a header is a short list; a long one is cut, not walked
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value.strip())
        if tag and quality > 0:
            ranges.append((quality, tag))
    ranges.sort(key=lambda pair: -pair[0])
    for _quality_value, tag in ranges:
        if (chosen := normalize_locale(tag.split("-")[0].split("_")[0])) is not None:
            return chosen
    return None


def resolve_locale(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The cookie the language switch sets wins, then the signed-in member's saved choice, then what the
    browser asks for (``Accept-Language``), then Chinese."""
    chosen = normalize_locale(connection.cookies.get(LOCALE_COOKIE))
    if chosen is None:
        user = connection.scope.get("user")
        chosen = normalize_locale(getattr(user, "locale", None))
    if chosen is None:
        chosen = negotiate_locale(connection.headers.get("accept-language"))
    return chosen or DEFAULT_LOCALE


def enter_locale(connection: ASGIConnection[Any, Any, Any, Any]) -> Token[str]:
    """Speak the request's language (``resolve_locale``) until ``leave_locale``."""
    return _current_locale.set(resolve_locale(connection))


def leave_locale(token: Token[str]) -> None:
    _current_locale.reset(token)


def vary_on_language(message: Message) -> None:
    """The answer depends on the language cookie and on Accept-Language: a shared cache (a proxy, a CDN)
    must keep one copy per language, never hand an English reader the Chinese page."""
    headers = MutableScopeHeaders.from_message(message)
    wanted = ["Accept-Language", "Cookie"]
    present = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    lowered = {v.lower() for v in present}
    if "*" not in lowered:
        headers["Vary"] = ", ".join(present + [v for v in wanted if v.lower() not in lowered])
