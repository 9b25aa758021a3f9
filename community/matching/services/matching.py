"""Recommendations both ways over the in-memory indexes (rebuilt when what they hold changed), verdicts on
scenarios, and keeping every vector current."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from uuid import UUID

import numpy as np
from sqlalchemy import ColumnElement, func, select

from community.accounts.models import OrgType, User
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.matching.documents import OPEN_STATUSES, profile_doc, profile_doc_of, scenario_doc
from community.matching.embedder import Embedder, EmbedderUnavailableError
from community.matching.indexes import Apart, Indexes, current_version, indexes_of
from community.matching.models import OWNER_PROFILE, OWNER_SCENARIO, VERDICTS, Embedding
from community.matching.ranker import (
    Doc,
    FloatArray,
    Index,
    Scored,
    Weights,
    calibrated,
    one_of,
    ship_list,
    unship_list,
)
from community.matching.services.common import ALL_ROWS, weights_of
from community.matching.services.embeddings import EmbeddingService
from community.matching.services.preferences import PreferenceService
from community.matching.views import ProfileCard, Recommendation, scenario_card
from community.notifications.services import NotificationService
from community.scenarios.models import CapabilityProfile, ProfileStatus, Scenario
from community.scenarios.services.capabilities import CapabilityFilters, CapabilityService
from community.scenarios.services.scenarios import ScenarioFilters, ScenarioService

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings


# Profiles read at a time when an index is built (what one chunk of rows costs to decode and free is short).
BUILD_PAGE = 1000


@dataclass
class CachedIndex:
    index: Index
    cards: dict[str, Any] = field(default_factory=dict)
    # The model of the index's vectors: queries against it use a vector of the same model, and its weights.
    model: str = ""

    def __len__(self) -> int:
        return len(self.index)

    def ship(self) -> Iterator[object]:
        """In small pieces, for the process that receives it from a build apart (``Index.ship``)."""
        yield from self.index.ship()
        yield self.model
        # Repeated values one object each, as for the docs (``ranker.shared_values``).
        table: dict[Any, Any] = {}
        cards = [
            (key, replace(card, domains=one_of(table, card.domains), district=one_of(table, card.district)))
            for key, card in self.cards.items()
        ]
        yield from ship_list(cards, CARDS_PER_PIECE)

    @classmethod
    def unship(cls, pieces: Iterator[object]) -> CachedIndex:
        index = Index.unship(pieces)
        model = next(pieces)
        assert isinstance(model, str)
        cards: dict[str, Any] = {}
        for items in unship_list(pieces):
            cards.update(items)
        return cls(index, cards, model)


CARDS_PER_PIECE = 500


class MatchingService:
    def __init__(
        self, db: AsyncSession, settings: Settings, embedder: Embedder | None, *, compute: bool = True
    ) -> None:
        self.db = db
        self.settings = settings
        self.embedder = embedder
        self.embeddings = EmbeddingService(db, embedder, compute=compute)
        self.preferences = PreferenceService(db, settings)
        self.scenarios = ScenarioService(db)
        self.capabilities = CapabilityService(db)
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)
        # Rank from indexes built now on this session, not the shared ones (which hold only what is
        # committed): for work that ranks what its own transaction just wrote (the demo).
        self.inline = False

    @property
    def model(self) -> str:
        return self.embeddings.model

    @property
    def degraded(self) -> bool:
        return self.embeddings.degraded

    @property
    def weights(self) -> Weights:
        """The weights of the configured model (an index ranks with those of its own model)."""
        return weights_of(self.settings, self.model)

    # --- indexes --------------------------------------------------------------------------------------------

    @staticmethod
    def _live(owner_type: str) -> ColumnElement[bool]:
        """The vectors that rank: of scenarios open for interest, or of verified profiles."""
        if owner_type == OWNER_SCENARIO:
            return Embedding.owner_id.in_(select(Scenario.id).where(Scenario.status.in_(OPEN_STATUSES)))
        verified = CapabilityProfile.status == ProfileStatus.VERIFIED
        return Embedding.owner_id.in_(select(CapabilityProfile.id).where(verified))

    def _apart(self, db: AsyncSession) -> MatchingService:
        """This service on the build thread's own session (it never computes a vector)."""
        return MatchingService(db, self.settings, self.embedder, compute=False)

    def apart(self, build: Callable[..., Awaitable[tuple[Any, int]]], *args: Any) -> Apart:
        """How a child process makes one of this service's indexes: ``build(db, settings, embedder's standing,
        *args)`` (matching.indexes)."""
        standing = self.embedder.standing() if self.embedder is not None else None
        return Apart(build, (self.settings, standing, *args), self.settings.matching_build_apart_rows)

    @property
    def indexes(self) -> Indexes:
        return indexes_of(self.settings.database_url, self.settings.listen_database_url)

    async def profile_index(self, *, fresh: bool = False) -> CachedIndex:
        """Every verified profile (matching.indexes: built in a thread, until a profile, its items or their
        vectors change); ``fresh``: never the old one while a rebuild runs."""
        if self.inline:
            return (await self._build_profile_index(self.db))[0]
        built = await self.indexes.get(
            self.db,
            OWNER_PROFILE,
            (self.model, self.degraded),
            self._build_profile_index,
            fresh=fresh,
            apart=self.apart(build_profile_index_apart),
        )
        return built.value

    async def _build_profile_index(self, db: AsyncSession) -> tuple[CachedIndex, int]:
        """Read as plain rows, ``BUILD_PAGE`` at a time, in one snapshot when on a session of its own (the
        version and the profiles agree). No ORM object per profile: at 50,000 profiles those were millions of
        objects, and walking them (the garbage collector) or freeing them held the GIL for a quarter of a
        second at a time while requests waited."""
        apart = self._apart(db)
        if not self.inline:
            await db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        version = await current_version(db, OWNER_PROFILE)
        model = await apart.embeddings.serving_model(OWNER_PROFILE, self._live(OWNER_PROFILE))
        docs: list[Doc] = []
        cards: dict[str, ProfileCard] = {}
        async for rows in apart.capabilities.verified_rows(BUILD_PAGE):
            for row in rows:
                items = list(zip(row.item_domains, row.technologies, strict=True))
                docs.append(profile_doc_of(row.id, row.summary, row.cases, row.district, row.domains, items))
                cards[str(row.id)] = ProfileCard(
                    profile_id=row.id,
                    organization_id=row.organization_id,
                    name=row.name,
                    slug=row.slug,
                    summary=row.summary,
                    district=row.district,
                    domains=tuple(row.domains),
                )
        matrix = await apart.embeddings.matrix_of(OWNER_PROFILE, docs, model)
        return CachedIndex(Index(docs, matrix), cards, model), version

    async def scenario_index(self) -> CachedIndex:
        """Every scenario open for interest (published or docking)."""
        if self.inline:
            return (await self._build_scenario_index(self.db))[0]
        built = await self.indexes.get(
            self.db,
            OWNER_SCENARIO,
            (self.model, self.degraded),
            self._build_scenario_index,
            apart=self.apart(build_scenario_index_apart),
        )
        return built.value

    async def _build_scenario_index(self, db: AsyncSession) -> tuple[CachedIndex, int]:
        apart = self._apart(db)
        version = await current_version(db, OWNER_SCENARIO)
        model = await apart.embeddings.serving_model(OWNER_SCENARIO, self._live(OWNER_SCENARIO))
        page = await apart.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)
        items = [s for s in page.items if s.status in OPEN_STATUSES]
        docs = [scenario_doc(s) for s in items]
        matrix = await apart.embeddings.matrix_of(OWNER_SCENARIO, docs, model)
        cards = {str(s.id): scenario_card(s) for s in items}
        return CachedIndex(Index(docs, matrix), cards, model), version

    # --- verdicts -------------------------------------------------------------------------------------------

    async def give_feedback(
        self, actor: User, organization_id: UUID, scenario_id: UUID, verdict: str
    ) -> None:
        if verdict not in VERDICTS:
            raise FormError({"verdict": _("Choose interested or not interested.")})
        org = await self.organizations.by_id(organization_id)
        if org.org_type is not OrgType.OPC or await self.organizations.role_of(actor, org) is None:
            raise NotFound
        scenario, _access = await self.scenarios.get_for(actor, scenario_id)
        await self.preferences.save_feedback(org.id, scenario.id, actor.id, verdict)

    def penalty_from(
        self, index: Index, rejected: Sequence[tuple[Doc, FloatArray | None]], model: str | None = None
    ) -> FloatArray:
        """Per row of a scenario index: how like a rejected scenario it is (calibrated cosine, or shared
        domains)."""
        penalty = np.zeros(len(index), dtype=np.float32)
        floor = weights_of(self.settings, model or self.model).semantic_floor
        for doc, vector in rejected:
            sims = index.cosine(vector) if vector is not None else None
            sims = calibrated(sims, floor) if sims is not None else index.domain_jaccard(doc.domains)
            penalty = np.maximum(penalty, np.clip(sims, 0, 1).astype(np.float32))
        return penalty

    async def rejected_docs(
        self, scenario_ids: Sequence[str], model: str | None = None
    ) -> list[tuple[Doc, FloatArray | None]]:
        docs = []
        vectors = await self.embeddings.vectors(OWNER_SCENARIO, scenario_ids, model)
        for sid in scenario_ids:
            try:
                scenario = await self.scenarios.get(UUID(sid))
            except NotFound:
                continue
            docs.append((scenario_doc(scenario), vectors.get(sid)))
        return docs

    # --- recommendations ------------------------------------------------------------------------------------

    async def opc_query(self, organization_id: UUID) -> Doc | None:
        """What an OPC can do, as a query: its profile (any status: it is the OPC's own page)."""
        profile = await self.capabilities.get_by_org(organization_id)
        if profile is not None and (profile.summary or profile.items):
            return profile_doc(profile)
        org = await self.organizations.by_id(organization_id)
        if org.summary:
            return Doc(id=str(org.id), title="", text=org.summary, district=org.district or "")
        return None

    async def for_opc(self, organization_id: UUID, limit: int = 20) -> list[Recommendation]:
        """为你推荐: open scenarios for one OPC, with its exclusions, without those it turned down, and lower
        when like one it turned down."""
        query = await self.opc_query(organization_id)
        if query is None:
            return []
        cached = await self.scenario_index()
        index = cached.index
        if not len(index):
            return []
        preference = await self.preferences.preference(organization_id)
        feedback = await self.preferences.feedback_of(organization_id)
        allowed = np.ones(len(index), dtype=bool)
        excluded = set(preference.excluded_domains)
        for i, doc in enumerate(index.docs):
            if feedback.get(doc.id) == "not_interested" or excluded & set(doc.domains):
                allowed[i] = False
        rejected_ids = [sid for sid, verdict in feedback.items() if verdict == "not_interested"]
        penalty = self.penalty_from(index, await self.rejected_docs(rejected_ids, cached.model), cached.model)
        is_profile = query.id != str(organization_id)
        vector = (
            await self.embeddings.query_vector(OWNER_PROFILE, query, cached.model) if is_profile else None
        )
        weights = weights_of(self.settings, cached.model)
        results = index.rank(query, vector, weights=weights, limit=limit, allowed=allowed, penalty=penalty)
        return [Recommendation(cached.cards[r.doc.id], r.score, r.explanation) for r in results]

    async def rank_opcs(
        self, scenario: Scenario, limit: int = 10, *, fresh: bool = False
    ) -> list[tuple[Scored, ProfileCard]]:
        """The OPCs that suit a scenario best (verified profiles only), each with its explanation."""
        return await self.rank_profiles(scenario_doc(scenario), limit, fresh=fresh)

    async def rank_profiles(
        self, query: Doc, limit: int = 10, *, kept: bool = True, fresh: bool = False
    ) -> list[tuple[Scored, ProfileCard]]:
        """The verified profiles that suit a need written as ``query``, best first, each with its
        explanation. A scenario's vector is kept (``kept``); another query's (a forum question) is not.
        ``fresh``: from an index of every change committed so far (a push, which decides once)."""
        cached = await self.profile_index(fresh=fresh)
        if not len(cached.index):
            return []
        vector = (
            await self.embeddings.query_vector(OWNER_SCENARIO, query, cached.model)
            if kept
            else await self.embeddings.passing_vector(query, cached.model)
        )
        weights = weights_of(self.settings, cached.model)
        results = cached.index.rank(query, vector, weights=weights, limit=limit)
        return [(r, cached.cards[r.doc.id]) for r in results]

    async def recommended_opcs(self, scenario: Scenario, limit: int = 10) -> list[Recommendation]:
        return [
            Recommendation(card, r.score, r.explanation) for r, card in await self.rank_opcs(scenario, limit)
        ]

    async def similar_scenarios(self, scenario: Scenario, limit: int = 5) -> list[Recommendation]:
        cached = await self.scenario_index()
        query = scenario_doc(scenario)
        vector = await self.embeddings.query_vector(OWNER_SCENARIO, query, cached.model)
        weights = replace(weights_of(self.settings, cached.model), district=0)
        return self._similar(cached, query, vector, weights, limit)

    async def similar_profiles(self, profile: CapabilityProfile, limit: int = 5) -> list[Recommendation]:
        cached = await self.profile_index()
        query = profile_doc(profile)
        vector = await self.embeddings.query_vector(OWNER_PROFILE, query, cached.model)
        return self._similar(cached, query, vector, weights_of(self.settings, cached.model), limit)

    @staticmethod
    def _similar(
        cached: CachedIndex, query: Doc, vector: FloatArray | None, weights: Any, limit: int
    ) -> list[Recommendation]:
        """The nearest others of an index, the query itself left out."""
        index = cached.index
        if not len(index):
            return []
        allowed = np.ones(len(index), dtype=bool)
        itself = index.positions.get(query.id)  # a lookup, not a pass over 50,000 documents per request
        if itself is not None:
            allowed[itself] = False
        results = index.rank(query, vector, weights=weights, limit=limit, allowed=allowed)
        return [Recommendation(cached.cards[r.doc.id], r.score, r.explanation) for r in results]

    # --- what an operator reads ----------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """The model in use and its state (without loading it), and per kind the model whose vectors serve,
        with how many things each model has a vector for (a model change shows its progress here)."""
        embedder = self.embeddings.embedder
        described = (
            embedder.describe()
            if embedder is not None
            else {"model": self.model, "backend": "", "state": "failed", "dim": None, "error": "no embedder"}
        )
        kinds = {}
        for owner_type in (OWNER_SCENARIO, OWNER_PROFILE):
            live = self._live(owner_type)
            kinds[owner_type] = {
                "serving": await self.embeddings.serving_model(owner_type, live),
                "coverage": await self.embeddings.coverage(owner_type, live),
            }
        return {
            **described,
            "degraded": self.degraded,
            "weights": weights_of(self.settings, self.model),
            "kinds": kinds,
        }

    # --- every vector current -------------------------------------------------------------------------------

    async def documents(self) -> list[tuple[str, list[Doc]]]:
        """What ``community matching reindex`` embeds of this zone's kinds: every public scenario and every
        verified profile (the talent zone's kinds: ``TalentMatcher.documents``)."""
        page = await self.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)
        profiles = await self.capabilities.list_verified(CapabilityFilters(), per_page=ALL_ROWS)
        return [
            (OWNER_SCENARIO, [scenario_doc(s) for s in page.items]),
            (OWNER_PROFILE, [profile_doc(p) for p in profiles.items]),
        ]

    async def reindex(self, batch: int = 256) -> dict[str, int]:
        """Compute the vectors of every public scenario and every verified profile whose text or model
        changed (in this transaction: the demo; ``community matching reindex`` covers every kind, batch by
        batch)."""
        if not await self.embeddings.ready():
            embedder = self.embeddings.embedder
            raise EmbedderUnavailableError(embedder.error if embedder else "no embedder")
        counts = {OWNER_SCENARIO: 0, OWNER_PROFILE: 0}
        for owner_type, docs in await self.documents():
            for start in range(0, len(docs), batch):
                counts[owner_type] += await self.embeddings.store(owner_type, docs[start : start + batch])
        return counts

    async def _complete(self) -> bool:
        """Whether every open scenario and verified profile has a vector of the configured model (a cheap
        count, so that the periodic check reads no texts when there is nothing to do; a changed text is
        re-embedded by the job its change enqueued)."""
        live = (
            await self.db.execute(
                select(
                    select(func.count())
                    .select_from(Scenario)
                    .where(Scenario.status.in_(OPEN_STATUSES))
                    .scalar_subquery(),
                    select(func.count())
                    .select_from(CapabilityProfile)
                    .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
                    .scalar_subquery(),
                )
            )
        ).one()
        for owner_type, count in zip((OWNER_SCENARIO, OWNER_PROFILE), live, strict=True):
            covered = (await self.embeddings.coverage(owner_type, self._live(owner_type))).get(self.model, 0)
            if covered < count:
                return False
        return True

    async def catch_up(self, batch: int) -> int:
        """Compute at most ``batch`` missing or stale vectors of the configured model (scenarios open for
        interest first, then verified profiles); the number computed. After a model change this is what
        fills the new model's vectors, a batch per job, while the old model's keep serving."""
        if self.degraded or await self._complete():
            return 0
        page = await self.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)
        scenarios = [scenario_doc(s) for s in page.items if s.status in OPEN_STATUSES]
        todo: list[tuple[str, Doc]] = [
            (OWNER_SCENARIO, d) for d in await self.embeddings.missing(OWNER_SCENARIO, scenarios)
        ]
        if len(todo) < batch:
            profiles = await self.capabilities.list_verified(CapabilityFilters(), per_page=ALL_ROWS)
            docs = [profile_doc(p) for p in profiles.items]
            todo += [(OWNER_PROFILE, d) for d in await self.embeddings.missing(OWNER_PROFILE, docs)]
        todo = todo[:batch]
        done = 0
        for owner_type in (OWNER_SCENARIO, OWNER_PROFILE):
            docs = [d for kind, d in todo if kind == owner_type]
            done += await self.embeddings.store_quietly(owner_type, docs)
        return done

    async def embed_owner(self, owner_type: str, owner_id: UUID) -> int:
        try:
            if owner_type == OWNER_SCENARIO:
                doc = scenario_doc(await self.scenarios.get(owner_id))
            else:
                doc = profile_doc(await self.capabilities.get(owner_id))
        except NotFound:
            return 0
        return await self.embeddings.store_quietly(owner_type, [doc])


def apart_service(
    db: AsyncSession, settings: Settings, standing: tuple[str, str | None] | None
) -> MatchingService:
    """In a child process that builds an index: the service as the parent has it, on stored vectors only."""
    embedder = Embedder.from_standing(standing) if standing is not None else None
    return MatchingService(db, settings, embedder, compute=False)


async def build_profile_index_apart(
    db: AsyncSession, settings: Settings, standing: tuple[str, str | None] | None
) -> tuple[CachedIndex, int]:
    return await apart_service(db, settings, standing)._build_profile_index(db)


async def build_scenario_index_apart(
    db: AsyncSession, settings: Settings, standing: tuple[str, str | None] | None
) -> tuple[CachedIndex, int]:
    return await apart_service(db, settings, standing)._build_scenario_index(db)
