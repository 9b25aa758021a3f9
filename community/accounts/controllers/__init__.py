"""Pages and API endpoints for accounts and organizations. Thin: parse, call a service, render."""

from community.accounts.controllers.account import AccountController
from community.accounts.controllers.api import AccountsApiController
from community.accounts.controllers.auth import AuthController
from community.accounts.controllers.deps import DEPENDENCIES
from community.accounts.controllers.handles import HandleController
from community.accounts.controllers.invitations import InvitationController
from community.accounts.controllers.organizations import OrganizationController

__all__ = (
    "DEPENDENCIES",
    "AccountController",
    "AccountsApiController",
    "AuthController",
    "HandleController",
    "InvitationController",
    "OrganizationController",
)
