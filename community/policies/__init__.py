"""Policy measures with structured eligibility, organizations' policy facts, and who qualifies."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.i18n import N_
    from community.policies.controllers.admin import PolicyAdminController
    from community.policies.controllers.api import PolicyApiController
    from community.policies.controllers.pages import PolicyController
    from community.policies.documents import POLICY_DOC_TYPE, policy_documents
    from community.zones import SearchType, Zone

    return Zone(
        name="policies",
        routes=[PolicyController, PolicyAdminController, PolicyApiController],
        search_types=[SearchType(POLICY_DOC_TYPE, N_("Policies"), policy_documents)],
    )
