"""The life of a voucher on the student's side: claimed within the budget and the caps, redeemed for one
product (a single-use code the student gives its OPC when the trial starts), then, once the OPC confirmed
delivery with that code, confirmed by the student (the trial took place) or disputed (for an admin); rated
once both sides confirmed.

The rules that money and quotas depend on hold in the database itself (see ``statements``); this service
says why a statement wrote nothing, in words the student reads.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from community.accounts.models import Organization
from community.accounts.models import User as UserModel
from community.accounts.services import OrganizationService
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now
from community.kernel.models import add_unique
from community.kernel.text import clean_body
from community.notifications.services import NotificationService
from community.vouchers import notices
from community.vouchers.inputs import required_reason
from community.vouchers.models import (
    Campaign,
    CampaignStatus,
    Product,
    ProductStatus,
    Rating,
    StudentQuota,
    StudentVerification,
    Suspension,
    VerificationStatus,
    Voucher,
    VoucherStatus,
)
from community.vouchers.services.campaigns import CampaignService, eligible
from community.vouchers.services.ledger import record, refuse
from community.vouchers.services.statements import CLAIM_SQL, REDEEM_SQL
from community.vouchers.views import CODE_LENGTH, VoucherView

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

# Redemption codes: no 0/O, 1/I/L, so that a code read aloud or copied by hand is still right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REVIEW_MAX = 2000


def new_redemption_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class VoucherService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @staticmethod
    def _standing(student: User) -> tuple[Any, Any]:
        """The student's open suspension (its reason) and verified-until date, as columns to select along."""
        suspended = (
            select(Suspension.reason)
            .where(Suspension.user_id == student.id, Suspension.lifted_at.is_(None))
            .limit(1)
            .scalar_subquery()
        )
        valid_until = (
            select(StudentVerification.valid_until)
            .where(
                StudentVerification.user_id == student.id,
                StudentVerification.status == VerificationStatus.VERIFIED,
            )
            .scalar_subquery()
        )
        return suspended, valid_until

    @staticmethod
    def _check_standing(reason: str | None, valid_until: datetime | None) -> None:
        """A verified student, verification not lapsed, not suspended."""
        if reason is not None:
            raise refuse(_("Your account is suspended from the voucher programme: %(reason)s", reason=reason))
        if valid_until is None or valid_until <= now():
            raise refuse(
                _("Your student verification has expired; renew it first.")
                if valid_until is not None
                else _("Verify that you are a student of a Wuhan university first.")
            )

    async def claim(self, student: User, campaign_id: UUID, ip: str | None = None) -> Voucher:
        """Issue one voucher of the campaign to the student, within the budget and the per-student cap.

        One statement reserves the face value from the budget (taking the campaign's row lock, which every
        claim queues on, until the commit right after), counts the student's quota and writes the voucher
        and its log row; when the budget, the dates or the cap say no, it writes nothing."""
        found = (
            await self.db.execute(
                select(Campaign, *self._standing(student)).where(Campaign.id == campaign_id)
            )
        ).first()
        if found is None:
            raise NotFound
        campaign, suspension_reason, valid_until = found
        self._check_standing(suspension_reason, valid_until)
        cap = campaign.per_student_cap  # read now: a rollback below expires the loaded campaign
        moment = now()
        voucher_id = uuid4()
        try:
            statement = await self.db.execute(
                CLAIM_SQL,
                {
                    "campaign_id": campaign_id,
                    "student_id": student.id,
                    "voucher_id": voucher_id,
                    "quota_id": uuid4(),
                    "event_id": uuid4(),
                    "ip": ip,
                    "moment": moment,
                },
            )
            issued = statement.scalar_one()
        except IntegrityError as exc:
            # Two claims of one student at the same moment went past the cap: the CHECK on the quota refused
            # the second and PostgreSQL aborted its transaction, which is rolled back as a whole.
            await self.db.rollback()
            raise refuse(self._cap_message(cap)) from exc
        if issued is None:
            used = await self.db.scalar(
                select(StudentQuota.used).where(
                    StudentQuota.campaign_id == campaign_id, StudentQuota.student_id == student.id
                )
            )
            if used is not None and used >= campaign.per_student_cap:
                raise refuse(self._cap_message(campaign.per_student_cap))
            await self.db.refresh(campaign)
            raise refuse(await self._why_no_claim(campaign_id, moment))
        voucher = await self.db.get(Voucher, voucher_id)
        assert voucher is not None
        return voucher

    @staticmethod
    def _cap_message(cap: int) -> str:
        return _("You already hold %(n)s voucher(s) of this campaign, the most it allows per student.", n=cap)

    async def _why_no_claim(self, campaign_id: UUID, moment: datetime) -> str:
        campaign = await self.db.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound
        if campaign.status is not CampaignStatus.ACTIVE or campaign.ends_at <= moment:
            return _("This campaign has ended.")
        if campaign.starts_at > moment:
            return _("This campaign has not started yet.")
        return _("All vouchers of this campaign have been claimed: its budget is used up.")

    async def redeem(
        self, student: User, voucher_id: UUID, product_id: UUID, ip: str | None = None
    ) -> Voucher:
        """Spend a claimed voucher on a product; the student gets a single-use code for the OPC."""
        used = (
            select(Voucher.id)
            .where(
                Voucher.student_id == student.id,
                Voucher.product_id == product_id,
                Voucher.status != VoucherStatus.VOIDED,
                Voucher.id != voucher_id,
            )
            .limit(1)
            .scalar_subquery()
        )
        found = (
            await self.db.execute(
                select(Voucher, Campaign, Product, used, *self._standing(student))
                .join(Campaign, Campaign.id == Voucher.campaign_id)
                .outerjoin(Product, Product.id == product_id)
                .where(Voucher.id == voucher_id, Voucher.student_id == student.id)
            )
        ).first()
        if found is None:
            raise NotFound
        voucher: Voucher = found[0]
        campaign: Campaign = found[1]
        product: Product | None = found[2]
        used_id, suspension_reason, valid_until = found[3:]
        if product is None or product.status is not ProductStatus.PUBLISHED:
            raise refuse(_("This product is not available for vouchers."), "product")
        self._check_standing(suspension_reason, valid_until)
        makers = await OrganizationService(self.db).member_ids(product.organization_id)
        if student.id in makers:
            org = await self.db.get(Organization, product.organization_id)
            raise refuse(
                _(
                    "You are a member of %(org)s, which makes this product. Related parties cannot redeem "
                    "vouchers for their own products.",
                    org=org.name if org else "",
                ),
                "product",
            )
        if not eligible(campaign, product):
            raise refuse(_("This campaign's vouchers cannot be used for this product."), "product")
        if used_id is not None:
            raise refuse(_("You have already used a voucher for this product."), "product")
        moment = now()
        code = new_redemption_code()
        # One statement: lock the voucher if it is still claimed and unexpired, count it against the
        # product's cap, spend it, and log it; if the voucher was taken or the cap is full, nothing at all
        # is written (no savepoint needed: there is nothing to undo).
        try:
            statement = await self.db.execute(
                REDEEM_SQL,
                {
                    "voucher_id": voucher_id,
                    "student_id": student.id,
                    "campaign_id": campaign.id,
                    "product_id": product_id,
                    "cap": campaign.per_product_cap,
                    "code": code,
                    "ip": ip,
                    "moment": moment,
                    "quota_id": uuid4(),
                    "event_id": uuid4(),
                },
            )
            row = statement.one()
        except IntegrityError as exc:
            # The same student redeeming another voucher for the same product at the same moment: the unique
            # index refused it and PostgreSQL aborted the transaction, so it is rolled back as a whole.
            await self.db.rollback()
            raise refuse(_("You have already used a voucher for this product."), "product") from exc
        found, spent = row
        if not found:
            raise refuse(await self._why_not_redeemable(voucher_id, moment))
        if spent is None:
            raise refuse(_("This product has used up its share of this campaign's vouchers."), "product")
        # What the statement wrote, put on the object as loaded (no second query, nothing marked changed).
        for key, value in (
            ("status", VoucherStatus.REDEEMED),
            ("product_id", product_id),
            ("redemption_code", code),
            ("redeemed_at", moment),
            ("redeemed_ip", ip),
            ("updated_at", moment),
        ):
            set_committed_value(voucher, key, value)
        # The OPC learns of the trial it owes now, not when the student turns up with the code.
        await NotificationService(self.db).notify_many(
            makers, notices.REDEEMED, "/vouchers/opc", {"product": product.name}, actor_id=student.id
        )
        return voucher

    async def _why_not_redeemable(self, voucher_id: UUID, moment: datetime) -> str:
        voucher = await self.db.get(Voucher, voucher_id)
        if voucher is None:
            raise NotFound
        await self.db.refresh(voucher)
        if voucher.status is VoucherStatus.CLAIMED and voucher.expires_at <= moment:
            return _(
                "This voucher expired on %(date)s and can no longer be redeemed.",
                date=voucher.expires_at.date(),
            )
        return {
            VoucherStatus.REDEEMED: _(
                "This voucher has already been redeemed; its code is on your vouchers page."
            ),
            VoucherStatus.DELIVERED: _("This voucher has already been redeemed and its trial delivered."),
            VoucherStatus.DISPUTED: _("This voucher has already been redeemed; its trial is disputed."),
            VoucherStatus.CONFIRMED: _("This voucher has already been redeemed and confirmed."),
            VoucherStatus.SETTLED: _("This voucher has already been redeemed and settled."),
            VoucherStatus.EXPIRED: _("This voucher has expired and can no longer be redeemed."),
            VoucherStatus.VOIDED: _("This voucher was voided: %(reason)s", reason=voucher.void_reason),
        }.get(voucher.status, _("This voucher cannot be redeemed now."))

    async def rate(self, student: User, voucher_id: UUID, stars_raw: str, review_raw: str) -> Rating:
        voucher = await self.db.get(Voucher, voucher_id)
        if voucher is None or voucher.student_id != student.id:
            raise NotFound
        errors: dict[str, str] = {}
        stars = int(stars_raw) if stars_raw.strip() in {"1", "2", "3", "4", "5"} else 0
        if not stars:
            errors["stars"] = _("Choose from 1 to 5 stars.")
        review = clean_body(review_raw)
        if len(review) > REVIEW_MAX:
            errors["review"] = _("Use at most %(n)s characters.", n=REVIEW_MAX)
        if (
            voucher.status not in (VoucherStatus.CONFIRMED, VoucherStatus.SETTLED)
            or voucher.product_id is None
        ):
            errors["stars"] = _("You can rate a product once you and its OPC have confirmed your trial.")
        if errors:
            raise FormError(errors)
        assert voucher.product_id is not None
        rating = Rating(
            product_id=voucher.product_id,
            voucher_id=voucher.id,
            student_id=student.id,
            stars=stars,
            review=review,
        )
        await add_unique(self.db, rating, {"stars": _("You have already rated this product.")})
        await self.db.execute(
            update(Product)
            .where(Product.id == voucher.product_id)
            .values(rating_count=Product.rating_count + 1, rating_sum=Product.rating_sum + stars)
        )
        return rating

    async def confirm_trial(self, student: User, voucher_id: UUID, ip: str | None = None) -> Voucher:
        """The student says the trial the OPC delivered took place: the voucher is confirmed by both sides
        and can be settled. Only from ``delivered``, in one conditional update (a second tab, a double click
        or an admin's void in between finds the state moved on and changes nothing)."""
        moment = now()
        return await self._students_answer(
            student, voucher_id, VoucherStatus.CONFIRMED, {"student_confirmed_at": moment}, moment, ip
        )

    async def dispute(
        self, student: User, voucher_id: UUID, reason_raw: str, ip: str | None = None
    ) -> Voucher:
        """The student says the trial did not take place: the voucher goes to admins, never to settlement
        as it is. The reason is needed: admins read it."""
        voucher = await self._own(student, voucher_id)
        reason = required_reason(reason_raw)
        moment = now()
        await self._students_answer(
            student,
            voucher.id,
            VoucherStatus.DISPUTED,
            {"disputed_at": moment, "dispute_reason": reason},
            moment,
            ip,
            reason=reason,
        )
        product = await self.db.get(Product, voucher.product_id) if voucher.product_id else None
        admins = list((await self.db.scalars(select(UserModel.id).where(UserModel.is_admin.is_(True)))).all())
        await NotificationService(self.db).notify_many(
            admins,
            notices.DISPUTED,
            "/admin/vouchers/disputes",
            {"product": product.name if product else ""},
            actor_id=student.id,
        )
        return voucher

    async def _students_answer(
        self,
        student: User,
        voucher_id: UUID,
        to: VoucherStatus,
        values: dict[str, Any],
        moment: datetime,
        ip: str | None,
        reason: str = "",
    ) -> Voucher:
        """The student's answer to a delivered trial (confirmed or disputed), in one conditional update from
        ``delivered``, recorded on the voucher's timeline."""
        voucher = await self._own(student, voucher_id)
        if not await self._move(voucher, student, VoucherStatus.DELIVERED, to, values, moment):
            raise refuse(self._why_not_confirmable(voucher))
        await record(
            self.db,
            [voucher.id],
            VoucherStatus.DELIVERED,
            to,
            actor_id=student.id,
            ip=ip,
            reason=reason,
            moment=moment,
        )
        return voucher

    async def _own(self, student: User, voucher_id: UUID) -> Voucher:
        """The student's own voucher; anyone else's is not found."""
        voucher = await self.db.get(Voucher, voucher_id)
        if voucher is None or voucher.student_id != student.id:
            raise NotFound
        return voucher

    async def _move(
        self,
        voucher: Voucher,
        student: User,
        before: VoucherStatus,
        after: VoucherStatus,
        values: dict[str, Any],
        moment: datetime,
    ) -> bool:
        """Move the student's voucher from ``before`` to ``after`` if it is still there; then reload it."""
        done = (
            await self.db.execute(
                update(Voucher)
                .where(Voucher.id == voucher.id, Voucher.student_id == student.id, Voucher.status == before)
                .values(status=after, updated_at=moment, **values)
                .returning(Voucher.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        await self.db.refresh(voucher)
        return done is not None

    @staticmethod
    def _why_not_confirmable(voucher: Voucher) -> str:
        return {
            VoucherStatus.REDEEMED: _(
                "The OPC has not confirmed delivering this trial yet. Give them your code when the trial "
                "starts; then confirm it here."
            ),
            VoucherStatus.CONFIRMED: _("You have already confirmed this trial."),
            VoucherStatus.SETTLED: _("You have already confirmed this trial."),
            VoucherStatus.DISPUTED: _("You have disputed this trial; an admin will decide and tell you."),
            VoucherStatus.VOIDED: _("This voucher was voided: %(reason)s", reason=voucher.void_reason),
        }.get(voucher.status, _("This voucher has no trial to confirm."))

    async def of_student(self, student_id: UUID) -> list[VoucherView]:
        await CampaignService(self.db).expire_due(student_id=student_id)
        rows = await self.db.execute(
            select(Voucher, Campaign, Product, Rating)
            .join(Campaign, Campaign.id == Voucher.campaign_id)
            .outerjoin(Product, Product.id == Voucher.product_id)
            .outerjoin(Rating, Rating.voucher_id == Voucher.id)
            .where(Voucher.student_id == student_id)
            .order_by(Voucher.created_at.desc())
        )
        return [VoucherView(v, c, p, r) for v, c, p, r in rows.all()]

    async def claimable_for_product(self, student_id: UUID, product: Product) -> list[VoucherView]:
        return [
            view
            for view in await self.of_student(student_id)
            if view.voucher.status is VoucherStatus.CLAIMED and eligible(view.campaign, product)
        ]
