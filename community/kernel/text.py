"""The one text cleaner: every field a person types goes through ``clean_body`` (several lines) or
``clean_line`` (a title, a name, a short field).

Both normalise to NFC, drop control characters and bidirectional overrides (the "Trojan Source"
characters, so a post cannot disguise text). ``clean_line`` also drops invisible characters a title has no
use for, but keeps the zero-width joiner: emoji sequences (👩‍💻) need it.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Invisible characters a title has no use for; the zero-width joiner (U+200D) stays.
INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u2060\ufeff\u00ad]")
ZERO_WIDTH_JOINER = "\u200d"


def clean_body(text: str | None) -> str:
    """Keep what a person wrote, minus control characters and bidirectional overrides; newlines and tabs
    stay, line ends become ``\\n``, the ends are stripped."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = BIDI_CONTROLS.sub("", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def clean_line(text: str | None) -> str:
    """A title or a short field: one line, no control or invisible characters, spaces collapsed."""
    text = INVISIBLE.sub("", clean_body(text))
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == ZERO_WIDTH_JOINER
    )
    return " ".join(text.split())
