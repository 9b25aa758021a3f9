"""What members and visitors read: the demo OPC that buys compute sees the compute voucher as 符合 and the
talent-housing rent subsidy as 不符合 with the missing condition named; 请补充 for facts nobody gave; the
public list and its filters; the owners' facts form keeps every field when it refuses one."""

from __future__ import annotations

import re
from typing import Any

from tests.policies.conftest import demo_password, load_world, login

YES = 'verdict-yes">符合</span>'
NO = 'verdict-no">不符合</span>'
WHOLE_NUMBER = "请输入整数。"


def section(page: str, anchor: str) -> str:
    """The part of the for-me page about one organization."""
    start = page.index(f'id="org-{anchor}"')
    end = page.find("</section>", start)
    return page[start:end]


def card(page: str, title: str) -> str:
    """One policy's block on the for-me page, up to the next policy."""
    start = page.index(f">{title}</a>")
    following = page.find("<h4>", start)
    return page[start : following if following != -1 else len(page)]


async def test_the_demo_opc_that_buys_compute_qualifies_for_the_compute_voucher_but_not_housing(
    services: Any, settings: Any, make_client: Any
) -> None:
    await load_world(services, settings)
    li = await login(make_client, "li.ming@example.com", demo_password(settings))

    page = (await li.get("/policies/for-me")).text
    mine = section(page, "zhiyuan-ai")
    qualifying, others = mine.split("其他政策", 1)
    assert "算力服务券" in qualifying and "算力服务券" not in others
    compute = card(mine, "算力服务券")
    assert YES in compute and "需要：购买算力服务" in compute
    housing = card(mine, "人才租赁房免租优惠")
    assert NO in housing and "需要：租住人才租赁房" in housing
    assert "人才租赁房免租优惠" in others

    # The policy pages say the same, for each of the member's organizations.
    compute_page = (await li.get("/policies/compute-voucher")).text
    verdict = compute_page[compute_page.index('id="eligibility"') :]
    assert YES in verdict and NO not in verdict and "智元视界" in verdict
    assert "最高 20万元" in compute_page and "期限最长 36 个月" in compute_page
    assert "免申即享" in (await li.get("/policies/free-compute-hours")).text  # granted to every OPC
    housing_page = (await li.get("/policies/talent-rental-housing")).text
    verdict = housing_page[housing_page.index('id="eligibility"') :]
    assert NO in verdict and YES not in verdict and "需要：租住人才租赁房" in verdict

    # The agent OPC does rent talent housing: the same page says 符合 to its member.
    zhang = await login(make_client, "zhang.wei@example.com", demo_password(settings))
    verdict = (await zhang.get("/policies/talent-rental-housing")).text
    assert YES in verdict[verdict.index('id="eligibility"') :]


async def test_unknown_facts_are_asked_for_and_a_visitor_reads_every_policy(
    services: Any, settings: Any, make_client: Any
) -> None:
    await load_world(services, settings)
    # The logistics enterprise never gave its facts: a policy that needs a stage asks for it.
    zhao = await login(make_client, "zhao.lei@example.com", demo_password(settings))
    page = (await zhao.get("/policies/demonstration-scenario")).text
    assert YES in page  # enterprises qualify for demonstration projects, no facts needed
    page = (await zhao.get("/policies/for-me")).text
    logistics = section(page, "changjiang-logistics")
    assert "请补充：经营活动" in card(logistics, "OPC 主题活动主办方奖励")
    assert "/policies/facts/changjiang-logistics" in logistics

    visitor = await make_client()
    listing = await visitor.get("/policies")
    assert listing.status_code == 200 and listing.text.count('class="card policy-card"') == 21
    housing = await visitor.get("/policies", params={"kind": "housing"})
    titles = re.findall(r'<h3><a href="/policies/[^"]+">([^<]+)</a>', housing.text)
    assert sorted(titles) == sorted(["人才租赁房免租优惠", "新建商品房购房补贴", "武汉青年人才之家免费住宿"])
    for_service = await visitor.get("/policies", params={"org_type": "service"})
    assert "OPC 生态社区资金支持" in for_service.text and "算力服务券" not in for_service.text
    assert "OPC 主题活动主办方奖励" in for_service.text  # no organization-type condition: open to all
    by_unit = await visitor.get("/policies", params={"unit": "市人才工作局"})
    assert "武汉英才计划资助" in by_unit.text and "算力服务券" not in by_unit.text
    # Nasty filter values are dropped, not a failure.
    odd = await visitor.get(
        "/policies", params={"kind": "<script>", "domain": "'; DROP TABLE policy; --", "unit": "%_\\"}
    )
    assert odd.status_code == 200 and "<script>" not in odd.text.split("<main", 1)[1].split("</main>")[
        0
    ].replace("&lt;script&gt;", "")
    detail = await visitor.get("/policies/compute-voucher")
    assert detail.status_code == 200 and "登录" in detail.text and "需要：购买算力服务" in detail.text
    assert (await visitor.get("/policies/no-such-policy")).status_code == 404
    assert (await visitor.get("/policies/for-me", follow_redirects=False)).status_code in (302, 303)


async def test_owners_edit_facts_and_a_refused_form_keeps_every_field(
    services: Any, settings: Any, make_client: Any
) -> None:
    await load_world(services, settings)
    password = demo_password(settings)
    wang = await login(make_client, "wang.fang@example.com", password)  # owner of the medical enterprise
    form = (await wang.get("/policies/facts/guanggu-medical")).text
    assert 'name="founded_on"' in form and "东湖新技术开发区" in form

    refused = await wang.submit(
        "/policies/facts/guanggu-medical",
        {"founded_on": "2099-01-01", "stage": "growth", "team_size": "十二", "activities": "hosts_events"},
    )
    assert refused.status_code == 400
    assert "成立日期不能晚于今天" in refused.text and WHOLE_NUMBER in refused.text
    assert 'value="2099-01-01"' in refused.text and 'value="十二"' in refused.text
    assert re.search(r'value="growth" selected', refused.text)
    assert re.search(r'value="hosts_events" checked', refused.text)

    saved = await wang.submit(
        "/policies/facts/guanggu-medical",
        {"founded_on": "2020-05-01", "stage": "growth", "team_size": "12", "activities": "hosts_events"},
    )
    assert saved.status_code == 200 and "已保存" in saved.text
    assert "OPC 主题活动主办方奖励" in section(saved.text, "guanggu-medical").split("其他政策")[0]

    # A member who is not an owner reads the facts but may not change them.
    liu = await login(make_client, "liu.yang@example.com", password)
    read_only = await liu.get("/policies/facts/guanggu-medical")
    assert read_only.status_code == 200 and "2020-05-01" in read_only.text
    assert 'name="founded_on"' not in read_only.text and "只有组织负责人可以修改" in read_only.text
    assert (await liu.submit("/policies/facts/guanggu-medical", {"stage": "mature"})).status_code == 403
    # Someone from another organization does not read them at all.
    li = await login(make_client, "li.ming@example.com", password)
    assert (await li.get("/policies/facts/guanggu-medical")).status_code == 403
