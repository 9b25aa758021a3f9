"""Model helpers every zone uses: enum columns stored by value, a page of results, ``get_or_404``."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
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


# --- typed shapes from objects ---------------------------------------------------------------------------


class _Attributes:
    """An object's attributes, with some given instead (what an output has that the object has not)."""

    __slots__ = ("_given", "_obj")

    def __init__(self, obj: object, given: dict[str, Any]) -> None:
        self._obj = obj
        self._given = given

    def __getattr__(self, name: str) -> Any:
        return self._given[name] if name in self._given else getattr(self._obj, name)


def from_attributes(cls: type[T], obj: object, /, **given: Any) -> T:
    """An output struct of the JSON API from the attributes of the same names of ``obj`` (a row, a view),
    by msgspec's own conversion: checked against the struct's types (a ``StrEnum`` fills a ``str`` field and
    is sent as its value; nested structs are converted the same way); ``given`` holds the fields the object
    has not, or has otherwise."""
    return msgspec.convert(_Attributes(obj, given) if given else obj, cls, from_attributes=True)
