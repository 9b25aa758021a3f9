"""What a notification says, worded when someone reads it.

A notification row keeps its kind and its parameters (JSON), never a sentence: the sentence is made in the
reader's language when it is shown (the inbox, the header, the API) or mailed, whoever acted and in whatever
language, and whichever process (a request, a background reminder) made the row. Each zone lists its
``Notice`` kinds once (``Zone(notices=...)``): the kind, and a message id with named ``%(param)s`` holes,
or a function that words the parameters (run in the reader's language). Rows made before this kept their
frozen sentence, which they still show (``legacy_text``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from community import i18n
from community.i18n import N_

# Rows written before notices were worded at reading time keep their sentence under this parameter.
LEGACY_TEXT = "legacy_text"
TEXT_MAX = 300
# A kind no zone declares any more (a zone taken out): still something honest to show.
UNKNOWN = N_("You have a notification.")

Wording = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Notice:
    """One kind of notification: ``kind`` (stored, "zone.what"), and how it reads: a message id whose
    ``%(name)s`` holes the parameters fill, or a function of the parameters that returns the sentence (it
    runs in the reader's language, so it may call ``_``). ``mailed``: also mailed at the member's rhythm."""

    kind: str
    message: str | Wording
    mailed: bool = False


class _Params(dict[str, Any]):
    """Parameters for ``%``: a hole with no value reads as empty, never as an error on someone's inbox."""

    def __missing__(self, key: str) -> str:
        return ""


_NOTICES: dict[str, Notice] = {}


def register_notices(notices: Iterable[Notice]) -> None:
    """The zones' notice kinds (``register_zone_work``); a kind is worded one way only."""
    for notice in notices:
        known = _NOTICES.get(notice.kind)
        if known is not None and known != notice:
            raise ValueError(f"notice kind {notice.kind!r} is declared twice, differently")
        _NOTICES[notice.kind] = notice


def notice_of(kind: str) -> Notice | None:
    return _NOTICES.get(kind)


def clip(text: str) -> str:
    """One line of plain text, cut at ``TEXT_MAX``."""
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def word(kind: str, params: Mapping[str, Any] | None, locale: str | None = None) -> str:
    """The notification's sentence in ``locale`` (the language being spoken when None: a request's reader)."""
    params = params or {}
    legacy = params.get(LEGACY_TEXT)
    if isinstance(legacy, str):
        return legacy
    if locale is not None:
        with i18n.locale(i18n.normalize_locale(locale)):
            return word(kind, params)
    notice = _NOTICES.get(kind)
    if notice is None:
        return i18n.gettext(UNKNOWN)
    if callable(notice.message):
        return clip(notice.message(params))
    text = i18n.gettext(notice.message)
    return clip(text % _Params(params) if "%(" in text else text)
