"""What every change of a voucher shares: the refusal people read, and the audit log row written in the
same transaction as the change."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from sqlalchemy import insert

from community.errors import FormError
from community.kernel.clock import now
from community.vouchers.models import VoucherEvent

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.vouchers.models import VoucherStatus


def refuse(message: str, field: str = "voucher") -> FormError:
    """A rule said no: the message stands beside ``field`` (or in a flash)."""
    return FormError({field: message})


async def record(
    db: AsyncSession,
    voucher_ids: Sequence[UUID],
    before: VoucherStatus | None,
    after: VoucherStatus,
    *,
    actor_id: UUID | None = None,
    ip: str | None = None,
    reason: str = "",
    moment: datetime | None = None,
) -> None:
    """One row of the audit log per voucher: from which state to which, who, when, from where and why."""
    if not voucher_ids:
        return
    moment = moment or now()
    await db.execute(
        insert(VoucherEvent),
        [
            {
                "id": uuid4(),
                "voucher_id": voucher_id,
                "from_status": before.value if before else None,
                "to_status": after.value,
                "actor_id": actor_id,
                "ip": ip,
                "reason": reason,
                "created_at": moment,
                "updated_at": moment,
            }
            for voucher_id in voucher_ids
        ],
    )
