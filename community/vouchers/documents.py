"""Published AI products as search documents, and their addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from community.accounts.documents import documents_with_organization
from community.kernel.search_text import search_text
from community.search.schemas import SearchDocument
from community.vouchers.models import Product, ProductStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

PRODUCT_DOC_TYPE = "product"


def product_url(product: Product | UUID) -> str:
    return f"/products/{product.id if isinstance(product, Product) else product}"


def product_document(product: Product, organization_name: str) -> SearchDocument:
    return SearchDocument(
        doc_type=PRODUCT_DOC_TYPE,
        doc_id=str(product.id),
        title=product.name,
        body=search_text(product.summary, product.voucher_benefit, organization_name, product.description),
        url=product_url(product),
        domains=list(product.domains),
        status=product.status.value,
        published_at=product.published_at,
        extra={"meta": organization_name},
    )


def product_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every published product, for rebuilding the index."""
    return documents_with_organization(
        db, Product, Product.status == ProductStatus.PUBLISHED, product_document
    )
