"""What an email address, a password, a display name, a web name and a web address must look like.

Each ``check_*`` adds the error to show beside its field to ``errors`` (and gives ``errors`` back); the
services ``refuse`` them together, so that a form comes back once with every problem marked.
"""

from __future__ import annotations

import re
import unicodedata

from community.errors import FormError
from community.i18n import _
from community.kernel.text import clean_line

EMAIL_RE = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"'(),;:]+\.[^@\s<>\"'(),;:.]+$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
EMAIL_MAX = 254
NAME_MAX = 50
PASSWORD_MIN = 8
PASSWORD_MAX = 256


def normalize_email(value: str | None) -> str:
    return clean_line(value).lower()


def check_email(email: str, errors: dict[str, str], field: str = "email") -> dict[str, str]:
    if not email:
        errors[field] = _("Enter your email address.")
    elif len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        errors[field] = _("Enter a valid email address, like name@example.com.")
    return errors


def check_password(password: str, errors: dict[str, str], field: str = "password") -> dict[str, str]:
    if len(password) < PASSWORD_MIN:
        errors[field] = _("Use at least %(n)s characters for the password.", n=PASSWORD_MIN)
    elif len(password) > PASSWORD_MAX:
        errors[field] = _("Use at most %(n)s characters for the password.", n=PASSWORD_MAX)
    return errors


def check_display_name(name: str, errors: dict[str, str], field: str = "display_name") -> dict[str, str]:
    if not name:
        errors[field] = _("Enter the name others will see.")
    elif len(name) > NAME_MAX:
        errors[field] = _("Use at most %(n)s characters for the name.", n=NAME_MAX)
    return errors


# What a mail program turns into a link: a scheme, or a dot or an at sign between two word characters
# (example.com, name@example.com). Fullwidth forms (ｅｘａｍｐｌｅ．ｃｏｍ) are folded first.
_SCHEME = re.compile(r"://")
_LINKING = re.compile(r"(?<=\w)([.@\u3002\uff61])(?=\w)")


def quoted_for_mail(text: str, limit: int) -> str:
    """A name a member wrote (an organization's, their own), for a mail the site sends to someone else: one
    line, at most ``limit`` characters, nothing a mail program would make a link of, in quotes, so it
    reads as their words and not the site's."""
    text = unicodedata.normalize("NFKC", clean_line(text))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _LINKING.sub(r"[\1]", _SCHEME.sub("[:]//", text))
    return f"“{text}”"


def refuse(errors: dict[str, str]) -> None:
    """Raise every problem found at once (a ``FormError``); nothing when there is none."""
    if errors:
        raise FormError(errors)
