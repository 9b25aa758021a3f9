"""The technical exchange and open-source sharing zone (技术交流与开源共享专区)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.forum.controllers import FORUM_ROUTES
    from community.forum.documents import REPLY_DOC_TYPE, TOPIC_DOC_TYPE, reply_documents, topic_documents
    from community.forum.labels import template_globals
    from community.forum.notices import NOTICES
    from community.forum.services.notify import DIGESTS
    from community.i18n import N_
    from community.zones import SearchType, Zone

    return Zone(
        name="forum",
        routes=FORUM_ROUTES,
        search_types=[
            SearchType(TOPIC_DOC_TYPE, N_("Forum topics"), topic_documents),
            SearchType(REPLY_DOC_TYPE, N_("Forum replies"), reply_documents),
        ],
        periodic=[DIGESTS],
        template_globals=template_globals(),
        notices=NOTICES,
    )
