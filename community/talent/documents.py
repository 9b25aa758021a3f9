"""The talent zone's addresses and its search documents: an open position is found by what any visitor reads
on its page."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from community.accounts.documents import documents_with_organization
from community.kernel.search_text import search_text
from community.search.schemas import SearchDocument
from community.talent.models import Position, PositionStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

POSITION_DOC_TYPE = "position"


def position_url(position_id: UUID | str) -> str:
    return f"/talent/positions/{position_id}"


def board_url(number: int) -> str:
    return f"/talent/boards/{number}"


def position_document(position: Position, organization_name: str) -> SearchDocument:
    """An open position in search: what any visitor reads on its page."""
    return SearchDocument(
        doc_type=POSITION_DOC_TYPE,
        doc_id=str(position.id),
        title=position.title,
        body=search_text(position.description, " ".join(position.skills), organization_name),
        url=position_url(position.id),
        tags=list(position.skills),
        district=position.district or None,
        status=position.status.value,
        published_at=position.published_at,
        extra={"meta": organization_name},
    )


def position_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every open position, for rebuilding the index."""
    return documents_with_organization(
        db, Position, Position.status == PositionStatus.OPEN, position_document
    )
