"""Errors that services raise and the web layer turns into answers a person understands."""

from __future__ import annotations


class FormError(Exception):
    """Input that breaks a rule. ``errors`` maps each field to the message shown beside it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class NotFound(Exception):
    """The object does not exist, or the caller may not know it exists."""


class Forbidden(Exception):
    """The caller is known but may not do this."""
