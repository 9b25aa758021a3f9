"""Policies: admins write, publish, change and withdraw them; every organization sees which it qualifies
for and what it misses; a published (or materially changed) policy is handed to matching to push.

Policies never import matching: publishing enqueues ``matching.policy_published`` by name, and matching
calls back into this service for the qualifying organizations and to record each delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from community.accounts.models import MemberRole, Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import now, today
from community.kernel.models import Page, contains_pattern
from community.policies.documents import POLICY_DOC_TYPE, policy_document
from community.policies.inputs import PolicyFilters, PolicyInput, PolicyValues, validate_policy
from community.policies.models import Policy, PolicyDelivery, PolicyStatus
from community.policies.services.eligibility import (
    CompiledConditions,
    Conditions,
    Facts,
    Verdict,
    compile_conditions,
)
from community.policies.services.facts import FactsService
from community.policies.views import OrganizationPolicies, PolicyCard, PolicyStats, policy_card, policy_url
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

# Matching imports these from here.
__all__ = ("JOB_POLICY_PUBLISHED", "PolicyCard", "PolicyService", "policy_url")

JOB_POLICY_PUBLISHED = "matching.policy_published"
PAGE_SIZE = 30


def _open_to(key: str, value: str) -> Any:
    """A policy is open to a value when it has no condition on ``key`` or names the value in it."""
    return or_(~Policy.conditions.has_key(key), Policy.conditions.contains({key: [value]}))


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
            query = query.where(Policy.issuing_unit.ilike(contains_pattern(filters.unit), escape="\\"))
        return query

    async def list_public(self, filters: PolicyFilters, per_page: int = PAGE_SIZE) -> Page[Policy]:
        base = self._filtered(select(Policy).where(Policy.status == PolicyStatus.PUBLISHED), filters)
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        items = (
            await self.db.scalars(
                base.order_by(Policy.source_measure, Policy.published_at.desc(), Policy.id)
                .limit(per_page)
                .offset((filters.page - 1) * per_page)
            )
        ).all()
        return Page(items, total, filters.page, per_page)

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

    async def create(self, admin: User, data: PolicyInput, *, publish: bool = False) -> Policy:
        """A new policy, a draft unless ``publish`` (then published at once, under the same rules)."""
        self._require_admin(admin)
        values = await self._checked(data, None)
        policy = Policy(status=PolicyStatus.DRAFT, version=1, created_by_id=admin.id)
        self._apply(policy, values)
        self.db.add(policy)
        await self._flush_or_taken()
        return await self.publish(admin, policy.id) if publish else policy

    async def _flush_or_taken(self) -> None:
        """Two admins saving the same web name at once: the unique index decides, the second is told."""
        try:
            async with self.db.begin_nested():
                await self.db.flush()
        except IntegrityError:
            raise FormError({"slug": _("Another policy already uses this web name.")}) from None

    async def update(
        self, admin: User, policy_id: UUID, data: PolicyInput, *, publish: bool = False
    ) -> Policy:
        """Edit a policy. A published one whose conditions or benefits change gets a new version, pushed
        again to whoever qualifies now and was not told about this version. With ``publish``, a policy not
        yet published is published once saved."""
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
        if publish and policy.status is not PolicyStatus.PUBLISHED:
            return await self.publish(admin, policy.id)
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

    async def for_member(self, user: User) -> list[OrganizationPolicies]:
        """为我匹配: each of the member's organizations, with what it qualifies for and what it misses."""
        sections = []
        for org, role in await self.organizations.organizations_of(user):
            results = await self.check_organization(org)
            sections.append(
                OrganizationPolicies(
                    org=org,
                    is_owner=role is MemberRole.OWNER or user.is_admin,
                    qualifying=[(card, v) for card, v in results if v.qualifies],
                    others=[(card, v) for card, v in results if not v.qualifies],
                )
            )
        return sections

    async def member_organizations(self, user: User) -> list[Organization]:
        return [org for org, _role in await self.organizations.organizations_of(user)]

    async def read(self, slug: str, viewer: User | None) -> tuple[Policy, list[tuple[Organization, Verdict]]]:
        """A reader opens a policy's page: the policy, and for a member each of their organizations' verdict.
        Reading changes nothing (a GET: an image in a post could make it); the page records the open with
        ``record_open``."""
        policy = await self.by_slug(slug, viewer)
        if viewer is None:
            return policy, []
        return policy, await self.verdicts_for(viewer, policy)

    async def record_open(self, slug: str, viewer: User) -> int:
        """A member has the policy's page open in front of them (the page says so with a POST): a published
        policy counts as opened by their organizations that were told about it, once each."""
        policy = await self.by_slug(slug, viewer)
        if policy.status is not PolicyStatus.PUBLISHED:
            return 0
        return await self.mark_opened(viewer, policy)

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
        told, opened = (await self.delivery_counts([policy.id])).get(policy.id, (0, 0))
        qualify = len(await self.qualifying_organizations(policy))
        return PolicyStats(qualify_now=qualify, told=told, opened=opened)
