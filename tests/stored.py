"""What the upload store holds (PostgreSQL, the default store), as an operator would look at it."""

from __future__ import annotations

from typing import Any


def kept_names(db: Any, area: str) -> list[str]:
    """The names of the files kept in ``area`` ("cvs", "proofs")."""
    names = db.fetchval(
        "SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM upload_chunk WHERE area = $1 AND seq = 0",
        area,
    )
    return list(names)


def kept_file(db: Any, area: str, name: str) -> bytes | None:
    """The file ``name`` of ``area`` put back together from its chunks, or None."""
    content = db.fetchval(
        "SELECT string_agg(data, ''::bytea ORDER BY seq) FROM upload_chunk WHERE area = $1 AND name = $2",
        area,
        name,
    )
    return bytes(content) if content is not None else None
