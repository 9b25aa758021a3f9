"""How an organization appears in search: its name, what it does, its type and district."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from community.accounts.models import Organization
from community.kernel.search_text import search_text
from community.search.schemas import SearchDocument

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

ORGANIZATION_DOC_TYPE = "organization"


def organization_document(org: Organization) -> SearchDocument:
    return SearchDocument(
        doc_type=ORGANIZATION_DOC_TYPE,
        doc_id=str(org.id),
        title=org.name,
        body=search_text(org.summary),
        url=f"/orgs/{org.slug}",
        district=org.district,
        status=org.org_type.value,
        published_at=org.created_at,
        extra={"meta": org.district},
    )


async def organization_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every organization, for rebuilding the index."""
    result = await db.stream_scalars(select(Organization).order_by(Organization.created_at))
    async for org in result:
        yield organization_document(org)


async def documents_with_organization(
    db: AsyncSession, model: Any, condition: ColumnElement[bool], build: Callable[[Any, str], SearchDocument]
) -> AsyncIterator[SearchDocument]:
    """Every row of a zone's ``model`` (one with ``organization_id`` and ``published_at``) that meets
    ``condition``, as the search document ``build`` makes of it and its organization's name, oldest
    first: what a zone's search type gives ``community search reindex``."""
    rows = await db.stream(
        select(model, Organization.name)
        .join(Organization, Organization.id == model.organization_id)
        .where(condition)
        .order_by(model.published_at)
    )
    async for row, organization_name in rows:
        yield build(row, organization_name)
