"""A stored notification as a reader reads it: tests look at sentences, not at how rows keep them."""

from __future__ import annotations

import json
from typing import Any

from community.notifications.notices import word


def worded(db: Any, where: str, *args: Any, locale: str = "zh_CN") -> str | None:
    """The first notification matching ``where`` (SQL over ``notification``), worded in ``locale``. The
    zones' notices are known once an app was made (every test that acts through the site makes one)."""
    raw = db.fetchval(
        f"SELECT json_build_array(kind, params)::text FROM notification WHERE {where} LIMIT 1",  # noqa: S608
        *args,
    )
    if raw is None:
        return None
    kind, params = json.loads(raw)
    return word(kind, params, locale)
