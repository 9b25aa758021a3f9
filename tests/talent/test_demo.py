"""The talent demo: about thirty positions, profiles, applications in several states and one 招贤榜 issue,
loaded through the services; a second load adds nothing."""

from __future__ import annotations

from typing import Any

from community.demo import load_demo
from tests.stored import kept_names


async def test_the_talent_demo_loads_once(services: Any, settings: Any, db: Any) -> None:
    await load_demo(services, settings, zones=("talent",))
    await services.commit()
    counts = [
        db.fetchval("SELECT count(*) FROM talent_position WHERE status = 'open'"),
        db.fetchval("SELECT count(*) FROM talent_profile"),
        db.fetchval("SELECT count(*) FROM talent_application"),
        db.fetchval("SELECT count(DISTINCT status) FROM talent_application"),
        db.fetchval("SELECT count(*) FROM talent_board"),
    ]
    assert counts[0] == 30 and counts[1] >= 4 and counts[2] >= 6 and counts[3] >= 5 and counts[4] == 1
    assert db.fetchval("SELECT jsonb_array_length(items) FROM talent_board WHERE number = 1") == 12
    assert len(kept_names(db, "cvs")) == counts[2]  # every CV is a file of its own
    await load_demo(services, settings, zones=("talent",))
    await services.commit()
    again = [
        db.fetchval("SELECT count(*) FROM talent_position WHERE status = 'open'"),
        db.fetchval("SELECT count(*) FROM talent_profile"),
        db.fetchval("SELECT count(*) FROM talent_application"),
        db.fetchval("SELECT count(DISTINCT status) FROM talent_application"),
        db.fetchval("SELECT count(*) FROM talent_board"),
    ]
    assert again == counts
