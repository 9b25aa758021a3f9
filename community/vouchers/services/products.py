"""AI products: an OPC writes and submits them, an admin publishes or returns them with a reason; the
gallery ranks published products by verified student ratings (a Bayesian average, never raw votes).

A published product's text is what an admin approved. Its OPC's later edits wait as a revision (the form's
fields, on the product's row) for an admin, who publishes or returns them; readers, the API and search see
the approved text until then, and a returned revision stays for the OPC to change and send again."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Float, cast, func, or_, select

from community.accounts.models import Organization, OrgType
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.clock import now
from community.kernel.models import Page, get_or_404
from community.kernel.text import clean_body
from community.notifications.services import NotificationService
from community.search.services import enqueue_delete, enqueue_upsert
from community.vouchers import notices
from community.vouchers.documents import PRODUCT_DOC_TYPE, product_document, product_url
from community.vouchers.inputs import REASON_MAX, GalleryFilters, ProductInput, required_reason
from community.vouchers.models import Product, ProductStatus, Rating
from community.vouchers.services.ledger import refuse
from community.vouchers.views import ProductAccess, Revision

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

PAGE_SIZE = 24
# The gallery's score: verified ratings pulled towards a neutral prior, so that one 5-star rating does not
# outrank forty 4.6-star ones.
PRIOR_WEIGHT = 5
PRIOR_MEAN = 3.5
EDITABLE = (ProductStatus.DRAFT, ProductStatus.RETURNED, ProductStatus.PUBLISHED, ProductStatus.WITHDRAWN)
Gallery = Page[tuple[Product, str]]


def score_expression() -> Any:
    return (cast(Product.rating_sum, Float) + PRIOR_WEIGHT * PRIOR_MEAN) / (
        Product.rating_count + PRIOR_WEIGHT
    )


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
        return await get_or_404(self.db, Product, product_id)

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

    async def editable(self, user: User, product_id: UUID) -> tuple[Product, Organization]:
        """A product its OPC or an admin may change; anyone else is refused (403)."""
        product, org, access = await self.get_for(user, product_id)
        if not access.can_edit:
            raise Forbidden
        return product, org

    async def create(
        self, user: User, organization_id: UUID | None, data: ProductInput, *, submit: bool
    ) -> Product:
        """A new product of one of the user's OPCs (the only one when no OPC is named)."""
        opcs = [org.id for org in await self.opc_organizations_of(user)]
        if organization_id is None and len(opcs) == 1:
            organization_id = opcs[0]
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
        product, _org = await self.editable(user, product_id)
        if product.status not in EDITABLE:
            raise FormError({"name": _("This product is waiting for review; it can be edited after that.")})
        data.validate()
        if product.status is ProductStatus.PUBLISHED:
            # Readers keep the approved text; the change waits for an admin (the same one replaced by a
            # newer edit, and none at all when the form holds the approved text again).
            unchanged = data == ProductInput.of(product)
            product.revision = None if unchanged else asdict(data)
            product.revision_submitted_at = None if unchanged else now()
            product.revision_note = ""
        else:
            self._apply(product, data)
            if submit:
                await self._submit(product)
        await self.db.flush()
        return product

    def _apply(self, product: Product, data: ProductInput) -> None:
        """The form's fields are the product's columns (no website is stored as none); a revision they
        held is used up."""
        for name, value in asdict(data).items():
            setattr(product, name, value)
        product.website = data.website or None
        product.revision = None
        product.revision_submitted_at = None
        product.revision_note = ""

    async def review_revision(
        self, admin: User, product_id: UUID, approve: bool, reason_raw: str, version: str
    ) -> Product:
        """Publish a published product's waiting changes, or return them with a reason (kept for the OPC).
        ``version`` is the moment of the revision the admin read: one changed since is not decided unread."""
        product = await self.db.scalar(
            select(Product)
            .where(Product.id == product_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if product is None:
            raise NotFound
        if product.revision is None or product.revision_submitted_at is None:
            raise refuse(_("No changes of this product wait for review."), "reason")
        if version != product.revision_submitted_at.isoformat():
            raise refuse(_("The OPC changed these changes after you opened them: read them again."), "reason")
        org = await self.organizations.by_id(product.organization_id)
        if approve:
            data = ProductInput.editing(product)
            data.validate()
            self._apply(product, data)
            if product.status is ProductStatus.PUBLISHED:
                enqueue_upsert(self.db, product_document(product, org.name))
            notice, reason = notices.REVISION_PUBLISHED, ""
        else:
            reason = required_reason(reason_raw)
            product.revision_submitted_at = None
            product.revision_note = reason
            notice = notices.REVISION_RETURNED
        await NotificationService(self.db).notify_many(
            await self.organizations.member_ids(org.id),
            notice,
            product_url(product),
            {"name": product.name, "reason": reason},
            actor_id=admin.id,
        )
        await self.db.flush()
        return product

    async def revisions_awaiting_review(self) -> list[Revision]:
        rows = await self.db.execute(
            select(Product, Organization.name)
            .join(Organization, Organization.id == Product.organization_id)
            .where(Product.revision_submitted_at.is_not(None))
            .order_by(Product.revision_submitted_at)
        )
        return [Revision.of(p, name, ProductInput.of(p), ProductInput.editing(p)) for p, name in rows.all()]

    async def _submit(self, product: Product) -> None:
        product.status = ProductStatus.SUBMITTED
        product.submitted_at = now()
        await self.db.flush()

    async def submit(self, user: User, product_id: UUID) -> Product:
        product, _org = await self.editable(user, product_id)
        if product.status not in (ProductStatus.DRAFT, ProductStatus.RETURNED, ProductStatus.WITHDRAWN):
            raise FormError({"status": _("This product cannot be submitted now.")})
        data = ProductInput.editing(product)
        data.validate()
        self._apply(product, data)
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
            product.review_note = clean_body(reason_raw)[:REASON_MAX]
            enqueue_upsert(self.db, product_document(product, org.name))
            notice, reason = notices.PRODUCT_PUBLISHED, ""
        else:
            reason = required_reason(reason_raw)
            product.status = ProductStatus.RETURNED
            product.review_note = reason
            notice = notices.PRODUCT_RETURNED
        await notifications.notify_many(
            await self.organizations.member_ids(org.id),
            notice,
            product_url(product),
            {"name": product.name, "reason": reason},
            actor_id=admin.id,
        )
        await self.db.flush()
        return product

    async def withdraw(self, user: User, product_id: UUID, reason_raw: str) -> Product:
        product, _org = await self.editable(user, product_id)
        reason = required_reason(reason_raw)
        if product.status is not ProductStatus.PUBLISHED:
            raise FormError({"reason": _("Only a published product can be withdrawn.")})
        product.status = ProductStatus.WITHDRAWN
        product.review_note = reason
        # Changes waiting for review leave the admins' queue; the OPC's form keeps them, and sending the
        # product again has it reviewed whole.
        product.revision_submitted_at = None
        enqueue_delete(self.db, PRODUCT_DOC_TYPE, str(product.id))
        await self.db.flush()
        return product

    async def gallery(self, filters: GalleryFilters | None = None) -> Gallery:
        """A page of published products: the best rated first, or the newest."""
        filters = filters or GalleryFilters()
        where = [Product.status == ProductStatus.PUBLISHED]
        if filters.domain:
            where.append(Product.domains.contains([filters.domain]))
        total = await self.db.scalar(select(func.count()).select_from(Product).where(*where)) or 0
        order = (
            [Product.published_at.desc()]
            if filters.sort == "newest"
            else [score_expression().desc(), Product.rating_count.desc(), Product.published_at.desc()]
        )
        rows = await self.db.execute(
            select(Product, Organization.name)
            .join(Organization, Organization.id == Product.organization_id)
            .where(*where)
            .order_by(*order, Product.id)
            .limit(PAGE_SIZE)
            .offset((filters.page - 1) * PAGE_SIZE)
        )
        return Gallery([(p, name) for p, name in rows.all()], total, filters.page, PAGE_SIZE)

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
