"""The push of a newly published scenario to the OPCs that suit it: once per OPC, above the threshold,
within each OPC's weekly cap, with the reason, in the site and by email in each member's rhythm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import OrgType, User
from community.errors import NotFound
from community.jobs import enqueue
from community.matching import notices
from community.matching.documents import OPEN_STATUSES, scenario_doc
from community.matching.models import OWNER_SCENARIO, Push, PushQuota
from community.matching.ranker import Index
from community.matching.services.common import JOB_EMAIL, next_digest_at, week_start
from community.matching.services.matching import MatchingService
from community.matching.views import ScenarioCard, scenario_card
from community.scenarios.models import Scenario
from community.scenarios.services.scenarios import scenario_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.matching.embedder import Embedder


class PushService:
    def __init__(self, db: AsyncSession, settings: Settings, embedder: Embedder | None) -> None:
        self.db = db
        self.settings = settings
        self.matching = MatchingService(db, settings, embedder)
        self.preferences = self.matching.preferences

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
        matching = self.matching
        try:
            scenario = await matching.scenarios.get(scenario_id)
        except NotFound:
            return []
        if scenario.status not in OPEN_STATUSES:
            return []
        query = scenario_doc(scenario)
        await matching.embeddings.store(OWNER_SCENARIO, [query])
        ranked = await matching.rank_opcs(scenario, limit=self.settings.matching_push_top * 3, fresh=True)
        week = week_start()
        pushed: list[Push] = []
        already = set(
            await self.db.scalars(select(Push.organization_id).where(Push.scenario_id == scenario.id))
        )
        for scored, card in ranked:
            if len(pushed) >= self.settings.matching_push_top:
                break
            if scored.score < self.settings.matching_push_threshold:
                break
            org_id = card.organization_id
            if org_id in already or org_id == scenario.organization_id:
                continue
            preference = await self.preferences.preference(org_id)
            if preference.paused or set(preference.excluded_domains) & set(scenario.domains):
                continue
            feedback = await self.preferences.feedback_of(org_id)
            if feedback.get(str(scenario.id)) == "not_interested":
                continue
            rejected = await matching.rejected_docs([s for s, v in feedback.items() if v == "not_interested"])
            if rejected:
                vectors = await matching.embeddings.vectors(OWNER_SCENARIO, [query.id])
                single = Index([query], matching.embeddings.matrix([query], vectors))
                likeness = float(matching.penalty_from(single, rejected)[0])
                if (
                    matching.weights.feedback * likeness
                    > scored.score - self.settings.matching_push_threshold
                ):
                    continue  # so like one the OPC turned down that it would not clear the threshold
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
        members = await self.matching.organizations.member_ids(push.organization_id)
        await self.matching.notifications.notify_many(
            members,
            notices.RECOMMENDED,
            scenario_url(scenario),
            {"title": scenario.title, "explanation": push.explanation},
        )
        for user_id in members:
            await self.schedule_mail(user_id, push.id)

    async def schedule_mail(self, user_id: UUID, about: UUID | str) -> None:
        """Queue the member's next recommendation mail by their rhythm: one per push when immediate, the one
        daily or weekly digest otherwise; nothing when they turned mail off."""
        subscription = await self.preferences.subscription(user_id)
        if subscription.rhythm == "off" or subscription.unsubscribed_at is not None:
            return
        key = (
            f"{JOB_EMAIL}:{user_id}:{about}"
            if subscription.rhythm == "immediate"
            else f"{JOB_EMAIL}:{user_id}:{subscription.rhythm}"
        )
        run_at = next_digest_at(subscription.rhythm)
        await enqueue(self.db, JOB_EMAIL, {"user_id": str(user_id)}, run_at=run_at, dedupe_key=key)

    async def pushes_to_mail(self, user_id: UUID) -> list[tuple[Push, ScenarioCard]]:
        """Pushes to the member's OPCs since their last recommendation mail (the first mail: this week)."""
        subscription = await self.preferences.subscription(user_id)
        since = subscription.last_emailed_at or (datetime.now(UTC) - timedelta(days=7))
        user = await self.member(user_id)
        orgs = [
            org.id
            for org, _role in await self.matching.organizations.organizations_of(user)
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
                scenario = await self.matching.scenarios.get(push.scenario_id)
            except NotFound:
                continue
            if scenario.status in OPEN_STATUSES:
                out.append((push, scenario_card(scenario)))
        return out

    async def member(self, user_id: UUID) -> User:
        user = await self.db.get(User, user_id)
        if user is None:
            raise NotFound
        return user
