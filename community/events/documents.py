"""Published events as search documents, and their addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from community.accounts.documents import documents_with_organization
from community.events.models import Event, EventKind, EventStatus
from community.kernel.search_text import search_text
from community.search.schemas import SearchDocument

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

EVENT_DOC_TYPE = "event"
# The kinds in Chinese in every document, whatever the language of the one who published it.
KIND_NAMES_ZH = {
    EventKind.COURSE: "课程",
    EventKind.TRAINING: "专项培训",
    EventKind.ROADSHOW: "路演",
    EventKind.INVESTMENT: "投融资对接",
    EventKind.SALON: "沙龙",
}


def event_url(event: Event | UUID) -> str:
    return f"/events/{event.id if isinstance(event, Event) else event}"


def event_document(event: Event, organization_name: str) -> SearchDocument:
    """A published event as search shows it: what a visitor reads on its page, never the online link."""
    place = "线上 online" if event.online else event.address
    return SearchDocument(
        doc_type=EVENT_DOC_TYPE,
        doc_id=str(event.id),
        title=event.title,
        body=search_text(
            KIND_NAMES_ZH[event.kind], event.summary, organization_name, place, event.description
        ),
        url=event_url(event),
        district=event.district,
        status=event.status.value,
        published_at=event.published_at,
        extra={"meta": organization_name},
    )


def event_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every published event, for rebuilding the index."""
    return documents_with_organization(db, Event, Event.status == EventStatus.PUBLISHED, event_document)
