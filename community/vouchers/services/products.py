"""AI products: an OPC writes and submits them, an admin publishes or returns them with a reason; the
gallery ranks published products by verified student ratings (a Bayesian average, never raw votes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Float, cast, func, or_, select

from community.accounts.models import Organization, OrgType
from community.accounts.services import OrganizationService, clean_text
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.notifications.services import NotificationService
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert
from community.vocabulary import DOMAINS
from community.vouchers.models import Product, ProductStatus, Rating
from community.vouchers.services.common import URL_RE, now, required_reason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

PRODUCT_DOC_TYPE = "product"
PAGE_SIZE = 24
MAX_SCREENSHOTS = 6
# The gallery's score: verified ratings pulled towards a neutral prior, so that one 5-star rating does not
# outrank forty 4.6-star ones.
PRIOR_WEIGHT = 5
PRIOR_MEAN = 3.5
EDITABLE = (ProductStatus.DRAFT, ProductStatus.RETURNED, ProductStatus.PUBLISHED, ProductStatus.WITHDRAWN)


def product_url(product: Product | UUID) -> str:
    return f"/products/{product.id if isinstance(product, Product) else product}"


def score_expression() -> Any:
    return (cast(Product.rating_sum, Float) + PRIOR_WEIGHT * PRIOR_MEAN) / (
        Product.rating_count + PRIOR_WEIGHT
    )


def average(product: Product) -> float | None:
    return round(product.rating_sum / product.rating_count, 1) if product.rating_count else None


def product_document(product: Product, organization_name: str) -> SearchDocument:
    return SearchDocument(
        doc_type=PRODUCT_DOC_TYPE,
        doc_id=str(product.id),
        title=product.name,
        body=f"{product.summary}\n{product.voucher_benefit}\n{organization_name}\n{product.description[:4000]}",
        url=product_url(product),
        domains=list(product.domains),
        status=product.status.value,
        published_at=product.published_at,
        extra={"meta": organization_name},
    )


async def product_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    rows = await db.stream(
        select(Product, Organization.name)
        .join(Organization, Organization.id == Product.organization_id)
        .where(Product.status == ProductStatus.PUBLISHED)
        .order_by(Product.published_at)
    )
    async for product, org_name in rows:
        yield product_document(product, org_name)


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
        def one(key: str) -> str:
            value = data.get(key, "")
            if isinstance(value, list):
                value = value[-1] if value else ""
            return clean_text(str(value))

        raw_domains = data.get("domains", [])
        domains = [str(d) for d in raw_domains] if isinstance(raw_domains, list) else [str(raw_domains)]
        shots = data.get("screenshots", "")
        if isinstance(shots, list):
            shots = "\n".join(str(s) for s in shots)
        return cls(
            name=one("name"),
            summary=one("summary"),
            description=one("description"),
            domains=[d for d in dict.fromkeys(clean_text(d) for d in domains) if d],
            screenshots=[s for s in (clean_text(line) for line in str(shots).splitlines()) if s],
            website=one("website"),
            how_to_try=one("how_to_try"),
            voucher_benefit=one("voucher_benefit"),
        )

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if not self.name:
            errors["name"] = _("Enter the product's name.")
        elif len(self.name) > 80:
            errors["name"] = _("Use at most %(n)s characters.", n=80)
        if not self.summary:
            errors["summary"] = _("Say in a sentence what the product does.")
        elif len(self.summary) > 300:
            errors["summary"] = _("Use at most %(n)s characters.", n=300)
        if len(self.description) > 20000:
            errors["description"] = _("Use at most %(n)s characters.", n=20000)
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
        if not self.how_to_try:
            errors["how_to_try"] = _("Tell students how to start trying the product.")
        elif len(self.how_to_try) > 5000:
            errors["how_to_try"] = _("Use at most %(n)s characters.", n=5000)
        if not self.voucher_benefit:
            errors["voucher_benefit"] = _("Say what a voucher gives, e.g. 30 days of the paid plan.")
        elif len(self.voucher_benefit) > 200:
            errors["voucher_benefit"] = _("Use at most %(n)s characters.", n=200)
        if errors:
            raise FormError(errors)


@dataclass(frozen=True)
class ProductAccess:
    is_member: bool
    is_admin: bool

    @property
    def can_edit(self) -> bool:
        return self.is_member or self.is_admin


@dataclass(frozen=True)
class Gallery:
    items: Sequence[tuple[Product, str]]
    total: int
    page: int
    pages: int


class ProductService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)

    async def opc_organizations_of(self, user: User) -> list[Organization]:
        return [
            org
            for org, _role in await self.organizations.organizations_of(user)
            if org.org_type is OrgType.OPC
        ]

    async def get(self, product_id: UUID) -> Product:
        product = await self.db.get(Product, product_id)
        if product is None:
            raise NotFound
        return product

    async def get_for(
        self, viewer: User | None, product_id: UUID
    ) -> tuple[Product, Organization, ProductAccess]:
        """A product as the viewer may see it: published for all, otherwise only its OPC and admins."""
        product = await self.get(product_id)
        org = await self.organizations.by_id(product.organization_id)
        is_member = viewer is not None and await self.organizations.role_of(viewer, org) is not None
        access = ProductAccess(is_member=is_member, is_admin=bool(viewer and viewer.is_admin))
        if product.status is not ProductStatus.PUBLISHED and not access.can_edit:
            raise NotFound
        return product, org, access

    async def create(self, user: User, organization_id: UUID, data: ProductInput, *, submit: bool) -> Product:
        opcs = {org.id: org for org in await self.opc_organizations_of(user)}
        if organization_id not in opcs:
            raise FormError({"organization": _("Choose the OPC that makes this product.")})
        data.validate()
        product = Product(organization_id=organization_id, status=ProductStatus.DRAFT, created_by_id=user.id)
        self._apply(product, data)
        self.db.add(product)
        await self.db.flush()
        if submit:
            await self._submit(product)
        return product

    async def update(self, user: User, product_id: UUID, data: ProductInput, *, submit: bool) -> Product:
        product, org, access = await self.get_for(user, product_id)
        if not access.can_edit:
            raise Forbidden
        if product.status not in EDITABLE:
            raise FormError({"name": _("This product is waiting for review; it can be edited after that.")})
        data.validate()
        self._apply(product, data)
        if product.status is ProductStatus.PUBLISHED:
            enqueue_upsert(self.db, product_document(product, org.name))
        elif submit:
            await self._submit(product)
        await self.db.flush()
        return product

    def _apply(self, product: Product, data: ProductInput) -> None:
        product.name = data.name
        product.summary = data.summary
        product.description = data.description
        product.domains = data.domains
        product.screenshots = data.screenshots
        product.website = data.website or None
        product.how_to_try = data.how_to_try
        product.voucher_benefit = data.voucher_benefit

    async def _submit(self, product: Product) -> None:
        product.status = ProductStatus.SUBMITTED
        product.submitted_at = now()
        await self.db.flush()

    async def submit(self, user: User, product_id: UUID) -> Product:
        product, _org, access = await self.get_for(user, product_id)
        if not access.can_edit:
            raise Forbidden
        if product.status not in (ProductStatus.DRAFT, ProductStatus.RETURNED, ProductStatus.WITHDRAWN):
            raise FormError({"status": _("This product cannot be submitted now.")})
        ProductInput(
            product.name,
            product.summary,
            product.description,
            list(product.domains),
            list(product.screenshots),
            product.website or "",
            product.how_to_try,
            product.voucher_benefit,
        ).validate()
        await self._submit(product)
        return product

    async def review(self, admin: User, product_id: UUID, approve: bool, reason_raw: str) -> Product:
        product = await self.db.scalar(select(Product).where(Product.id == product_id).with_for_update())
        if product is None:
            raise NotFound
        if product.status is not ProductStatus.SUBMITTED:
            raise FormError({"reason": _("This product is not waiting for review.")})
        org = await self.organizations.by_id(product.organization_id)
        notifications = NotificationService(self.db)
        if approve:
            product.status = ProductStatus.PUBLISHED
            product.published_at = product.published_at or now()
            product.review_note = clean_text(reason_raw)[:1000]
            enqueue_upsert(self.db, product_document(product, org.name))
            subject = _("Your product %(name)s is published.", name=product.name)
        else:
            errors: dict[str, str] = {}
            reason = required_reason(reason_raw, errors)
            if errors:
                raise FormError(errors)
            product.status = ProductStatus.RETURNED
            product.review_note = reason
            subject = _("Your product %(name)s was returned: %(reason)s", name=product.name, reason=reason)
        for member_id in await self.organizations.member_ids(org.id):
            await notifications.notify(
                member_id, "product_review", subject, product_url(product), actor_id=admin.id
            )
        await self.db.flush()
        return product

    async def withdraw(self, user: User, product_id: UUID, reason_raw: str) -> Product:
        product, _org, access = await self.get_for(user, product_id)
        if not access.can_edit:
            raise Forbidden
        errors: dict[str, str] = {}
        reason = required_reason(reason_raw, errors)
        if errors:
            raise FormError(errors)
        if product.status is not ProductStatus.PUBLISHED:
            raise FormError({"reason": _("Only a published product can be withdrawn.")})
        product.status = ProductStatus.WITHDRAWN
        product.review_note = reason
        enqueue_delete(self.db, PRODUCT_DOC_TYPE, str(product.id))
        await self.db.flush()
        return product

    async def gallery(self, *, domain: str | None = None, page: int = 1, sort: str = "rating") -> Gallery:
        where = [Product.status == ProductStatus.PUBLISHED]
        if domain:
            where.append(Product.domains.contains([domain]))
        total = await self.db.scalar(select(func.count()).select_from(Product).where(*where)) or 0
        order = (
            [Product.published_at.desc()]
            if sort == "newest"
            else [score_expression().desc(), Product.rating_count.desc(), Product.published_at.desc()]
        )
        rows = await self.db.execute(
            select(Product, Organization.name)
            .join(Organization, Organization.id == Product.organization_id)
            .where(*where)
            .order_by(*order, Product.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        pages = max(1, -(-total // PAGE_SIZE))
        return Gallery([(p, name) for p, name in rows.all()], total, page, pages)

    async def of_organizations(self, organization_ids: Sequence[UUID]) -> Sequence[Product]:
        if not organization_ids:
            return []
        return (
            await self.db.scalars(
                select(Product)
                .where(Product.organization_id.in_(organization_ids))
                .order_by(Product.created_at)
            )
        ).all()

    async def awaiting_review(self) -> Sequence[tuple[Product, str]]:
        rows = await self.db.execute(
            select(Product, Organization.name)
            .join(Organization, Organization.id == Product.organization_id)
            .where(Product.status == ProductStatus.SUBMITTED)
            .order_by(Product.submitted_at)
        )
        return [(p, n) for p, n in rows.all()]

    async def ratings(self, product_id: UUID, limit: int = 50) -> Sequence[Rating]:
        return (
            await self.db.scalars(
                select(Rating)
                .where(Rating.product_id == product_id, Rating.hidden.is_(False))
                .order_by(Rating.created_at.desc())
                .limit(limit)
            )
        ).all()

    async def published_matching(
        self, domains: Sequence[str], product_ids: Sequence[UUID]
    ) -> Sequence[Product]:
        where = [Product.status == ProductStatus.PUBLISHED]
        if domains or product_ids:
            where.append(or_(Product.domains.overlap(list(domains)), Product.id.in_(list(product_ids))))
        return (await self.db.scalars(select(Product).where(*where).order_by(Product.name))).all()
