"""The scenario zone: scenarios, capability profiles, numbered list issues, interest, import and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.i18n import N_
    from community.scenarios.controllers.admin import ScenarioAdminController
    from community.scenarios.controllers.api import ScenarioApiController
    from community.scenarios.controllers.capabilities import CapabilityController
    from community.scenarios.controllers.imports import IMPORT_CONTROLLERS
    from community.scenarios.controllers.lists import LIST_CONTROLLERS
    from community.scenarios.controllers.scenarios import ScenarioController
    from community.scenarios.documents import (
        CAPABILITY_DOC_TYPE,
        SCENARIO_DOC_TYPE,
        capability_documents,
        scenario_documents,
    )
    from community.scenarios.jobs import INTEREST_REMINDERS
    from community.scenarios.notices import NOTICES
    from community.zones import SearchType, Zone

    return Zone(
        name="scenarios",
        routes=[
            ScenarioController,
            CapabilityController,
            ScenarioAdminController,
            ScenarioApiController,
            *IMPORT_CONTROLLERS,
            *LIST_CONTROLLERS,
        ],
        search_types=[
            SearchType(SCENARIO_DOC_TYPE, N_("Scenarios"), scenario_documents),
            SearchType(CAPABILITY_DOC_TYPE, N_("OPC capabilities"), capability_documents),
        ],
        periodic=[INTEREST_REMINDERS],
        notices=NOTICES,
    )
