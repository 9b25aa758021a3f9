"""The reader's words for a zone's codes (statuses, kinds, stages ...): each zone lists its words once, in
English message ids marked for translation, and asks for them in the reader's language when it shows them.

A code is an enum member, or text kept as it was stored (the shared vocabulary's domains and districts are
their Chinese names: the Chinese catalog gives those names back, the English one the English names)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from community.i18n import current_locale, gettext

# A code: an enum member (a status, a kind) or text kept as stored (a district, a domain).
Code = TypeVar("Code", bound=enum.Enum | str)


class Labels(Generic[Code]):
    """``label = Labels({Status.OPEN: N_("Open"), ...})``, then ``label(Status.OPEN)`` → 开放中 / Open;
    ``Labels({"武昌区": N_("Wuchang District")})("武昌区")`` → 武昌区 / Wuchang District."""

    def __init__(self, words: Mapping[Code, str]) -> None:
        self.words: dict[Code, str] = dict(words)
        # Looked up by any code, a stored one included ("opc" finds OrgType.OPC: a StrEnum equals its text).
        self._by_code: dict[object, str] = dict(words.items())

    def __call__(self, value: enum.Enum | str | None) -> str:
        """The reader's word for a code; an unknown code shows as itself rather than failing the page."""
        if value is None:
            return ""
        text = self._by_code.get(value)
        if text:
            return gettext(text)
        return str(value.value) if isinstance(value, enum.Enum) else str(value)

    def of_code(self, enum_cls: type[enum.Enum], code: object) -> str:
        """The word for a code kept as text (in a frozen snapshot): itself when this version does not know
        it."""
        try:
            return self(enum_cls(code))
        except ValueError:
            return str(code or "")

    def choices(self, members: Iterable[enum.Enum | str]) -> list[tuple[str, str]]:
        """(code, word) pairs for a form's options, in the order given."""
        return [(_code(member), self(member)) for member in members]

    def join(self, values: Iterable[enum.Enum | str]) -> str:
        """Several codes as one line in the reader's words: 智慧医疗、金融 / Smart healthcare, Finance."""
        return list_separator().join(self(value) for value in values)


def _code(member: enum.Enum | str) -> str:
    return str(member.value) if isinstance(member, enum.Enum) else member


def list_separator() -> str:
    """Between the items of a list in a line: the ideographic comma in Chinese, a comma in English."""
    return "、" if current_locale().startswith("zh") else ", "
