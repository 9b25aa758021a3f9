"""The admin's policy pages draw each policy's reach (qualifying, told, opened) as their figures say."""

from __future__ import annotations

import re
from typing import Any

from tests.chart_figures import charts_of
from tests.policies.conftest import demo_password, jobs_done, load_world, login, policy_input, publish_policy
from tests.policies.test_push import opened_by, password_of_admin, stat


async def test_policy_reach_is_drawn_as_the_counts_say(
    services: Any, settings: Any, make_client: Any, db: Any
) -> None:
    await load_world(services, settings)
    admin = await make_client()  # starts the app and its job worker
    policy = await publish_policy(
        services,
        policy_input(
            "compute-pilot", "算力券试点（测试）", {"org_types": ["opc"], "activities": ["buy_compute"]}
        ),
    )
    await jobs_done(db)
    li = await login(make_client, "li.ming@example.com", demo_password(settings))
    assert (await opened_by(li, "compute-pilot")).status_code == 204
    await admin.login("admin@example.com", password_of_admin(settings))

    page = (await admin.get(f"/admin/policies/{policy.id}")).text
    reach = charts_of(page)["chart-reach"]
    assert reach.title == "政策触达"
    drawn = {key: reach.series(key)["算力券试点（测试）"] for key in ("qualify", "told", "opened")}
    assert drawn == {
        "qualify": stat(page, "qualify"),
        "told": stat(page, "told"),
        "opened": stat(page, "opened"),
    }
    assert drawn == {"qualify": 2, "told": 2, "opened": 1}

    index = (await admin.get("/admin/policies")).text
    listed = charts_of(index)["chart-reach"]
    row = re.search(r"算力券试点（测试）</a></td>.*?<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", index, re.S)
    assert row, "the policy's row in the table"
    assert tuple(listed.series(key)["算力券试点（测试）"] for key in ("qualify", "told", "opened")) == tuple(
        int(n) for n in row.groups()
    )
    assert len(listed.series("qualify")) > 1  # the demo's own policies are drawn too
