"""List issues: 第N期场景机会清单 and 第N期技术能力清单.

Admins compose a draft from published scenarios or verified capability profiles and publish it. Publishing
numbers the issue from the list's counter row, in the same transaction that freezes every item's snapshot:
the counter row lock serializes concurrent publishers, a rolled-back publication gives its number back (no
gaps), and the unique (list_kind, number) constraint backs it. A published issue is never edited again, and
its pages, exports, feed and API read only the snapshots (``list_views``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import selectinload

from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.clock import now, today
from community.kernel.models import Page, next_number
from community.scenarios.models import ListCounter, ListIssue, ListIssueItem, ListKind
from community.scenarios.services.list_inputs import CandidateFilters, IssueInput, parse_kind
from community.scenarios.services.list_sources import current_snapshots, find_candidates
from community.scenarios.services.list_views import DraftItem, IssueSummary, issue_url, item_views, view_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User
    from community.scenarios.services.list_views import Candidate

# Names the pages, the demo data and the tests import from here.
__all__ = ["CandidateFilters", "IssueInput", "ListService", "issue_url", "item_views", "parse_kind"]

ITEMS_MAX = 500  # items in one issue
ISSUES_PAGE = 20
NUMBER_MAX = 2**31 - 1  # the column is an int4
MOVES = ("up", "down", "top", "bottom")


def _item_count() -> Any:
    """How many items an issue holds, as a column of a query over issues."""
    return (
        select(func.count(ListIssueItem.id))
        .where(ListIssueItem.issue_id == ListIssue.id)
        .correlate(ListIssue)
        .scalar_subquery()
    )


class ListService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- reading: published issues ---------------------------------------------------------------------

    async def published(
        self, kind: ListKind, page: int = 1, per_page: int = ISSUES_PAGE
    ) -> Page[IssueSummary]:
        """The published issues of one list, newest first, with their item counts."""
        base = select(ListIssue).where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(1, page)
        rows = await self.db.execute(
            base.add_columns(_item_count())
            .order_by(ListIssue.number.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        return Page(
            items=[IssueSummary(issue, int(n)) for issue, n in rows],
            total=total,
            page=page,
            per_page=per_page,
        )

    async def get_published(self, kind: ListKind, number: int) -> ListIssue:
        """One published issue with its items; drafts and unknown numbers do not exist for readers."""
        if not 0 < number <= NUMBER_MAX:
            raise NotFound
        issue = await self.db.scalar(
            select(ListIssue)
            .where(ListIssue.list_kind == kind, ListIssue.number == number)
            .options(selectinload(ListIssue.items))
        )
        if issue is None:
            raise NotFound
        return issue

    # --- drafts ----------------------------------------------------------------------------------------

    @staticmethod
    def _require_admin(actor: User | None) -> User:
        if actor is None or not actor.is_admin:
            raise Forbidden
        return actor

    async def drafts(self, admin: User) -> list[IssueSummary]:
        self._require_admin(admin)
        rows = await self.db.execute(
            select(ListIssue, _item_count())
            .where(ListIssue.number.is_(None))
            .order_by(ListIssue.list_kind, ListIssue.created_at.desc())
            .limit(200)
        )
        return [IssueSummary(issue, int(n)) for issue, n in rows]

    async def latest_numbers(self) -> dict[ListKind, int]:
        rows = await self.db.execute(
            select(ListIssue.list_kind, func.max(ListIssue.number))
            .where(ListIssue.number.is_not(None))
            .group_by(ListIssue.list_kind)
        )
        return {kind: int(n) for kind, n in rows if n is not None}

    async def get(self, admin: User, issue_id: UUID) -> ListIssue:
        """Any issue (draft or published) with its items, for the admin pages."""
        self._require_admin(admin)
        issue = await self.db.scalar(
            select(ListIssue).where(ListIssue.id == issue_id).options(selectinload(ListIssue.items))
        )
        if issue is None:
            raise NotFound
        return issue

    async def _locked(self, issue_id: UUID) -> ListIssue:
        """The issue row, locked until the transaction ends: composing and publishing take turns."""
        issue = await self.db.scalar(
            select(ListIssue)
            .where(ListIssue.id == issue_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if issue is None:
            raise NotFound
        return issue

    async def _draft_for_update(self, issue_id: UUID) -> ListIssue:
        issue = await self._locked(issue_id)
        if issue.number is not None:
            raise FormError({"issue": _("This issue is published and can no longer be changed.")})
        return issue

    async def create_draft(self, admin: User, kind: ListKind | str, data: IssueInput) -> ListIssue:
        self._require_admin(admin)
        try:
            list_kind = ListKind(kind)
        except ValueError as exc:
            raise FormError({"kind": _("Choose which list the issue belongs to.")}) from exc
        issue = ListIssue(list_kind=list_kind, created_by_id=admin.id, **data.values())
        self.db.add(issue)
        await self.db.flush()
        return issue

    async def update_draft(self, admin: User, issue_id: UUID, data: IssueInput) -> ListIssue:
        self._require_admin(admin)
        values = data.values()
        issue = await self._draft_for_update(issue_id)
        issue.title = values["title"]
        issue.introduction = values["introduction"]
        issue.publish_on = values["publish_on"]
        await self.db.flush()
        return issue

    async def delete_draft(self, admin: User, issue_id: UUID) -> ListKind:
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        kind = issue.list_kind
        await self.db.execute(delete(ListIssue).where(ListIssue.id == issue.id))
        return kind

    async def _item_ids(self, issue_id: UUID) -> list[UUID]:
        """Source ids of a draft's items, in order."""
        return list(
            (
                await self.db.scalars(
                    select(ListIssueItem.source_id)
                    .where(ListIssueItem.issue_id == issue_id)
                    .order_by(ListIssueItem.position)
                )
            ).all()
        )

    async def _renumber(self, issue_id: UUID, order: list[UUID]) -> None:
        """Positions 1..n in ``order``, in ONE statement (the deferrable unique constraint is checked at its
        end, so swapping two positions is fine)."""
        if not order:
            return
        await self.db.execute(
            update(ListIssueItem)
            .where(ListIssueItem.issue_id == issue_id)
            .values(
                position=case(
                    {source: index for index, source in enumerate(order, start=1)},
                    value=ListIssueItem.source_id,
                    else_=ListIssueItem.position + len(order) + 1,
                )
            )
            .execution_options(synchronize_session=False)
        )

    async def add_items(self, admin: User, issue_id: UUID, source_ids: Sequence[UUID]) -> int:
        """Append eligible scenarios or profiles to a draft, in the order given; returns how many are new."""
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        current = await self._item_ids(issue.id)
        wanted = [s for s in dict.fromkeys(source_ids) if s not in set(current)]
        if not wanted:
            return 0
        if len(current) + len(wanted) > ITEMS_MAX:
            raise FormError({"items": _("An issue holds at most %(n)s items.", n=ITEMS_MAX)})
        snapshots = await current_snapshots(self.db, issue.list_kind, wanted)
        refused = [s for s in wanted if s not in snapshots or not snapshots[s][1]]
        if refused:
            raise FormError(
                {
                    "items": _(
                        "Some of the chosen items can no longer be listed (%(count)s); reload the page and "
                        "choose again.",
                        count=len(refused),
                    )
                }
            )
        for offset, source in enumerate(wanted, start=len(current) + 1):
            self.db.add(ListIssueItem(issue_id=issue.id, position=offset, source_id=source, snapshot={}))
        await self.db.flush()
        return len(wanted)

    async def remove_items(self, admin: User, issue_id: UUID, source_ids: Sequence[UUID]) -> int:
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        gone = set(source_ids)
        if not gone:
            return 0
        result = await self.db.execute(
            delete(ListIssueItem).where(ListIssueItem.issue_id == issue.id, ListIssueItem.source_id.in_(gone))
        )
        await self._renumber(issue.id, [s for s in await self._item_ids(issue.id) if s not in gone])
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_item(self, admin: User, issue_id: UUID, source_id: UUID | None, direction: str) -> None:
        self._require_admin(admin)
        if source_id is None or direction not in MOVES:
            raise FormError({"items": _("Choose where to move the item.")})
        issue = await self._draft_for_update(issue_id)
        order = await self._item_ids(issue.id)
        if source_id not in order:
            raise FormError({"items": _("That item is not in this issue any more; reload the page.")})
        index = order.index(source_id)
        order.pop(index)
        target = {"up": max(0, index - 1), "down": index + 1, "top": 0, "bottom": len(order)}[direction]
        order.insert(min(target, len(order)), source_id)
        await self._renumber(issue.id, order)

    async def draft_items(self, issue: ListIssue) -> list[DraftItem]:
        """A draft's items with what they say now (they are frozen only when the issue is published)."""
        items = sorted(issue.items, key=lambda i: i.position)
        snapshots = await current_snapshots(self.db, issue.list_kind, [i.source_id for i in items])
        result = []
        for index, item in enumerate(items, start=1):
            found = snapshots.get(item.source_id)
            if found is None:
                result.append(DraftItem(item, None, False))
            else:
                view = view_of(issue.list_kind, index, item.source_id, found[0])
                result.append(DraftItem(item, view, found[1]))
        return result

    async def candidates(self, admin: User, issue: ListIssue, filters: CandidateFilters) -> Page[Candidate]:
        """What may go into ``issue`` (see ``find_candidates``), marking what it holds already."""
        self._require_admin(admin)
        return await find_candidates(self.db, issue.list_kind, filters, set(await self._item_ids(issue.id)))

    # --- publishing ------------------------------------------------------------------------------------

    async def _next_number(self, kind: ListKind) -> int:
        """Take the next number of ``kind``: the counter row stays locked until this transaction ends."""
        return await next_number(self.db, ListCounter, ListCounter.list_kind, kind)

    async def publish(self, admin: User, issue_id: UUID) -> ListIssue:
        """Number the draft and freeze its items, all in the caller's one transaction.

        Publishing twice (a double click, two admins) publishes once: the second call waits for the issue row
        lock, then finds it numbered and returns it unchanged. Every check comes before the number is taken,
        and a rollback after it gives the number back, so a failed publication never leaves a gap."""
        self._require_admin(admin)
        issue = await self._locked(issue_id)
        if issue.number is not None:
            return issue
        items = (
            await self.db.scalars(
                select(ListIssueItem)
                .where(ListIssueItem.issue_id == issue.id)
                .order_by(ListIssueItem.position)
                .execution_options(populate_existing=True)
            )
        ).all()
        if not items:
            raise FormError({"items": _("Add at least one item before publishing the issue.")})
        snapshots = await current_snapshots(self.db, issue.list_kind, [i.source_id for i in items], lock=True)
        missing = [i.position for i in items if i.source_id not in snapshots]
        refused = [i.position for i in items if i.source_id in snapshots and not snapshots[i.source_id][1]]
        if missing or refused:
            numbers = ", ".join(str(p) for p in sorted(missing + refused))
            raise FormError(
                {
                    "items": _(
                        "Items %(numbers)s can no longer be listed (withdrawn, closed or no longer "
                        "verified). Remove them, then publish again.",
                        numbers=numbers,
                    )
                }
            )
        number = await self._next_number(issue.list_kind)
        issue.number = number
        issue.published_at = now()
        issue.published_by_id = admin.id
        if issue.publish_on is None:
            issue.publish_on = today()
        for item in items:
            item.snapshot = snapshots[item.source_id][0]
        await self.db.flush()
        return issue
