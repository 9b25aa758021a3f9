"""Talent recruitment: talent profiles, positions, applications with PDF CVs, numbered 招贤榜 issues."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.i18n import N_
    from community.talent.controllers import TALENT_CONTROLLERS
    from community.talent.documents import POSITION_DOC_TYPE, position_documents
    from community.talent.jobs import JOBS, PERIODIC
    from community.talent.notices import NOTICES
    from community.zones import SearchType, Zone

    return Zone(
        name="talent",
        routes=TALENT_CONTROLLERS,
        search_types=[SearchType(POSITION_DOC_TYPE, N_("Positions"), position_documents)],
        jobs=JOBS,
        periodic=PERIODIC,
        notices=NOTICES,
    )
