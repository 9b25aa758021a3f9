"""招贤榜: admins publish numbered issues (第N期招贤榜) from open positions.

Publishing takes the next number from the counter row in the same transaction that freezes every position's
snapshot: the counter's row lock serializes concurrent publishers, a rolled-back publication gives its number
back (no gaps), and the unique number constraint backs it. A published issue is never edited; its pages, the
CSV, the XLSX, the Atom feed and the API read only its snapshot.

Before that, an issue may be kept as a draft (``BoardDraft``, a table of its own): admins save, edit and
preview it; nobody else reads it (every way to one answers "not found"). Publishing a draft locks its row,
publishes as above and deletes it, in one transaction: a draft is published once, however many clicks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select

from community.accounts.models import Organization, User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.clock import now, today
from community.kernel.models import Page, next_number
from community.talent.documents import position_url
from community.talent.inputs import BoardInput
from community.talent.models import Board, BoardCounter, BoardDraft, Position, PositionStatus
from community.talent.services.common import one_or_404, page_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SNAPSHOT_VERSION = 1
COUNTER_SCOPE = "board"
BOARDS_PAGE = 20
DRAFTS_MAX = 200  # drafts listed on the admins' page
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

    # --- drafts ----------------------------------------------------------------------------------------

    @staticmethod
    def _admin(actor: User | None) -> User:
        """Drafts exist for admins only: for anyone else every draft is "not found" (not even "forbidden",
        which would say there is something)."""
        if actor is None or not actor.is_admin:
            raise NotFound
        return actor

    async def drafts(self, admin: User | None) -> Sequence[BoardDraft]:
        self._admin(admin)
        return (
            await self.db.scalars(
                select(BoardDraft).order_by(BoardDraft.updated_at.desc(), BoardDraft.id).limit(DRAFTS_MAX)
            )
        ).all()

    async def draft(self, admin: User | None, draft_id: UUID, *, lock: bool = False) -> BoardDraft:
        self._admin(admin)
        query = select(BoardDraft).where(BoardDraft.id == draft_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        draft = await self.db.scalar(query)
        if draft is None:
            raise NotFound
        return draft

    async def save_draft(
        self,
        admin: User | None,
        position_ids: Sequence[str],
        title: str = "",
        introduction: str = "",
        draft_id: UUID | None = None,
    ) -> BoardDraft:
        """A new draft, or the draft ``draft_id`` changed, checked as a publication's form is (positions that
        closed since are refused when it is published, not now)."""
        actor = self._admin(admin)
        issue = BoardInput.parse(position_ids, title, introduction)
        if draft_id is None:
            draft = BoardDraft(created_by_id=actor.id)
            self.db.add(draft)
        else:
            draft = await self.draft(actor, draft_id, lock=True)
        draft.title = issue.title
        draft.introduction = issue.introduction
        draft.position_ids = [str(i) for i in issue.position_ids]
        draft.updated_by_id = actor.id
        await self.db.flush()
        return draft

    async def delete_draft(self, admin: User | None, draft_id: UUID) -> None:
        await self.db.delete(await self.draft(admin, draft_id, lock=True))

    async def preview(self, admin: User | None, draft: BoardDraft) -> Board:
        """What the draft would publish now, never stored: the next number, the chosen positions that are
        still open as they read today (those that closed are left out, as publishing would refuse them)."""
        self._admin(admin)
        ids = [UUID(i) for i in draft.position_ids]
        rows = (
            await self.db.execute(
                select(Position, Organization)
                .join(Organization, Organization.id == Position.organization_id)
                .where(Position.id.in_(ids))
            )
        ).all()
        found = {position.id: (position, org) for position, org in rows if listable(position)}
        latest = await self.db.scalar(select(func.max(Board.number)))
        return Board(
            number=(latest or 0) + 1,
            title=draft.title,
            introduction=draft.introduction,
            published_at=now(),
            items=[position_snapshot(*found[i]) for i in ids if i in found],
        )

    async def publish_draft(self, admin: User | None, draft_id: UUID) -> Board:
        """Publish the draft as it is saved and delete it, in one transaction. The draft's row stays locked
        until then: a second click waits, then finds no draft ("not found")."""
        draft = await self.draft(admin, draft_id, lock=True)
        assert admin is not None
        board = await self.publish(admin, draft.position_ids, draft.title, draft.introduction)
        await self.db.delete(draft)
        await self.db.flush()
        return board
