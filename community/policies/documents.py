"""How policies appear in search: a published policy is public as a whole, so its document holds its
summary, its benefits, who issues it and which measure it comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from community.kernel.search_text import search_text
from community.policies.labels import benefit_kind_label
from community.policies.models import Policy, PolicyStatus
from community.policies.services.eligibility import Conditions
from community.policies.views import benefits_of, policy_url
from community.search.schemas import SearchDocument

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

POLICY_DOC_TYPE = "policy"


def policy_document(policy: Policy) -> SearchDocument:
    """How a published policy appears in search: all of it is public."""
    benefits = "\n\n".join(
        f"{benefit_kind_label(b.kind)} {b.description} {b.amount}" for b in benefits_of(policy)
    )
    return SearchDocument(
        doc_type=POLICY_DOC_TYPE,
        doc_id=str(policy.id),
        title=policy.title,
        body=search_text(policy.summary, benefits, policy.issuing_unit, policy.source_measure),
        url=policy_url(policy),
        domains=list(Conditions.from_json(policy.conditions).domains),
        status=policy.status.value,
        published_at=policy.published_at,
        extra={"meta": policy.issuing_unit},
    )


async def policy_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every published policy, for rebuilding the index."""
    rows = await db.stream_scalars(
        select(Policy).where(Policy.status == PolicyStatus.PUBLISHED).order_by(Policy.published_at)
    )
    async for policy in rows:
        yield policy_document(policy)
