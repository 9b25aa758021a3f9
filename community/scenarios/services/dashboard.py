"""Public counts (how many needs, where, how far along, how many docked) and the admin's worklist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from community.scenarios.models import (
    PUBLIC_STATUSES,
    CapabilityProfile,
    Interest,
    InterestStatus,
    ProfileStatus,
    Scenario,
    ScenarioStatus,
)
from community.scenarios.services.scenarios import today

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class PublicDashboard:
    published: int
    by_status: list[tuple[ScenarioStatus, int]]
    by_domain: list[tuple[str, int]]
    by_district: list[tuple[str, int]]
    with_interest: int
    landed: int
    interests: int
    answered: int
    answered_in_time: int
    verified_profiles: int
    demonstration: int

    @property
    def docking_rate(self) -> float:
        """Published scenarios with at least one expression of interest, out of all published ones."""
        return self.with_interest / self.published if self.published else 0.0

    @property
    def answer_rate(self) -> float:
        return self.answered / self.interests if self.interests else 0.0


class DashboardService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def public(self) -> PublicDashboard:
        public = Scenario.status.in_(PUBLIC_STATUSES)
        by_status = [
            (status, int(count))
            for status, count in await self.db.execute(
                select(Scenario.status, func.count()).where(public).group_by(Scenario.status)
            )
        ]
        by_status.sort(key=lambda row: list(PUBLIC_STATUSES).index(row[0]))
        domain = func.unnest(Scenario.domains).label("domain")
        domain_rows = select(domain).where(public).subquery()
        by_domain = [
            (str(name), int(count))
            for name, count in await self.db.execute(
                select(domain_rows.c.domain, func.count())
                .group_by(domain_rows.c.domain)
                .order_by(func.count().desc(), domain_rows.c.domain)
            )
        ]
        by_district = [
            (str(name), int(count))
            for name, count in await self.db.execute(
                select(Scenario.district, func.count())
                .where(public)
                .group_by(Scenario.district)
                .order_by(func.count().desc(), Scenario.district)
            )
        ]
        with_interest = int(
            await self.db.scalar(
                select(func.count(func.distinct(Interest.scenario_id)))
                .join(Scenario, Scenario.id == Interest.scenario_id)
                .where(public)
            )
            or 0
        )
        interest_counts = (
            await self.db.execute(
                select(
                    func.count(),
                    func.count().filter(Interest.responded_at.is_not(None)),
                    func.count().filter(
                        Interest.responded_at.is_not(None),
                        func.date(func.timezone("Asia/Shanghai", Interest.responded_at))
                        <= Interest.respond_by,
                    ),
                ).where(Interest.status != InterestStatus.WITHDRAWN)
            )
        ).one()
        verified = int(
            await self.db.scalar(
                select(func.count())
                .select_from(CapabilityProfile)
                .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
            )
            or 0
        )
        demonstration = int(
            await self.db.scalar(
                select(func.count())
                .select_from(Scenario)
                .where(public, Scenario.demonstration_year == today().year)
            )
            or 0
        )
        counts = dict(by_status)
        return PublicDashboard(
            published=sum(counts.values()),
            by_status=by_status,
            by_domain=by_domain,
            by_district=by_district,
            with_interest=with_interest,
            landed=counts.get(ScenarioStatus.LANDED, 0),
            interests=int(interest_counts[0]),
            answered=int(interest_counts[1]),
            answered_in_time=int(interest_counts[2]),
            verified_profiles=verified,
            demonstration=demonstration,
        )
