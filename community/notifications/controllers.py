"""The member's inbox: a page, opening one (a POST: it marks it read, then goes where it points), how often
the mailed notices are mailed, and the same in the JSON API. A GET changes nothing, so an image in a post
cannot mark anything read. Every sentence is worded in the reader's language as it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.i18n import N_, _
from community.kernel.models import from_attributes
from community.notifications.mail import read_unsubscribe_token
from community.notifications.models import RHYTHMS, Notification
from community.notifications.services import NotificationService
from community.web import Form, Visitor, act, field, render, safe_next, services, settings_of

RHYTHM_LABELS = {
    "immediate": N_("Right away"),
    "daily": N_("Once a day"),
    "weekly": N_("Once a week"),
    "off": N_("No email"),
}


@dataclass(frozen=True)
class InboxFilters:
    """Which page of the inbox, and whether only unread notifications (the page and the API alike)."""

    page: int = 1
    unread_only: bool = False


def inbox_filters(
    page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    unread: Annotated[bool, QueryParameter()] = False,
) -> InboxFilters:
    return InboxFilters(page=page, unread_only=unread)


DEPENDENCIES = services(notifications=NotificationService) | {
    "filters": Provide(inbox_filters, sync_to_thread=False)
}


class NotificationOut(msgspec.Struct):
    id: UUID
    kind: str
    subject: str
    url: str
    created_at: datetime
    read: bool

    @classmethod
    def from_model(cls, note: Notification) -> NotificationOut:
        return from_attributes(cls, note, read=note.read_at is not None)


class MailRhythmIn(msgspec.Struct):
    rhythm: str


class MailRhythmOut(msgspec.Struct):
    rhythm: str


class NotificationListOut(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    pages: int


# Handler parameter types: the services as the handlers receive them.
Notifications = NamedDependency[NotificationService]
Filters = NamedDependency[InboxFilters]


class NotificationController(Controller):
    path = "/notifications"
    dependencies = DEPENDENCIES
    guards = [requires_login]

    @get("/", name="notifications")
    async def inbox(self, request: Member, notifications: Notifications, filters: Filters) -> Template:
        listing = await notifications.list_for(request.user.id, filters.page, unread_only=filters.unread_only)
        return render(
            request,
            "notifications/inbox.html",
            listing=listing,
            unread_only=filters.unread_only,
            rhythm=await notifications.rhythm(request.user.id),
            rhythms=[(r, _(RHYTHM_LABELS[r])) for r in RHYTHMS],
        )

    @post("/mail", name="notifications-mail")
    async def mail(self, request: Member, notifications: Notifications, data: Form) -> Redirect:
        """How often the notices that are mailed (job applications, ...) come by email."""
        return await act(
            request,
            lambda: notifications.set_rhythm(request.user.id, field(data, "rhythm")),
            done=_("Saved."),
            redirect_to="/notifications#mail",
        )

    @get("/{notification_id:uuid}", name="notification-target")
    async def target(
        self, request: Member, notification_id: FromPath[UUID], notifications: Notifications
    ) -> Redirect:
        """Where it points, for an address kept from before; it stays unread."""
        url = await notifications.target(request.user.id, notification_id)
        return Redirect(safe_next(url, "/notifications"))

    @post("/{notification_id:uuid}", name="notification-open")
    async def open(
        self, request: Member, notification_id: FromPath[UUID], notifications: Notifications
    ) -> Redirect:
        """The inbox's button: marks it read, then goes where it points (only ever within the site)."""
        note = await notifications.open(request.user.id, notification_id)
        return Redirect(safe_next(note.url, "/notifications"))

    @post("/read-all", name="notifications-read-all")
    async def read_all(self, request: Member, notifications: Notifications) -> Redirect:
        await notifications.mark_all_read(request.user.id)
        return Redirect("/notifications")


class NotificationUnsubscribeController(Controller):
    """The notice mail's link: one click, logged in or not (the signed token is the proof)."""

    path = "/notifications/unsubscribe"
    dependencies = DEPENDENCIES

    @get("/", name="notifications-unsubscribe")
    async def unsubscribe(
        self,
        request: Visitor,
        notifications: Notifications,
        token: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Template:
        user_id = read_unsubscribe_token(settings_of(request).secret_key, token)
        if user_id is None or not await notifications.set_rhythm_if_member(user_id, "off"):
            return render(request, "notifications/unsubscribed.html", status_code=404, done=False)
        return render(request, "notifications/unsubscribed.html", done=True)


class NotificationApiController(Controller):
    path = "/api/v1/notifications"
    dependencies = DEPENDENCIES
    guards = [requires_login]
    tags = ["notifications"]

    @get("/")
    async def list_notifications(
        self, request: Member, notifications: Notifications, filters: Filters
    ) -> NotificationListOut:
        listing = await notifications.list_for(request.user.id, filters.page, unread_only=filters.unread_only)
        return NotificationListOut(
            items=[NotificationOut.from_model(n) for n in listing.items],
            total=listing.total,
            unread=await notifications.unread_count(request.user.id),
            page=listing.page,
            pages=listing.pages,
        )

    @post("/read-all", status_code=200)
    async def read_all(self, request: Member, notifications: Notifications) -> dict[str, int]:
        return {"marked_read": await notifications.mark_all_read(request.user.id)}

    @get("/mail", summary="How often notices are mailed")
    async def get_mail(self, request: Member, notifications: Notifications) -> MailRhythmOut:
        return MailRhythmOut(rhythm=await notifications.rhythm(request.user.id))

    @post("/mail", status_code=200, summary="Choose how often notices are mailed")
    async def set_mail(
        self, request: Member, notifications: Notifications, data: JSONBody[MailRhythmIn]
    ) -> MailRhythmOut:
        await notifications.set_rhythm(request.user.id, data.rhythm)
        return MailRhythmOut(rhythm=data.rhythm)

    @post("/{notification_id:uuid}/read", status_code=200, summary="Mark one notification read")
    async def read_one(
        self, request: Member, notification_id: FromPath[UUID], notifications: Notifications
    ) -> NotificationOut:
        return NotificationOut.from_model(await notifications.open(request.user.id, notification_id))
