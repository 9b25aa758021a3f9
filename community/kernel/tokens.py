"""Signed tokens for links that work without logging in (unsubscribe, a personal calendar feed).

A token names one member for one purpose: ``<member id>.<HMAC-SHA256 of purpose and id, 18 bytes>``, both
base64url. It cannot be made for another member, or reused for another purpose, without the site's secret
key. The format is the one the first links were mailed with, so links already sent keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signature(secret: str, purpose: str, user_id: UUID) -> str:
    digest = hmac.new(secret.encode(), purpose.encode() + b":" + user_id.bytes, hashlib.sha256).digest()
    return _b64(digest[:18])


def member_token(secret: str, purpose: str, user_id: UUID) -> str:
    """A token for ``user_id`` and ``purpose`` (e.g. ``"matching-unsubscribe"``)."""
    return f"{_b64(user_id.bytes)}.{_signature(secret, purpose, user_id)}"


def read_member_token(secret: str, purpose: str, token: str) -> UUID | None:
    """The member a token was made for, or None when it is not one of ours (or not for this purpose)."""
    try:
        user_part, signature = token.split(".", 1)
        user_id = UUID(bytes=base64.urlsafe_b64decode(user_part + "=" * (-len(user_part) % 4)))
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _signature(secret, purpose, user_id)):
        return None
    return user_id
