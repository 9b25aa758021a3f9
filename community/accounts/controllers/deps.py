"""What the accounts handlers are given (their services, the mailer, the settings, the organizations list's
filters read once from the query string) and what several of them share: a mail that could not be sent, a
form sent back, a member's session starting. (Links sent by mail come from BASE_URL:
``community.accounts.services.accounts.site_link``.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Template

from community.accounts.inputs import OrganizationFilters
from community.accounts.services import (
    AccountService,
    HandleService,
    InvitationService,
    MembershipService,
    OrganizationService,
)
from community.accounts.sessions import log_in
from community.i18n import LOCALE_COOKIE, _
from community.web import MAILER, SETTINGS, Visitor, field, render, services

if TYPE_CHECKING:
    from litestar import Response

    from community.accounts.models import User

# The link says ``type``; the handlers and the filters say ``org_type``.
OrgType = Annotated[str | None, QueryParameter(name="type")]


def organization_filters(
    org_type: OrgType = None, page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1
) -> OrganizationFilters:
    return OrganizationFilters.clean(org_type=org_type, page=page)


def organization_api_filters(org_type: OrgType = None) -> OrganizationFilters:
    """The API pages with ``limit`` and ``offset`` of its own, so only the type is a filter."""
    return OrganizationFilters.clean(org_type=org_type)


DEPENDENCIES = {
    **services(
        accounts=AccountService,
        handles=HandleService,
        organizations=OrganizationService,
        memberships=MembershipService,
        invitations=InvitationService,
    ),
    "mailer": MAILER,
    "settings": SETTINGS,
    "filters": Provide(organization_filters, sync_to_thread=False),
}
API_DEPENDENCIES = DEPENDENCIES | {"filters": Provide(organization_api_filters, sync_to_thread=False)}


def start_session(request: Visitor, user: User, response: Response[Any]) -> Response[Any]:
    """Log ``user`` in (a new session id) and, on a browser that has not chosen a language, use theirs."""
    log_in(request, user)
    if user.locale and not request.cookies.get(LOCALE_COOKIE):
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


def typed(data: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The fields ``names`` as typed, to send a form back with them kept (a password is never among them)."""
    return {name: field(data, name) for name in names}


def mail_failed(request: Visitor, template: str, **context: Any) -> Template:
    """The mail server did not take the message: the form again (503), with nothing promised."""
    errors = {"email": _("We could not send the mail just now. Try again in a minute.")}
    return render(request, template, 503, errors=errors, **context)


# Handler parameter types: the zone's services as its handlers receive them.
Accounts = NamedDependency[AccountService]
Filters = NamedDependency[OrganizationFilters]
Handles = NamedDependency[HandleService]
Invitations = NamedDependency[InvitationService]
Memberships = NamedDependency[MembershipService]
Organizations = NamedDependency[OrganizationService]


# Lookups of the mention picker a member may make in a minute: typing sends one per pause, far fewer.
HANDLE_LOOKUPS_PER_MINUTE = 60
