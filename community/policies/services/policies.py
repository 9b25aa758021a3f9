"""Policies: admins write, publish, change and withdraw them; every organization sees which it qualifies
for and what it misses; a published (or materially changed) policy is handed to matching to push.

Policies never import matching: publishing enqueues ``matching.policy_published`` by name, and matching
calls back into this service for the qualifying organizations and to record each delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import SLUG_RE, URL_RE, OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.markup import clean_body, clean_line
from community.policies.labels import BENEFIT_KINDS, benefit_kind_label
from community.policies.models import Policy, PolicyDelivery, PolicyStatus
from community.policies.services.eligibility import (
    CompiledConditions,
    Conditions,
    Facts,
    Verdict,
    compile_conditions,
    validate_conditions,
)
from community.policies.services.facts import FactsService, today
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert
from community.vocabulary import DISTRICTS, DOMAINS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

POLICY_DOC_TYPE = "policy"
JOB_POLICY_PUBLISHED = "matching.policy_published"
TITLE_MAX = 120
SUMMARY_MAX = 5000
HOW_MAX = 5000
UNIT_MAX = 200
MEASURE_MAX = 40
URL_MAX = 500
BENEFITS_MAX = 8
BENEFIT_TEXT_MAX = 300
AMOUNT_MAX = 100
CAP_MAX = 10_000_000_000
MONTHS_MAX = 240
PAGE_SIZE = 30
ALL_ROWS = 1_000_000


def policy_url(policy: Policy | str) -> str:
    return f"/policies/{policy.slug if isinstance(policy, Policy) else policy}"


def now() -> datetime:
    return datetime.now(UTC)


# --- what a page or the API shows of a policy (plain data: kept across requests) ---------------------------


@dataclass(frozen=True)
class Benefit:
    kind: str
    description: str
    amount: str = ""
    cap_yuan: int | None = None
    months: int | None = None

    @property
    def kind_label(self) -> str:
        return benefit_kind_label(self.kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "amount": self.amount,
            "cap_yuan": self.cap_yuan,
            "months": self.months,
        }


def benefits_of(policy: Policy) -> list[Benefit]:
    return [
        Benefit(
            kind=str(b.get("kind", "")),
            description=str(b.get("description", "")),
            amount=str(b.get("amount") or ""),
            cap_yuan=b.get("cap_yuan"),
            months=b.get("months"),
        )
        for b in policy.benefits
    ]


@dataclass(frozen=True)
class PolicyCard:
    id: UUID
    slug: str
    title: str
    summary: str
    source_measure: str
    issuing_unit: str
    deadline: date | None
    auto_granted: bool
    version: int
    benefits: tuple[Benefit, ...]

    @property
    def url(self) -> str:
        return policy_url(self.slug)


def policy_card(policy: Policy) -> PolicyCard:
    return PolicyCard(
        id=policy.id,
        slug=policy.slug,
        title=policy.title,
        summary=policy.summary,
        source_measure=policy.source_measure,
        issuing_unit=policy.issuing_unit,
        deadline=policy.deadline,
        auto_granted=policy.auto_granted,
        version=policy.version,
        benefits=tuple(benefits_of(policy)),
    )


def policy_document(policy: Policy) -> SearchDocument:
    """How a published policy appears in search: all of it is public."""
    benefits = "\n".join(
        f"{benefit_kind_label(b.kind)} {b.description} {b.amount}" for b in benefits_of(policy)
    )
    return SearchDocument(
        doc_type=POLICY_DOC_TYPE,
        doc_id=str(policy.id),
        title=policy.title,
        body=f"{policy.summary}\n{benefits}\n{policy.issuing_unit}\n{policy.source_measure}",
        url=policy_url(policy),
        domains=list(Conditions.from_json(policy.conditions).domains),
        status=policy.status.value,
        published_at=policy.published_at,
        extra={"meta": policy.issuing_unit},
    )


async def policy_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every published policy, for rebuilding the index."""
    rows = await db.stream_scalars(
        select(Policy).where(Policy.status == PolicyStatus.PUBLISHED).order_by(Policy.published_at)
    )
    async for policy in rows:
        yield policy_document(policy)


# --- input -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInput:
    """What an admin sends, from the form or the API, before it is checked."""

    title: str = ""
    slug: str = ""
    summary: str = ""
    source_measure: str = ""
    issuing_unit: str = ""
    how_to_apply: str = ""
    apply_url: str = ""
    deadline: str = ""
    auto_granted: bool = False
    benefits: tuple[dict[str, str], ...] = ()
    conditions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> PolicyInput:
        """Benefit rows arrive as benefit_kind_0, benefit_description_0, ... (blank rows are dropped)."""

        def one(name: str) -> str:
            value = data.get(name, "")
            if isinstance(value, list):
                value = value[-1] if value else ""
            return str(value)

        rows = []
        for i in range(BENEFITS_MAX):
            row = {
                key: one(f"benefit_{key}_{i}").strip()
                for key in ("kind", "description", "amount", "cap_yuan", "months")
            }
            rows.append(row)
        conditions = {
            key: data.get(key, []) for key in ("org_types", "domains", "districts", "stages", "activities")
        }
        for key in ("age_min_months", "age_max_months", "team_min", "team_max"):
            conditions[key] = one(key)
        for key in ("verified_capability", "approved_product"):
            conditions[key] = one(key)
        return cls(
            title=one("title"),
            slug=one("slug"),
            summary=one("summary"),
            source_measure=one("source_measure"),
            issuing_unit=one("issuing_unit"),
            how_to_apply=one("how_to_apply"),
            apply_url=one("apply_url"),
            deadline=one("deadline"),
            auto_granted=one("auto_granted") in ("1", "on", "true"),
            benefits=tuple(rows),
            conditions=conditions,
        )


@dataclass(frozen=True)
class PolicyValues:
    title: str
    slug: str
    summary: str
    source_measure: str
    issuing_unit: str
    how_to_apply: str
    apply_url: str | None
    deadline: date | None
    auto_granted: bool
    benefits: list[dict[str, Any]]
    conditions: Conditions


def _text(raw: str, name: str, limit: int, errors: dict[str, str], *, required: bool, line: bool) -> str:
    value = clean_line(raw) if line else clean_body(raw)
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("Use at most %(n)s characters.", n=limit)
    return value


def _whole(raw: Any, name: str, high: int, errors: dict[str, str], low: int = 0) -> int | None:
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = _("Enter a whole number.")
        return None
    if not low <= value <= high:
        errors[name] = _("Enter a number between %(low)s and %(high)s.", low=low, high=high)
        return None
    return value


def validate_policy(data: PolicyInput) -> tuple[PolicyValues, dict[str, str]]:
    errors: dict[str, str] = {}
    title = _text(data.title, "title", TITLE_MAX, errors, required=True, line=True)
    slug = clean_line(data.slug).lower()
    if not slug:
        errors["slug"] = _("This field is required.")
    elif not SLUG_RE.match(slug):
        errors["slug"] = _("Use lowercase letters, digits and hyphens, for example compute-voucher.")
    summary = _text(data.summary, "summary", SUMMARY_MAX, errors, required=True, line=False)
    measure = _text(data.source_measure, "source_measure", MEASURE_MAX, errors, required=False, line=True)
    unit = _text(data.issuing_unit, "issuing_unit", UNIT_MAX, errors, required=True, line=True)
    how = _text(data.how_to_apply, "how_to_apply", HOW_MAX, errors, required=False, line=False)
    apply_url = clean_line(data.apply_url) or None
    if apply_url and (len(apply_url) > URL_MAX or not URL_RE.match(apply_url)):
        errors["apply_url"] = _("Enter a full address starting with http:// or https://.")
    deadline = None
    if data.deadline.strip():
        try:
            deadline = date.fromisoformat(data.deadline.strip())
        except ValueError:
            errors["deadline"] = _("Enter the date as YYYY-MM-DD, for example 2028-12-31.")
    benefits: list[dict[str, Any]] = []
    for i, row in enumerate(data.benefits):
        if not any(str(v).strip() for v in row.values()):
            continue
        if len(benefits) >= BENEFITS_MAX:
            errors["benefits"] = _("At most %(n)s benefits.", n=BENEFITS_MAX)
            break
        kind = str(row.get("kind") or "").strip()
        if kind not in BENEFIT_KINDS:
            errors[f"benefit_kind_{i}"] = _("Choose the kind of benefit.")
        description = _text(
            str(row.get("description") or ""),
            f"benefit_description_{i}",
            BENEFIT_TEXT_MAX,
            errors,
            required=True,
            line=True,
        )
        amount = _text(
            str(row.get("amount") or ""), f"benefit_amount_{i}", AMOUNT_MAX, errors, required=False, line=True
        )
        cap = _whole(row.get("cap_yuan"), f"benefit_cap_yuan_{i}", CAP_MAX, errors)
        months = _whole(row.get("months"), f"benefit_months_{i}", MONTHS_MAX, errors, low=1)
        benefits.append(
            {"kind": kind, "description": description, "amount": amount, "cap_yuan": cap, "months": months}
        )
    if not benefits and "benefits" not in errors:
        errors["benefits"] = _("Describe at least one benefit.")
    conditions = validate_conditions(data.conditions, errors)
    values = PolicyValues(
        title=title,
        slug=slug,
        summary=summary,
        source_measure=measure,
        issuing_unit=unit,
        how_to_apply=how,
        apply_url=apply_url,
        deadline=deadline,
        auto_granted=data.auto_granted,
        benefits=benefits,
        conditions=conditions,
    )
    return values, errors


def form_of(policy: Policy) -> dict[str, Any]:
    """A policy as its edit form shows it."""
    conditions = Conditions.from_json(policy.conditions)
    form: dict[str, Any] = {
        "title": policy.title,
        "slug": policy.slug,
        "summary": policy.summary,
        "source_measure": policy.source_measure,
        "issuing_unit": policy.issuing_unit,
        "how_to_apply": policy.how_to_apply,
        "apply_url": policy.apply_url or "",
        "deadline": policy.deadline.isoformat() if policy.deadline else "",
        "auto_granted": "1" if policy.auto_granted else "",
        "org_types": list(conditions.org_types),
        "domains": list(conditions.domains),
        "districts": list(conditions.districts),
        "stages": list(conditions.stages),
        "activities": list(conditions.activities),
        "verified_capability": "1" if conditions.verified_capability else "",
        "approved_product": "1" if conditions.approved_product else "",
    }
    for key in ("age_min_months", "age_max_months", "team_min", "team_max"):
        value = getattr(conditions, key)
        form[key] = "" if value is None else str(value)
    for i, benefit in enumerate(benefits_of(policy)):
        form[f"benefit_kind_{i}"] = benefit.kind
        form[f"benefit_description_{i}"] = benefit.description
        form[f"benefit_amount_{i}"] = benefit.amount
        form[f"benefit_cap_yuan_{i}"] = "" if benefit.cap_yuan is None else str(benefit.cap_yuan)
        form[f"benefit_months_{i}"] = "" if benefit.months is None else str(benefit.months)
    return form


# --- listing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyFilters:
    kind: str | None = None
    domain: str | None = None
    district: str | None = None
    org_type: str | None = None
    unit: str | None = None
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> PolicyFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        return cls(
            kind=values.get("kind") if values.get("kind") in BENEFIT_KINDS else None,
            domain=values.get("domain") if values.get("domain") in DOMAINS else None,
            district=values.get("district") if values.get("district") in DISTRICTS else None,
            org_type=values.get("org_type") if values.get("org_type") in {t.value for t in OrgType} else None,
            unit=(clean_line(str(values.get("unit") or ""))[:UNIT_MAX] or None),
            page=max(1, int(values.get("page") or 1)),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values = {
            "kind": self.kind,
            "domain": self.domain,
            "district": self.district,
            "org_type": self.org_type,
            "unit": self.unit,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class PolicyPage:
    items: Sequence[Policy]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _open_to(key: str, value: str) -> Any:
    """A policy is open to a value when it has no condition on ``key`` or names the value in it."""
    return or_(~Policy.conditions.has_key(key), Policy.conditions.contains({key: [value]}))


@dataclass(frozen=True)
class PolicyStats:
    qualify_now: int
    told: int
    opened: int


@dataclass
class _Compiled:
    key: tuple[Any, ...]
    items: list[tuple[PolicyCard, CompiledConditions]]


# Published policies, compiled once per process and rebuilt when one of them changes.
_compiled: dict[str, _Compiled] = {}


class PolicyService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.facts = FactsService(db)

    # --- reading ------------------------------------------------------------------------------------------

    async def get(self, policy_id: UUID, *, lock: bool = False) -> Policy:
        query = select(Policy).where(Policy.id == policy_id)
        if lock:
            query = query.with_for_update()
        policy = await self.db.scalar(query)
        if policy is None:
            raise NotFound
        return policy

    async def by_slug(self, slug: str, viewer: User | None = None) -> Policy:
        """A policy as ``viewer`` may see it: a draft exists for admins only; a withdrawn one stays readable
        (people follow old links and notifications) and its page says it is withdrawn."""
        policy = await self.db.scalar(select(Policy).where(Policy.slug == slug))
        if policy is None:
            raise NotFound
        if policy.status is PolicyStatus.DRAFT and not (viewer and viewer.is_admin):
            raise NotFound
        return policy

    def _filtered(self, query: Select[Any], filters: PolicyFilters) -> Select[Any]:
        if filters.kind:
            query = query.where(Policy.benefit_kinds.contains([filters.kind]))
        if filters.domain:
            query = query.where(_open_to("domains", filters.domain))
        if filters.district:
            query = query.where(_open_to("districts", filters.district))
        if filters.org_type:
            query = query.where(_open_to("org_types", filters.org_type))
        if filters.unit:
            escaped = re.sub(r"([\\%_])", r"\\\1", filters.unit)
            query = query.where(Policy.issuing_unit.ilike(f"%{escaped}%", escape="\\"))
        return query

    async def list_public(self, filters: PolicyFilters, per_page: int = PAGE_SIZE) -> PolicyPage:
        base = self._filtered(select(Policy).where(Policy.status == PolicyStatus.PUBLISHED), filters)
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        items = (
            await self.db.scalars(
                base.order_by(Policy.source_measure, Policy.published_at.desc(), Policy.id)
                .limit(per_page)
                .offset((filters.page - 1) * per_page)
            )
        ).all()
        return PolicyPage(items, total, filters.page, per_page)

    async def list_all(self) -> Sequence[Policy]:
        return (await self.db.scalars(select(Policy).order_by(Policy.status, Policy.updated_at.desc()))).all()

    async def issuing_units(self) -> list[str]:
        rows = await self.db.scalars(
            select(Policy.issuing_unit)
            .where(Policy.status == PolicyStatus.PUBLISHED)
            .group_by(Policy.issuing_unit)
            .order_by(func.count().desc(), Policy.issuing_unit)
            .limit(20)
        )
        return list(rows)

    # --- writing ------------------------------------------------------------------------------------------

    @staticmethod
    def _require_admin(actor: User) -> None:
        if not actor.is_admin:
            raise Forbidden

    async def _slug_free(self, slug: str, policy_id: UUID | None) -> bool:
        query = select(Policy.id).where(Policy.slug == slug)
        if policy_id is not None:
            query = query.where(Policy.id != policy_id)
        return await self.db.scalar(query) is None

    @staticmethod
    def _apply(policy: Policy, values: PolicyValues) -> None:
        policy.title = values.title
        policy.slug = values.slug
        policy.summary = values.summary
        policy.source_measure = values.source_measure
        policy.issuing_unit = values.issuing_unit
        policy.how_to_apply = values.how_to_apply
        policy.apply_url = values.apply_url
        policy.deadline = values.deadline
        policy.auto_granted = values.auto_granted
        policy.benefits = values.benefits
        policy.conditions = values.conditions.to_json()
        policy.benefit_kinds = list(dict.fromkeys(b["kind"] for b in values.benefits))

    async def _checked(self, data: PolicyInput, policy_id: UUID | None) -> PolicyValues:
        values, errors = validate_policy(data)
        if "slug" not in errors and not await self._slug_free(values.slug, policy_id):
            errors["slug"] = _("Another policy already uses this web name.")
        if errors:
            raise FormError(errors)
        return values

    async def create(self, admin: User, data: PolicyInput) -> Policy:
        self._require_admin(admin)
        values = await self._checked(data, None)
        policy = Policy(status=PolicyStatus.DRAFT, version=1, created_by_id=admin.id)
        self._apply(policy, values)
        self.db.add(policy)
        await self._flush_or_taken()
        return policy

    async def _flush_or_taken(self) -> None:
        """Two admins saving the same web name at once: the unique index decides, the second is told."""
        try:
            async with self.db.begin_nested():
                await self.db.flush()
        except IntegrityError:
            raise FormError({"slug": _("Another policy already uses this web name.")}) from None

    async def update(self, admin: User, policy_id: UUID, data: PolicyInput) -> Policy:
        """Edit a policy. A published one whose conditions or benefits change gets a new version, pushed
        again to whoever qualifies now and was not told about this version."""
        self._require_admin(admin)
        policy = await self.get(policy_id, lock=True)
        values = await self._checked(data, policy.id)
        before = (policy.conditions, policy.benefits)
        self._apply(policy, values)
        material = (policy.conditions, policy.benefits) != before
        await self._flush_or_taken()
        if policy.status is PolicyStatus.PUBLISHED:
            if material:
                policy.version += 1
            await self.db.flush()
            enqueue_upsert(self.db, policy_document(policy))
            if material:
                await self._enqueue_push(policy)
        await self.db.flush()
        return policy

    async def _enqueue_push(self, policy: Policy) -> None:
        await enqueue(
            self.db,
            JOB_POLICY_PUBLISHED,
            {"policy_id": str(policy.id), "version": policy.version},
            dedupe_key=f"{JOB_POLICY_PUBLISHED}:{policy.id}:{policy.version}",
        )

    async def publish(self, admin: User, policy_id: UUID) -> Policy:
        self._require_admin(admin)
        policy = await self.get(policy_id, lock=True)
        if policy.status is PolicyStatus.PUBLISHED:
            raise FormError({"status": _("This policy is already published.")})
        if policy.deadline is not None and policy.deadline < today():
            raise FormError({"deadline": _("Its deadline has passed; set a new one before publishing.")})
        if policy.status is PolicyStatus.WITHDRAWN:
            policy.version += 1  # published again: a new version, told again
        policy.status = PolicyStatus.PUBLISHED
        policy.published_at = now()
        await self.db.flush()
        enqueue_upsert(self.db, policy_document(policy))
        await self._enqueue_push(policy)
        return policy

    async def withdraw(self, admin: User, policy_id: UUID) -> Policy:
        self._require_admin(admin)
        policy = await self.get(policy_id, lock=True)
        if policy.status is not PolicyStatus.PUBLISHED:
            raise FormError({"status": _("Only a published policy can be withdrawn.")})
        policy.status = PolicyStatus.WITHDRAWN
        await self.db.flush()
        enqueue_delete(self.db, POLICY_DOC_TYPE, str(policy.id))
        return policy

    # --- eligibility --------------------------------------------------------------------------------------

    async def compiled(self) -> list[tuple[PolicyCard, CompiledConditions]]:
        """Every published policy with its compiled conditions; rebuilt when one of them changed (one cheap
        query decides), so every process agrees with the database."""
        published = Policy.status == PolicyStatus.PUBLISHED
        version = (
            await self.db.execute(select(func.count(), func.max(Policy.updated_at)).where(published))
        ).one()
        key = (version[0], version[1])
        cached = _compiled.get("published")
        if cached is not None and cached.key == key:
            return cached.items
        policies = (
            await self.db.scalars(
                select(Policy)
                .where(published)
                .order_by(Policy.source_measure, Policy.published_at, Policy.id)
            )
        ).all()
        items = [(policy_card(p), compile_conditions(Conditions.from_json(p.conditions))) for p in policies]
        _compiled["published"] = _Compiled(key, items)
        return items

    async def check_facts(self, facts: Facts) -> list[tuple[PolicyCard, Verdict]]:
        """Every published policy for one organization: those it qualifies for first, then the others, the
        nearest (fewest conditions missing or unknown) first."""
        results = [(card, compiled.evaluate(facts)) for card, compiled in await self.compiled()]
        return sorted(results, key=lambda item: item[1].gaps)

    async def check_organization(self, org: Organization) -> list[tuple[PolicyCard, Verdict]]:
        return await self.check_facts(await self.facts.facts_of(org))

    async def member_organizations(self, user: User) -> list[Organization]:
        return [org for org, _role in await self.organizations.organizations_of(user)]

    async def verdicts_for(self, user: User, policy: Policy) -> list[tuple[Organization, Verdict]]:
        """For each of the member's organizations: does it qualify for this policy, and why not."""
        orgs = await self.member_organizations(user)
        facts = await self.facts.facts_of_many(orgs)
        compiled = compile_conditions(Conditions.from_json(policy.conditions))
        return [(org, compiled.evaluate(facts[org.id])) for org in orgs]

    async def eligibility(self, user: User, policy: Policy, org_slug: str) -> tuple[Organization, Verdict]:
        """One organization's verdict, for its members (and admins) only; to anyone else it does not exist."""
        org = await self.organizations.by_slug(org_slug)
        if await self.organizations.role_of(user, org) is None and not user.is_admin:
            raise NotFound
        facts = await self.facts.facts_of(org)
        return org, compile_conditions(Conditions.from_json(policy.conditions)).evaluate(facts)

    async def qualifying_organizations(self, policy: Policy) -> list[tuple[Organization, Verdict]]:
        """Every organization that qualifies for the policy now (all its conditions met and known)."""
        conditions = Conditions.from_json(policy.conditions)
        query = select(Organization).order_by(Organization.created_at, Organization.id)
        if conditions.org_types:
            query = query.where(Organization.org_type.in_([OrgType(t) for t in conditions.org_types]))
        orgs = (await self.db.scalars(query)).all()
        compiled = compile_conditions(conditions)
        facts = await self.facts.facts_of_many(orgs)
        out = []
        for org in orgs:
            verdict = compiled.evaluate(facts[org.id])
            if verdict.qualifies:
                out.append((org, verdict))
        return out

    async def qualify_counts(self, policies: Sequence[Policy]) -> dict[UUID, int]:
        """How many organizations qualify now for each policy: every organization's facts read once."""
        orgs = (await self.db.scalars(select(Organization))).all()
        facts = await self.facts.facts_of_many(orgs)
        counts = {}
        for policy in policies:
            compiled = compile_conditions(Conditions.from_json(policy.conditions))
            counts[policy.id] = sum(1 for f in facts.values() if compiled.qualifies(f))
        return counts

    async def delivery_counts(self, policy_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
        """(told, opened) organizations per policy, any version."""
        if not policy_ids:
            return {}
        rows = await self.db.execute(
            select(
                PolicyDelivery.policy_id,
                func.count(func.distinct(PolicyDelivery.organization_id)),
                func.count(func.distinct(PolicyDelivery.organization_id)).filter(
                    PolicyDelivery.opened_at.is_not(None)
                ),
            )
            .where(PolicyDelivery.policy_id.in_(list(policy_ids)))
            .group_by(PolicyDelivery.policy_id)
        )
        return {policy_id: (int(told), int(opened)) for policy_id, told, opened in rows}

    async def stats_of(self, policies: Sequence[Policy]) -> dict[UUID, PolicyStats]:
        qualify = await self.qualify_counts(policies)
        delivered = await self.delivery_counts([p.id for p in policies])
        return {p.id: PolicyStats(qualify[p.id], *delivered.get(p.id, (0, 0))) for p in policies}

    # --- deliveries ---------------------------------------------------------------------------------------

    async def told_organizations(self, policy_id: UUID, version: int) -> set[UUID]:
        rows = await self.db.scalars(
            select(PolicyDelivery.organization_id).where(
                PolicyDelivery.policy_id == policy_id, PolicyDelivery.version == version
            )
        )
        return set(rows)

    async def record_delivery(self, policy: Policy, organization_id: UUID) -> PolicyDelivery | None:
        """Record that the organization is told about this version; None when it already was (the unique
        key decides, whatever the number of workers)."""
        statement = (
            insert(PolicyDelivery)
            .values(
                policy_id=policy.id,
                organization_id=organization_id,
                version=policy.version,
                told_at=func.now(),
            )
            .on_conflict_do_nothing(constraint="uq_policy_delivery_version")
            .returning(PolicyDelivery.id)
        )
        delivery_id = (await self.db.execute(statement)).scalar()
        if delivery_id is None:
            return None
        return await self.db.get(PolicyDelivery, delivery_id)

    async def deliveries_since(
        self, organization_ids: Sequence[UUID], since: datetime
    ) -> list[tuple[PolicyDelivery, PolicyCard]]:
        """Deliveries to these organizations after ``since`` of policies still published, newest last."""
        if not organization_ids:
            return []
        rows = await self.db.execute(
            select(PolicyDelivery, Policy)
            .join(Policy, Policy.id == PolicyDelivery.policy_id)
            .where(
                PolicyDelivery.organization_id.in_(list(organization_ids)),
                PolicyDelivery.told_at > since,
                Policy.status == PolicyStatus.PUBLISHED,
            )
            .order_by(PolicyDelivery.told_at, PolicyDelivery.id)
        )
        seen: set[UUID] = set()
        out = []
        for delivery, policy in rows:
            if policy.id in seen:  # two of the member's organizations told about one policy: once in a mail
                continue
            seen.add(policy.id)
            out.append((delivery, policy_card(policy)))
        return out

    async def mark_opened(self, user: User, policy: Policy) -> int:
        """A member opened the policy: its organizations that were told count as having opened it (once)."""
        member_of = [org.id for org in await self.member_organizations(user)]
        if not member_of:
            return 0
        result = await self.db.execute(
            update(PolicyDelivery)
            .where(
                PolicyDelivery.policy_id == policy.id,
                PolicyDelivery.organization_id.in_(member_of),
                PolicyDelivery.opened_at.is_(None),
            )
            .values(opened_at=func.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def stats(self, policy: Policy) -> PolicyStats:
        """How many organizations qualify now, how many were told (any version) and how many opened it."""
        told, opened = (
            await self.db.execute(
                select(
                    func.count(func.distinct(PolicyDelivery.organization_id)),
                    func.count(func.distinct(PolicyDelivery.organization_id)).filter(
                        PolicyDelivery.opened_at.is_not(None)
                    ),
                ).where(PolicyDelivery.policy_id == policy.id)
            )
        ).one()
        qualify = len(await self.qualifying_organizations(policy))
        return PolicyStats(qualify_now=qualify, told=int(told), opened=int(opened))
