"""Nobody waits forever: the owner is reminded once when an OPC's interest is about to go unanswered, and
the admins see it once it is late."""

from __future__ import annotations

import re
from datetime import timedelta

from community.kernel.clock import today
from community.scenarios.services.interests import InterestService
from tests.scenarios.conftest import COMPLETE, Zone


async def test_owner_is_reminded_once_and_admins_see_overdue_answers(zone: Zone, services) -> None:
    created = await zone.owner.submit("/scenarios/new", {**COMPLETE, "action": "submit"})
    sid = re.search(r"/scenarios/([0-9a-f-]{36})", str(created.url)).group(1)
    await zone.admin.submit(f"/admin/scenarios/{sid}/publish")
    page = await zone.opc.get(f"/scenarios/{sid}")
    opc_org = re.search(r'name="organization" value="([0-9a-f-]{36})"', page.text).group(1)
    await zone.opc.submit(
        f"/scenarios/{sid}/interest", {"organization": opc_org, "proposal": "四周内可以完成试点上线。"}
    )

    reminders = InterestService(services)
    assert await reminders.send_reminders(days_before=2) == 0  # 14 days to go: too early
    assert await reminders.send_reminders(days_before=14) == 1
    assert await reminders.send_reminders(days_before=14) == 0  # once only
    await services.commit()
    subjects = [n["subject"] for n in (await zone.owner.get("/api/v1/notifications")).json()["items"]]
    assert any("请在" in s and "智元视界工作室" in s for s in subjects), subjects

    # Nothing is overdue yet; the OPC sees its answer date, the owner the same.
    assert (
        "智元视界工作室"
        not in (await zone.admin.get("/admin")).text.split('id="overdue"')[1].split("</section>")[0]
    )
    due = (today() + timedelta(days=14)).isoformat()
    assert due in (await zone.opc.get(f"/scenarios/{sid}")).text.split('id="my-interest"')[1]
    assert due in (await zone.owner.get(f"/scenarios/{sid}")).text.split('id="interests"')[1]
