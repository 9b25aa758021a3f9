"""Applications: a member applies with their talent profile, a cover note and a CV (a PDF), and the
organization answers every one of them (closed loop, like a scenario's expressions of interest).

The answer is due by ``respond_by``; the organization is reminded once before (a claim by UPDATE ...
RETURNING, so several processes send one reminder); overdue answers are listed for admins; closing the
position answers whoever still waits. Each change is stored with who and why, and the other side is told
in-site.

CVs are checked by their content (a PDF that parses, read in a child process with a timeout and a page cap,
never on the event loop), limited in size, kept outside the static files under a random name, and served only
to the applicant and the members of the position's organization. One member keeps at most so many CVs and
megabytes; a CV is deleted once its application has been closed for the retention period (periodic work), and
the application keeps a note that it was.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from community.accounts.models import User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import SITE_TZ, now, today
from community.kernel.deadlines import claim_reminders, count_overdue
from community.kernel.text import clean_line
from community.notifications.services import NotificationService
from community.storage import UploadStore, upload_store
from community.talent import notices
from community.talent.documents import position_url
from community.talent.inputs import check_cv, cover_note_text, note_text, pdf_refusal
from community.talent.models import (
    ANSWERS,
    CLOSED_APPLICATION_STATUSES,
    OPEN_APPLICATION_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Position,
    PositionStatus,
)
from community.talent.services.common import JOB_REMINDERS, one_or_404
from community.talent.services.profiles import ProfileService, profile_snapshot
from community.talent.views import ApplicationView, PositionAccess, PositionApplications, mb
from community.uploads import check_pdf

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.notifications.notices import Notice

NOTE_MAX = 2000
FILENAME_MAX = 200
REMIND_DAYS_BEFORE = 2
# The key space of the advisory lock that makes one member's applications take their CV quota in turn.
CV_QUOTA_LOCK = 740
# CVs deleted by one run of the retention sweep (the next run takes the rest).
RETENTION_BATCH = 500
# Where CVs are kept in the upload store.
CV_AREA = "cvs"
# What the applicant is told when the application comes to each answer.
APPLICANT_NOTICES = {
    ApplicationStatus.SHORTLISTED: notices.SHORTLISTED,
    ApplicationStatus.INTERVIEW: notices.INTERVIEW,
    ApplicationStatus.OFFER: notices.OFFER,
    ApplicationStatus.DECLINED: notices.DECLINED,
    ApplicationStatus.CLOSED: notices.CLOSED,
}


class ApplicationService:
    def __init__(
        self,
        db: AsyncSession,
        *,
        uploads: UploadStore | None = None,
        cv_max_bytes: int = 10 * 1024 * 1024,
        response_days: int = 14,
        cv_max_pages: int = 50,
        pdf_timeout: float = 5.0,
        cv_quota_count: int = 20,
        cv_quota_bytes: int = 100 * 1024 * 1024,
        cv_retention_days: int = 180,
    ) -> None:
        self.db = db
        self.uploads = uploads
        self.cv_max_bytes = cv_max_bytes
        self.response_days = response_days
        self.cv_max_pages = cv_max_pages
        self.pdf_timeout = pdf_timeout
        self.cv_quota_count = cv_quota_count
        self.cv_quota_bytes = cv_quota_bytes
        self.cv_retention_days = cv_retention_days
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)

    @classmethod
    def from_settings(cls, db: AsyncSession, settings: Settings) -> ApplicationService:
        """The service with the site's upload store, CV limits, quota and retention, and response period."""
        return cls(
            db,
            uploads=upload_store(settings, db),
            cv_max_bytes=settings.talent_cv_max_bytes,
            response_days=settings.talent_response_days,
            cv_max_pages=settings.talent_cv_max_pages,
            pdf_timeout=settings.pdf_check_timeout_seconds,
            cv_quota_count=settings.talent_cv_quota_count,
            cv_quota_bytes=settings.talent_cv_quota_bytes,
            cv_retention_days=settings.talent_cv_retention_days,
        )

    async def get(self, application_id: UUID, *, lock: bool = False) -> Application:
        application: Application = await one_or_404(
            self.db,
            select(Application)
            .where(Application.id == application_id)
            .options(selectinload(Application.position).selectinload(Position.organization)),
            lock_of=Application if lock else None,
        )
        return application

    async def _is_org_member(self, user: User, position: Position) -> bool:
        return await self.organizations.role_of(user, position.organization) is not None

    # --- applying ------------------------------------------------------------------------------------------

    async def apply(
        self, actor: User, position_id: UUID, cover_note: str, filename: str, content: bytes
    ) -> Application:
        from community.talent.services.positions import PositionService

        # The CV first, before the database is asked anything: reading a PDF may take seconds (in a child
        # process), and no connection should wait idle for it.
        errors: dict[str, str] = {}
        check_cv(filename, content, self.cv_max_bytes, errors)
        if "cv" not in errors:
            found = await check_pdf(content, max_pages=self.cv_max_pages, seconds=self.pdf_timeout)
            if refusal := pdf_refusal(found, filename, self.cv_max_pages):
                errors["cv"] = refusal
        position = await PositionService(self.db).get(position_id)
        if position.status is not PositionStatus.OPEN:
            if position.status is PositionStatus.CLOSED:
                raise FormError({"cover_note": _("This position is closed and takes no more applications.")})
            raise NotFound
        if position.deadline is not None and position.deadline < today():
            errors["cover_note"] = _("The deadline of this position has passed.")
        if await self._is_org_member(actor, position):
            errors["cover_note"] = _(
                "You are a member of this organization; you cannot apply to its position."
            )
        profile = await ProfileService(self.db).of_user(actor.id)
        if profile is None:
            errors["profile"] = _(
                "Fill in your talent profile first: the organization reads it with your CV."
            )
        note = cover_note_text(cover_note, errors)
        if not errors:
            await self._check_quota(actor, len(content), errors)
        if not errors:
            already = await self.db.scalar(
                select(Application.id).where(
                    Application.position_id == position.id, Application.applicant_id == actor.id
                )
            )
            if already:
                errors["cover_note"] = _("You have applied to this position already.")
        if errors or profile is None:
            raise FormError(errors)
        if self.uploads is None:
            raise RuntimeError("no store for CVs")
        stored = await self.uploads.save(CV_AREA, content, "pdf")
        application = Application(
            position_id=position.id,
            applicant_id=actor.id,
            cover_note=note,
            profile_snapshot=profile_snapshot(profile, actor.display_name),
            cv_path=stored,
            cv_filename=clean_line(filename)[-FILENAME_MAX:] or "cv.pdf",
            cv_size=len(content),
            status=ApplicationStatus.PENDING,
            respond_by=today() + timedelta(days=self.response_days),
        )
        try:
            async with self.db.begin_nested():  # a second click at the same moment: one application
                self.db.add(application)
                await self.db.flush()
        except IntegrityError as exc:
            await self.uploads.remove(CV_AREA, [stored])
            raise FormError({"cover_note": _("You have applied to this position already.")}) from exc
        self._event(application, actor, application.status)
        await self._tell_organization(
            position,
            notices.APPLICATION,
            {"name": actor.display_name, "title": position.title, "date": application.respond_by},
            actor,
        )
        # The reminder sweep runs when this answer is about to fall due (one job per day, whoever enqueues).
        remind_on = application.respond_by - timedelta(days=REMIND_DAYS_BEFORE)
        run_at = max(now(), _start_of(remind_on))
        await enqueue(self.db, JOB_REMINDERS, {}, run_at=run_at, dedupe_key=f"{JOB_REMINDERS}:{remind_on}")
        await self.db.flush()
        return application

    async def _check_quota(self, actor: User, size: int, errors: dict[str, str]) -> None:
        """Refuse a CV beyond what one member may keep (so many CVs, so many megabytes). The member's
        applications take their turn (an advisory lock until the transaction ends), so two sent at once
        cannot both squeeze under the limit."""
        key = int.from_bytes(actor.id.bytes[:4], "big", signed=True)
        await self.db.execute(select(func.pg_advisory_xact_lock(CV_QUOTA_LOCK, key)))
        count, used = (
            await self.db.execute(
                select(func.count(), func.coalesce(func.sum(Application.cv_size), 0)).where(
                    Application.applicant_id == actor.id, Application.cv_path.is_not(None)
                )
            )
        ).one()
        if count >= self.cv_quota_count:
            errors["cv"] = _(
                "You keep %(n)s CVs with your applications already, the most one member may. A CV is deleted "
                "%(days)s days after its application closes; you can apply again then.",
                n=self.cv_quota_count,
                days=self.cv_retention_days,
            )
        elif used + size > self.cv_quota_bytes:
            errors["cv"] = _(
                "With this one your CVs would take more than %(mb)s MB, the most one member may keep. Send a "
                "smaller PDF, or apply again once older CVs are deleted (%(days)s days after their "
                "application closes).",
                mb=mb(self.cv_quota_bytes),
                days=self.cv_retention_days,
            )

    # --- the CV --------------------------------------------------------------------------------------------

    async def cv_for(self, viewer: User | None, application_id: UUID) -> tuple[Application, bytes]:
        """The CV (its bytes), for the applicant and the members of the position's organization only; for
        anyone else (admins included) it does not exist."""
        if viewer is None:
            raise NotFound
        application = await self.get(application_id)
        allowed = application.applicant_id == viewer.id or await self._is_org_member(
            viewer, application.position
        )
        stored = application.cv_path
        if not allowed or not stored or self.uploads is None:
            raise NotFound
        content = await self.uploads.read(CV_AREA, stored)
        if content is None:
            raise NotFound
        return application, content

    async def remove_expired_cvs(self, *, limit: int = RETENTION_BATCH) -> int:
        """Delete the CVs of applications closed longer than the retention period; each application keeps
        a note (``cv_removed_at``) that its CV was removed. The number removed. Rows are claimed with SKIP
        LOCKED, so two workers never take the same one; the files go once the rows say so."""
        cutoff = now() - timedelta(days=self.cv_retention_days)
        expired = (
            await self.db.scalars(
                select(Application)
                .where(Application.cv_path.is_not(None), Application.closed_at < cutoff)
                .order_by(Application.closed_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        removed = [a.cv_path for a in expired if a.cv_path]
        for application in expired:
            application.cv_path = None
            application.cv_removed_at = now()
        await self.db.flush()
        if removed and self.uploads is not None:
            await self.uploads.remove(CV_AREA, removed)
        return len(expired)

    # --- answering -----------------------------------------------------------------------------------------

    def _event(
        self, application: Application, actor: User | None, status: ApplicationStatus, note: str = ""
    ) -> None:
        """One step of the application's history: who changed it to what, and why."""
        self.db.add(
            ApplicationEvent(
                application_id=application.id, actor_id=actor.id if actor else None, status=status, note=note
            )
        )

    async def _tell_organization(
        self, position: Position, notice: Notice, params: dict[str, Any], actor: User | None = None
    ) -> None:
        """Every member of the position's organization is told, in-site and by mail at their rhythm, with a
        link to its applications."""
        await self.notifications.notify_many(
            await self.organizations.member_ids(position.organization_id),
            notice,
            position_url(position.id) + "#applications",
            params,
            actor_id=actor.id if actor else None,
        )

    async def _record(
        self, actor: User | None, application: Application, status: ApplicationStatus, note: str
    ) -> None:
        application.status = status
        application.response_note = note
        if application.responded_at is None:
            application.responded_at = now()
        if status in CLOSED_APPLICATION_STATUSES and application.closed_at is None:
            application.closed_at = now()
        self._event(application, actor, status, note)
        await self.notifications.notify(
            application.applicant_id,
            APPLICANT_NOTICES[status],
            position_url(application.position_id) + "#my-application",
            {
                "org": application.position.organization.name,
                "title": application.position.title,
                "reason": note,
            },
            actor_id=actor.id if actor else None,
        )
        await self.db.flush()

    async def answer(
        self, actor: User, application_id: UUID, status: ApplicationStatus, note: str
    ) -> Application:
        """The organization's answer: shortlisted, interview, offer or declined (a decline needs a reason)."""
        text = note_text(
            note,
            "note",
            maximum=NOTE_MAX,
            required=_("Give a reason; the applicant reads it.")
            if status is ApplicationStatus.DECLINED
            else "",
        )
        application = await self.get(application_id, lock=True)
        if not await self._is_org_member(actor, application.position):
            raise NotFound if application.applicant_id != actor.id else Forbidden
        if status not in ANSWERS.get(application.status, ()):
            raise FormError({"note": _("This application has been answered that way already, or is closed.")})
        await self._record(actor, application, status, text)
        return application

    async def withdraw(self, actor: User, application_id: UUID) -> Application:
        application = await self.get(application_id, lock=True)
        if application.applicant_id != actor.id:
            raise NotFound
        if application.status not in OPEN_APPLICATION_STATUSES:
            raise FormError({"note": _("This application is closed already.")})
        application.status = ApplicationStatus.WITHDRAWN
        application.closed_at = now()
        self._event(application, actor, ApplicationStatus.WITHDRAWN)
        await self._tell_organization(
            application.position,
            notices.APPLICATION_WITHDRAWN,
            {"name": actor.display_name, "title": application.position.title},
            actor,
        )
        await self.db.flush()
        return application

    async def position_ended(self, actor: User, position: Position, reason: str) -> int:
        """Answer everyone still waiting when the position is closed or taken down; the number answered."""
        waiting = (
            await self.db.scalars(
                select(Application)
                .where(
                    Application.position_id == position.id, Application.status.in_(OPEN_APPLICATION_STATUSES)
                )
                .with_for_update()
            )
        ).all()
        for application in waiting:
            application.position = position
            await self._record(actor, application, ApplicationStatus.CLOSED, reason)
        return len(waiting)

    # --- lists ---------------------------------------------------------------------------------------------

    async def for_position(self, position: Position) -> list[ApplicationView]:
        rows = await self.db.execute(
            select(Application, User.display_name)
            .join(User, User.id == Application.applicant_id)
            .where(Application.position_id == position.id)
            .order_by(Application.created_at)
        )
        views = []
        for application, name in rows:
            application.position = position
            views.append(ApplicationView(application, name))
        return views

    async def of_applicant(self, user_id: UUID, position_id: UUID | None = None) -> Sequence[Application]:
        query = (
            select(Application)
            .where(Application.applicant_id == user_id)
            .options(selectinload(Application.position).selectinload(Position.organization))
            .order_by(Application.created_at.desc())
            .limit(200)
        )
        if position_id is not None:
            query = query.where(Application.position_id == position_id)
        return (await self.db.scalars(query)).all()

    async def for_page(
        self, viewer: User | None, position: Position, access: PositionAccess
    ) -> PositionApplications:
        """The applications a position's page shows ``viewer``, and whether they may apply now: logged in,
        not yet applied, not of the organization, and the position open with its deadline not passed."""
        views = await self.for_position(position) if access.can_manage else []
        own = list(await self.of_applicant(viewer.id, position.id)) if viewer else []
        return PositionApplications(
            views=views,
            histories=await self.history([v.application.id for v in views]),
            own=own,
            own_histories=await self.history([a.id for a in own]),
            can_apply=(
                viewer is not None
                and not own
                and not access.is_member
                and position.status is PositionStatus.OPEN
                and not (position.deadline and position.deadline < today())
            ),
        )

    async def history(
        self, application_ids: Sequence[UUID]
    ) -> dict[UUID, list[tuple[ApplicationEvent, str | None]]]:
        if not application_ids:
            return {}
        rows = await self.db.execute(
            select(ApplicationEvent, User.display_name)
            .outerjoin(User, User.id == ApplicationEvent.actor_id)
            .where(ApplicationEvent.application_id.in_(application_ids))
            .order_by(ApplicationEvent.created_at, ApplicationEvent.id)
        )
        result: dict[UUID, list[tuple[ApplicationEvent, str | None]]] = {}
        for event, name in rows:
            result.setdefault(event.application_id, []).append((event, name))
        return result

    async def overdue(self, on: date | None = None, limit: int = 200) -> list[tuple[Application, str]]:
        """Applications nobody answered in time (for the admins), the longest overdue first."""
        rows = await self.db.execute(
            select(Application, User.display_name)
            .join(User, User.id == Application.applicant_id)
            .where(Application.status == ApplicationStatus.PENDING, Application.respond_by < (on or today()))
            .order_by(Application.respond_by)
            .options(selectinload(Application.position).selectinload(Position.organization))
            .limit(limit)
        )
        return [(application, name) for application, name in rows]

    async def count_overdue(self) -> int:
        return await count_overdue(self.db, Application, ApplicationStatus.PENDING)

    async def send_reminders(self, *, days_before: int = REMIND_DAYS_BEFORE) -> int:
        """Remind the organization once when an answer falls due within ``days_before`` days (or is late).

        The UPDATE ... RETURNING claims each application for one reminder, whichever process runs it."""
        claimed = await claim_reminders(
            self.db, Application, ApplicationStatus.PENDING, days_before=days_before
        )
        for application_id in claimed:
            application = await self.get(application_id)
            name = (
                str(application.profile_snapshot.get("name", ""))
                if isinstance(application.profile_snapshot, dict)
                else ""
            )
            await self._tell_organization(
                application.position,
                notices.APPLICATION_REMINDER,
                {"name": name, "title": application.position.title, "date": application.respond_by},
            )
        return len(claimed)


def _start_of(day: date) -> datetime:
    """09:00 in Wuhan on ``day``: reminders arrive in working hours."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=SITE_TZ)
