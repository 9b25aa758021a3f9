"""Student verification: a Wuhan university from the maintained list, then a code mailed to the student's
university address, or proof an admin reviews. Verified until a date; renewable; one address per account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from community.accounts.services import check_email, normalize_email
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import SITE_TZ, now, today
from community.kernel.models import get_or_404
from community.kernel.text import clean_body, clean_line
from community.notifications.services import NotificationService
from community.storage import UploadStore
from community.vouchers import notices
from community.vouchers.inputs import REASON_MAX, optional_uuid, required_reason
from community.vouchers.models import (
    StudentVerification,
    Suspension,
    University,
    VerificationMethod,
    VerificationStatus,
)
from community.vouchers.services.universities import UniversityService, domain_matches
from community.vouchers.views import StudentStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User
    from community.notifications.email import Mailer
    from community.vouchers.inputs import ProofReview

# UniversityService is imported from here by other zones' code and tests.
__all__ = ("PROOF_MAX_BYTES", "StudentService", "StudentStatus", "UniversityService", "default_valid_until")

CODE_TTL = timedelta(minutes=15)
CODE_ATTEMPTS = 5  # tries of one code
# Per account and per day in Wuhan, across every code of the day (a new code does not reset them): a code
# is one of a million, so an account guesses one with odds of 1 in 100,000 a day.
CODES_PER_DAY = 5
CODE_ATTEMPTS_PER_DAY = 10
VERIFICATION_DAYS = 365
PROOF_MAX_BYTES = 5 * 1024 * 1024
# Where proofs are kept in the upload store.
PROOF_AREA = "proofs"
# Accepted proof files, recognised by their first bytes (never by the name or the declared type).
PROOF_TYPES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}


def hash_code(verification_id: UUID, code: str) -> str:
    return hashlib.sha256(f"{verification_id}:{code}".encode()).hexdigest()


class StudentService:
    def __init__(self, db: AsyncSession, uploads: UploadStore | None = None) -> None:
        self.db = db
        self.uploads = uploads

    async def status(self, user_id: UUID) -> StudentStatus:
        verification = await self.db.scalar(
            select(StudentVerification).where(StudentVerification.user_id == user_id)
        )
        university = (
            await self.db.get(University, verification.university_id) if verification is not None else None
        )
        suspension = await self.db.scalar(
            select(Suspension).where(Suspension.user_id == user_id, Suspension.lifted_at.is_(None))
        )
        return StudentStatus(verification, university, suspension)

    async def _row_of(
        self, user_id: UUID, university_id: UUID, method: VerificationMethod, status: VerificationStatus
    ) -> StudentVerification:
        """The account's one verification row, locked; a new one (``method``, ``status``) if it has none."""
        row = await self.db.scalar(
            select(StudentVerification).where(StudentVerification.user_id == user_id).with_for_update()
        )
        if row is None:
            row = StudentVerification(
                user_id=user_id, university_id=university_id, method=method, status=status
            )
            self.db.add(row)
            await self.db.flush()
        return row

    async def start_email(
        self, user: User, university_id_raw: str, email_raw: str, mailer: Mailer
    ) -> StudentVerification:
        """Send a six-digit code to the university address; the student types it on the next page."""
        email = normalize_email(email_raw)
        errors: dict[str, str] = {}
        university = await self._university(university_id_raw, errors)
        check_email(email, errors)
        if (
            university is not None
            and "email" not in errors
            and not domain_matches(email, university.email_domains)
        ):
            errors["email"] = _(
                "Use your address at %(university)s: it ends in %(domains)s.",
                university=university.name,
                domains=" / ".join("@" + d for d in university.email_domains),
            )
        if "email" not in errors:
            taken = await self.db.scalar(
                select(StudentVerification.id).where(
                    func.lower(StudentVerification.email) == email,
                    StudentVerification.status == VerificationStatus.VERIFIED,
                    StudentVerification.user_id != user.id,
                )
            )
            if taken:
                errors["email"] = _("This university address already verifies another account.")
        if errors or university is None:
            raise FormError(errors)
        row = await self._row_of(
            user.id, university.id, VerificationMethod.EMAIL, VerificationStatus.CODE_SENT
        )
        if row.status is VerificationStatus.PENDING_REVIEW:
            raise FormError({"email": _("Your proof is waiting for an admin; you will be told the result.")})
        if not await self._count_today(row, StudentVerification.codes_sent_today, CODES_PER_DAY):
            raise FormError(
                {
                    "email": _(
                        "You have asked for %(n)s codes today, the most a day. Try again tomorrow.",
                        n=CODES_PER_DAY,
                    )
                }
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        # A renewal: the current verification stands until the new code is confirmed.
        if row.status is not VerificationStatus.VERIFIED:
            row.status = VerificationStatus.CODE_SENT
            row.method = VerificationMethod.EMAIL
            row.university_id = university.id
        row.pending_email = email
        row.code_hash = hash_code(row.id, code)
        row.code_expires_at = now() + CODE_TTL
        row.code_attempts = 0
        await self.db.flush()
        await mailer.send_template(
            email,
            _("Your student verification code: %(code)s", code=code),
            "vouchers/email/student_code.txt",
            code=code,
            university=university.name,
            minutes=int(CODE_TTL.total_seconds() // 60),
            name=user.display_name,
        )
        return row

    async def confirm_code(self, user: User, code_raw: str) -> StudentVerification:
        code = "".join(ch for ch in clean_line(code_raw) if ch.isdigit())[:6]
        row = await self.db.scalar(
            select(StudentVerification).where(StudentVerification.user_id == user.id).with_for_update()
        )
        if row is None or row.code_hash is None:
            raise FormError({"code": _("Ask for a code first.")})
        if row.code_expires_at is None or row.code_expires_at < now():
            raise FormError({"code": _("This code has expired. Ask for a new one.")})
        if row.code_attempts >= CODE_ATTEMPTS:
            raise FormError({"code": _("Too many wrong codes. Ask for a new one.")})
        # Every try counts, the right one too: past the day's tries even the right code is refused, or the
        # cap would not stop guessing.
        if not await self._count_today(row, StudentVerification.code_attempts_today, CODE_ATTEMPTS_PER_DAY):
            raise FormError(
                {
                    "code": _(
                        "You have tried %(n)s codes today, the most a day. Try again tomorrow, or send "
                        "proof of your studies for an admin to review.",
                        n=CODE_ATTEMPTS_PER_DAY,
                    )
                }
            )
        if len(code) != 6 or not secrets.compare_digest(hash_code(row.id, code), row.code_hash):
            row.code_attempts += 1
            left = min(CODE_ATTEMPTS - row.code_attempts, CODE_ATTEMPTS_PER_DAY - row.code_attempts_today)
            # The attempt must count even though the form comes back with an error: commit it here.
            await self.db.commit()
            raise FormError({"code": _("The code is wrong. %(n)s attempts left.", n=left)})
        row.email = row.pending_email or row.email
        row.university_id = await self._university_of(row.email) or row.university_id
        row.pending_email = None
        row.status = VerificationStatus.VERIFIED
        row.method = VerificationMethod.EMAIL
        row.code_hash = None
        row.code_expires_at = None
        row.verified_at = now()
        row.valid_until = default_valid_until()
        row.reason = ""
        try:
            async with self.db.begin_nested():
                await self.db.flush()
        except IntegrityError as exc:  # another account verified this address a moment ago
            raise FormError({"code": _("This university address already verifies another account.")}) from exc
        return row

    async def _count_today(self, row: StudentVerification, counter: Any, cap: int) -> bool:
        """Count one more against the account's ``counter`` for today (both counters start again on a new
        day), in one conditional update; False, and nothing counted, when today's ``cap`` is reached."""
        day = today()
        new_day = StudentVerification.code_day.is_distinct_from(day)
        counters = (StudentVerification.codes_sent_today, StudentVerification.code_attempts_today)
        values = {
            other.key: case(
                (new_day, 1 if other is counter else 0), else_=other + (1 if other is counter else 0)
            )
            for other in counters
        }
        done = (
            await self.db.execute(
                update(StudentVerification)
                .where(StudentVerification.id == row.id, new_day | (counter < cap))
                .values(code_day=day, **values)
                .returning(StudentVerification.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        await self.db.refresh(row, ["code_day", "codes_sent_today", "code_attempts_today"])
        return done is not None

    async def submit_proof(
        self, user: User, university_id_raw: str, filename: str, content_type: str, content: bytes, note: str
    ) -> StudentVerification:
        """Keep an uploaded proof (student card, enrolment certificate) for an admin, outside static files."""
        errors: dict[str, str] = {}
        university = await self._university(university_id_raw, errors)
        kind = next((t for t, (magic, _ext) in PROOF_TYPES.items() if content.startswith(magic)), None)
        if not content:
            errors["proof"] = _(
                "Choose a file: a PDF, PNG or JPEG of your student card or enrolment certificate."
            )
        elif len(content) > PROOF_MAX_BYTES:
            errors["proof"] = _("The file is larger than 5 MB. Send a smaller scan or photo.")
        elif kind is None:
            errors["proof"] = _("Only PDF, PNG and JPEG files are accepted.")
        note = clean_body(note)
        if len(note) > REASON_MAX:
            errors["note"] = _("Use at most %(n)s characters.", n=REASON_MAX)
        if errors or university is None or kind is None:
            raise FormError(errors)
        if self.uploads is None:
            raise RuntimeError("no store for proofs")
        row = await self._row_of(
            user.id, university.id, VerificationMethod.PROOF, VerificationStatus.PENDING_REVIEW
        )
        if row.status is VerificationStatus.VERIFIED and not StudentStatus(row, None, None).may_renew:
            raise FormError({"proof": _("You are verified already.")})
        stored = await self.uploads.save(PROOF_AREA, content, PROOF_TYPES[kind][1])
        old_path = row.proof_path
        row.university_id = university.id
        row.method = VerificationMethod.PROOF
        row.status = VerificationStatus.PENDING_REVIEW
        row.proof_path = stored
        row.proof_filename = clean_line(filename)[-200:] or stored
        row.proof_content_type = kind
        row.proof_size = len(content)
        row.student_note = note
        row.reason = ""
        await self.db.flush()
        if old_path and old_path != stored:
            await self.uploads.remove(PROOF_AREA, [old_path])
        return row

    async def grant(
        self,
        user_id: UUID,
        university_id: UUID,
        email: str | None,
        *,
        reviewed_by_id: UUID | None = None,
        valid_until: datetime | None = None,
    ) -> StudentVerification:
        """Record a verification an admin made by other means (and the demo data's students)."""
        row = await self._row_of(
            user_id, university_id, VerificationMethod.PROOF, VerificationStatus.VERIFIED
        )
        row.university_id = university_id
        row.status = VerificationStatus.VERIFIED
        row.email = normalize_email(email) if email else None
        row.verified_at = now()
        row.valid_until = valid_until or default_valid_until()
        row.reviewed_by_id = reviewed_by_id
        await self.db.flush()
        return row

    async def pending_reviews(self) -> Sequence[tuple[StudentVerification, str, str, str]]:
        from community.accounts.models import User as UserModel

        rows = await self.db.execute(
            select(StudentVerification, UserModel.display_name, UserModel.email, University.name)
            .join(UserModel, UserModel.id == StudentVerification.user_id)
            .join(University, University.id == StudentVerification.university_id)
            .where(StudentVerification.status == VerificationStatus.PENDING_REVIEW)
            .order_by(StudentVerification.updated_at)
        )
        return [(v, name, email, uni) for v, name, email, uni in rows.all()]

    async def get(self, verification_id: UUID) -> StudentVerification:
        return await get_or_404(self.db, StudentVerification, verification_id)

    async def proof_file(self, row: StudentVerification) -> tuple[str, bytes]:
        """The proof a student sent (its extension and bytes), for the admin reviewing it."""
        content = (
            await self.uploads.read(PROOF_AREA, row.proof_path)
            if self.uploads is not None and row.proof_path
            else None
        )
        if content is None or row.proof_path is None:
            raise NotFound
        return row.proof_path.rsplit(".", 1)[-1], content

    async def review(self, admin: User, verification_id: UUID, decision: ProofReview) -> StudentVerification:
        """Verify the student (until the date given, a year by default) or reject the proof with a reason."""
        row = await self.db.scalar(
            select(StudentVerification).where(StudentVerification.id == verification_id).with_for_update()
        )
        if row is None:
            raise NotFound
        if row.status is not VerificationStatus.PENDING_REVIEW:
            raise FormError({"reason": _("This proof has been reviewed already.")})
        if decision.approve:
            until = decision.valid_until or default_valid_until()
            if until <= now():
                raise FormError({"valid_until": _("Choose a date in the future.")})
            row.status = VerificationStatus.VERIFIED
            row.verified_at = now()
            row.valid_until = until
            row.reason = clean_body(decision.reason)[:REASON_MAX]
            notice, url = notices.STUDENT_VERIFIED, "/vouchers"
        else:
            row.reason = required_reason(decision.reason)
            row.status = VerificationStatus.REJECTED
            notice, url = notices.STUDENT_REJECTED, "/vouchers/verify"
        row.reviewed_by_id = admin.id
        await NotificationService(self.db).notify(
            row.user_id, notice, url, {"reason": row.reason}, actor_id=admin.id
        )
        await self.db.flush()
        return row

    async def _university_of(self, email: str | None) -> UUID | None:
        if not email:
            return None
        for university in await UniversityService(self.db).list():
            if domain_matches(email, university.email_domains):
                return university.id
        return None

    async def _university(self, raw: str, errors: dict[str, str]) -> University | None:
        university_id = optional_uuid(raw)
        university = await self.db.get(University, university_id) if university_id else None
        if university is None or not university.active:
            errors["university"] = _("Choose your university from the list.")
            return None
        return university


def default_valid_until() -> datetime:
    """A verification lasts a year, to the end of that day in Wuhan."""
    end = (now() + timedelta(days=VERIFICATION_DAYS)).astimezone(SITE_TZ)
    return end.replace(hour=23, minute=59, second=59, microsecond=0)
