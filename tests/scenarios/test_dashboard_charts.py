"""The public dashboard draws its figures: scenarios per month (published, docking, landed), interest
answered on time, by district and by domain; each drawing says what its table says, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from community import i18n
from community.kernel.clock import now, today
from community.scenarios.models import Scenario
from community.web.charts import month_label
from tests.chart_figures import charts_of
from tests.scenarios.conftest import COMPLETE, Zone


async def _publish(zone: Zone, **changes: object) -> str:
    created = await zone.owner.submit("/scenarios/new", {**COMPLETE, **changes, "action": "submit"})
    assert created.status_code == 200, created.text
    sid = re.search(r"/scenarios/([0-9a-f-]{36})", str(created.url)).group(1)
    await zone.admin.submit(f"/admin/scenarios/{sid}/publish")
    return sid


async def test_dashboard_draws_its_figures_and_they_match_the_tables(zone: Zone, services) -> None:
    landed = await _publish(zone, title="场景一")  # 洪山区, 智慧医疗 and 医疗
    older = await _publish(zone, title="场景二", district="江岸区", domains=["教育"])
    await _publish(zone, title="场景三", district="江岸区", domains=["教育"])
    page = await zone.opc.get(f"/scenarios/{landed}")
    opc_org = re.search(r'name="organization" value="([0-9a-f-]{36})"', page.text).group(1)
    await zone.opc.submit(
        f"/scenarios/{landed}/interest", {"organization": opc_org, "proposal": "我们可以在四周内完成试点。"}
    )
    owner_page = await zone.owner.get(f"/scenarios/{landed}")
    interest = re.search(r"/scenarios/interests/([0-9a-f-]{36})/decline", owner_page.text).group(1)
    await zone.owner.submit(f"/scenarios/interests/{interest}/shortlist", {"note": "请来面谈"})  # docking
    await zone.owner.submit(
        f"/scenarios/{landed}/status", {"status": "landed", "partner": opc_org, "reason": "试点上线"}
    )
    # One scenario was published some seventy days ago: it counts in its own month, not this one.
    earlier = now() - timedelta(days=70)
    await services.execute(update(Scenario).where(Scenario.id == older).values(published_at=earlier))
    await services.commit()

    response = await zone.visitor.get("/scenarios/dashboard")
    assert response.status_code == 200
    charts = charts_of(response.text)  # each drawing is checked against its own table here
    assert {"chart-trend", "chart-answers", "chart-district", "chart-domain"} <= set(charts)
    this_month = month_label(today().replace(day=1))
    that_month = month_label((earlier + timedelta(hours=8)).date().replace(day=1))
    trend = charts["chart-trend"]
    assert trend.title == "每月场景"
    assert len(trend.series("published")) == 12
    assert trend.series("published")[this_month] == 2 and trend.series("published")[that_month] == 1
    assert trend.total("published") == 3
    assert trend.series("docking")[this_month] == 1 and trend.total("docking") == 1
    assert trend.series("landed")[this_month] == 1 and trend.total("landed") == 1
    answers = charts["chart-answers"]
    assert answers.series("in_time")[this_month] == 1
    assert answers.total("late") == 0 and answers.total("unanswered") == 0
    assert charts["chart-district"].series("scenarios") == {"江岸区": 2, "洪山区": 1}
    assert charts["chart-domain"].series("scenarios") == {"教育": 2, "智慧医疗": 1, "医疗": 1}
    # The SVG is named by its own title and description, for a screen reader.
    assert charts["chart-trend"].svg_title_ids == "chart-trend-title chart-trend-desc"
    # The figures as the page's own counters read them.
    assert '<p class="big">3</p>' in response.text

    await zone.visitor.submit("/language", {"lang": "en", "next": "/"})
    english = charts_of((await zone.visitor.get("/scenarios/dashboard")).text)
    assert english["chart-trend"].title == "Scenarios per month"
    with i18n.locale("en"):
        this_month = month_label(today().replace(day=1))
    assert this_month.isascii()
    assert english["chart-trend"].series("published")[this_month] == 2
    assert english["chart-answers"].series("in_time")[this_month] == 1
    # Districts and domains are named in the reader's language too.
    assert english["chart-district"].series("scenarios") == {"Jiang'an District": 2, "Hongshan District": 1}
    assert english["chart-domain"].series("scenarios")["Education"] == 2
