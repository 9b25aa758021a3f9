"""招贤榜: admins publish numbered issues (第N期招贤榜) from open positions.

Publishing takes the next number from the counter row in the same transaction that freezes every position's
snapshot: the counter's row lock serializes concurrent publishers, a rolled-back publication gives its number
back (no gaps), and the unique number constraint backs it. A published issue is never edited; its pages, the
CSV, the Atom feed and the API read only its snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from community.accounts.models import Organization, User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.clock import now, today
from community.kernel.models import Page, next_number
from community.talent.documents import position_url
from community.talent.inputs import BoardInput
from community.talent.models import Board, BoardCounter, Position, PositionStatus
from community.talent.services.common import one_or_404, page_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SNAPSHOT_VERSION = 1
COUNTER_SCOPE = "board"
BOARDS_PAGE = 20
NUMBER_MAX = 2**31 - 1


def position_snapshot(position: Position, organization: Organization) -> dict[str, Any]:
    """Everything a 招贤榜 shows of a position, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "position_id": str(position.id),
        "title": position.title,
        "organization": organization.name,
        "organization_slug": organization.slug,
        "skills": list(position.skills),
        "pay_min": position.pay_min,
        "pay_max": position.pay_max,
        "pay_negotiable": position.pay_negotiable,
        "district": position.district,
        "remote": position.remote,
        "employment_type": position.employment_type.value,
        "headcount": position.headcount,
        "deadline": position.deadline.isoformat() if position.deadline else None,
        "url": position_url(position.id),
    }


def listable(position: Position) -> bool:
    """Open, and its deadline (if any) not passed."""
    deadline = position.deadline
    return position.status is PositionStatus.OPEN and (deadline is None or deadline >= today())


class BoardService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def published(self, page: int = 1, per_page: int = BOARDS_PAGE) -> Page[Board]:
        return await page_of(self.db, select(Board), page, per_page, Board.number.desc())

    async def get(self, number: int) -> Board:
        if not 0 < number <= NUMBER_MAX:
            raise NotFound
        board: Board = await one_or_404(self.db, select(Board).where(Board.number == number))
        return board

    async def _next_number(self) -> int:
        """Take the next number: the counter row stays locked until this transaction ends."""
        return await next_number(self.db, BoardCounter, BoardCounter.scope, COUNTER_SCOPE)

    async def publish(
        self, admin: User, position_ids: Sequence[str], title: str = "", introduction: str = ""
    ) -> Board:
        """Number a new issue and freeze the chosen open positions, in the caller's one transaction. Every
        check comes before the number is taken, so a refused publication never uses a number up."""
        if not admin.is_admin:
            raise Forbidden
        issue = BoardInput.parse(position_ids, title, introduction)
        ids = issue.position_ids
        # Shared locks: nobody closes or edits a chosen position between this check and the commit.
        rows = (
            await self.db.execute(
                select(Position, Organization)
                .join(Organization, Organization.id == Position.organization_id)
                .where(Position.id.in_(ids))
                .with_for_update(of=Position, read=True)
            )
        ).all()
        found = {position.id: (position, org) for position, org in rows}
        refused = [i for i in ids if i not in found or not listable(found[i][0])]
        if refused:
            raise FormError(
                {
                    "positions": _(
                        "%(n)s of the chosen positions are no longer open. Reload the page and choose again.",
                        n=len(refused),
                    )
                }
            )
        number = await self._next_number()
        board = Board(
            number=number,
            title=issue.title,
            introduction=issue.introduction,
            published_at=now(),
            published_by_id=admin.id,
            items=[position_snapshot(*found[i]) for i in ids],
        )
        self.db.add(board)
        await self.db.flush()
        return board

    async def latest(self) -> Board | None:
        return await self.db.scalar(select(Board).order_by(Board.number.desc()).limit(1))
