"""Accounts: members, organizations and their roles, invitations, sessions and guards. Knows no zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.accounts.cli import users_group
    from community.accounts.controllers import (
        AccountController,
        AccountsApiController,
        AuthController,
        HandleController,
        InvitationController,
        OrganizationController,
    )
    from community.accounts.documents import ORGANIZATION_DOC_TYPE, organization_documents
    from community.accounts.jobs import FORGET_STALE, JOBS
    from community.i18n import N_
    from community.zones import SearchType, Zone

    return Zone(
        name="accounts",
        routes=[
            AuthController,
            AccountController,
            HandleController,
            OrganizationController,
            InvitationController,
            AccountsApiController,
        ],
        search_types=[SearchType(ORGANIZATION_DOC_TYPE, N_("Organizations"), organization_documents)],
        jobs=JOBS,
        periodic=[FORGET_STALE],
        cli_groups=[users_group],
    )
