"""An organization that was over its weekly cap, or had paused its pushes, when a policy was published is told
of it once it can be told again (a new week, the pause lifted): once, never twice, and not about a policy that
closed or was withdrawn meanwhile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import update

from community.app import create_app
from community.matching.models import PushQuota
from community.matching.policies import POLICY_BACKLOG, push_backlog, push_policy
from community.matching.services import PreferenceService, PushService, week_start
from community.policies.models import Policy
from community.policies.services.policies import PolicyService
from community.zones import load_zones
from tests.notifications.words import worded
from tests.policies.conftest import admin_of, load_world, policy_input, publish_policy
from tests.policies.test_push import _opc_with_member


def told(db: Any, slug: str, org_slug: str) -> int:
    """How many times the members of ``org_slug`` were told about the policy ``slug``."""
    return int(
        db.fetchval(
            "SELECT count(*) FROM notification n JOIN membership m ON m.user_id = n.recipient_id"
            " JOIN organization o ON o.id = m.organization_id"
            " WHERE n.kind = 'policies.qualified' AND n.url = $1 AND o.slug = $2",
            f"/policies/{slug}",
            org_slug,
        )
    )


async def test_a_held_back_policy_is_delivered_once_the_organization_can_be_told_again(
    services: Any, settings: Any, db: Any
) -> None:
    """Called directly, as the policy tests do (the worker's hourly job runs the same function)."""
    create_app(settings)  # the zones' notices are known (no worker runs: the test drives every push)
    capped = replace(settings, matching_weekly_cap=1)
    await load_world(services, settings, zones=())
    busy, _member = await _opc_with_member(services, "busy-opc", ("buy_compute",))
    paused, _other = await _opc_with_member(services, "paused-opc", ("buy_compute",))
    preferences = PreferenceService(services, capped)
    await preferences.save_preference(paused.id, [], paused=True)
    # A scenario took the busy OPC's one push of this week.
    assert await PushService(services, capped, None).take_quota(busy.id, week_start())
    held = await publish_policy(
        services, policy_input("held", "延后送达政策", {"activities": ["buy_compute"]})
    )
    closing = await publish_policy(
        services, policy_input("closing", "即将截止政策", {"activities": ["buy_compute"]})
    )
    pulled = await publish_policy(
        services, policy_input("pulled", "将被撤回政策", {"activities": ["buy_compute"]})
    )
    for policy in (held, closing, pulled):
        assert await push_policy(services, capped, policy.id, policy.version) == []  # capped, or paused
    await services.commit()
    assert told(db, "held", "busy-opc") == told(db, "held", "paused-opc") == 0

    # Nothing changed yet: the next run still holds them back.
    await push_backlog(services, capped)
    await services.commit()
    assert told(db, "held", "busy-opc") == told(db, "held", "paused-opc") == 0

    # A week later (the busy OPC's quota is last week's), the pause lifted; one policy closed meanwhile and
    # another was withdrawn.
    await services.execute(
        update(PushQuota)
        .where(PushQuota.organization_id == busy.id)
        .values(week_start=PushQuota.week_start - 7)
    )
    await preferences.save_preference(paused.id, [], paused=False)
    await services.execute(
        update(Policy).where(Policy.id == closing.id).values(deadline=Policy.deadline - 3650)
    )
    await PolicyService(services).withdraw(await admin_of(services), pulled.id)
    await services.commit()

    await push_backlog(services, capped)
    await services.commit()
    assert told(db, "held", "busy-opc") == 1 and told(db, "held", "paused-opc") == 1
    for slug in ("closing", "pulled"):
        assert told(db, slug, "busy-opc") == told(db, slug, "paused-opc") == 0
    # Worded for its reader, with the conditions it meets.
    said = worded(db, "kind = 'policies.qualified' AND url = '/policies/held'") or ""
    assert "延后送达政策" in said and "购买算力服务" in said
    # Once: the next runs tell nobody again, and each delivery took one push of the new week.
    await push_backlog(services, capped)
    await push_backlog(services, capped)
    await services.commit()
    assert told(db, "held", "busy-opc") == 1 and told(db, "held", "paused-opc") == 1
    assert db.fetchval("SELECT count(*) FROM policy_delivery WHERE policy_id = $1", held.id) == 2
    # The worker runs it by itself, every hour, whichever process claims it.
    (matching,) = load_zones(["matching"])
    assert POLICY_BACKLOG in matching.periodic and POLICY_BACKLOG.every({}) == 3600.0
