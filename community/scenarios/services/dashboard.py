"""Public counts (how many needs, where, how far along, how many docked) and the admin's worklist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from community.scenarios.models import (
    PUBLIC_STATUSES,
    CapabilityProfile,
    Interest,
    InterestStatus,
    ProfileStatus,
    Scenario,
    ScenarioEvent,
    ScenarioStatus,
)
from community.scenarios.services.scenarios import today

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


MONTHS = 12  # the trend charts cover this many months, the current one included


@dataclass(frozen=True)
class Month:
    """One month of the trend: scenarios published, gone docking and landed in it (each counted once, in the
    month it first got there), and the interest expressed in it by how it was answered."""

    month: date  # the first day, in Wuhan
    published: int = 0
    docking: int = 0
    landed: int = 0
    answered_in_time: int = 0
    answered_late: int = 0
    unanswered: int = 0


def last_months(until: date, count: int = MONTHS) -> list[date]:
    """The first days of the ``count`` months that end with ``until``'s, oldest first."""
    index = until.year * 12 + until.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _local_month(moment: Any) -> Any:
    return func.date(func.date_trunc("month", func.timezone("Asia/Shanghai", moment)))


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
    months: list[Month]

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
        months = await self.months()
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
            months=months,
        )

    async def months(self) -> list[Month]:
        """The last twelve months: published, docking and landed (public scenarios only), and interest
        expressed (withdrawn interest left out, as in the totals) answered in time, late, or not yet."""
        firsts = last_months(today())
        since = firsts[0]
        figures: dict[date, dict[str, int]] = {first: {} for first in firsts}
        public = Scenario.status.in_(PUBLIC_STATUSES)
        published = _local_month(Scenario.published_at)
        for month, count in await self.db.execute(
            select(published, func.count())
            .where(public, Scenario.published_at.is_not(None), published >= since)
            .group_by(published)
        ):
            figures.setdefault(month, {})["published"] = int(count)
        reached = (
            select(
                ScenarioEvent.to_status.label("status"),
                _local_month(func.min(ScenarioEvent.created_at)).label("month"),
            )
            .join(Scenario, Scenario.id == ScenarioEvent.scenario_id)
            .where(public, ScenarioEvent.to_status.in_([ScenarioStatus.DOCKING, ScenarioStatus.LANDED]))
            .group_by(ScenarioEvent.scenario_id, ScenarioEvent.to_status)
            .subquery()
        )
        for status, month, count in await self.db.execute(
            select(reached.c.status, reached.c.month, func.count())
            .where(reached.c.month >= since)
            .group_by(reached.c.status, reached.c.month)
        ):
            figures.setdefault(month, {})[ScenarioStatus(status).value] = int(count)
        expressed = _local_month(Interest.created_at)
        answered_on = func.date(func.timezone("Asia/Shanghai", Interest.responded_at))
        for month, in_time, late, unanswered in await self.db.execute(
            select(
                expressed,
                func.count().filter(Interest.responded_at.is_not(None), answered_on <= Interest.respond_by),
                func.count().filter(Interest.responded_at.is_not(None), answered_on > Interest.respond_by),
                func.count().filter(Interest.responded_at.is_(None)),
            )
            .where(Interest.status != InterestStatus.WITHDRAWN, expressed >= since)
            .group_by(expressed)
        ):
            figures.setdefault(month, {}).update(
                answered_in_time=int(in_time), answered_late=int(late), unanswered=int(unanswered)
            )
        return [Month(first, **figures[first]) for first in firsts]
