"""What the talent zone's services share: the job kinds other parts of the site handle, the one row a query
finds (or NotFound), a page of results, skills in common.

``today`` is Wuhan's date from the site's clock, kept importable here for matching's talent ranker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from community.errors import NotFound
from community.kernel.clock import today
from community.kernel.models import Page

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

PAGE_MAX = 10_000
# Job kinds other parts of the site handle (by name: the talent zone never imports them).
JOB_EMBED = "talent.embed"
JOB_REMINDERS = "talent.reminders"
JOB_CV_RETENTION = "talent.cv_retention"

__all__ = (
    "JOB_CV_RETENTION",
    "JOB_EMBED",
    "JOB_REMINDERS",
    "one_or_404",
    "page_of",
    "skills_in_common",
    "today",
)


async def one_or_404(db: AsyncSession, query: Select[Any], *, lock_of: Any = None) -> Any:
    """The one row ``query`` finds (locked for update when ``lock_of`` says what to lock), or NotFound."""
    if lock_of is not None:
        query = query.with_for_update(of=lock_of)
    found = await db.scalar(query)
    if found is None:
        raise NotFound
    return found


async def page_of(
    db: AsyncSession, query: Select[Any], page: int, per_page: int, *order: Any, options: Any = ()
) -> Page[Any]:
    """One page of ``query`` in ``order``, with the count of all its rows."""
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = max(1, min(page, PAGE_MAX))
    items = (
        await db.scalars(
            query.options(*options).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        )
    ).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


def skills_in_common(a: Iterable[str], b: Iterable[str]) -> list[str]:
    others = set(b)
    return [skill for skill in dict.fromkeys(a) if skill in others]
