"""What the scenario zone's services hand to pages: who may do what with a scenario, its timeline, and the
interest of OPCs as the owner and as each OPC sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from community.i18n import _
from community.kernel.clock import today
from community.scenarios.models import PUBLIC_STATUSES, InterestStatus
from community.vocabulary import district_label, domain_label
from community.web.charts import Chart, Series, month_axis_labels, month_label

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from community.accounts.models import Organization
    from community.scenarios.models import CapabilityProfile, Interest, InterestEvent, ScenarioEvent
    from community.scenarios.services.dashboard import PublicDashboard

# One interest's history: each step with the name of who took it (None: the site, or a deleted account).
History = dict["UUID", list[tuple["InterestEvent", "str | None"]]]


@dataclass(frozen=True)
class ScenarioAccess:
    """What one viewer may do with one scenario; pages show buttons from this, services check it again.

    The one decision on the confidential part (details, expected outcome, contact): ``can_read_details``.
    The page, the API and anything else that shows those fields read it here and nowhere else."""

    is_owner: bool
    is_admin: bool
    # Every OPC the viewer belongs to: self-declared ones too (they may express interest).
    opc_orgs: tuple[Organization, ...]
    # The viewer's accepted terms are in force: accepted, not withdrawn by the owner, and accepted for an
    # OPC of theirs whose capability profile is verified now (a profile that loses verification ends it).
    accepted_terms: bool
    # Of ``opc_orgs``, those whose capability profile an admin has verified (and still holds verified).
    verified_opc_ids: frozenset[UUID] = frozenset()
    # Of ``opc_orgs``, those whose profile waits for an admin.
    pending_opc_ids: frozenset[UUID] = frozenset()
    # The owner withdrew this viewer's access; only the owner grants it again.
    withdrawn: bool = False

    @property
    def can_edit(self) -> bool:
        return self.is_owner or self.is_admin

    @property
    def is_verified_opc(self) -> bool:
        return bool(self.verified_opc_ids)

    @property
    def can_read_details(self) -> bool:
        return self.is_owner or self.is_admin or (self.is_verified_opc and self.accepted_terms)

    @property
    def may_accept_terms(self) -> bool:
        return self.is_verified_opc and not (self.accepted_terms or self.withdrawn or self.is_owner)

    @property
    def verified_opcs(self) -> tuple[Organization, ...]:
        return tuple(org for org in self.opc_orgs if org.id in self.verified_opc_ids)

    @property
    def unverified_opcs(self) -> tuple[Organization, ...]:
        """The viewer's OPCs that could apply for verification (or wait for it): the notice links to them."""
        return tuple(org for org in self.opc_orgs if org.id not in self.verified_opc_ids)


# Timeline steps only the owner and the admins see: who read the details, and the review of changes.
PRIVATE_ACTIONS = frozenset(
    {"reader_withdrawn", "reader_regranted", "revision_submitted", "revision_withdrawn", "revision_rejected"}
)


@dataclass(frozen=True)
class TimelineEntry:
    event: ScenarioEvent
    actor_name: str | None

    @property
    def public(self) -> bool:
        """Whether anybody who sees the scenario sees this step (else its owner and the admins only)."""
        return self.event.to_status in PUBLIC_STATUSES and self.event.action not in PRIVATE_ACTIONS


@dataclass(frozen=True)
class Reader:
    """Who accepted the terms for a scenario, as its owner sees them; withdrawn ones stay listed."""

    acceptance_id: UUID
    name: str
    organization: str
    accepted_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class RevisionChange:
    """One field of a pending revision: what readers see now, and what the owner asks for."""

    label: str
    published: str
    proposed: str


@dataclass(frozen=True)
class InterestView:
    """An interest as its scenario's owner sees it: the OPC, its profile and the history of answers."""

    interest: Interest
    organization: Organization
    profile: CapabilityProfile | None

    @property
    def overdue(self) -> bool:
        return self.interest.status is InterestStatus.PENDING and self.interest.respond_by < today()


@dataclass(frozen=True)
class InterestPanel:
    """The interest part of a scenario's page: every OPC's interest for the owner and the admins; the
    viewer's own OPCs' interests; and the viewer's OPCs that may still express one."""

    received: list[InterestView] = field(default_factory=list)
    received_history: History = field(default_factory=dict)
    own: list[Interest] = field(default_factory=list)
    own_history: History = field(default_factory=dict)
    can_express: list[Organization] = field(default_factory=list)

    @property
    def shortlisted(self) -> list[InterestView]:
        """The OPCs a scenario may land with."""
        return [v for v in self.received if v.interest.status is InterestStatus.SHORTLISTED]


def dashboard_charts(stats: PublicDashboard) -> dict[str, Chart]:
    """The public dashboard's charts: the trend of the last twelve months, how interest was answered, and
    the published scenarios by district and by domain (whose tables are the page's own)."""
    months = [month_label(m.month) for m in stats.months]
    axis = month_axis_labels([m.month for m in stats.months])
    trend = Chart(
        id="chart-trend",
        title=_("Scenarios per month"),
        description=_(
            "Scenarios published, gone into docking and landed in each of the last twelve months; "
            "the figures are in the table that follows."
        ),
        kind="line",
        series=[
            Series("published", _("Published")),
            Series("docking", _("Docking")),
            Series("landed", _("Landed")),
        ],
        categories=months,
        axis_labels=axis,
        values=[(m.published, m.docking, m.landed) for m in stats.months],
    )
    answers = Chart(
        id="chart-answers",
        title=_("Interest answered on time"),
        description=_(
            "Expressions of interest of each of the last twelve months, by how the scenario's owner "
            "answered: in time, late, or not yet; the figures are in the table that follows."
        ),
        kind="columns",
        series=[
            Series("in_time", _("Answered in time")),
            Series("late", _("Answered late")),
            Series("unanswered", _("Not answered yet")),
        ],
        categories=months,
        axis_labels=axis,
        values=[(m.answered_in_time, m.answered_late, m.unanswered) for m in stats.months],
    )
    scenarios = [Series("scenarios", _("Scenarios"))]
    district = Chart(
        id="chart-district",
        title=_("By district"),
        description=_("Published scenarios in each district."),
        kind="bars",
        series=scenarios,
        categories=[district_label(name) for name, _n in stats.by_district],
        values=[(n,) for _name, n in stats.by_district],
        links=[f"/scenarios?{urlencode({'district': name})}" for name, _n in stats.by_district],
        table_visible=True,
    )
    domain = Chart(
        id="chart-domain",
        title=_("By domain"),
        description=_("Published scenarios in each domain (a scenario may be in several)."),
        kind="bars",
        series=scenarios,
        categories=[domain_label(name) for name, _n in stats.by_domain],
        values=[(n,) for _name, n in stats.by_domain],
        links=[f"/scenarios?{urlencode({'domain': name})}" for name, _n in stats.by_domain],
        table_visible=True,
    )
    return {"trend": trend, "answers": answers, "district": district, "domain": domain}
