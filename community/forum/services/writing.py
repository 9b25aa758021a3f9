"""Turning what a member typed into a stored post: checks, markdown (long texts rendered off the event loop),
mentions, links, previews; revisions and their differences."""

from __future__ import annotations

import asyncio
import difflib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from community.accounts.services.handles import HandleService
from community.forum.models import PostRevision
from community.forum.services.common import BODY_MAX, BODY_MIN, TITLE_MAX, TITLE_MIN
from community.i18n import _
from community.kernel.text import clean_body, clean_line
from community.markup import MAX_MENTIONS, Rendered, mention_names, render_markdown

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
# Texts up to this many characters are rendered on the event loop (a millisecond or two); longer ones in a
# worker thread.
INLINE_RENDER_MAX = 5_000
# One thread renders the process's long texts, one after the other: however many arrive at once, the event
# loop shares the interpreter with a single renderer, and keeps answering.
_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forum-render")
URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s<>()\[\]\"'`]*")


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


async def off_loop(call: Callable[[], T], size: int) -> T:
    """Run ``call`` (markdown rendering of a text of ``size`` characters) on the event loop when the text is
    short, in the renderer's thread when it is long: a post of 50,000 characters takes about a second that
    every other request of the process would otherwise wait for."""
    if size <= INLINE_RENDER_MAX:
        return call()
    return await asyncio.get_running_loop().run_in_executor(_RENDERER, call)


def link_targets(body: str) -> set[str]:
    """The web addresses a text carries (those ``count_links`` counts), to tell which ones an edit adds."""
    return {match.rstrip(".,;:!?") for match in URL_IN_TEXT.findall(body)}


async def render_with_mentions(db: AsyncSession, body: str) -> tuple[Rendered, list[UUID]]:
    """Render a body; @handles of active members (and whole display names only one of them has) become
    links to their pages. Gives who was mentioned."""
    names = (await off_loop(lambda: mention_names(body), len(body)))[: MAX_MENTIONS * 2]
    people = await HandleService(db).mentioned(names)
    rendered = await off_loop(
        lambda: render_markdown(body, lambda n: f"/forum/u/{people[n]}" if n in people else None), len(body)
    )
    return rendered, list(dict.fromkeys(people[n] for n in rendered.mentions if n in people))


def _preview(body: str) -> str:
    return render_markdown(clean_body(body)[:BODY_MAX], lambda n: "#").html


async def preview(body: str) -> str:
    """What a text will look like, as typed (at most a post's length of it)."""
    body = body[: BODY_MAX * 2]  # room for what cleaning removes; never more than that is read
    return await off_loop(lambda: _preview(body), len(body))


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
