"""Turning what a member typed into a stored post: checks, markdown, mentions; drafts and revisions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import User
from community.errors import FormError
from community.forum.models import Draft, PostRevision
from community.forum.services.common import BODY_MAX, BODY_MIN, TITLE_MAX, TITLE_MIN, now
from community.i18n import _
from community.markup import Rendered, clean_body, clean_line, mention_names, render_markdown

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DRAFT_TITLE_MAX = 400
DRAFT_BODY_MAX = BODY_MAX * 2


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


async def revisions_with_diffs(db: AsyncSession, post_id: int) -> list[dict[str, Any]]:
    rows = (
        await db.execute(
            select(PostRevision, User.display_name)
            .outerjoin(User, User.id == PostRevision.editor_id)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.number)
        )
    ).all()
    result: list[dict[str, Any]] = []
    previous: PostRevision | None = None
    for revision, editor in rows:
        result.append(
            {
                "number": revision.number,
                "editor": editor,
                "at": revision.created_at,
                "title": revision.title,
                "title_changed": previous is not None and revision.title != previous.title,
                "previous_title": previous.title if previous else None,
                "diff": diff_lines(previous.body_md if previous else "", revision.body_md),
            }
        )
        previous = revision
    result.reverse()
    return result


class DraftService:
    """Drafts, saved as the member types (htmx) so that a closed tab or a crash loses nothing."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @staticmethod
    def check_key(key: str) -> str:
        if key == "new" or (key.startswith("reply-") and key[6:].isdigit() and len(key) < 30):
            return key
        raise FormError({"key": _("Unknown draft.")})

    async def save(self, user_id: UUID, key: str, title: str, body: str) -> None:
        key = self.check_key(key)
        values = {"title": title[:DRAFT_TITLE_MAX], "body": clean_body(body)[:DRAFT_BODY_MAX]}
        if not values["title"].strip() and not values["body"]:
            await self.discard(user_id, key)
            return
        await self.db.execute(
            insert(Draft)
            .values(user_id=user_id, key=key, **values)
            .on_conflict_do_update(constraint="uq_forum_draft", set_={**values, "updated_at": now()})
        )

    async def get(self, user_id: UUID | None, key: str) -> Draft | None:
        if user_id is None:
            return None
        return await self.db.scalar(select(Draft).where(Draft.user_id == user_id, Draft.key == key))

    async def discard(self, user_id: UUID, key: str) -> None:
        await self.db.execute(delete(Draft).where(Draft.user_id == user_id, Draft.key == key))
