"""Private uploaded files (CVs, proofs): kept outside the static files under a directory from the settings,
each under a random name that says nothing of the person or the file, readable by the app's user only.

Nothing here decides who may read a file: the zone that owns it checks that, then serves the path this module
gives back (as an attachment, with nosniff).
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path

PDF_MAGIC = b"%PDF-"
# What ``save_private`` makes: 32 hex characters and a short extension. Anything else is not ours.
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,5}$")


def looks_like_pdf(content: bytes) -> bool:
    """A PDF by its content: it starts with %PDF- and (when pypdf is installed) it parses as one."""
    if not content.startswith(PDF_MAGIC):
        return False
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a dependency; the magic bytes still hold
        return True
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        return False


def save_private(directory: Path, content: bytes, extension: str) -> str:
    """Write ``content`` under a new random name in ``directory`` (made 0700 if missing); the name."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{extension}"
    # O_EXCL: a name is never reused, whatever another process writes at the same moment.
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return name


def private_path(directory: Path, name: str) -> Path | None:
    """The stored file called ``name``, or None when there is none (or the name is not one we give)."""
    if not _STORED_NAME.match(name or ""):
        return None
    path = directory / name
    return path if path.is_file() else None


def remove_private(directory: Path, name: str) -> None:
    path = private_path(directory, name)
    if path is not None:
        path.unlink(missing_ok=True)
