"""What people type in the voucher zone, read into one shape each: amounts in yuan, whole numbers, dates in
Wuhan's time zone, reasons, and the forms of products, campaigns, universities and proof reviews; the
gallery's filters.

Each parser reads a form as the browser sent it and raises ``FormError`` with a message beside each field
it refuses; the services take the parsed values and check what needs the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import SITE_TZ
from community.kernel.models import page_number
from community.kernel.text import clean_body, clean_line
from community.vocabulary import DOMAINS
from community.vouchers.views import CODE_LENGTH
from community.web.forms import field, many

if TYPE_CHECKING:
    from community.vouchers.models import Product

URL_RE = re.compile(r"^https?://[^\s<>\"']{1,490}$", re.IGNORECASE)
# Amounts a campaign may hold: a yuan to a hundred million yuan.
MAX_YUAN = Decimal("100000000")
MAX_SCREENSHOTS = 6
REASON_MAX = 1000
GALLERY_SORTS = ("rating", "newest")


def yuan_to_fen(raw: str, errors: dict[str, str], name: str) -> int:
    """'1,234.5' yuan → 123450 fen; a wrong amount leaves a message beside its field."""
    text = clean_line(raw).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
    if not text:
        errors[name] = _("Enter an amount in yuan.")
        return 0
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        errors[name] = _("Enter an amount in yuan, like 50 or 12.50.")
        return 0
    if not value.is_finite() or value <= 0 or value > MAX_YUAN or value != value.quantize(Decimal("0.01")):
        errors[name] = _("Enter an amount above 0 and at most 100,000,000 yuan, to the fen.")
        return 0
    return int(value * 100)


def positive_int(raw: str, errors: dict[str, str], name: str, *, maximum: int = 1_000_000) -> int:
    text = clean_line(raw)
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        errors[name] = _("Enter a whole number from 1 to %(n)s.", n=maximum)
        return 0
    return int(text)


def parse_local_datetime(raw: str, errors: dict[str, str], name: str) -> datetime | None:
    """A date or date-time typed in Wuhan's time zone (the browser's datetime-local format)."""
    text = clean_line(raw)
    if not text:
        errors[name] = _("Enter a date.")
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SITE_TZ).astimezone(UTC)
        except ValueError:
            continue
    errors[name] = _("Enter a date like 2026-12-31 or 2026-12-31T18:00.")
    return None


def required_reason(raw: str) -> str:
    """The reason of a refusal, a return or a suspension: the person concerned reads it, so it is needed."""
    reason = clean_body(raw)
    if not reason:
        raise FormError({"reason": _("Give a reason; the person concerned reads it.")})
    if len(reason) > REASON_MAX:
        raise FormError({"reason": _("Use at most %(n)s characters.", n=REASON_MAX)})
    return reason


def normalize_code(raw: str) -> str:
    """A redemption code as typed or read aloud: any case, with or without the dash or spaces."""
    return "".join(ch for ch in clean_line(raw).upper() if ch.isalnum())[:CODE_LENGTH]


def optional_uuid(raw: str | None) -> UUID | None:
    """An id from a query string or a select; anything else is no id."""
    try:
        return UUID(clean_line(raw)) if raw else None
    except ValueError:
        return None


def uuid_or_404(raw: str) -> UUID:
    """An id a form names: one that is not an id names nothing there is (404)."""
    found = optional_uuid(raw)
    if found is None:
        raise NotFound
    return found


@dataclass(frozen=True)
class ProductInput:
    name: str
    summary: str
    description: str
    domains: list[str]
    screenshots: list[str]
    website: str
    how_to_try: str
    voucher_benefit: str

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ProductInput:
        shots = data.get("screenshots", "")
        if isinstance(shots, list):
            shots = "\n".join(str(s) for s in shots)
        return cls(
            name=clean_line(field(data, "name")),
            summary=clean_line(field(data, "summary")),
            description=clean_body(field(data, "description")),
            domains=[d for d in dict.fromkeys(clean_line(d) for d in many(data, "domains")) if d],
            screenshots=[s for s in (clean_line(line) for line in str(shots).splitlines()) if s],
            website=clean_line(field(data, "website")),
            how_to_try=clean_body(field(data, "how_to_try")),
            voucher_benefit=clean_line(field(data, "voucher_benefit")),
        )

    @classmethod
    def of(cls, product: Product) -> ProductInput:
        """What a product holds, as its form gives it (to check it again, or to fill the form)."""
        return cls(
            product.name,
            product.summary,
            product.description,
            list(product.domains),
            list(product.screenshots),
            product.website or "",
            product.how_to_try,
            product.voucher_benefit,
        )

    @classmethod
    def editing(cls, product: Product) -> ProductInput:
        """What the product's form holds: its changes waiting for review (or returned) when it has any."""
        current = cls.of(product)
        if not product.revision:
            return current
        names = {f.name for f in fields(cls)}
        return replace(current, **{k: v for k, v in product.revision.items() if k in names})

    def validate(self) -> None:
        errors: dict[str, str] = {}
        _text_within(errors, "name", self.name, 80, _("Enter the product's name."))
        _text_within(errors, "summary", self.summary, 300, _("Say in a sentence what the product does."))
        _text_within(errors, "description", self.description, 20000)
        if not self.domains:
            errors["domains"] = _("Choose at least one domain.")
        elif len(self.domains) > 5 or any(d not in DOMAINS for d in self.domains):
            errors["domains"] = _("Choose up to 5 domains from the list.")
        if len(self.screenshots) > MAX_SCREENSHOTS:
            errors["screenshots"] = _("Give at most %(n)s screenshot addresses.", n=MAX_SCREENSHOTS)
        elif any(not URL_RE.match(s) or not s.lower().startswith("https://") for s in self.screenshots):
            errors["screenshots"] = _("Give each screenshot as an https:// address, one a line.")
        if self.website and (len(self.website) > 300 or not URL_RE.match(self.website)):
            errors["website"] = _("Enter a web address starting with http:// or https://.")
        _text_within(
            errors, "how_to_try", self.how_to_try, 5000, _("Tell students how to start trying the product.")
        )
        _text_within(
            errors,
            "voucher_benefit",
            self.voucher_benefit,
            200,
            _("Say what a voucher gives, e.g. 30 days of the paid plan."),
        )
        if errors:
            raise FormError(errors)


def _text_within(errors: dict[str, str], name: str, value: str, maximum: int, missing: str = "") -> None:
    """A text field: needed when ``missing`` says what to write, and at most ``maximum`` characters."""
    if not value and missing:
        errors[name] = missing
    elif len(value) > maximum:
        errors[name] = _("Use at most %(n)s characters.", n=maximum)


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
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> CampaignInput:
        errors: dict[str, str] = {}
        name, funder = clean_line(field(data, "name")), clean_line(field(data, "funder"))
        if not name or len(name) > 120:
            errors["name"] = _("Enter the campaign's name (at most 120 characters).")
        if not funder or len(funder) > 120:
            errors["funder"] = _("Enter who funds the campaign (at most 120 characters).")
        description = clean_body(field(data, "description"))
        _text_within(errors, "description", description, 5000)
        budget = yuan_to_fen(field(data, "budget"), errors, "budget")
        face = yuan_to_fen(field(data, "face_value"), errors, "face_value")
        if budget and face and face > budget:
            errors["face_value"] = _("The face value cannot be more than the budget.")
        per_student = positive_int(field(data, "per_student_cap"), errors, "per_student_cap", maximum=100)
        per_product = positive_int(field(data, "per_product_cap"), errors, "per_product_cap")
        domains = [d for d in dict.fromkeys(clean_line(d) for d in many(data, "eligible_domains")) if d]
        if any(d not in DOMAINS for d in domains):
            errors["eligible_domains"] = _("Choose domains from the list.")
        product_ids = [optional_uuid(raw) for raw in many(data, "eligible_products")]
        if None in product_ids:
            errors["eligible_products"] = _("Choose products from the list.")
        starts = parse_local_datetime(field(data, "starts_at"), errors, "starts_at")
        ends = parse_local_datetime(field(data, "ends_at"), errors, "ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = _("The campaign must end after it starts.")
        if errors or starts is None or ends is None:
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
            [found for found in product_ids if found is not None],
            starts,
            ends,
        )


@dataclass(frozen=True)
class UniversityInput:
    """A university of the maintained list, new (no id) or changed."""

    university_id: UUID | None
    name: str
    name_en: str
    email_domains: list[str]
    active: bool

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> UniversityInput:
        raw_id = field(data, "id").strip()
        name, name_en = clean_line(field(data, "name")), clean_line(field(data, "name_en"))
        domains_text = field(data, "email_domains").replace("，", ",").replace("\n", ",")
        domains = sorted({d.strip().lower().lstrip("@") for d in domains_text.split(",")} - {""})
        errors: dict[str, str] = {}
        if not name or len(name) > 100:
            errors["name"] = _("Enter the university's name (at most 100 characters).")
        _text_within(errors, "name_en", name_en, 150)
        if not domains or any(
            len(d) > 100 or "." not in d or not all(c.isalnum() or c in ".-" for c in d) for d in domains
        ):
            errors["email_domains"] = _("Enter the email domains, separated by commas, like whu.edu.cn.")
        if errors:
            raise FormError(errors)
        return cls(
            uuid_or_404(raw_id) if raw_id else None,
            name,
            name_en,
            domains,
            field(data, "active") in ("on", "1", "true"),
        )


@dataclass(frozen=True)
class ProofReview:
    """An admin's decision on a student's proof: approve (until a date, a year by default) or reject."""

    approve: bool
    reason: str
    valid_until: datetime | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProofReview:
        errors: dict[str, str] = {}
        raw_until = field(data, "valid_until")
        until = parse_local_datetime(raw_until, errors, "valid_until") if raw_until.strip() else None
        if errors:
            raise FormError(errors)
        return cls(field(data, "decision") == "approve", field(data, "reason"), until)


@dataclass(frozen=True)
class GalleryFilters:
    """The gallery's filters as a link carries them: a domain of the list, the order, the page."""

    domain: str | None = None
    sort: str = "rating"
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> GalleryFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows the gallery."""
        return cls(
            domain=values.get("domain") if values.get("domain") in DOMAINS else None,
            sort=str(values.get("sort")) if values.get("sort") in GALLERY_SORTS else "rating",
            page=page_number(values.get("page") or 1),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The filters for a link, with ``changes``; the order always shows, the first page never does."""
        values: dict[str, Any] = {"domain": self.domain, "sort": self.sort, "page": self.page, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "", 1) or k == "sort"}
