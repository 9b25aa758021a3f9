"""Model helpers every zone uses: enum columns stored by value, a page of results, ``get_or_404``."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import Enum, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from community.errors import FormError, NotFound
from community.kernel.clock import now

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


def contains_pattern(text: str) -> str:
    """A LIKE/ILIKE pattern (escape character ``\\``) matching ``text`` anywhere, its ``%``, ``_`` and ``\\``
    taken literally: a search for "50%" finds "50%", not everything that starts with "50"."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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


# --- guarantees held by the database -----------------------------------------------------------------------


async def next_number(db: AsyncSession, counter: Any, key_column: Any, key: Any) -> int:
    """The next of a gapless series of numbers (list issues, 招贤榜 issues), from ``counter``'s row for
    ``key``: the row stays locked until the caller's transaction ends, so two publications never take the
    same number and a rolled-back one leaves no gap. The row is created, locked, when it is missing."""
    number = await db.scalar(
        update(counter)
        .where(key_column == key)
        .values(last_number=counter.last_number + 1, updated_at=now())
        .returning(counter.last_number)
    )
    if number is None:
        stamp = now()
        number = await db.scalar(
            insert(counter)
            .values(
                {
                    "id": uuid.uuid4(),
                    key_column.key: key,
                    "last_number": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            .on_conflict_do_update(
                index_elements=[key_column],
                set_={"last_number": counter.last_number + 1, "updated_at": stamp},
            )
            .returning(counter.last_number)
        )
    assert number is not None
    return int(number)


async def add_unique(db: AsyncSession, row: Any, refusal: dict[str, str]) -> None:
    """Add ``row``; when a unique constraint refuses it (the same thing twice, perhaps at once from two
    requests), raise ``FormError(refusal)`` and leave the caller's transaction usable."""
    try:
        async with db.begin_nested():
            db.add(row)
            await db.flush()
    except IntegrityError as exc:
        raise FormError(refusal) from exc
