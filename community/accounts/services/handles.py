"""Handles: the unique, ASCII name a member is mentioned by (``@li_wei``), like a Discourse or GitHub
username.

A handle is 2 to 30 letters, digits, ``_`` or ``-``, starting with a letter or a digit. It keeps the case it
was typed in, but two handles that differ only in case are the same handle: the database holds that (a
unique index on ``lower(handle)``, and a CHECK on the form), so two members choosing one at the same moment
cannot both get it. A member chooses theirs when registering (or takes the suggestion made from their
name) and changes it on their account page.

The mention picker reads ``lookup``: active members' handles and display names, never an email or an id.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Text, cast, func, or_, select

from community.accounts.models import HANDLE_MAX, HANDLE_MIN, User
from community.i18n import _
from community.kernel.text import clean_line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.ext.asyncio import AsyncSession

HANDLE_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_-]{{{HANDLE_MIN - 1},{HANDLE_MAX - 1}}}$")
# Names that would read as the site speaking, or as a mention of everyone.
RESERVED = frozenset(
    {
        "admin", "administrator", "all", "everyone", "here", "moderator", "moderators", "mod", "null",
        "root", "site", "staff", "support", "system", "team", "none", "anonymous",
    }
)  # fmt: skip
LOOKUP_MAX = 8
QUERY_MAX = HANDLE_MAX


def handle_from_name(name: str) -> str:
    """An ASCII handle made from a display name ("Li Wei" → "li_wei"); empty when the name has no letters
    or digits in ASCII (a Chinese name: pinyin is not available, the caller numbers one instead)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    slug = slug[:HANDLE_MAX].strip("_")
    if len(slug) < HANDLE_MIN or slug in RESERVED:
        return ""
    return slug


def numbered_handle(base: str = "") -> str:
    """``base`` (or "user") followed by four random digits, within the length."""
    stem = (base or "user")[: HANDLE_MAX - 5].rstrip("_-")
    return f"{stem}{secrets.randbelow(9000) + 1000}"


def check_handle(handle: str, errors: dict[str, str], field: str = "handle") -> dict[str, str]:
    if not handle:
        errors[field] = _("Choose a handle others can mention you by.")
    elif not HANDLE_RE.match(handle):
        errors[field] = _(
            "Use %(min)s to %(max)s letters (a-z), digits, _ or -, starting with a letter or a digit.",
            min=HANDLE_MIN,
            max=HANDLE_MAX,
        )
    elif handle.lower() in RESERVED:
        errors[field] = _("This handle is reserved. Choose another.")
    return errors


def taken_message(suggestion: str) -> str:
    return _("This handle is taken. Try another, for example %(handle)s.", handle=suggestion)


@dataclass(frozen=True)
class HandleMatch:
    """What the mention picker shows of a member: nothing else."""

    handle: str
    display_name: str


class HandleService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def is_free(self, handle: str, *, but: UUID | None = None) -> bool:
        query = select(User.id).where(func.lower(User.handle) == handle.lower())
        if but is not None:
            query = query.where(User.id != but)
        return await self.db.scalar(query.limit(1)) is None

    async def suggest(self, name: str, *, wanted: str = "") -> str:
        """A free handle: the one wanted, else one made from the name, else either numbered. Free now;
        the unique index still decides when it is saved."""
        wanted = wanted if HANDLE_RE.match(wanted) and wanted.lower() not in RESERVED else ""
        from_name = handle_from_name(name)
        for candidate in dict.fromkeys(c for c in (wanted, from_name) if c):
            if await self.is_free(candidate):
                return candidate
        base = wanted or from_name
        for _attempt in range(20):
            candidate = numbered_handle(base)
            if await self.is_free(candidate):
                return candidate
        return f"user{secrets.token_hex(6)}"  # 16^12: never taken in practice, and the index still holds

    async def lookup(self, query: str) -> list[HandleMatch]:
        """Active members whose handle starts with ``query``, or whose name contains it: handles first."""
        query = clean_line(query).lstrip("@")[:QUERY_MAX]
        if not query:
            return []
        pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        handle_first = func.lower(User.handle).startswith(pattern.lower(), autoescape=False)
        rows = await self.db.execute(
            select(User.handle, User.display_name)
            .where(
                User.is_active.is_(True),
                or_(handle_first, User.display_name.ilike(f"%{pattern}%", escape="\\")),
            )
            .order_by(handle_first.desc(), func.length(User.handle), func.lower(User.handle))
            .limit(LOOKUP_MAX)
        )
        return [HandleMatch(handle, name) for handle, name in rows.all()]

    async def mentioned(self, names: Iterable[str]) -> dict[str, UUID]:
        """Who each ``@name`` written in a post is, among active members: a handle (any case) first; a
        display name written whole still counts when exactly one active member has it (mentions written
        before handles existed)."""
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        people: dict[str, UUID] = {}
        handles = [n for n in names if HANDLE_RE.match(n)]
        if handles:
            rows = await self.db.execute(
                select(User.handle, User.id).where(
                    func.lower(User.handle).in_([h.lower() for h in handles]), User.is_active.is_(True)
                )
            )
            by_lower = {handle.lower(): user_id for handle, user_id in rows.all()}
            people.update({n: by_lower[n.lower()] for n in handles if n.lower() in by_lower})
        rest = [n for n in names if n not in people]
        if rest:
            # A name two active members share is nobody's: the mention stays text.
            rows = await self.db.execute(
                select(User.display_name, func.min(cast(User.id, Text)))
                .where(User.display_name.in_(rest), User.is_active.is_(True))
                .group_by(User.display_name)
                .having(func.count() == 1)
            )
            people.update({name: UUID(str(user_id)) for name, user_id in rows.all()})
        return people
