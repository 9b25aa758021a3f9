"""Matching and precise push: embeddings, a hybrid ranker, explanations, pushes and feedback. It reads the
scenario, policy and talent zones through their services; no zone imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.matching.cli import matching_group
    from community.matching.controllers import MatchingController, TalentMatchingController
    from community.matching.jobs import JOBS
    from community.zones import Zone

    return Zone(
        name="matching",
        routes=[MatchingController, TalentMatchingController],
        jobs=JOBS,
        cli_groups=[matching_group],
    )
