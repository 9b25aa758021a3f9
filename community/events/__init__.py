"""Training and events: courses, trainings, roadshows, matchmaking; registrations, waiting lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.events.controllers.api import EventApiController
    from community.events.controllers.pages import EventController
    from community.events.documents import EVENT_DOC_TYPE, event_documents
    from community.events.jobs import JOBS
    from community.events.notices import NOTICES
    from community.i18n import N_
    from community.zones import SearchType, Zone

    return Zone(
        name="events",
        routes=[EventController, EventApiController],
        search_types=[SearchType(EVENT_DOC_TYPE, N_("Events and trainings"), event_documents)],
        jobs=JOBS,
        notices=NOTICES,
    )
