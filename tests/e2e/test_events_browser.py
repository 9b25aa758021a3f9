"""Events in real phone-sized browsers: an organization publishes a roadshow with one place; the first
member registers, the second sees the waiting position; the first cancels and the second holds the place."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from community.kernel.clock import SITE_TZ, now
from tests.e2e.conftest import create_organization, register

pytestmark = pytest.mark.e2e


def _local(delta: timedelta) -> str:
    return (now() + delta).astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M")


def test_register_see_the_waiting_position_cancel_and_move_up(people: Any, database_url: str) -> None:
    organizer = people()
    register(organizer, "xu@center.example", "徐强")
    create_organization(organizer, "光谷OPC创业服务中心", "opc-center", "service")
    organizer.goto("/events/new")
    organizer.locator('[name="kind"]').select_option("roadshow")
    organizer.locator('[name="title"]').fill("武创荟 OPC 专场路演")
    organizer.locator('[name="summary"]').fill("OPC 路演人工智能创新成果，现场供需对接。")
    organizer.locator('[name="starts_at"]').fill(_local(timedelta(days=5)))
    organizer.locator('[name="ends_at"]').fill(_local(timedelta(days=5, hours=3)))
    organizer.locator('[name="address"]').fill("武汉创新街区路演中心")
    organizer.locator('[name="district"]').select_option("江汉区")
    organizer.locator('[name="capacity"]').fill("1")
    organizer.locator('button[name="action"][value="publish"]').click()
    organizer.wait_for_url(re.compile(r"/events/[0-9a-f-]{36}$"))
    event_url = organizer.url

    first = people()
    register(first, "li@zhiyuan.example", "李明")
    first.goto(event_url)
    first.get_by_role("button", name="报名参加").click()
    first.wait_for_url(event_url)
    assert "您已报名。" in first.locator(".my-state").inner_text()

    second = people()
    register(second, "zhang@qingyun.example", "张薇")
    second.goto(event_url)
    assert "剩余 0 个名额" in second.locator(".places").inner_text()
    second.get_by_role("button", name="加入候补名单").click()
    second.wait_for_url(event_url)
    assert "您是候补第 1 位。" in second.locator(".my-state").inner_text()

    first.get_by_role("button", name="取消报名").click()
    first.wait_for_url(event_url)
    assert "您的报名已取消。" in first.locator(".flash").first.inner_text()

    second.goto(event_url)
    assert "您已报名。" in second.locator(".my-state").inner_text()
    second.goto("/notifications")
    assert "武创荟 OPC 专场路演" in second.locator("main").inner_text()

    organizer.goto(event_url + "/registrations")
    assert "张薇" in organizer.locator("main").inner_text()
