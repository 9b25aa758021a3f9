"""Matching and precise push: embeddings, a hybrid ranker, explanations, pushes and feedback, and forum
questions routed to those who can answer them. It reads the scenario, policy, talent and forum zones through
their services; no zone imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.matching.cli import matching_group
    from community.matching.controllers import (
        MatchingAdminController,
        MatchingController,
        TalentMatchingController,
    )
    from community.matching.jobs import JOBS, VECTORS_CURRENT
    from community.matching.notices import NOTICES
    from community.matching.policies import POLICY_BACKLOG
    from community.matching.questions import QUESTION_ROUTING
    from community.zones import Zone

    return Zone(
        name="matching",
        routes=[MatchingController, TalentMatchingController, MatchingAdminController],
        jobs=JOBS,
        periodic=[VECTORS_CURRENT, QUESTION_ROUTING, POLICY_BACKLOG],
        cli_groups=[matching_group],
        notices=NOTICES,
    )
