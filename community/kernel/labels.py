"""The reader's words for a zone's codes (statuses, kinds, stages ...): each zone lists its words once, in
English message ids marked for translation, and asks for them in the reader's language when it shows them."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from community.i18n import gettext


class Labels:
    """``label = Labels({Status.OPEN: N_("Open"), ...})``, then ``label(Status.OPEN)`` → 开放中 / Open."""

    def __init__(self, words: Mapping[enum.Enum, str]) -> None:
        self.words = dict(words)

    def __call__(self, value: enum.Enum | None) -> str:
        """The reader's word for a code; an unknown code shows as itself rather than failing the page."""
        if value is None:
            return ""
        text = self.words.get(value)
        return gettext(text) if text else str(value.value)

    def of_code(self, enum_cls: type[enum.Enum], code: object) -> str:
        """The word for a code kept as text (in a frozen snapshot): itself when this version does not know
        it."""
        try:
            return self(enum_cls(code))
        except ValueError:
            return str(code or "")

    def choices(self, members: Iterable[enum.Enum]) -> list[tuple[str, str]]:
        """(code, word) pairs for a form's options, in the order given."""
        return [(member.value, self(member)) for member in members]
