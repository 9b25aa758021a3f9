"""Voucher campaigns and the life of a voucher: claimed → redeemed → confirmed → settled, or expired / voided.

Every rule that money or a quota depends on holds in the database, whatever the number of app processes:

* the budget: one conditional ``UPDATE voucher_campaign ... WHERE reserved_fen + face_value_fen <=
  budget_fen`` (it takes the campaign's row lock, so claims queue on it and each sees the previous one's
  result), with a CHECK constraint that refuses an overspent budget even to code that forgets the condition;
* the caps per student and per product: counter rows upserted with ``ON CONFLICT DO UPDATE ... WHERE used <
  cap``, CHECK ``used <= cap``;
* single use: every state change is a conditional UPDATE on the voucher's current state, so of twenty
  concurrent redemptions exactly one finds it "claimed"; redemption codes and "one voucher per student per
  product" are unique indexes;
* every change writes a row of the audit log in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from community.accounts.models import Organization
from community.accounts.services import OrganizationService, clean_text
from community.errors import FormError, NotFound
from community.i18n import _
from community.notifications.services import NotificationService
from community.vocabulary import DOMAINS
from community.vouchers.labels import label
from community.vouchers.models import (
    Campaign,
    CampaignStatus,
    Product,
    ProductQuota,
    ProductStatus,
    Rating,
    StudentQuota,
    StudentVerification,
    Suspension,
    VerificationStatus,
    Voucher,
    VoucherEvent,
    VoucherStatus,
)
from community.vouchers.services.common import (
    now,
    parse_local_datetime,
    positive_int,
    required_reason,
    yuan_to_fen,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

# Redemption codes: no 0/O, 1/I/L, so that a code read aloud or copied by hand is still right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CLAIM_SQL = text(
    """
    WITH reserved AS (
        UPDATE voucher_campaign AS c
        SET reserved_fen = c.reserved_fen + c.face_value_fen, issued_count = c.issued_count + 1
        WHERE c.id = :campaign_id AND c.status = 'active' AND c.starts_at <= :moment AND c.ends_at > :moment
            AND c.reserved_fen + c.face_value_fen <= c.budget_fen
            AND NOT EXISTS (
                SELECT 1 FROM voucher_student_quota AS q
                WHERE q.campaign_id = :campaign_id AND q.student_id = :student_id AND q.used >= q.cap
            )
        RETURNING c.id, c.face_value_fen, c.ends_at, c.per_student_cap
    ), quota AS (
        INSERT INTO voucher_student_quota AS q
            (id, campaign_id, student_id, used, cap, created_at, updated_at)
        SELECT :quota_id, id, :student_id, 1, per_student_cap, :moment, :moment FROM reserved
        ON CONFLICT ON CONSTRAINT uq_voucher_student_quota
        DO UPDATE SET used = q.used + 1, updated_at = :moment
        RETURNING used
    ), issued AS (
        INSERT INTO voucher (id, campaign_id, student_id, status, face_value_fen, expires_at, void_reason,
            created_at, updated_at)
        SELECT :voucher_id, id, :student_id, 'claimed', face_value_fen, ends_at, '', :moment, :moment
        FROM reserved
        RETURNING id
    ), logged AS (
        INSERT INTO voucher_event
            (id, voucher_id, from_status, to_status, actor_id, ip, reason, created_at, updated_at)
        SELECT :event_id, id, NULL, 'claimed', :student_id, CAST(CAST(:ip AS text) AS inet), '',
            :moment, :moment
        FROM issued
    )
    SELECT (SELECT id FROM issued)
    """
)
REDEEM_SQL = text(
    """
    WITH target AS (
        SELECT id FROM voucher
        WHERE id = :voucher_id AND student_id = :student_id AND status = 'claimed' AND expires_at > :moment
        FOR UPDATE
    ), quota AS (
        INSERT INTO voucher_product_quota AS q
            (id, campaign_id, product_id, used, cap, created_at, updated_at)
        SELECT :quota_id, :campaign_id, :product_id, 1, :cap, :moment, :moment FROM target
        ON CONFLICT ON CONSTRAINT uq_voucher_product_quota
        DO UPDATE SET used = q.used + 1, updated_at = :moment WHERE q.used < q.cap
        RETURNING used
    ), spent AS (
        UPDATE voucher
        SET status = 'redeemed', product_id = :product_id, redemption_code = :code, redeemed_at = :moment,
            redeemed_ip = CAST(CAST(:ip AS text) AS inet), updated_at = :moment
        WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM quota)
        RETURNING id
    ), logged AS (
        INSERT INTO voucher_event
            (id, voucher_id, from_status, to_status, actor_id, ip, reason, created_at, updated_at)
        SELECT :event_id, id, 'claimed', 'redeemed', :student_id, CAST(CAST(:ip AS text) AS inet), '',
            :moment, :moment
        FROM spent
    )
    SELECT (SELECT count(*) FROM target) AS found, (SELECT id FROM spent) AS spent
    """
)
REVIEW_MAX = 2000


def new_redemption_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in clean_text(raw).upper() if ch.isalnum())[:CODE_LENGTH]


def format_code(code: str | None) -> str:
    return f"{code[:5]}-{code[5:]}" if code and len(code) == CODE_LENGTH else (code or "")


@dataclass(frozen=True)
class CampaignInput:
    name: str
    funder: str
    description: str
    budget_fen: int
    face_value_fen: int
    per_student_cap: int
    per_product_cap: int
    eligible_domains: list[str]
    eligible_product_ids: list[UUID]
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> CampaignInput:
        def one(key: str) -> str:
            value = data.get(key, "")
            if isinstance(value, list):
                value = value[-1] if value else ""
            return str(value)

        def many(key: str) -> list[str]:
            value = data.get(key, [])
            return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])

        errors: dict[str, str] = {}
        name, funder = clean_text(one("name")), clean_text(one("funder"))
        if not name or len(name) > 120:
            errors["name"] = _("Enter the campaign's name (at most 120 characters).")
        if not funder or len(funder) > 120:
            errors["funder"] = _("Enter who funds the campaign (at most 120 characters).")
        description = clean_text(one("description"))
        if len(description) > 5000:
            errors["description"] = _("Use at most %(n)s characters.", n=5000)
        budget = yuan_to_fen(one("budget"), errors, "budget")
        face = yuan_to_fen(one("face_value"), errors, "face_value")
        if budget and face and face > budget:
            errors["face_value"] = _("The face value cannot be more than the budget.")
        per_student = positive_int(one("per_student_cap"), errors, "per_student_cap", maximum=100)
        per_product = positive_int(one("per_product_cap"), errors, "per_product_cap")
        domains = [d for d in dict.fromkeys(clean_text(d) for d in many("eligible_domains")) if d]
        if any(d not in DOMAINS for d in domains):
            errors["eligible_domains"] = _("Choose domains from the list.")
        product_ids: list[UUID] = []
        for raw in many("eligible_products"):
            try:
                product_ids.append(UUID(clean_text(raw)))
            except ValueError:
                errors["eligible_products"] = _("Choose products from the list.")
        starts = parse_local_datetime(one("starts_at"), errors, "starts_at")
        ends = parse_local_datetime(one("ends_at"), errors, "ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = _("The campaign must end after it starts.")
        if errors:
            raise FormError(errors)
        return cls(
            name,
            funder,
            description,
            budget,
            face,
            per_student,
            per_product,
            domains,
            product_ids,
            starts,
            ends,
        )


@dataclass(frozen=True)
class VoucherView:
    voucher: Voucher
    campaign: Campaign
    product: Product | None
    rating: Rating | None


class _Stop(Exception):
    """Leave a savepoint, undoing what it did, for the reason given."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refuse(message: str, field: str = "voucher") -> FormError:
    return FormError({field: message})


class VoucherService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- campaigns --------------------------------------------------------------------------------------

    async def create_campaign(self, admin: User, data: CampaignInput) -> Campaign:
        assert data.starts_at is not None and data.ends_at is not None
        if data.eligible_product_ids:
            found = await self.db.scalar(
                select(func.count()).select_from(Product).where(Product.id.in_(data.eligible_product_ids))
            )
            if found != len(set(data.eligible_product_ids)):
                raise FormError({"eligible_products": _("Choose products from the list.")})
        campaign = Campaign(
            name=data.name,
            funder=data.funder,
            description=data.description,
            budget_fen=data.budget_fen,
            face_value_fen=data.face_value_fen,
            per_student_cap=data.per_student_cap,
            per_product_cap=data.per_product_cap,
            eligible_domains=data.eligible_domains,
            eligible_product_ids=list(dict.fromkeys(data.eligible_product_ids)),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            status=CampaignStatus.ACTIVE,
            created_by_id=admin.id,
        )
        self.db.add(campaign)
        await self.db.flush()
        return campaign

    async def campaign(self, campaign_id: UUID) -> Campaign:
        campaign = await self.db.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound
        return campaign

    async def campaigns(self, *, running_only: bool = False) -> Sequence[Campaign]:
        query = select(Campaign).order_by(Campaign.starts_at.desc())
        if running_only:
            moment = now()
            query = query.where(
                Campaign.status == CampaignStatus.ACTIVE,
                Campaign.starts_at <= moment,
                Campaign.ends_at > moment,
            )
        return (await self.db.scalars(query)).all()

    async def close_campaign(self, admin: User, campaign_id: UUID) -> Campaign:
        """End a campaign now: nothing more is claimed; unredeemed vouchers expire."""
        campaign = await self.db.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
        if campaign is None:
            raise NotFound
        campaign.status = CampaignStatus.CLOSED
        campaign.ends_at = min(campaign.ends_at, now())
        await self.db.execute(
            update(Voucher)
            .where(Voucher.campaign_id == campaign_id, Voucher.expires_at > campaign.ends_at)
            .values(expires_at=campaign.ends_at)
        )
        await self.db.flush()
        await self.expire_due(campaign_id)
        return campaign

    @staticmethod
    def eligible(campaign: Campaign, product: Product) -> bool:
        if not campaign.eligible_domains and not campaign.eligible_product_ids:
            return True
        return product.id in campaign.eligible_product_ids or bool(
            set(campaign.eligible_domains) & set(product.domains)
        )

    # --- the student's side ------------------------------------------------------------------------------

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
        if not self.eligible(campaign, product):
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
            makers,
            "voucher_redeemed",
            _(
                "A student redeemed a voucher for %(product)s. Confirm the trial with the student's code "
                "once it is delivered.",
                product=product.name,
            ),
            "/vouchers/opc",
            actor_id=student.id,
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
        review = clean_text(review_raw)
        if len(review) > REVIEW_MAX:
            errors["review"] = _("Use at most %(n)s characters.", n=REVIEW_MAX)
        if (
            voucher.status not in (VoucherStatus.CONFIRMED, VoucherStatus.SETTLED)
            or voucher.product_id is None
        ):
            errors["stars"] = _("You can rate a product once its OPC has confirmed your trial.")
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
        try:
            async with self.db.begin_nested():
                self.db.add(rating)
                await self.db.flush()
        except IntegrityError as exc:
            raise FormError({"stars": _("You have already rated this product.")}) from exc
        await self.db.execute(
            update(Product)
            .where(Product.id == voucher.product_id)
            .values(rating_count=Product.rating_count + 1, rating_sum=Product.rating_sum + stars)
        )
        return rating

    async def of_student(self, student_id: UUID) -> list[VoucherView]:
        await self.expire_due(student_id=student_id)
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
            if view.voucher.status is VoucherStatus.CLAIMED and self.eligible(view.campaign, product)
        ]

    # --- the OPC's side ---------------------------------------------------------------------------------

    async def confirm(self, user: User, code_raw: str, ip: str | None = None) -> Voucher:
        """The OPC confirms that the trial was delivered; the code is used up by this."""
        code = normalize_code(code_raw)
        if len(code) != CODE_LENGTH:
            raise refuse(_("Enter the 10-character code the student shows you."), "code")
        voucher = await self.db.scalar(select(Voucher).where(Voucher.redemption_code == code))
        product = await self.db.get(Product, voucher.product_id) if voucher and voucher.product_id else None
        if voucher is None or product is None:
            raise refuse(_("No voucher has this code. Check it with the student."), "code")
        if not user.is_admin and user.id not in await OrganizationService(self.db).member_ids(
            product.organization_id
        ):
            raise refuse(_("This code is for a product of another organization."), "code")
        if voucher.student_id == user.id:
            raise refuse(_("You cannot confirm your own voucher."), "code")
        moment = now()
        done = (
            await self.db.execute(
                update(Voucher)
                .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.REDEEMED)
                .values(
                    status=VoucherStatus.CONFIRMED,
                    confirmed_at=moment,
                    confirmed_by_id=user.id,
                    updated_at=moment,
                )
                .returning(Voucher.id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if done is None:
            await self.db.refresh(voucher)
            raise refuse(
                _("This code was confirmed already.")
                if voucher.status in (VoucherStatus.CONFIRMED, VoucherStatus.SETTLED)
                else _("This voucher cannot be confirmed: it is %(status)s.", status=label(voucher.status)),
                "code",
            )
        await self._log(voucher.id, VoucherStatus.REDEEMED, VoucherStatus.CONFIRMED, user.id, ip)
        await NotificationService(self.db).notify(
            voucher.student_id,
            "voucher_confirmed",
            _("%(product)s confirmed your trial. Rate it now.", product=product.name),
            "/vouchers",
            actor_id=user.id,
        )
        await self.db.refresh(voucher)
        return voucher

    async def redemptions_of_organizations(
        self,
        organization_ids: Sequence[UUID],
        statuses: Sequence[VoucherStatus] | None = None,
        limit: int = 200,
    ) -> Sequence[tuple[Voucher, Product]]:
        if not organization_ids:
            return []
        query = (
            select(Voucher, Product)
            .join(Product, Product.id == Voucher.product_id)
            .where(Product.organization_id.in_(organization_ids))
            .order_by(Voucher.redeemed_at.desc())
            .limit(limit)
        )
        if statuses:
            query = query.where(Voucher.status.in_(statuses))
        return [(v, p) for v, p in (await self.db.execute(query)).all()]

    # --- admins -----------------------------------------------------------------------------------------

    async def void(self, admin: User, voucher_id: UUID, reason_raw: str) -> Voucher:
        errors: dict[str, str] = {}
        reason = required_reason(reason_raw, errors)
        if errors:
            raise FormError(errors)
        voucher = await self.db.scalar(select(Voucher).where(Voucher.id == voucher_id).with_for_update())
        if voucher is None:
            raise NotFound
        if voucher.status not in (VoucherStatus.CLAIMED, VoucherStatus.REDEEMED, VoucherStatus.CONFIRMED):
            raise refuse(_("Only a claimed, redeemed or confirmed voucher can be voided."), "reason")
        await self._void_locked(voucher, reason, admin.id)
        return voucher

    async def _void_locked(self, voucher: Voucher, reason: str, actor_id: UUID | None) -> None:
        before = voucher.status
        voucher.status = VoucherStatus.VOIDED
        voucher.void_reason = reason
        await self.db.execute(
            update(Campaign)
            .where(Campaign.id == voucher.campaign_id)
            .values(reserved_fen=Campaign.reserved_fen - voucher.face_value_fen)
        )
        if voucher.product_id is not None:
            await self.db.execute(
                update(ProductQuota)
                .where(
                    ProductQuota.campaign_id == voucher.campaign_id,
                    ProductQuota.product_id == voucher.product_id,
                )
                .values(used=ProductQuota.used - 1)
            )
        await self._log(voucher.id, before, VoucherStatus.VOIDED, actor_id, None, reason)
        await NotificationService(self.db).notify(
            voucher.student_id,
            "voucher_voided",
            _("A voucher of yours was voided: %(reason)s", reason=reason),
            "/vouchers",
            actor_id=actor_id,
        )
        await self.db.flush()

    async def suspend(self, admin: User, user_id: UUID, reason_raw: str) -> Suspension:
        """Bar an account from the programme; its open vouchers are voided with the same reason."""
        errors: dict[str, str] = {}
        reason = required_reason(reason_raw, errors)
        if errors:
            raise FormError(errors)
        if user_id == admin.id:
            raise FormError({"reason": _("You cannot suspend yourself.")})
        suspension = Suspension(user_id=user_id, reason=reason, suspended_by_id=admin.id)
        try:
            async with self.db.begin_nested():
                self.db.add(suspension)
                await self.db.flush()
        except IntegrityError as exc:
            raise FormError({"reason": _("This account is suspended already.")}) from exc
        vouchers = (
            await self.db.scalars(
                select(Voucher)
                .where(
                    Voucher.student_id == user_id,
                    Voucher.status.in_([VoucherStatus.CLAIMED, VoucherStatus.REDEEMED]),
                )
                .with_for_update()
            )
        ).all()
        for voucher in vouchers:
            await self._void_locked(voucher, reason, admin.id)
        await NotificationService(self.db).notify(
            user_id,
            "voucher_suspended",
            _("Your account is suspended from the voucher programme: %(reason)s", reason=reason),
            "/vouchers",
            actor_id=admin.id,
        )
        return suspension

    async def lift_suspension(self, admin: User, suspension_id: UUID) -> None:
        done = await self.db.execute(
            update(Suspension)
            .where(Suspension.id == suspension_id, Suspension.lifted_at.is_(None))
            .values(lifted_at=now())
            .returning(Suspension.user_id)
        )
        row = done.first()
        if row is None:
            raise NotFound
        await NotificationService(self.db).notify(
            row[0],
            "voucher_unsuspended",
            _("Your suspension from the voucher programme was lifted."),
            "/vouchers",
            actor_id=admin.id,
        )

    async def suspensions(self) -> Sequence[tuple[Suspension, str, str]]:
        from community.accounts.models import User as UserModel

        rows = await self.db.execute(
            select(Suspension, UserModel.display_name, UserModel.email)
            .join(UserModel, UserModel.id == Suspension.user_id)
            .where(Suspension.lifted_at.is_(None))
            .order_by(Suspension.created_at.desc())
        )
        return [(s, n, e) for s, n, e in rows.all()]

    async def expire_due(self, campaign_id: UUID | None = None, student_id: UUID | None = None) -> int:
        """Unredeemed vouchers past their campaign's end expire; their share of the budget is released."""
        moment = now()
        where = [Voucher.status == VoucherStatus.CLAIMED, Voucher.expires_at <= moment]
        if campaign_id is not None:
            where.append(Voucher.campaign_id == campaign_id)
        if student_id is not None:
            where.append(Voucher.student_id == student_id)
        rows = (
            await self.db.execute(
                update(Voucher)
                .where(*where)
                .values(status=VoucherStatus.EXPIRED, updated_at=moment)
                .returning(Voucher.id, Voucher.campaign_id, Voucher.face_value_fen)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if not rows:
            return 0
        released: dict[UUID, int] = {}
        for _id, campaign, face in rows:
            released[campaign] = released.get(campaign, 0) + face
        for campaign, amount in released.items():
            await self.db.execute(
                update(Campaign)
                .where(Campaign.id == campaign)
                .values(reserved_fen=Campaign.reserved_fen - amount)
            )
        await self.db.execute(
            insert(VoucherEvent),
            [
                {
                    "id": uuid4(),
                    "voucher_id": voucher_id,
                    "from_status": VoucherStatus.CLAIMED.value,
                    "to_status": VoucherStatus.EXPIRED.value,
                    "reason": "campaign ended",
                    "created_at": moment,
                    "updated_at": moment,
                }
                for voucher_id, _c, _f in rows
            ],
        )
        return len(rows)

    async def history(self, voucher_id: UUID) -> Sequence[tuple[VoucherEvent, str | None]]:
        from community.accounts.models import User as UserModel

        rows = await self.db.execute(
            select(VoucherEvent, UserModel.display_name)
            .outerjoin(UserModel, UserModel.id == VoucherEvent.actor_id)
            .where(VoucherEvent.voucher_id == voucher_id)
            .order_by(VoucherEvent.created_at, VoucherEvent.id)
        )
        return [(e, n) for e, n in rows.all()]

    async def vouchers_of_campaign(
        self, campaign_id: UUID, status: VoucherStatus | None = None, limit: int = 200
    ) -> Sequence[tuple[Voucher, str, Product | None]]:
        from community.accounts.models import User as UserModel

        query = (
            select(Voucher, UserModel.display_name, Product)
            .join(UserModel, UserModel.id == Voucher.student_id)
            .outerjoin(Product, Product.id == Voucher.product_id)
            .where(Voucher.campaign_id == campaign_id)
            .order_by(Voucher.created_at.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(Voucher.status == status)
        return [(v, n, p) for v, n, p in (await self.db.execute(query)).all()]

    async def _log(
        self,
        voucher_id: UUID,
        before: VoucherStatus | None,
        after: VoucherStatus,
        actor_id: UUID | None,
        ip: str | None,
        reason: str = "",
    ) -> None:
        moment = now()
        await self.db.execute(
            insert(VoucherEvent).values(
                id=uuid4(),
                voucher_id=voucher_id,
                from_status=before.value if before else None,
                to_status=after.value,
                actor_id=actor_id,
                ip=ip,
                reason=reason,
                created_at=moment,
                updated_at=moment,
            )
        )
