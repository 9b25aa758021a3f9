"""Matching for the talent zone: positions recommended to a member (/talent/for-you) and members open to
offers recommended to a position's organization, each with reasons in plain words (skills in common, key
terms of similar descriptions, the same district or remote work).

It reuses the hybrid ranker (BM25 over jieba tokens, cosine of stored embeddings) and adds the overlap of
skills; vectors live in match_embedding under the owner types "position" and "talent". Without the embedding
model it ranks by skills, words and place alone and says so. The talent zone never imports this module: it
enqueues "talent.embed" jobs by name, and its position page loads the candidates panel from the URL below.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.accounts.models import User
from community.accounts.services import OrganizationService
from community.errors import NotFound
from community.i18n import _
from community.matching.embedder import Embedder, EmbedderUnavailableError
from community.matching.indexes import current_version
from community.matching.models import OWNER_POSITION, OWNER_TALENT
from community.matching.ranker import (
    Doc,
    FloatArray,
    Index,
    calibrated,
    lexical_tokens,
    ship_array,
    ship_list,
    unship_array,
    unship_list,
)
from community.matching.services import MatchingService, weights_of
from community.talent.models import Position, TalentProfile
from community.talent.services.applications import ApplicationService
from community.talent.services.common import skills_in_common, today
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService
from community.vocabulary import district_label

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

LIMIT = 10
# How the signals mix. Skills carry the most: they are what both sides chose to name.
W_SEMANTIC = 0.3
W_LEXICAL = 0.2
W_SKILLS = 0.4
W_PLACE = 0.1
SIMILAR_MEANING = 0.5
# Without a shared skill, the words must overlap this much (BM25, relative to the best candidate).
MIN_LEXICAL = 0.3
ALL_ROWS = 1_000_000


def position_doc(position: Position) -> Doc:
    """Only what the position's public page shows."""
    return Doc(
        id=str(position.id),
        title=position.title,
        text=f"{position.description}\n{' '.join(position.skills)}",
        district=position.district,
    )


def talent_doc(profile: TalentProfile) -> Doc:
    return Doc(
        id=str(profile.id),
        title=profile.headline,
        text=f"{profile.experience}\n{' '.join(profile.skills)}",
        district=profile.district,
    )


@dataclass
class Pool:
    """The candidates of one kind: the ranker's index and, per candidate, (skills, remote, owner id); the
    same as arrays (rows of each skill, remote or not, rows of each owner) so that ranking is vectorized."""

    index: Index
    facts: dict[str, tuple[tuple[str, ...], bool, UUID]] = field(default_factory=dict)
    skill_rows: dict[str, npt.NDArray[np.int32]] = field(default_factory=dict)
    remote: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    owner_rows: dict[UUID, list[int]] = field(default_factory=dict)
    # The last day a candidate is open (a position's deadline, as a date ordinal; the greatest for none): the
    # pool is not rebuilt at midnight, what closed is masked when ranking.
    open_until: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def build(
        cls,
        index: Index,
        facts: dict[str, tuple[tuple[str, ...], bool, UUID]],
        deadlines: dict[str, date | None] | None = None,
    ) -> Pool:
        open_until = np.full(len(index), OPEN_FOREVER, dtype=np.int64)
        for row, doc in enumerate(index.docs):
            deadline = (deadlines or {}).get(doc.id)
            if deadline is not None:
                open_until[row] = deadline.toordinal()
        return cls._of(index, facts, open_until)

    @classmethod
    def _of(
        cls,
        index: Index,
        facts: dict[str, tuple[tuple[str, ...], bool, UUID]],
        open_until: npt.NDArray[np.int64],
    ) -> Pool:
        skill_rows: dict[str, list[int]] = {}
        owner_rows: dict[UUID, list[int]] = {}
        remote = np.zeros(len(index), dtype=bool)
        for row, doc in enumerate(index.docs):
            skills, is_remote, owner = facts[doc.id]
            for skill in set(skills):
                skill_rows.setdefault(skill, []).append(row)
            owner_rows.setdefault(owner, []).append(row)
            remote[row] = is_remote
        return cls(
            index,
            facts,
            {skill: np.asarray(rows, dtype=np.int32) for skill, rows in skill_rows.items()},
            remote,
            owner_rows,
            open_until,
        )

    def __len__(self) -> int:
        return len(self.index)

    def ship(self) -> Iterator[object]:
        """In small pieces, for the process that receives it from a build apart (``Index.ship``)."""
        yield from self.index.ship()
        yield from ship_list(list(self.facts.items()), FACTS_PER_PIECE)
        yield from ship_array(self.open_until)

    @classmethod
    def unship(cls, pieces: Iterator[object]) -> Pool:
        index = Index.unship(pieces)
        facts: dict[str, tuple[tuple[str, ...], bool, UUID]] = {}
        for items in unship_list(pieces):
            facts.update(items)
        return cls._of(index, facts, unship_array(pieces))


FACTS_PER_PIECE = 500


OPEN_FOREVER = date.max.toordinal()


@dataclass(frozen=True)
class TalentMatch:
    """One recommendation: the position or profile, its score and the reasons in the reader's language."""

    item: Any
    score: float
    reasons: list[str]


def _place(query_district: str, query_remote: bool, district: str, remote: bool) -> tuple[float, str]:
    if query_district and query_district == district:
        return 1.0, _("Both in %(district)s", district=district_label(district))
    if remote or query_remote:
        return 0.5, _("Remote work is possible")
    return 0.0, ""


class TalentMatcher:
    def __init__(
        self, db: AsyncSession, settings: Settings, embedder: Embedder | None, *, compute: bool = True
    ) -> None:
        self.db = db
        self.matching = MatchingService(db, settings, embedder, compute=compute)
        self.positions = PositionService(db)
        self.profiles = ProfileService(db)

    @property
    def degraded(self) -> bool:
        return self.matching.degraded

    async def embed(self, owner_type: str, owner_id: UUID) -> int:
        if owner_type == OWNER_POSITION:
            try:
                doc = position_doc(await self.positions.get(owner_id))
            except NotFound:
                return 0
        elif owner_type == OWNER_TALENT:
            profile = await self.profiles.get(owner_id)
            if profile is None:
                return 0
            doc = talent_doc(profile)
        else:
            return 0
        try:
            return await self.matching.embeddings.store(owner_type, [doc])
        except EmbedderUnavailableError:
            return 0

    async def documents(self) -> list[tuple[str, list[Doc]]]:
        """What ``community matching reindex`` embeds of the talent zone: open positions, and talent profiles
        open to offers."""
        positions = [position_doc(p) for p in await self.positions.open_for_board(limit=ALL_ROWS)]
        talents = [talent_doc(p) for p in await self.profiles.open_profiles(limit=ALL_ROWS)]
        return [(OWNER_POSITION, positions), (OWNER_TALENT, talents)]

    async def catch_up(self, batch: int) -> int:
        """At most ``batch`` missing or stale vectors of open positions and profiles open to offers (after a
        model change); the number computed."""
        if batch <= 0 or self.degraded:
            return 0
        positions = [position_doc(p) for p in await self.positions.open_for_board(limit=ALL_ROWS)]
        embeddings = self.matching.embeddings
        done = await embeddings.store_quietly(
            OWNER_POSITION, (await embeddings.missing(OWNER_POSITION, positions))[:batch]
        )
        if done < batch:
            talents = [talent_doc(p) for p in await self.profiles.open_profiles(limit=ALL_ROWS)]
            todo = (await embeddings.missing(OWNER_TALENT, talents))[: batch - done]
            done += await embeddings.store_quietly(OWNER_TALENT, todo)
        return done

    async def _pool(self, owner_type: str) -> Pool:
        """Every open position (or every profile open to offers) as an in-memory index (matching.indexes:
        built in a thread, or apart when large, until one of them, or one of their vectors, changes)."""
        matching = self.matching

        async def build(db: AsyncSession) -> tuple[Pool, int]:
            return await build_pool(db, matching.settings, matching.embedder, owner_type)

        built = await matching.indexes.get(
            self.db,
            owner_type,
            (matching.model, self.degraded),
            build,
            apart=matching.apart(build_pool_apart, owner_type),
        )
        return built.value

    async def _rank(
        self,
        query: Doc,
        query_type: str,
        query_skills: Sequence[str],
        query_remote: bool,
        pool: Pool,
        excluded: set[UUID],
        excluded_docs: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float, list[str]]]:
        """(candidate id, score, reasons) of the best candidates in ``pool`` whose owner (organization or
        member) is not in ``excluded`` and which are not in ``excluded_docs``."""
        index = pool.index
        if not len(index):
            return []
        try:
            query_vector: FloatArray | None = await self.matching.embeddings.query_vector(query_type, query)
        except EmbedderUnavailableError:
            query_vector = None
        # Degraded means no model. A candidate whose vector is not computed yet (its job still waits) only
        # lacks the semantic signal.
        degraded = self.matching.degraded or query_vector is None
        n = len(index)
        query_counts = Counter(lexical_tokens(f"{query.title}\n{query.text}"))
        raw = index.bm25(list(query_counts))
        best = float(raw.max())
        lexical = raw / best if best > 0 else raw
        cosine = None if degraded else index.cosine(query_vector)
        # Calibrated to the model (multilingual-e5 finds every pair of texts about 0.87 alike).
        floor = weights_of(self.matching.settings, self.matching.model).semantic_floor
        semantic = calibrated(cosine, floor) if cosine is not None else np.zeros(n, dtype=np.float32)
        wanted = set(query_skills)
        shared = np.zeros(n, dtype=np.float32)
        for skill in wanted:
            rows = pool.skill_rows.get(skill)
            if rows is not None:
                shared[rows] += 1
        same_district = index.district_of == index.district_codes.get(query.district, -1)
        place = np.where(same_district, 1.0, np.where(pool.remote | query_remote, 0.5, 0.0))
        w_sem = 0.0 if cosine is None else W_SEMANTIC
        score = (
            w_sem * semantic + W_LEXICAL * lexical + W_SKILLS * shared / max(1, len(wanted)) + W_PLACE * place
        ) / (w_sem + W_LEXICAL + W_SKILLS + W_PLACE)
        # No skill in common and little else: not a recommendation.
        keep = (shared > 0) | (lexical >= MIN_LEXICAL) | (semantic >= SIMILAR_MEANING)
        keep &= pool.open_until >= today().toordinal()  # a deadline passed since the pool was built
        for owner in excluded:
            keep[pool.owner_rows.get(owner, [])] = False
        for doc_id in excluded_docs:
            if doc_id in index.positions:
                keep[index.positions[doc_id]] = False
        score = np.where(keep, score, -np.inf)
        limit = min(LIMIT, int(keep.sum()))
        if limit <= 0:
            return []
        top = np.argpartition(-score, limit - 1)[:limit] if limit < n else np.arange(n)
        order = sorted(top.tolist(), key=lambda i: (-float(score[i]), index.docs[i].id))[:limit]
        results = []
        for i in order:
            doc = index.docs[i]
            skills, remote, _owner = pool.facts[doc.id]
            _place_score, place_reason = _place(query.district, query_remote, doc.district, remote)
            common = skills_in_common(query_skills, skills)
            results.append((float(score[i]), doc, common, float(semantic[i]), place_reason))
        matches = []
        for value, doc, common, similarity, place_reason in results:
            meaning = None if cosine is None else similarity
            explanation = index.explain(query, doc, query_counts, meaning)
            sep = _("、")
            reasons = []
            if common:
                reasons.append(_("Skills in common: %(skills)s", skills=sep.join(common)))
            if explanation.terms:
                reasons.append(_("Similar description: %(terms)s", terms=sep.join(explanation.terms)))
            elif meaning is not None and meaning >= SIMILAR_MEANING:
                reasons.append(_("Similar description"))
            if place_reason:
                reasons.append(place_reason)
            if degraded:
                reasons.append(
                    _("Matched without the language model for now: only skills, words and place count.")
                )
            matches.append((doc.id, round(value, 4), reasons))
        return matches

    async def positions_for(self, user: User) -> list[TalentMatch]:
        """Open positions for a member, from their talent profile; their own organizations' positions and
        those they applied to already are left out."""
        profile = await self.profiles.of_user(user.id)
        if profile is None:
            return []
        own = {org.id for org in await self.positions.poster_organizations_of(user)}
        applied = {a.position_id for a in await ApplicationService(self.db).of_applicant(user.id)}
        ranked = await self._rank(
            talent_doc(profile),
            OWNER_TALENT,
            list(profile.skills),
            profile.remote,
            await self._pool(OWNER_POSITION),
            own,
            frozenset(str(i) for i in applied),
        )
        positions = {
            str(p.id): p
            for p in (
                await self.db.scalars(
                    select(Position)
                    .where(Position.id.in_([UUID(i) for i, _s, _r in ranked]))
                    .options(selectinload(Position.organization))
                )
            ).all()
        }
        return [TalentMatch(positions[i], score, reasons) for i, score, reasons in ranked if i in positions]

    async def candidates_for(self, position: Position) -> list[TalentMatch]:
        """Members open to offers for a position, as (profile, display name)."""
        # The organization's own members, and those who applied already (their applications are listed), are
        # left out.
        members = set(await OrganizationService(self.db).member_ids(position.organization_id))
        applied = {
            v.application.applicant_id for v in await ApplicationService(self.db).for_position(position)
        }
        ranked = await self._rank(
            position_doc(position),
            OWNER_POSITION,
            list(position.skills),
            position.remote,
            await self._pool(OWNER_TALENT),
            members | applied,
        )
        rows = await self.db.execute(
            select(TalentProfile, User.display_name)
            .join(User, User.id == TalentProfile.user_id)
            .where(TalentProfile.id.in_([UUID(i) for i, _s, _r in ranked]))
        )
        found = {str(profile.id): (profile, name) for profile, name in rows}
        return [TalentMatch(found[i], score, reasons) for i, score, reasons in ranked if i in found]


async def build_pool(
    db: AsyncSession, settings: Settings, embedder: Embedder | None, owner_type: str
) -> tuple[Pool, int]:
    """The pool of open positions (or of profiles open to offers) and the version it was built at."""
    apart = TalentMatcher(db, settings, embedder, compute=False)
    version = await current_version(db, owner_type)
    deadlines: dict[str, date | None] = {}
    if owner_type == OWNER_POSITION:
        positions = await apart.positions.open_for_board(limit=ALL_ROWS)
        docs = [position_doc(p) for p in positions]
        facts = {str(p.id): (tuple(p.skills), p.remote, p.organization_id) for p in positions}
        deadlines = {str(p.id): p.deadline for p in positions}
    else:
        profiles = await apart.profiles.open_profiles(limit=ALL_ROWS)
        docs = [talent_doc(p) for p in profiles]
        facts = {str(p.id): (tuple(p.skills), p.remote, p.user_id) for p in profiles}
    matrix = await apart.matching.embeddings.matrix_of(owner_type, docs, apart.matching.model)
    return Pool.build(Index(docs, matrix), facts, deadlines), version


async def build_pool_apart(
    db: AsyncSession, settings: Settings, standing: tuple[str, str | None] | None, owner_type: str
) -> tuple[Pool, int]:
    """In a child process (matching.indexes.Apart)."""
    embedder = Embedder.from_standing(standing) if standing is not None else None
    return await build_pool(db, settings, embedder, owner_type)
