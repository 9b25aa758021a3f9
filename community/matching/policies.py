"""Policy push (政策精准推送): a published or materially changed policy goes to exactly the organizations
that qualify for it, through the same rhythm and weekly cap as scenario pushes.

The policy zone enqueues ``matching.policy_published`` {policy_id, version} by name; this module asks the
policy service who qualifies, and for each organization not yet told about this version: skips it when its
pushes are paused, takes one push from its week's quota, records the delivery, tells its members in the
site and schedules their mail at each member's rhythm (the same mail job as scenario pushes).

An organization that was paused or over its week's cap is not told then; ``POLICY_BACKLOG`` (hourly) tells
it once it can be told again (the pause lifted, a new week's quota), once per version (the delivery's unique
key), and never about a policy that closed or was withdrawn meanwhile.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community.errors import NotFound
from community.jobs import JobContext, Periodic
from community.matching import notices
from community.matching.services import PushService, week_start
from community.policies.models import Policy, PolicyDelivery, PolicyStatus
from community.policies.services.facts import JOB_POLICY_FACTS_CHANGED, today
from community.policies.services.policies import JOB_POLICY_PUBLISHED, PolicyCard, PolicyService, policy_url

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.policies.services.eligibility import Check

NOTIFICATION_KIND = notices.POLICY_QUALIFIED.kind
JOB_BACKLOG = "matching.policy_backlog"
BACKLOG_EVERY = 3600.0


async def push_policy(db: AsyncSession, settings: Settings, policy_id: UUID, version: int) -> list[UUID]:
    """Tell the qualifying organizations about one version of a policy; the organizations told now."""
    policies = PolicyService(db)
    push = PushService(db, settings, None)
    try:
        policy = await policies.get(policy_id)
    except NotFound:
        return []
    if policy.status is not PolicyStatus.PUBLISHED or policy.version != version:
        return []  # withdrawn, or changed again meanwhile: the newer version's job tells
    if policy.deadline is not None and policy.deadline < today():
        return []  # closed before the job ran: news nobody can use
    told = await policies.told_organizations(policy.id, policy.version)
    week = week_start()
    pushed: list[UUID] = []
    for org, verdict in await policies.qualifying_organizations(policy):
        if org.id not in told and await _tell(db, push, policies, policy, org.id, verdict.met, week):
            pushed.append(org.id)
    return pushed


async def push_to_organization(db: AsyncSession, settings: Settings, organization_id: UUID) -> list[UUID]:
    """After an organization's facts changed: tell it of every open policy it now qualifies for and was not
    told about yet (the same quota and rhythm); the policies told now."""
    policies = PolicyService(db)
    push = PushService(db, settings, None)
    try:
        org = await push.matching.organizations.by_id(organization_id)
    except NotFound:
        return []
    week = week_start()
    pushed: list[UUID] = []
    for card, verdict in await policies.check_organization(org):
        if not verdict.qualifies or (card.deadline is not None and card.deadline < today()):
            continue
        if org.id in await policies.told_organizations(card.id, card.version):
            continue
        policy = await policies.get(card.id)
        if await _tell(db, push, policies, policy, org.id, verdict.met, week):
            pushed.append(policy.id)
    return pushed


async def _tell(
    db: AsyncSession,
    push: PushService,
    policies: PolicyService,
    policy: Policy,
    organization_id: UUID,
    met: Sequence[Check],
    week: date,
) -> bool:
    """One organization told about one version of a policy, unless paused or over its week's cap."""
    preference = await push.preferences.preference(organization_id)
    if preference.paused:
        return False
    # The delivery and the quota in one savepoint: a push over the cap leaves no delivery behind.
    async with db.begin_nested() as savepoint:
        delivery = await policies.record_delivery(policy, organization_id)
        if delivery is None:
            await savepoint.rollback()
            return False
        if not await push.take_quota(organization_id, week):
            await savepoint.rollback()
            return False
    members = await push.matching.organizations.member_ids(organization_id)
    await push.matching.notifications.notify_many(
        members,
        notices.POLICY_QUALIFIED,
        policy_url(policy),
        # The conditions met, as data: each reader reads them in their own language.
        {"title": policy.title, "checks": [{"code": c.code, "params": dict(c.params)} for c in met]},
    )
    for user_id in members:
        await push.schedule_mail(user_id, delivery.id)
    return True


async def push_backlog(db: AsyncSession, settings: Settings) -> int:
    """Every open policy again, for the organizations that qualify and were not told about its version yet
    (paused or over the cap then): told now when they can be, within this week's cap. The number told."""
    told = 0
    for card, _conditions in await PolicyService(db).compiled():
        if card.deadline is not None and card.deadline < today():
            continue
        told += len(await push_policy(db, settings, card.id, card.version))
    return told


async def deliveries_to_mail(
    db: AsyncSession, push: PushService, user_id: UUID
) -> list[tuple[PolicyDelivery, PolicyCard]]:
    """Policies the member's organizations were told about since the member's last mail (first mail: this
    week)."""
    subscription = await push.preferences.subscription(user_id)
    since = subscription.last_emailed_at or (datetime.now(UTC) - timedelta(days=7))
    user = await push.member(user_id)
    orgs = [org.id for org, _role in await push.matching.organizations.organizations_of(user)]
    return await PolicyService(db).deliveries_since(orgs, since)


async def policy_facts_changed_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await push_to_organization(ctx.db, ctx.resources["settings"], UUID(str(payload["organization_id"])))


async def policy_published_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await push_policy(
        ctx.db, ctx.resources["settings"], UUID(str(payload["policy_id"])), int(payload.get("version") or 1)
    )


async def policy_backlog_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await push_backlog(ctx.db, ctx.resources["settings"])


POLICY_BACKLOG = Periodic(
    JOB_BACKLOG, policy_backlog_job, every=lambda _resources: BACKLOG_EVERY, first_after=300.0
)

JOB = JOB_POLICY_PUBLISHED
JOB_FACTS_CHANGED = JOB_POLICY_FACTS_CHANGED
