"""揭榜/意向: OPCs offer to take on a scenario and every one of them gets an answer.

An owner answers each interest (shortlist, or decline with a reason) within the response period; when a
scenario lands or closes, every interest still open is answered for them. Overdue answers are listed for
admins. Each change is stored with who and why, and the OPC is told.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.clock import now, today
from community.kernel.deadlines import claim_reminders, count_overdue
from community.kernel.text import clean_body
from community.notifications.services import NotificationService
from community.scenarios import notices
from community.scenarios.documents import scenario_url
from community.scenarios.models import (
    CapabilityProfile,
    Interest,
    InterestEvent,
    InterestStatus,
    Scenario,
    ScenarioStatus,
)
from community.scenarios.services.scenarios import OPEN_FOR_INTEREST, ScenarioService
from community.scenarios.services.validation import reason_text
from community.scenarios.views import History, InterestPanel, InterestView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.notifications.notices import Notice
    from community.scenarios.views import ScenarioAccess

PROPOSAL_MIN = 10
PROPOSAL_MAX = 3000


__all__ = ("InterestService", "InterestView", "takes_interest")


def takes_interest(scenario: Scenario) -> bool:
    """Whether OPCs may still offer to take the scenario on: published or docking, deadline not passed."""
    return scenario.status in OPEN_FOR_INTEREST and not (scenario.deadline and scenario.deadline < today())


class InterestService:
    def __init__(self, db: AsyncSession, *, response_days: int = 14) -> None:
        self.db = db
        self.response_days = response_days
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)

    async def get(self, interest_id: UUID, *, lock: bool = False) -> Interest:
        query = (
            select(Interest)
            .where(Interest.id == interest_id)
            .options(
                selectinload(Interest.scenario).selectinload(Scenario.organization),
                selectinload(Interest.organization),
            )
        )
        if lock:
            query = query.with_for_update(of=Interest)
        interest = await self.db.scalar(query)
        if interest is None:
            raise NotFound
        return interest

    async def express(
        self, actor: User, scenario_id: UUID, organization_id: UUID | None, proposal: str
    ) -> Interest:
        """``actor`` offers, for one of their OPCs, to take the scenario on; its owner is told."""
        scenarios = ScenarioService(self.db, response_days=self.response_days)
        scenario, _access = await scenarios.get_for(actor, scenario_id)
        org = await self.db.get(Organization, organization_id) if organization_id else None
        if org is None or org.org_type is not OrgType.OPC:
            raise FormError({"organization": _("Choose one of your OPCs.")})
        if await self.organizations.role_of(actor, org) is None:
            raise Forbidden
        if scenario.status not in OPEN_FOR_INTEREST:
            raise FormError({"proposal": _("This scenario no longer takes expressions of interest.")})
        if not takes_interest(scenario):
            raise FormError({"proposal": _("The deadline of this scenario has passed.")})
        text = clean_body(proposal)
        if len(text) < PROPOSAL_MIN:
            raise FormError(
                {"proposal": _("Say in at least %(n)s characters how you would take it on.", n=PROPOSAL_MIN)}
            )
        if len(text) > PROPOSAL_MAX:
            raise FormError({"proposal": _("Use at most %(n)s characters.", n=PROPOSAL_MAX)})
        interest = Interest(
            scenario_id=scenario.id,
            organization_id=org.id,
            submitted_by_id=actor.id,
            proposal=text,
            status=InterestStatus.PENDING,
            respond_by=today() + timedelta(days=self.response_days),
        )
        try:
            async with self.db.begin_nested():  # a rolled-back savepoint also forgets the object
                self.db.add(interest)
                await self.db.flush()
        except IntegrityError as exc:  # this OPC already did (maybe a second click)
            raise FormError(
                {"proposal": _("%(org)s has already expressed interest in this scenario.", org=org.name)}
            ) from exc
        self.db.add(InterestEvent(interest_id=interest.id, actor_id=actor.id, status=InterestStatus.PENDING))
        await self.notifications.notify_many(
            await self.organizations.member_ids(scenario.organization_id),
            notices.INTEREST,
            scenario_url(scenario) + "#interests",
            {"org": org.name, "title": scenario.title, "date": interest.respond_by},
            actor_id=actor.id,
        )
        await self.db.flush()
        return interest

    async def _answer(
        self,
        actor: User | None,
        interest: Interest,
        status: InterestStatus,
        note: str,
        *,
        notice: Notice,
        reason: str | None = None,
    ) -> None:
        """The interest answered (``note`` on its record); its OPC told, ``reason`` defaulting to the note."""
        interest.status = status
        interest.response_note = note
        if interest.responded_at is None:
            interest.responded_at = now()
        self.db.add(
            InterestEvent(
                interest_id=interest.id, actor_id=actor.id if actor else None, status=status, note=note
            )
        )
        await self.notifications.notify_many(
            await self.organizations.member_ids(interest.organization_id),
            notice,
            scenario_url(interest.scenario_id) + "#my-interest",
            {"title": interest.scenario.title, "reason": note if reason is None else reason},
            actor_id=actor.id if actor else None,
        )
        await self.db.flush()

    async def _require_owner(self, actor: User, interest: Interest) -> None:
        scenarios = ScenarioService(self.db)
        if not (actor.is_admin or await scenarios.is_owner(actor, interest.scenario)):
            raise Forbidden

    @staticmethod
    def _note(note: str, *, required: bool) -> str:
        missing = _("Give a reason; the OPC reads it.") if required else None
        return reason_text(note, missing=missing, name="note")

    async def shortlist(self, actor: User, interest_id: UUID, note: str = "") -> Interest:
        text = self._note(note, required=False)
        interest = await self.get(interest_id, lock=True)
        await self._require_owner(actor, interest)
        if interest.status is not InterestStatus.PENDING:
            raise FormError({"note": _("This interest has already been answered.")})
        if interest.scenario.status not in OPEN_FOR_INTEREST:
            raise FormError({"note": _("This scenario no longer takes expressions of interest.")})
        await self._answer(
            actor, interest, InterestStatus.SHORTLISTED, text, notice=notices.INTEREST_SHORTLISTED
        )
        if interest.scenario.status is ScenarioStatus.PUBLISHED:
            # The first shortlisted OPC starts the docking.
            await ScenarioService(self.db, response_days=self.response_days).start_docking(
                actor, interest.scenario_id, _("Shortlisted %(org)s", org=interest.organization.name)
            )
        return interest

    async def decline(self, actor: User, interest_id: UUID, note: str) -> Interest:
        text = self._note(note, required=True)
        interest = await self.get(interest_id, lock=True)
        await self._require_owner(actor, interest)
        if interest.status not in (InterestStatus.PENDING, InterestStatus.SHORTLISTED):
            raise FormError({"note": _("This interest has already been answered.")})
        await self._answer(actor, interest, InterestStatus.DECLINED, text, notice=notices.INTEREST_DECLINED)
        return interest

    async def withdraw(self, actor: User, interest_id: UUID) -> Interest:
        interest = await self.get(interest_id, lock=True)
        if await self.organizations.role_of(actor, interest.organization) is None:
            raise Forbidden
        if interest.status not in (InterestStatus.PENDING, InterestStatus.SHORTLISTED):
            raise FormError({"note": _("This interest has already been answered.")})
        interest.status = InterestStatus.WITHDRAWN
        self.db.add(
            InterestEvent(interest_id=interest.id, actor_id=actor.id, status=InterestStatus.WITHDRAWN)
        )
        await self.notifications.notify_many(
            await self.organizations.member_ids(interest.scenario.organization_id),
            notices.INTEREST_WITHDRAWN,
            scenario_url(interest.scenario_id) + "#interests",
            {"org": interest.organization.name, "title": interest.scenario.title},
            actor_id=actor.id,
        )
        await self.db.flush()
        return interest

    async def scenario_ended(
        self, scenario: Scenario, actor: User, *, landed: bool, reason: str = ""
    ) -> None:
        """Answer everyone still waiting when the scenario lands or closes."""
        open_interests = (
            await self.db.scalars(
                select(Interest)
                .where(
                    Interest.scenario_id == scenario.id,
                    Interest.status.in_((InterestStatus.PENDING, InterestStatus.SHORTLISTED)),
                )
                .options(selectinload(Interest.organization))
                .with_for_update(of=Interest)
            )
        ).all()
        for interest in open_interests:
            interest.scenario = scenario
            if landed and scenario.landed_with_id == interest.organization_id:
                await self.notifications.notify_many(
                    await self.organizations.member_ids(interest.organization_id),
                    notices.INTEREST_LANDED,
                    scenario_url(scenario),
                    {"title": scenario.title},
                    actor_id=actor.id,
                )
                continue
            if landed:
                note = _("The scenario has landed with another team.")
            else:
                note = (
                    _("The scenario was closed: %(reason)s", reason=reason)
                    if reason
                    else _("The scenario was closed.")
                )
            # The note stays on the interest as written; the notice is worded for each reader.
            await self._answer(
                actor,
                interest,
                InterestStatus.DECLINED,
                note,
                notice=notices.INTEREST_LANDED_ELSEWHERE if landed else notices.INTEREST_CLOSED,
                reason=reason,
            )

    async def for_scenario(self, scenario: Scenario) -> list[InterestView]:
        rows = await self.db.execute(
            select(Interest, Organization, CapabilityProfile)
            .join(Organization, Organization.id == Interest.organization_id)
            .outerjoin(CapabilityProfile, CapabilityProfile.organization_id == Organization.id)
            .where(Interest.scenario_id == scenario.id)
            .order_by(Interest.created_at)
            .options(selectinload(CapabilityProfile.items))
        )
        return [InterestView(interest, org, profile) for interest, org, profile in rows]

    async def of_organizations(self, scenario: Scenario, organization_ids: Sequence[UUID]) -> list[Interest]:
        if not organization_ids:
            return []
        return list(
            (
                await self.db.scalars(
                    select(Interest)
                    .where(
                        Interest.scenario_id == scenario.id, Interest.organization_id.in_(organization_ids)
                    )
                    .options(selectinload(Interest.organization))
                )
            ).all()
        )

    async def panel(self, scenario: Scenario, access: ScenarioAccess) -> InterestPanel:
        """The interest part of the scenario's page, as far as ``access`` lets its viewer see it."""
        received = await self.for_scenario(scenario) if access.can_edit else []
        own = await self.of_organizations(scenario, [o.id for o in access.opc_orgs])
        interested = {i.organization_id for i in own}
        may_express = takes_interest(scenario)
        return InterestPanel(
            received=received,
            received_history=await self.history([v.interest.id for v in received]),
            own=own,
            own_history=await self.history([i.id for i in own]),
            can_express=([org for org in access.opc_orgs if org.id not in interested] if may_express else []),
        )

    async def history(self, interest_ids: Sequence[UUID]) -> History:
        if not interest_ids:
            return {}
        rows = await self.db.execute(
            select(InterestEvent, User.display_name)
            .outerjoin(User, User.id == InterestEvent.actor_id)
            .where(InterestEvent.interest_id.in_(interest_ids))
            .order_by(InterestEvent.created_at, InterestEvent.id)
        )
        result: History = {}
        for event, name in rows:
            result.setdefault(event.interest_id, []).append((event, name))
        return result

    async def of_opc(self, organization_ids: Sequence[UUID]) -> Sequence[Interest]:
        """An OPC's own interests, newest first, for its dashboard."""
        if not organization_ids:
            return []
        return (
            await self.db.scalars(
                select(Interest)
                .where(Interest.organization_id.in_(organization_ids))
                .order_by(Interest.created_at.desc())
                .options(selectinload(Interest.scenario), selectinload(Interest.organization))
                .limit(200)
            )
        ).all()

    async def overdue(self, on: date | None = None, limit: int = 200) -> Sequence[Interest]:
        return (
            await self.db.scalars(
                select(Interest)
                .where(Interest.status == InterestStatus.PENDING, Interest.respond_by < (on or today()))
                .order_by(Interest.respond_by)
                .options(
                    selectinload(Interest.scenario).selectinload(Scenario.organization),
                    selectinload(Interest.organization),
                )
                .limit(limit)
            )
        ).all()

    async def count_overdue(self) -> int:
        return await count_overdue(self.db, Interest, InterestStatus.PENDING)

    async def send_reminders(self, *, days_before: int = 2) -> int:
        """Remind owners once when an answer falls due within ``days_before`` days (or is already late).

        The UPDATE ... RETURNING claims each interest for exactly one reminder, whichever process runs it.
        """
        claimed = await claim_reminders(self.db, Interest, InterestStatus.PENDING, days_before=days_before)
        for interest_id in claimed:
            interest = await self.get(interest_id)
            await self.notifications.notify_many(
                await self.organizations.member_ids(interest.scenario.organization_id),
                notices.INTEREST_OVERDUE if interest.respond_by < today() else notices.INTEREST_REMINDER,
                scenario_url(interest.scenario_id) + "#interests",
                {
                    "org": interest.organization.name,
                    "title": interest.scenario.title,
                    "date": interest.respond_by,
                },
            )
        return len(claimed)
