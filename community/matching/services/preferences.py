"""What an OPC and its members chose: domains to leave out, a pause, the mail rhythm, and the verdicts on
scenarios (interested or not)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.errors import FormError
from community.i18n import _
from community.matching.models import RHYTHMS, Feedback, Preference, Subscription
from community.vocabulary import DOMAINS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings


class PreferenceService:
    def __init__(self, db: AsyncSession, settings: Settings) -> None:
        self.db = db
        self.settings = settings

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

    async def set_questions(self, user_id: UUID, on: bool) -> None:
        """Whether unanswered forum questions that fit the member may be offered to them."""
        statement = insert(Subscription).values(
            user_id=user_id, rhythm=self.settings.matching_default_rhythm, questions=on
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"questions": on, "updated_at": func.now()}
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

    async def mark_mailed(self, user_id: UUID, at: datetime) -> None:
        statement = insert(Subscription).values(
            user_id=user_id, rhythm=self.settings.matching_default_rhythm, last_emailed_at=at
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"last_emailed_at": at, "updated_at": func.now()}
            )
        )

    async def feedback_of(self, organization_id: UUID) -> dict[str, str]:
        rows = await self.db.execute(
            select(Feedback.scenario_id, Feedback.verdict).where(Feedback.organization_id == organization_id)
        )
        return {str(scenario_id): verdict for scenario_id, verdict in rows}

    async def save_feedback(
        self, organization_id: UUID, scenario_id: UUID, user_id: UUID, verdict: str
    ) -> None:
        """Keep one verdict per OPC and scenario (the last one counts). The caller checked who may."""
        statement = insert(Feedback).values(
            organization_id=organization_id, scenario_id=scenario_id, user_id=user_id, verdict=verdict
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                constraint="uq_match_feedback_org_scenario",
                set_={"verdict": verdict, "user_id": user_id, "updated_at": func.now()},
            )
        )
