"""Matching over the database: documents from the scenario zone's services, stored embeddings, the in-memory
indexes (rebuilt when what they hold changed), recommendations both ways, feedback, and the push of a newly
published scenario to the OPCs that suit it (quota, notification, email rhythm)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ARRAY, ColumnElement, Uuid, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import OrgType, User
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.matching.embedder import Embedder, EmbedderUnavailableError, text_hash
from community.matching.models import (
    OWNER_PROFILE,
    OWNER_SCENARIO,
    RHYTHMS,
    VERDICTS,
    Embedding,
    Feedback,
    Preference,
    Push,
    PushQuota,
    Subscription,
)
from community.matching.ranker import Doc, Explanation, FloatArray, Index, Scored, Weights
from community.notifications.services import NotificationService
from community.scenarios.models import (
    CapabilityItem,
    CapabilityProfile,
    ProfileStatus,
    Scenario,
    ScenarioStatus,
)
from community.scenarios.services.capabilities import CapabilityFilters, CapabilityService, capability_url
from community.scenarios.services.scenarios import ScenarioFilters, ScenarioService, scenario_url
from community.vocabulary import DOMAINS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

logger = logging.getLogger(__name__)
SITE_TZ = ZoneInfo("Asia/Shanghai")
OPEN_STATUSES = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
ALL_ROWS = 1_000_000
JOB_EMBED = "matching.embed"
JOB_PUBLISHED = "matching.scenario_published"
JOB_EMAIL = "matching.email"


def weights_of(settings: Settings) -> Weights:
    return Weights(
        semantic=settings.matching_weight_semantic,
        lexical=settings.matching_weight_lexical,
        domain=settings.matching_weight_domain,
        district=settings.matching_weight_district,
        feedback=settings.matching_weight_feedback,
    )


def week_start(moment: datetime | None = None) -> date:
    """Monday of the week (Asia/Shanghai) that ``moment`` falls in."""
    local = (moment or datetime.now(UTC)).astimezone(SITE_TZ).date()
    return local - timedelta(days=local.weekday())


def next_digest_at(rhythm: str, moment: datetime | None = None) -> datetime:
    """When the next digest of a rhythm goes out: now, 09:00 tomorrow or 09:00 next Monday (Asia/Shanghai)."""
    now = (moment or datetime.now(UTC)).astimezone(SITE_TZ)
    if rhythm == "daily":
        day = now.date() + timedelta(days=1)
    elif rhythm == "weekly":
        day = now.date() + timedelta(days=7 - now.weekday())
    else:
        return now.astimezone(UTC)
    return datetime(day.year, day.month, day.day, 9, tzinfo=SITE_TZ).astimezone(UTC)


# --- documents ----------------------------------------------------------------------------------------------


def any_owner_id(ids: Iterable[str]) -> ColumnElement[Any]:
    """``= ANY(:ids)`` with the ids as one uuid[] parameter: ``IN (...)`` binds one parameter per id, and
    PostgreSQL's protocol stops at 32,767 of them (a profile index past that size would fail)."""
    return any_(bindparam("owner_ids", [UUID(i) for i in ids], type_=ARRAY(Uuid())))


@dataclass(frozen=True)
class ProfileCard:
    """What a page shows of a recommended OPC (plain data: cached across requests)."""

    profile_id: UUID
    organization_id: UUID
    name: str
    slug: str
    summary: str
    district: str
    domains: tuple[str, ...]

    @property
    def url(self) -> str:
        return capability_url(self.slug)


@dataclass(frozen=True)
class ScenarioCard:
    scenario_id: UUID
    organization_id: UUID
    organization_name: str
    title: str
    abstract: str
    district: str
    domains: tuple[str, ...]
    published_at: datetime | None

    @property
    def url(self) -> str:
        return scenario_url(self.scenario_id)


def scenario_doc(scenario: Scenario) -> Doc:
    """Only what a visitor may read (title, abstract, domains): the details are confidential, and a match's
    key terms must never reveal them."""
    return Doc(
        id=str(scenario.id),
        title=scenario.title,
        text=scenario.abstract,
        domains=tuple(scenario.domains),
        district=scenario.district,
    )


def profile_doc(profile: CapabilityProfile) -> Doc:
    technologies = "；".join(item.technology for item in profile.items)
    return Doc(
        id=str(profile.id),
        title="",
        text=f"{profile.summary}\n{technologies}\n{profile.cases}",
        domains=tuple(profile.domains),
        district=profile.district,
        capabilities=tuple((item.domain, item.technology) for item in profile.items),
    )


def embedding_text(doc: Doc) -> str:
    return "\n".join(part for part in (doc.title, doc.text, " ".join(doc.domains)) if part)


def scenario_card(scenario: Scenario) -> ScenarioCard:
    return ScenarioCard(
        scenario_id=scenario.id,
        organization_id=scenario.organization_id,
        organization_name=scenario.organization.name,
        title=scenario.title,
        abstract=scenario.abstract,
        district=scenario.district,
        domains=tuple(scenario.domains),
        published_at=scenario.published_at,
    )


def profile_card(profile: CapabilityProfile) -> ProfileCard:
    return ProfileCard(
        profile_id=profile.id,
        organization_id=profile.organization_id,
        name=profile.organization.name,
        slug=profile.organization.slug,
        summary=profile.summary,
        district=profile.district,
        domains=tuple(profile.domains),
    )


# --- explanations in plain words ---------------------------------------------------------------------------


def reasons(explanation: Explanation | dict[str, Any]) -> list[str]:
    """The explanation of one match as sentences in the reader's language."""
    if isinstance(explanation, dict):
        explanation = Explanation.from_dict(explanation)
    sep = _("、")
    lines = []
    if explanation.domains:
        lines.append(_("Same domains: %(domains)s", domains=sep.join(explanation.domains)))
    if explanation.capabilities:
        lines.append(
            _(
                "Capabilities that answer it: %(capabilities)s",
                capabilities=sep.join(explanation.capabilities),
            )
        )
    if explanation.terms:
        lines.append(_("Key terms in both: %(terms)s", terms=sep.join(explanation.terms)))
    if explanation.same_district:
        lines.append(_("Both in %(district)s", district=explanation.same_district))
    if explanation.degraded:
        lines.append(_("Matched without the language model for now: only words, domains and district count."))
    elif not lines:
        lines.append(_("Similar in meaning, though it shares no domain or key term."))
    return lines


# --- the in-memory indexes ----------------------------------------------------------------------------------


@dataclass
class CachedIndex:
    key: tuple[Any, ...]
    index: Index
    cards: dict[str, Any] = field(default_factory=dict)


_cache: dict[tuple[str, str], CachedIndex] = {}


@dataclass(frozen=True)
class Recommendation:
    card: Any
    score: float
    explanation: Explanation

    @property
    def reasons(self) -> list[str]:
        return reasons(self.explanation)


class MatchingService:
    def __init__(self, db: AsyncSession, settings: Settings, embedder: Embedder | None) -> None:
        self.db = db
        self.settings = settings
        self.embedder = embedder
        self.weights = weights_of(settings)
        self.scenarios = ScenarioService(db)
        self.capabilities = CapabilityService(db)
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)

    @property
    def model(self) -> str:
        return self.embedder.name if self.embedder else "none"

    @property
    def degraded(self) -> bool:
        return self.embedder is None or not self.embedder.ready

    # --- embeddings -----------------------------------------------------------------------------------------

    async def _semantic_ready(self) -> bool:
        if self.embedder is None:
            return False
        return await self.embedder.load()

    async def store_embeddings(self, owner_type: str, docs: Sequence[Doc]) -> int:
        """Compute and keep the vectors of ``docs`` whose text (or the model) changed; the number computed."""
        if not docs or not await self._semantic_ready():
            return 0
        assert self.embedder is not None
        texts = {doc.id: embedding_text(doc) for doc in docs}
        hashes = {doc_id: text_hash(text) for doc_id, text in texts.items()}
        stored = {
            str(owner_id): h
            for owner_id, h in await self.db.execute(
                select(Embedding.owner_id, Embedding.text_hash).where(
                    Embedding.owner_type == owner_type,
                    Embedding.model == self.model,
                    Embedding.owner_id == any_owner_id(texts),
                )
            )
        }
        todo = [doc_id for doc_id in texts if stored.get(doc_id) != hashes[doc_id]]
        if not todo:
            return 0
        vectors = await self.embedder.encode([texts[doc_id] for doc_id in todo])
        for doc_id, vector in zip(todo, vectors, strict=True):
            statement = insert(Embedding).values(
                owner_type=owner_type,
                owner_id=UUID(doc_id),
                model=self.model,
                text_hash=hashes[doc_id],
                dim=len(vector),
                vector=[float(x) for x in vector],
            )
            await self.db.execute(
                statement.on_conflict_do_update(
                    constraint="uq_match_embedding_owner_model",
                    set_={
                        "text_hash": statement.excluded.text_hash,
                        "dim": statement.excluded.dim,
                        "vector": statement.excluded.vector,
                        "updated_at": func.now(),
                    },
                )
            )
        return len(todo)

    async def vectors(self, owner_type: str, ids: Sequence[str]) -> dict[str, FloatArray]:
        if self.degraded or not ids:
            return {}
        rows = await self.db.execute(
            select(Embedding.owner_id, Embedding.vector).where(
                Embedding.owner_type == owner_type,
                Embedding.model == self.model,
                Embedding.owner_id == any_owner_id(ids),
            )
        )
        return {str(owner_id): np.asarray(vector, dtype=np.float32) for owner_id, vector in rows}

    async def query_vector(self, owner_type: str, doc: Doc) -> FloatArray | None:
        """The stored vector of ``doc`` if its text is current, else computed now (and kept)."""
        if not await self._semantic_ready():
            return None
        row = await self.db.execute(
            select(Embedding.vector, Embedding.text_hash).where(
                Embedding.owner_type == owner_type,
                Embedding.owner_id == UUID(doc.id),
                Embedding.model == self.model,
            )
        )
        found = row.first()
        if found is not None and found.text_hash == text_hash(embedding_text(doc)):
            return np.asarray(found.vector, dtype=np.float32)
        try:
            await self.store_embeddings(owner_type, [doc])
        except EmbedderUnavailableError:
            return None
        vectors = await self.vectors(owner_type, [doc.id])
        return vectors.get(doc.id)

    def _matrix(self, docs: Sequence[Doc], vectors: dict[str, FloatArray]) -> FloatArray | None:
        if not vectors or self.embedder is None or not self.embedder.dim:
            return None
        matrix = np.zeros((len(docs), self.embedder.dim), dtype=np.float32)
        for i, doc in enumerate(docs):
            vector = vectors.get(doc.id)
            if vector is not None and len(vector) == self.embedder.dim:
                matrix[i] = vector
        return matrix

    # --- indexes --------------------------------------------------------------------------------------------

    async def _embedding_version(self, owner_type: str) -> tuple[Any, ...]:
        row = (
            await self.db.execute(
                select(func.count(), func.max(Embedding.updated_at)).where(
                    Embedding.owner_type == owner_type, Embedding.model == self.model
                )
            )
        ).one()
        return (row[0], row[1])

    async def profile_index(self) -> CachedIndex:
        """Every verified profile. Rebuilt when a profile, its items or their vectors changed."""
        # A cheap freshness check; the profiles themselves are read through the scenario zone's service.
        verified = CapabilityProfile.status == ProfileStatus.VERIFIED
        version = (
            await self.db.execute(
                select(
                    select(func.count()).select_from(CapabilityProfile).where(verified).scalar_subquery(),
                    select(func.max(CapabilityProfile.updated_at)).where(verified).scalar_subquery(),
                    select(func.count()).select_from(CapabilityItem).scalar_subquery(),
                    select(func.max(CapabilityItem.updated_at)).scalar_subquery(),
                )
            )
        ).one()
        key = (tuple(map(str, version)), await self._embedding_version(OWNER_PROFILE), self.degraded)
        cache_key = (OWNER_PROFILE, self.model)
        cached = _cache.get(cache_key)
        if cached is not None and cached.key == key:
            return cached
        page = await self.capabilities.list_verified(CapabilityFilters(), per_page=ALL_ROWS)
        docs = [profile_doc(p) for p in page.items]
        vectors = await self.vectors(OWNER_PROFILE, [d.id for d in docs])
        index = Index(docs, self._matrix(docs, vectors))
        cached = CachedIndex(key, index, {str(p.id): profile_card(p) for p in page.items})
        _cache[cache_key] = cached
        return cached

    async def scenario_index(self) -> CachedIndex:
        """Every scenario open for interest (published or docking)."""
        version = (
            await self.db.execute(
                select(func.count(), func.max(Scenario.updated_at)).where(Scenario.status.in_(OPEN_STATUSES))
            )
        ).one()
        key = (tuple(map(str, version)), await self._embedding_version(OWNER_SCENARIO), self.degraded)
        cache_key = (OWNER_SCENARIO, self.model)
        cached = _cache.get(cache_key)
        if cached is not None and cached.key == key:
            return cached
        page = await self.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)
        items = [s for s in page.items if s.status in OPEN_STATUSES]
        docs = [scenario_doc(s) for s in items]
        vectors = await self.vectors(OWNER_SCENARIO, [d.id for d in docs])
        index = Index(docs, self._matrix(docs, vectors))
        cached = CachedIndex(key, index, {str(s.id): scenario_card(s) for s in items})
        _cache[cache_key] = cached
        return cached

    # --- feedback and preferences ---------------------------------------------------------------------------

    async def preference(self, organization_id: UUID) -> Preference:
        found = await self.db.scalar(select(Preference).where(Preference.organization_id == organization_id))
        return found or Preference(organization_id=organization_id, excluded_domains=[], paused=False)

    async def save_preference(
        self, organization_id: UUID, excluded_domains: Sequence[str], paused: bool
    ) -> Preference:
        domains = [d for d in dict.fromkeys(excluded_domains) if d in DOMAINS]
        statement = insert(Preference).values(
            organization_id=organization_id, excluded_domains=domains, paused=paused
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["organization_id"],
                set_={"excluded_domains": domains, "paused": paused, "updated_at": func.now()},
            )
        )
        return await self.preference(organization_id)

    async def subscription(self, user_id: UUID) -> Subscription:
        found = await self.db.scalar(select(Subscription).where(Subscription.user_id == user_id))
        return found or Subscription(user_id=user_id, rhythm=self.settings.matching_default_rhythm)

    async def set_rhythm(self, user_id: UUID, rhythm: str) -> None:
        if rhythm not in RHYTHMS:
            raise FormError({"rhythm": _("Choose how often you want email.")})
        statement = insert(Subscription).values(user_id=user_id, rhythm=rhythm)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={
                    "rhythm": rhythm,
                    "unsubscribed_at": None if rhythm != "off" else func.now(),
                    "updated_at": func.now(),
                },
            )
        )

    async def unsubscribe(self, user_id: UUID) -> None:
        statement = insert(Subscription).values(user_id=user_id, rhythm="off", unsubscribed_at=func.now())
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={"rhythm": "off", "unsubscribed_at": func.now(), "updated_at": func.now()},
            )
        )

    async def feedback_of(self, organization_id: UUID) -> dict[str, str]:
        rows = await self.db.execute(
            select(Feedback.scenario_id, Feedback.verdict).where(Feedback.organization_id == organization_id)
        )
        return {str(scenario_id): verdict for scenario_id, verdict in rows}

    async def give_feedback(
        self, actor: User, organization_id: UUID, scenario_id: UUID, verdict: str
    ) -> None:
        if verdict not in VERDICTS:
            raise FormError({"verdict": _("Choose interested or not interested.")})
        org = await self.organizations.by_id(organization_id)
        if org.org_type is not OrgType.OPC or await self.organizations.role_of(actor, org) is None:
            raise NotFound
        scenario, _access = await self.scenarios.get_for(actor, scenario_id)
        statement = insert(Feedback).values(
            organization_id=org.id, scenario_id=scenario.id, user_id=actor.id, verdict=verdict
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                constraint="uq_match_feedback_org_scenario",
                set_={"verdict": verdict, "user_id": actor.id, "updated_at": func.now()},
            )
        )

    def _penalty_from(
        self, index: Index, rejected: Sequence[tuple[Doc, FloatArray | None]], candidate_rows: Sequence[int]
    ) -> FloatArray:
        """Per row of a scenario index: how like a rejected scenario it is (cosine, or shared domains)."""
        penalty = np.zeros(len(index), dtype=np.float32)
        for doc, vector in rejected:
            sims = index.cosine(vector) if vector is not None else None
            if sims is None:
                sims = index.domain_jaccard(doc.domains)
            penalty = np.maximum(penalty, np.clip(sims, 0, 1).astype(np.float32))
        return penalty

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
        preference = await self.preference(organization_id)
        feedback = await self.feedback_of(organization_id)
        allowed = np.ones(len(index), dtype=bool)
        excluded = set(preference.excluded_domains)
        for i, doc in enumerate(index.docs):
            if feedback.get(doc.id) == "not_interested" or excluded & set(doc.domains):
                allowed[i] = False
        rejected_ids = [sid for sid, verdict in feedback.items() if verdict == "not_interested"]
        rejected = await self._rejected_docs(rejected_ids)
        penalty = self._penalty_from(index, rejected, range(len(index)))
        vector = await self.query_vector(OWNER_PROFILE, query) if query.id != str(organization_id) else None
        results = index.rank(
            query, vector, weights=self.weights, limit=limit, allowed=allowed, penalty=penalty
        )
        return [Recommendation(cached.cards[r.doc.id], r.score, r.explanation) for r in results]

    async def _rejected_docs(self, scenario_ids: Sequence[str]) -> list[tuple[Doc, FloatArray | None]]:
        docs = []
        vectors = await self.vectors(OWNER_SCENARIO, scenario_ids)
        for sid in scenario_ids:
            try:
                scenario = await self.scenarios.get(UUID(sid))
            except NotFound:
                continue
            docs.append((scenario_doc(scenario), vectors.get(sid)))
        return docs

    async def rank_opcs(self, scenario: Scenario, limit: int = 10) -> list[tuple[Scored, ProfileCard]]:
        """The OPCs that suit a scenario best (verified profiles only), each with its explanation."""
        cached = await self.profile_index()
        if not len(cached.index):
            return []
        query = scenario_doc(scenario)
        vector = await self.query_vector(OWNER_SCENARIO, query)
        results = cached.index.rank(query, vector, weights=self.weights, limit=limit)
        return [(r, cached.cards[r.doc.id]) for r in results]

    async def recommended_opcs(self, scenario: Scenario, limit: int = 10) -> list[Recommendation]:
        return [
            Recommendation(card, r.score, r.explanation) for r, card in await self.rank_opcs(scenario, limit)
        ]

    async def similar_scenarios(self, scenario: Scenario, limit: int = 5) -> list[Recommendation]:
        cached = await self.scenario_index()
        index = cached.index
        if not len(index):
            return []
        query = scenario_doc(scenario)
        allowed = np.array([doc.id != query.id for doc in index.docs], dtype=bool)
        vector = await self.query_vector(OWNER_SCENARIO, query)
        results = index.rank(
            query, vector, weights=replace(self.weights, district=0), limit=limit, allowed=allowed
        )
        return [Recommendation(cached.cards[r.doc.id], r.score, r.explanation) for r in results]

    async def similar_profiles(self, profile: CapabilityProfile, limit: int = 5) -> list[Recommendation]:
        cached = await self.profile_index()
        index = cached.index
        if not len(index):
            return []
        query = profile_doc(profile)
        allowed = np.array([doc.id != query.id for doc in index.docs], dtype=bool)
        vector = await self.query_vector(OWNER_PROFILE, query)
        results = index.rank(query, vector, weights=self.weights, limit=limit, allowed=allowed)
        return [Recommendation(cached.cards[r.doc.id], r.score, r.explanation) for r in results]

    # --- push -----------------------------------------------------------------------------------------------

    async def take_quota(self, organization_id: UUID, week: date) -> bool:
        """Count one push against the OPC's week; False when the week's cap is reached. The row lock of the
        conditional update and the table's check make the cap hold with any number of workers."""
        await self.db.execute(
            insert(PushQuota)
            .values(organization_id=organization_id, week_start=week, cap=self.settings.matching_weekly_cap)
            .on_conflict_do_nothing(index_elements=["organization_id", "week_start"])
        )
        taken = await self.db.execute(
            update(PushQuota)
            .where(
                PushQuota.organization_id == organization_id,
                PushQuota.week_start == week,
                PushQuota.used < PushQuota.cap,
            )
            .values(used=PushQuota.used + 1)
            .returning(PushQuota.used)
        )
        return taken.first() is not None

    async def push_scenario(self, scenario_id: UUID) -> list[Push]:
        """Push a newly published scenario to the best OPCs above the threshold, once per OPC."""
        try:
            scenario = await self.scenarios.get(scenario_id)
        except NotFound:
            return []
        if scenario.status not in OPEN_STATUSES:
            return []
        await self.store_embeddings(OWNER_SCENARIO, [scenario_doc(scenario)])
        ranked = await self.rank_opcs(scenario, limit=self.settings.matching_push_top * 3)
        week = week_start()
        pushed: list[Push] = []
        already = set(
            await self.db.scalars(select(Push.organization_id).where(Push.scenario_id == scenario.id))
        )
        query = scenario_doc(scenario)
        for scored, card in ranked:
            if len(pushed) >= self.settings.matching_push_top:
                break
            if scored.score < self.settings.matching_push_threshold:
                break
            org_id = card.organization_id
            if org_id in already or org_id == scenario.organization_id:
                continue
            preference = await self.preference(org_id)
            if preference.paused or set(preference.excluded_domains) & set(scenario.domains):
                continue
            feedback = await self.feedback_of(org_id)
            if feedback.get(str(scenario.id)) == "not_interested":
                continue
            rejected = await self._rejected_docs([s for s, v in feedback.items() if v == "not_interested"])
            if rejected:
                single = Index([query], self._matrix([query], await self.vectors(OWNER_SCENARIO, [query.id])))
                if self.weights.feedback * float(self._penalty_from(single, rejected, [0])[0]) > (
                    scored.score - self.settings.matching_push_threshold
                ):
                    continue
            if not await self.take_quota(org_id, week):
                continue
            push = Push(
                scenario_id=scenario.id,
                organization_id=org_id,
                score=round(scored.score, 4),
                explanation=scored.explanation.as_dict(),
                week_start=week,
            )
            self.db.add(push)
            await self.db.flush()
            pushed.append(push)
            await self._announce(scenario, push)
        return pushed

    async def _announce(self, scenario: Scenario, push: Push) -> None:
        members = await self.organizations.member_ids(push.organization_id)
        why = "；".join(reasons(push.explanation))
        await self.notifications.notify_many(
            members,
            "matching.recommended",
            _("Recommended for you: “%(title)s”. Why: %(why)s", title=scenario.title, why=why),
            scenario_url(scenario),
        )
        for user_id in members:
            subscription = await self.subscription(user_id)
            if subscription.rhythm == "off" or subscription.unsubscribed_at is not None:
                continue
            run_at = next_digest_at(subscription.rhythm)
            key = (
                f"{JOB_EMAIL}:{user_id}:{push.id}"
                if subscription.rhythm == "immediate"
                else f"{JOB_EMAIL}:{user_id}:{subscription.rhythm}"
            )
            await enqueue(self.db, JOB_EMAIL, {"user_id": str(user_id)}, run_at=run_at, dedupe_key=key)

    async def pushes_to_mail(self, user_id: UUID) -> list[tuple[Push, ScenarioCard]]:
        """Pushes to the member's OPCs since their last recommendation mail (the first mail: this week)."""
        subscription = await self.subscription(user_id)
        since = subscription.last_emailed_at or (datetime.now(UTC) - timedelta(days=7))
        orgs = [
            org.id
            for org, _role in await self.organizations.organizations_of(await self._user(user_id))
            if org.org_type is OrgType.OPC
        ]
        if not orgs:
            return []
        pushes = (
            await self.db.scalars(
                select(Push)
                .where(Push.organization_id.in_(orgs), Push.created_at > since)
                .order_by(Push.score.desc())
            )
        ).all()
        out = []
        for push in pushes:
            try:
                scenario = await self.scenarios.get(push.scenario_id)
            except NotFound:
                continue
            if scenario.status in OPEN_STATUSES:
                out.append((push, scenario_card(scenario)))
        return out

    async def _user(self, user_id: UUID) -> User:
        user = await self.db.get(User, user_id)
        if user is None:
            raise NotFound
        return user

    async def mark_mailed(self, user_id: UUID, at: datetime) -> None:
        statement = insert(Subscription).values(
            user_id=user_id, rhythm=self.settings.matching_default_rhythm, last_emailed_at=at
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"last_emailed_at": at, "updated_at": func.now()}
            )
        )

    # --- everything again -----------------------------------------------------------------------------------

    async def reindex(self, batch: int = 256) -> dict[str, int]:
        """Compute the vectors of every scenario open for interest and every profile whose text or model
        changed."""
        if not await self._semantic_ready():
            raise EmbedderUnavailableError(self.embedder.error if self.embedder else "no embedder")
        counts = {OWNER_SCENARIO: 0, OWNER_PROFILE: 0}
        page = await self.scenarios.list_public(ScenarioFilters(), per_page=ALL_ROWS)
        docs = [scenario_doc(s) for s in page.items]
        for start in range(0, len(docs), batch):
            counts[OWNER_SCENARIO] += await self.store_embeddings(OWNER_SCENARIO, docs[start : start + batch])
        profiles = await self.capabilities.list_verified(CapabilityFilters(), per_page=ALL_ROWS)
        pdocs = [profile_doc(p) for p in profiles.items]
        for start in range(0, len(pdocs), batch):
            counts[OWNER_PROFILE] += await self.store_embeddings(OWNER_PROFILE, pdocs[start : start + batch])
        return counts

    async def embed_owner(self, owner_type: str, owner_id: UUID) -> int:
        if owner_type == OWNER_SCENARIO:
            try:
                doc = scenario_doc(await self.scenarios.get(owner_id))
            except NotFound:
                return 0
        else:
            try:
                doc = profile_doc(await self.capabilities.get(owner_id))
            except NotFound:
                return 0
        try:
            return await self.store_embeddings(owner_type, [doc])
        except EmbedderUnavailableError:
            return 0
