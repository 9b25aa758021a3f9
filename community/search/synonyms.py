"""Admin-managed synonyms: a word people type (算力券) and what the documents call it (算力服务券).
Applied when a query is read (expansion), so a change needs no reindex."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from community.errors import FormError, NotFound
from community.i18n import _
from community.search.models import Synonym
from community.search.text import normalize, synonym_key

# The two the platform starts with (the migration seeds them too).
DEFAULT_SYNONYMS: dict[str, list[str]] = {"算力券": ["算力服务券"], "体验券": ["ai产品体验券"]}
TERM_MAX = 40
EXPANSIONS_MAX = 10
SYNONYMS_MAX = 2000  # a list an admin reads; each query looks words up in it
_SEPARATORS = re.compile(r"[,，、;；\n]+")
_WORD = re.compile(r"\w")


class SynonymService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def all(self) -> list[Synonym]:
        return list((await self.db.scalars(select(Synonym).order_by(Synonym.term))).all())

    async def add(self, term: str, expansions: str) -> Synonym:
        """Add (or replace) the other spellings of a word. Both are checked: a word, at most TERM_MAX
        characters; one to EXPANSIONS_MAX other spellings, separated by commas, none the word itself."""
        errors: dict[str, str] = {}
        key = synonym_key(term)
        if not key or not _WORD.search(key):
            errors["term"] = _("Enter the word people search for.")
        elif len(key) > TERM_MAX:
            errors["term"] = _("At most %(max)s characters.", max=TERM_MAX)
        others: list[str] = []
        for raw in _SEPARATORS.split(expansions or ""):
            value = " ".join(normalize(raw).split())
            if value and _WORD.search(value) and value not in others and synonym_key(value) != key:
                others.append(value)
        if not others:
            errors["expansions"] = _("Enter at least one other word, different from the first.")
        elif len(others) > EXPANSIONS_MAX or any(len(o) > TERM_MAX for o in others):
            errors["expansions"] = _(
                "At most %(count)s words of at most %(max)s characters each.",
                count=EXPANSIONS_MAX,
                max=TERM_MAX,
            )
        existing = await self.db.scalar(select(Synonym).where(Synonym.term == key)) if key else None
        if existing is None and not errors and len(await self.all()) >= SYNONYMS_MAX:
            errors["term"] = _("The list is full; remove a synonym first.")
        if errors:
            raise FormError(errors)
        if existing is not None:
            existing.expansions = others
            synonym = existing
        else:
            synonym = Synonym(term=key, expansions=others)
            self.db.add(synonym)
        await self.db.flush()
        return synonym

    async def remove(self, synonym_id: int) -> None:
        removed = await self.db.execute(delete(Synonym).where(Synonym.id == synonym_id).returning(Synonym.id))
        if removed.scalar() is None:
            raise NotFound

    async def as_map(self) -> dict[str, list[str]]:
        return {s.term: list(s.expansions) for s in await self.all()}

    async def ensure_defaults(self) -> None:
        """The platform's own synonyms, where an admin has not set that word (demo data, tests)."""
        for term, expansions in DEFAULT_SYNONYMS.items():
            if await self.db.scalar(select(Synonym.id).where(Synonym.term == term)) is None:
                self.db.add(Synonym(term=term, expansions=expansions))
        await self.db.flush()
