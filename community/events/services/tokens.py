"""Signed addresses of a member's own calendar feed: a calendar app fetches them without logging in, and
nobody can make one for another member without the site's secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

PURPOSE = b"events-feed:"


def _signature(secret: str, user_id: UUID) -> str:
    digest = hmac.new(secret.encode(), PURPOSE + user_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def feed_token(secret: str, user_id: UUID) -> str:
    user = base64.urlsafe_b64encode(user_id.bytes).decode().rstrip("=")
    return f"{user}.{_signature(secret, user_id)}"


def read_feed_token(secret: str, token: str) -> UUID | None:
    """The member a token was made for, or None when it is not one of ours."""
    try:
        user_part, signature = token.split(".", 1)
        user_id = UUID(bytes=base64.urlsafe_b64decode(user_part + "=" * (-len(user_part) % 4)))
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _signature(secret, user_id)):
        return None
    return user_id
