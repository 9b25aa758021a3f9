"""Model helpers every zone uses: enum columns stored by value, a page of results, ``get_or_404``."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Enum
from sqlalchemy.ext.asyncio import AsyncSession

from community.errors import NotFound

T = TypeVar("T")
M = TypeVar("M")


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """A PostgreSQL enum type ``name`` holding the members' values (not their Python names), checked on
    the way in."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], validate_strings=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items, how many there are in all, and where this page stands."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def page_number(raw: Any, *, maximum: int = 10_000) -> int:
    """A page number from a query string: anything that is not a whole number from 1 to ``maximum`` is 1
    (or ``maximum``), never an error."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), maximum)


async def get_or_404(db: AsyncSession, model: type[M], key: Any) -> M:
    """The row of ``model`` with primary key ``key``, or ``NotFound`` (which the web layer answers with a
    404 page or problem details)."""
    if key is None:
        raise NotFound
    found = await db.get(model, key)
    if found is None:
        raise NotFound
    return found
