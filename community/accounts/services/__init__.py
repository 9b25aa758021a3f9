"""Rules for accounts and organizations. Controllers call these; nothing else touches the tables.

- ``accounts``: members (register, log in, profile, password and its reset).
- ``organizations``: organizations and the roles every zone asks about.
- ``memberships``: the members page, removing a member, leaving.
- ``invitations``: inviting by email and accepting.
- ``handles``: the unique @handle of each member, mentions and the mention picker.
- ``passwords`` and ``rules``: hashing, and what a field must look like.

Other zones import from here; the names below stay.
"""

from community.accounts.documents import ORGANIZATION_DOC_TYPE, organization_document, organization_documents
from community.accounts.inputs import OrganizationFilters, OrganizationInput
from community.accounts.services.accounts import AccountService
from community.accounts.services.handles import HandleMatch, HandleService, check_handle
from community.accounts.services.invitations import InvitationService
from community.accounts.services.memberships import MembershipService
from community.accounts.services.organizations import OrganizationService
from community.accounts.services.passwords import hash_password, hash_token
from community.accounts.services.rules import (
    EMAIL_RE,
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    SLUG_RE,
    URL_RE,
    check_display_name,
    check_email,
    check_password,
    normalize_email,
)
from community.accounts.views import InvitationView, MembersPage, MemberView, OrgAccess

__all__ = (
    "EMAIL_RE",
    "NAME_MAX",
    "ORGANIZATION_DOC_TYPE",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "SLUG_RE",
    "URL_RE",
    "AccountService",
    "HandleMatch",
    "HandleService",
    "InvitationService",
    "InvitationView",
    "MemberView",
    "MembersPage",
    "MembershipService",
    "OrgAccess",
    "OrganizationFilters",
    "OrganizationInput",
    "OrganizationService",
    "check_display_name",
    "check_email",
    "check_handle",
    "check_password",
    "hash_password",
    "hash_token",
    "normalize_email",
    "organization_document",
    "organization_documents",
)
