"""Scenarios: who may write and move them, and the timeline of every move (reading them is in
``scenario_reading``)."""

from __future__ import annotations

from dataclasses import asdict, fields
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from community.accounts.models import Organization, User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import SITE_TZ, now, today
from community.kernel.models import Page
from community.notifications.notices import Notice
from community.scenarios import notices
from community.scenarios.documents import (
    SCENARIO_DOC_TYPE,
    scenario_document,
    scenario_documents,
    scenario_url,
)
from community.scenarios.inputs import SORTS, ScenarioFilters, ScenarioInput
from community.scenarios.models import (
    PUBLIC_STATUSES,
    ConfidentialityAcceptance,
    Interest,
    InterestStatus,
    RevisionStatus,
    Scenario,
    ScenarioEvent,
    ScenarioKind,
    ScenarioRevision,
    ScenarioScale,
    ScenarioStatus,
)
from community.scenarios.services.scenario_reading import (
    AUTHOR_ORG_TYPES,
    PAGE_SIZE,
    REVIEWED_STATUSES,
    ScenarioReading,
    revision_input,
)
from community.scenarios.services.validation import ScenarioValues, reason_text, validate_scenario
from community.scenarios.views import ScenarioAccess, TimelineEntry
from community.search.services import enqueue_delete, enqueue_upsert

# Other modules (the home page, matching, lists, import) read these from here.
__all__ = (
    "AUTHOR_ORG_TYPES",
    "OPEN_FOR_INTEREST",
    "PAGE_SIZE",
    "SCENARIO_DOC_TYPE",
    "SITE_TZ",
    "SORTS",
    "Page",
    "ScenarioAccess",
    "ScenarioFilters",
    "ScenarioService",
    "TimelineEntry",
    "now",
    "scenario_document",
    "scenario_documents",
    "scenario_url",
    "today",
)

CONFIDENTIALITY_TERMS_VERSION = "2026-11"
EDITABLE_STATUSES = (
    ScenarioStatus.DRAFT,
    ScenarioStatus.RETURNED,
    ScenarioStatus.SUBMITTED,
    ScenarioStatus.PUBLISHED,
    ScenarioStatus.DOCKING,
)
OPEN_FOR_INTEREST = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
# A draft may leave kind and scale open; the columns are not null, so a new one starts with these.
_OPTIONAL_CHOICES = ("kind", "scale")


class ScenarioService(ScenarioReading):
    # --- writing -------------------------------------------------------------------------------------------

    @staticmethod
    def _apply(scenario: Scenario, values: ScenarioValues) -> None:
        """The cleaned values onto the scenario; a kind or scale left open keeps what it has."""
        for name in (f.name for f in fields(values)):
            value = getattr(values, name)
            if value is not None or name not in _OPTIONAL_CHOICES:
                setattr(scenario, name, value)

    async def _author_org(self, actor: User, organization_id: UUID) -> Organization:
        org = await self.db.get(Organization, organization_id)
        if org is None:
            raise NotFound
        if org.org_type not in AUTHOR_ORG_TYPES:
            raise FormError({"organization": _("Only enterprises and government units publish scenarios.")})
        if await self.organizations.role_of(actor, org) is None and not actor.is_admin:
            raise Forbidden
        return org

    async def create(
        self, actor: User, organization_id: UUID, data: ScenarioInput, *, submit: bool = False
    ) -> Scenario:
        org = await self._author_org(actor, organization_id)
        values, errors = validate_scenario(data, complete=submit, today=today())
        if errors:
            raise FormError(errors)
        scenario = Scenario(
            organization_id=org.id,
            created_by_id=actor.id,
            kind=ScenarioKind.NEED,
            scale=ScenarioScale.FOCUSED,
            status=ScenarioStatus.DRAFT,
        )
        self._apply(scenario, values)
        self.db.add(scenario)
        await self.db.flush()
        self._event(scenario, actor, None, ScenarioStatus.DRAFT, "created")
        if submit:
            await self._move(scenario, actor, ScenarioStatus.SUBMITTED, "submitted")
            scenario.submitted_at = now()
        await self.db.flush()
        scenario.organization = org
        return scenario

    @staticmethod
    def edits_need_review(actor: User, scenario: Scenario) -> bool:
        """Whether ``actor``'s edit of ``scenario`` waits for an admin instead of going live: an owner's
        edit of a scenario that readers can see (see ``ScenarioRevision``). Admins are the reviewers."""
        return scenario.status in REVIEWED_STATUSES and not actor.is_admin

    async def update(self, actor: User, scenario_id: UUID, data: ScenarioInput) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        if scenario.status not in EDITABLE_STATUSES:
            raise FormError({"title": _("A landed or closed scenario can no longer be changed.")})
        # Once it has been submitted, every edit must keep it complete.
        complete = (
            scenario.status is not ScenarioStatus.DRAFT and scenario.status is not ScenarioStatus.RETURNED
        )
        values, errors = validate_scenario(data, complete=complete, today=today())
        if errors:
            raise FormError(errors)
        if self.edits_need_review(actor, scenario):
            await self._hold_revision(actor, scenario, data, values)
            return scenario
        self._apply(scenario, values)
        if scenario.status in PUBLIC_STATUSES:
            self._event(scenario, actor, scenario.status, scenario.status, "edited")
            await self._text_changed(scenario)
        await self.db.flush()
        return scenario

    async def _text_changed(self, scenario: Scenario) -> None:
        """A public scenario's text changed: search shows the new public part, and matching listens (its
        vector follows the new text; the job skips an unchanged text)."""
        enqueue_upsert(self.db, scenario_document(scenario, scenario.organization.name))
        await enqueue(
            self.db,
            "matching.embed",
            {"owner_type": "scenario", "owner_id": str(scenario.id)},
            dedupe_key=f"matching.embed:scenario:{scenario.id}",
        )

    # --- revisions of published scenarios ---------------------------------------------------------------

    async def _hold_revision(
        self, actor: User, scenario: Scenario, data: ScenarioInput, values: ScenarioValues
    ) -> None:
        """Keep the owner's edit as the scenario's pending revision (replacing an earlier pending one); the
        scenario itself, which readers see, is not touched. An edit that changes nothing is no revision."""
        current, _errors = validate_scenario(ScenarioInput.of(scenario), complete=False, today=today())
        pending = await self.pending_revision(scenario, lock=True)
        if values == current:
            if pending is not None:  # changed back to what is published: nothing waits any more
                pending.status = RevisionStatus.DISCARDED
                self._event(scenario, actor, scenario.status, scenario.status, "revision_withdrawn")
                await self.db.flush()
            return
        typed = {**asdict(data), "domains": list(data.domains)}
        if pending is None:
            self.db.add(
                ScenarioRevision(
                    scenario_id=scenario.id,
                    submitted_by_id=actor.id,
                    values=typed,
                    status=RevisionStatus.PENDING,
                )
            )
            self._event(scenario, actor, scenario.status, scenario.status, "revision_submitted")
        else:
            # Still the same change waiting for review (one timeline line for it, however often saved).
            pending.values = typed
            pending.submitted_by_id = actor.id
        await self.db.flush()

    async def _reviewed_revision(self, admin: User, scenario_id: UUID) -> tuple[Scenario, ScenarioRevision]:
        self._require_admin(admin)
        scenario = await self.get(scenario_id, lock=True)
        revision = await self.pending_revision(scenario, lock=True)
        if revision is None:
            raise FormError({"revision": _("No change waits for review here; reload the page.")})
        return scenario, revision

    async def approve_revision(self, admin: User, scenario_id: UUID) -> Scenario:
        """The owner's pending change goes live: what readers see from now on."""
        scenario, revision = await self._reviewed_revision(admin, scenario_id)
        self._require_status(scenario, *REVIEWED_STATUSES)
        values, errors = validate_scenario(revision_input(revision), complete=True, today=today())
        if errors:
            # e.g. its deadline passed while it waited: the admin does not publish it, saying why.
            raise FormError(errors)
        self._apply(scenario, values)
        revision.status = RevisionStatus.APPROVED
        revision.reviewed_by_id = admin.id
        revision.reviewed_at = now()
        self._event(scenario, admin, scenario.status, scenario.status, "revision_approved")
        await self._text_changed(scenario)
        await self.db.flush()
        await self._tell_owner(scenario, admin, notices.REVISION_APPROVED)
        return scenario

    async def reject_revision(self, admin: User, scenario_id: UUID, reason: str) -> Scenario:
        """The pending change does not go live; it is kept, and the owner reads why on the timeline."""
        text = self._reason(reason, required=True)
        scenario, revision = await self._reviewed_revision(admin, scenario_id)
        revision.status = RevisionStatus.REJECTED
        revision.reviewed_by_id = admin.id
        revision.reviewed_at = now()
        revision.review_note = text
        self._event(scenario, admin, scenario.status, scenario.status, "revision_rejected", text)
        await self.db.flush()
        await self._tell_owner(scenario, admin, notices.REVISION_REJECTED, reason=text)
        return scenario

    async def _require_editor(self, actor: User, scenario: Scenario) -> None:
        if not (actor.is_admin or await self.is_owner(actor, scenario)):
            raise Forbidden

    @staticmethod
    def _require_admin(user: User) -> None:
        if not user.is_admin:
            raise Forbidden

    def _event(
        self,
        scenario: Scenario,
        actor: User | None,
        from_status: ScenarioStatus | None,
        to_status: ScenarioStatus,
        action: str,
        reason: str = "",
    ) -> None:
        self.db.add(
            ScenarioEvent(
                scenario_id=scenario.id,
                actor_id=actor.id if actor else None,
                from_status=from_status,
                to_status=to_status,
                action=action,
                reason=reason,
            )
        )

    async def _move(
        self, scenario: Scenario, actor: User | None, to: ScenarioStatus, action: str, reason: str = ""
    ) -> None:
        before = scenario.status
        scenario.status = to
        self._event(scenario, actor, before, to, action, reason)
        await self.db.flush()
        if to in PUBLIC_STATUSES:
            enqueue_upsert(self.db, scenario_document(scenario, scenario.organization.name))
        elif before in PUBLIC_STATUSES:
            enqueue_delete(self.db, SCENARIO_DOC_TYPE, str(scenario.id))
        if to not in EDITABLE_STATUSES:
            # Landed or closed: it takes no more changes, so a change still waiting is dropped (and kept).
            await self.db.execute(
                update(ScenarioRevision)
                .where(
                    ScenarioRevision.scenario_id == scenario.id,
                    ScenarioRevision.status == RevisionStatus.PENDING,
                )
                .values(status=RevisionStatus.DISCARDED)
            )

    @staticmethod
    def _reason(reason: str, *, required: bool) -> str:
        return reason_text(reason, missing=_("Give a reason; the other side reads it.") if required else None)

    @staticmethod
    def _require_status(scenario: Scenario, *allowed: ScenarioStatus) -> None:
        if scenario.status not in allowed:
            raise FormError(
                {"status": _("This scenario has moved on meanwhile; reload the page to see where it is.")}
            )

    async def _tell_owner(
        self, scenario: Scenario, actor: User | None, notice: Notice, **params: str
    ) -> None:
        recipients = await self.organizations.member_ids(scenario.organization_id)
        await self.notifications.notify_many(
            recipients,
            notice,
            scenario_url(scenario),
            {"title": scenario.title, **params},
            actor_id=actor.id if actor else None,
        )

    async def submit(self, actor: User, scenario_id: UUID) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.DRAFT, ScenarioStatus.RETURNED)
        _values, errors = validate_scenario(ScenarioInput.of(scenario), complete=True, today=today())
        if errors:
            raise FormError(errors)
        await self._move(scenario, actor, ScenarioStatus.SUBMITTED, "submitted")
        scenario.submitted_at = now()
        return scenario

    async def publish(self, admin: User, scenario_id: UUID) -> Scenario:
        self._require_admin(admin)
        scenario = await self.get(scenario_id, lock=True)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        if scenario.deadline and scenario.deadline < today():
            raise FormError(
                {"status": _("Its deadline has passed; return it so that the owner sets a new one.")}
            )
        scenario.published_at = now()
        await self._move(scenario, admin, ScenarioStatus.PUBLISHED, "published")
        # Matching listens: it pushes the scenario to the OPCs that suit it, after this transaction commits.
        await enqueue(
            self.db,
            "matching.scenario_published",
            {"scenario_id": str(scenario.id)},
            dedupe_key=f"matching.scenario_published:{scenario.id}",
        )
        await self._tell_owner(scenario, admin, notices.PUBLISHED)
        return scenario

    async def return_to_owner(self, admin: User, scenario_id: UUID, reason: str) -> Scenario:
        self._require_admin(admin)
        text = self._reason(reason, required=True)
        scenario = await self.get(scenario_id, lock=True)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        await self._move(scenario, admin, ScenarioStatus.RETURNED, "returned", text)
        await self._tell_owner(scenario, admin, notices.RETURNED, reason=text)
        return scenario

    async def withdraw(self, actor: User, scenario_id: UUID) -> Scenario:
        """The owner takes a submitted scenario back to draft (to change it before review)."""
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.SUBMITTED)
        await self._move(scenario, actor, ScenarioStatus.DRAFT, "withdrawn")
        return scenario

    async def start_docking(self, actor: User | None, scenario_id: UUID, reason: str = "") -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        if actor is not None:
            await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED)
        await self._move(
            scenario, actor, ScenarioStatus.DOCKING, "docking", self._reason(reason, required=False)
        )
        return scenario

    async def land(
        self, actor: User, scenario_id: UUID, reason: str = "", partner_id: UUID | None = None
    ) -> Scenario:
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
        text = self._reason(reason, required=False)
        if partner_id is not None:
            shortlisted = await self.db.scalar(
                select(Interest.id).where(
                    Interest.scenario_id == scenario.id,
                    Interest.organization_id == partner_id,
                    Interest.status == InterestStatus.SHORTLISTED,
                )
            )
            if shortlisted is None:
                raise FormError({"partner": _("Choose one of the shortlisted OPCs, or none.")})
            scenario.landed_with_id = partner_id
        await self._move(scenario, actor, ScenarioStatus.LANDED, "landed", text)
        await self._close_interests(scenario, actor, landed=True)
        return scenario

    async def close(self, actor: User, scenario_id: UUID, reason: str) -> Scenario:
        text = self._reason(reason, required=True)
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        self._require_status(scenario, ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
        await self._move(scenario, actor, ScenarioStatus.CLOSED, "closed", text)
        await self._close_interests(scenario, actor, landed=False, reason=text)
        return scenario

    async def move_on(
        self, actor: User, scenario_id: UUID, target: str, reason: str = "", partner_id: UUID | None = None
    ) -> Scenario:
        """The owner's move of a public scenario, as the scenario page's form names it."""
        if target == ScenarioStatus.DOCKING.value:
            return await self.start_docking(actor, scenario_id, reason)
        if target == ScenarioStatus.LANDED.value:
            return await self.land(actor, scenario_id, reason, partner_id)
        if target == ScenarioStatus.CLOSED.value:
            return await self.close(actor, scenario_id, reason)
        raise FormError({"status": _("Choose what happens to the scenario.")})

    async def _close_interests(
        self, scenario: Scenario, actor: User, *, landed: bool, reason: str = ""
    ) -> None:
        """Nobody is left waiting: every interest still open gets its answer when the scenario ends."""
        from community.scenarios.services.interests import InterestService

        await InterestService(self.db, response_days=self.response_days).scenario_ended(
            scenario, actor, landed=landed, reason=reason
        )

    async def set_demonstration(self, admin: User, scenario_id: UUID, year: int | None) -> Scenario:
        self._require_admin(admin)
        scenario = await self.get(scenario_id, lock=True)
        if scenario.status not in PUBLIC_STATUSES:
            raise FormError({"year": _("Only published scenarios can be demonstration scenarios.")})
        if year is not None and not 2020 <= year <= today().year + 1:
            raise FormError(
                {"year": _("Choose a year between %(low)s and %(high)s.", low=2020, high=today().year + 1)}
            )
        scenario.demonstration_year = year
        reason = str(year) if year else ""
        self._event(scenario, admin, scenario.status, scenario.status, "demonstration", reason)
        await self.db.flush()
        return scenario

    async def accept_terms(self, viewer: User, scenario_id: UUID, *, agreed: bool = True) -> None:
        """A member of a verified OPC agrees to keep the details confidential; asking twice records it once.
        A self-declared OPC (no verified capability profile) is refused, and so is a reader whose access the
        owner withdrew: only the owner grants it again."""
        if not agreed:
            raise FormError({"terms": _("Tick the box to accept the confidentiality terms.")})
        scenario, access = await self.get_for(viewer, scenario_id)
        if access.can_read_details:
            return
        if not access.opc_orgs:
            raise FormError(
                {"terms": _("Only members of an OPC can read the details. Create or join an OPC first.")}
            )
        if access.withdrawn:
            raise FormError({"terms": _("The owner withdrew your access to these details.")})
        if not access.is_verified_opc:
            raise FormError(
                {
                    "terms": _(
                        "Reading the details needs a verified capability profile. "
                        "Submit your OPC's profile for verification first."
                    )
                }
            )
        reading_for = access.verified_opcs[0].id
        accepted = await self.acceptance_of(viewer, scenario, lock=True)
        if accepted is not None:
            if accepted.revoked_at is not None:  # withdrawn meanwhile
                raise FormError({"terms": _("The owner withdrew your access to these details.")})
            # Accepted before for an OPC that is no longer a verified one of theirs: now for this one.
            accepted.organization_id = reading_for
            accepted.terms_version = CONFIDENTIALITY_TERMS_VERSION
            await self.db.flush()
            return
        try:
            async with self.db.begin_nested():  # a rolled-back savepoint also forgets the object
                self.db.add(
                    ConfidentialityAcceptance(
                        scenario_id=scenario.id,
                        user_id=viewer.id,
                        organization_id=reading_for,
                        terms_version=CONFIDENTIALITY_TERMS_VERSION,
                    )
                )
                await self.db.flush()
        except IntegrityError:
            pass  # a double click: the first one counted

    async def _reader(
        self, actor: User, scenario_id: UUID, acceptance_id: UUID | None
    ) -> tuple[Scenario, ConfidentialityAcceptance, str]:
        """One reader of a scenario, for its owner (or an admin) to withdraw or grant again; with the words
        the timeline names them by."""
        scenario = await self.get(scenario_id, lock=True)
        await self._require_editor(actor, scenario)
        if acceptance_id is None:
            raise NotFound
        row = (
            await self.db.execute(
                select(ConfidentialityAcceptance, User.display_name, Organization.name)
                .join(User, User.id == ConfidentialityAcceptance.user_id)
                .join(Organization, Organization.id == ConfidentialityAcceptance.organization_id)
                .where(
                    ConfidentialityAcceptance.id == acceptance_id,
                    ConfidentialityAcceptance.scenario_id == scenario.id,
                )
                .with_for_update(of=ConfidentialityAcceptance)
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None:
            raise NotFound
        acceptance, name, org = row
        return scenario, acceptance, f"{name} · {org}"

    async def withdraw_reader(self, actor: User, scenario_id: UUID, acceptance_id: UUID | None) -> Scenario:
        """The owner ends one reader's access to the details, at once; the reader cannot accept again."""
        return await self._set_reader_access(actor, scenario_id, acceptance_id, withdrawn=True)

    async def regrant_reader(self, actor: User, scenario_id: UUID, acceptance_id: UUID | None) -> Scenario:
        """The owner lets a reader whose access was withdrawn read the details again (while their OPC stays
        verified)."""
        return await self._set_reader_access(actor, scenario_id, acceptance_id, withdrawn=False)

    async def _set_reader_access(
        self, actor: User, scenario_id: UUID, acceptance_id: UUID | None, *, withdrawn: bool
    ) -> Scenario:
        scenario, acceptance, who = await self._reader(actor, scenario_id, acceptance_id)
        if (acceptance.revoked_at is not None) == withdrawn:
            return scenario  # already so: a double click
        acceptance.revoked_at = now() if withdrawn else None
        acceptance.revoked_by_id = actor.id if withdrawn else None
        kind = "reader_withdrawn" if withdrawn else "reader_regranted"
        self._event(scenario, actor, scenario.status, scenario.status, kind, who)
        await self.db.flush()
        await self.notifications.notify(
            acceptance.user_id,
            notices.READER_WITHDRAWN if withdrawn else notices.READER_REGRANTED,
            scenario_url(scenario),
            {"title": scenario.title},
            actor_id=actor.id,
        )
        return scenario
