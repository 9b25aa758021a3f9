"""With the embedding model made unloadable, /healthz and the admin's matching page name it and say that
matching is degraded, and recommendations and pushes still work from words, domains and district."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from litestar.testing import AsyncTestClient

from community.app import create_app
from tests.conftest import FormClient
from tests.matching.conftest import admin_password, demo_password, jobs_done, load_world
from tests.matching.test_push import INSPECTION, publish, recipients


async def test_unloadable_model_degrades_but_serves(
    settings: Any, services: Any, db: Any, tmp_path: Any
) -> None:
    broken = replace(settings, embedding_model=str(tmp_path / "no-such-model"))
    report = await load_world(services, broken)
    assert any("unavailable" in line for line in report)
    app = create_app(broken)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as raw:
        client = FormClient(raw)
        deadline = time.monotonic() + 30
        while True:
            health = (await client.get("/healthz")).json()
            if health["checks"]["embedder"]["status"] != "ok" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert health["status"] == "degraded"
        assert health["checks"]["embedder"]["status"] == "down"
        assert health["checks"]["embedder"]["model"] == "local:no-such-model"  # which model, not just "down"
        assert health["checks"]["database"]["status"] == "ok"

        await client.login("admin@example.com", admin_password(broken))
        admin_page = await client.get("/admin/matching")
        assert admin_page.status_code == 200
        assert "local:no-such-model" in admin_page.text and "status-degraded" in admin_page.text
        assert "no model folder" in admin_page.text  # why
        await client.logout()

        await client.login("li.ming@example.com", demo_password(broken))
        page = await client.get("/matching/for-you")
        assert page.status_code == 200
        assert "仓储包装破损与标签错贴视觉检测" in page.text  # recommended all the same
        assert "语言模型暂不可用" in page.text and "相同领域" in page.text

        await jobs_done(db)
        scenario_id = await publish(services, "changjiang-logistics", INSPECTION)
        await jobs_done(db)
        assert "li.ming@example.com" in recipients(db, scenario_id)
        assert "zhang.wei@example.com" not in recipients(db, scenario_id)
