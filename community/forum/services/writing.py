"""Turning what a member typed into a stored post: checks, markdown, mentions, previews; revisions and
their differences."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select

from community.accounts.models import User
from community.forum.models import PostRevision
from community.forum.services.common import BODY_MAX, BODY_MIN, TITLE_MAX, TITLE_MIN
from community.i18n import _
from community.kernel.text import clean_body, clean_line
from community.markup import Rendered, mention_names, render_markdown

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def check_title(title: str, errors: dict[str, str]) -> str:
    title = clean_line(title)
    if len(title) < TITLE_MIN:
        errors["title"] = _(
            "Write a title of at least %(n)s characters that says what it is about.", n=TITLE_MIN
        )
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)s characters.", n=TITLE_MAX + 1)
    return title


def check_body(body: str, errors: dict[str, str], field: str = "body") -> str:
    body = clean_body(body)
    if len(body) < BODY_MIN:
        errors[field] = _("Write at least %(n)s characters.", n=BODY_MIN)
    elif len(body) > BODY_MAX:
        errors[field] = _(
            "This is %(len)s characters long; a post may have at most %(n)s. Split it, or link to a "
            "repository for long code.",
            len=len(body),
            n=BODY_MAX,
        )
    return body


async def render_with_mentions(db: AsyncSession, body: str) -> tuple[Rendered, list[UUID]]:
    """Render a body; @names of members become links to their profiles. Gives who was mentioned."""
    names = mention_names(body)[:10]
    people: dict[str, UUID] = {}
    if names:
        rows = await db.execute(
            select(User.display_name, User.id).where(User.display_name.in_(names), User.is_active.is_(True))
        )
        for name, user_id in rows.all():
            people.setdefault(name, user_id)
    rendered = render_markdown(body, lambda n: f"/forum/u/{people[n]}" if n in people else None)
    return rendered, [people[n] for n in rendered.mentions if n in people]


def preview(body: str) -> str:
    body = clean_body(body)[:BODY_MAX]
    return render_markdown(body, lambda n: "#").html


async def add_revision(
    db: AsyncSession, post_id: int, number: int, editor_id: UUID | None, body: str, title: str | None
) -> None:
    db.add(PostRevision(post_id=post_id, number=number, editor_id=editor_id, body_md=body, title=title))


@dataclass(frozen=True)
class DiffLine:
    op: str  # "+", "-", " "
    text: str


def diff_lines(before: str, after: str) -> list[DiffLine]:
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("@", "…"))
            continue
        lines.append(DiffLine(line[:1] or " ", line[1:]))
    return lines
