"""The evaluator on its own: each missing condition named in plain words with the organization's own
value, unknown facts asked for (请补充) and never taken as a yes, and the conditions validated by name."""

from __future__ import annotations

from datetime import date

from community.accounts.models import OrgType
from community.policies.inputs import validate_conditions
from community.policies.models import Stage
from community.policies.services.eligibility import Conditions, Facts, evaluate, requirements

TODAY = date(2026, 11, 27)


def opc(**changes: object) -> Facts:
    values: dict[str, object] = {
        "organization_id": 1,
        "org_type": OrgType.OPC,
        "founded_on": date(2021, 11, 1),  # 60 months before TODAY
        "stage": Stage.GROWTH,
        "team_size": 3,
        "domains": frozenset({"生产制造"}),
        "district": "洪山区",
        "activities": frozenset({"buy_compute"}),
        "today": TODAY,
    }
    values.update(changes)
    return Facts(**values)  # type: ignore[arg-type]


def test_all_conditions_met_qualifies_and_says_why() -> None:
    verdict = evaluate(opc(), Conditions(org_types=("opc",), activities=("buy_compute",)))
    assert verdict.qualifies
    assert [c.text for c in verdict.met] == ["组织类型：OPC（一人公司）", "需要：购买算力服务"]
    assert verdict.missing == [] and verdict.unknown == []


def test_each_missing_condition_is_named_with_the_organizations_own_value() -> None:
    conditions = Conditions(
        org_types=("opc",),
        age_max_months=36,
        districts=("东湖新技术开发区",),
        team_max=2,
        stages=("startup",),
        activities=("rent_talent_housing",),
        verified_capability=True,
    )
    verdict = evaluate(opc(), conditions)
    assert not verdict.qualifies
    missing = [c.text for c in verdict.missing]
    assert "成立时间：不超过 36 个月（贵单位已成立 60 个月）" in missing
    assert "需要：租住人才租赁房" in missing
    assert "所在区：限 东湖新技术开发区（贵单位为 洪山区）" in missing
    assert "团队人数：不超过 2 人（贵单位为 3 人）" in missing
    assert "发展阶段：限 初创（贵单位为 成长）" in missing
    assert "需要：通过认证的技术能力档案" in missing
    assert [c.text for c in verdict.met] == ["组织类型：OPC（一人公司）"]


def test_unknown_facts_are_asked_for_and_are_not_a_yes() -> None:
    facts = opc(
        founded_on=None, stage=None, team_size=None, domains=frozenset(), district=None, activities=None
    )
    conditions = Conditions(
        age_max_months=36,
        stages=("startup",),
        team_max=5,
        domains=("金融",),
        districts=("江汉区",),
        activities=("buy_compute",),
    )
    verdict = evaluate(facts, conditions)
    assert not verdict.qualifies and verdict.missing == []
    assert [c.text for c in verdict.unknown] == [
        "请补充：成立日期",
        "请补充：所属领域",
        "请补充：所在区",
        "请补充：发展阶段",
        "请补充：团队人数",
        "请补充：经营活动",
    ]
    # An organization that said what it does, and it is not this, is a plain no.
    assert [
        c.text for c in evaluate(opc(activities=frozenset()), Conditions(activities=("buy_compute",))).missing
    ] == ["需要：购买算力服务"]


def test_company_age_counts_whole_months_and_bounds_are_inclusive() -> None:
    assert opc(founded_on=date(2023, 11, 27)).age_months == 36
    assert opc(founded_on=date(2023, 11, 28)).age_months == 35
    assert evaluate(opc(founded_on=date(2023, 11, 27)), Conditions(age_max_months=36)).qualifies
    assert not evaluate(opc(founded_on=date(2023, 11, 27)), Conditions(age_min_months=37)).qualifies
    assert evaluate(opc(), Conditions()).qualifies  # no condition: open to all
    assert requirements(Conditions(age_min_months=6, age_max_months=36)) == ["成立时间：6 至 36 个月"]


def test_any_one_of_several_activities_or_domains_is_enough() -> None:
    conditions = Conditions(activities=("compute_loan", "buy_compute"), domains=("金融", "生产制造"))
    assert evaluate(opc(), conditions).qualifies
    texts = [c.text for c in evaluate(opc(activities=frozenset()), conditions).missing]
    assert texts == ["需要：申请算力采购贷款 或 购买算力服务"]


def test_conditions_are_validated_by_name() -> None:
    errors: dict[str, str] = {}
    conditions = validate_conditions(
        {
            "org_types": ["opc", "martian"],
            "domains": "金融",
            "activities": ["buy_compute", "<script>"],
            "age_min_months": "40",
            "age_max_months": "12",
            "team_min": "-1",
            "team_max": "三",
        },
        errors,
    )
    assert set(errors) == {"org_types", "activities", "age_max_months", "team_min", "team_max"}
    assert conditions.org_types == ("opc",) and conditions.domains == ("金融",)
    assert conditions.activities == ("buy_compute",)
    assert Conditions.from_json(conditions.to_json()) == conditions


def test_gaps_count_what_stands_between_an_organization_and_a_policy() -> None:
    assert evaluate(opc(), Conditions(org_types=("opc",))).gaps == 0
    far = Conditions(org_types=("enterprise",), districts=("江汉区",), activities=("startup_loan",))
    assert evaluate(opc(), far).gaps == 3
    assert evaluate(opc(activities=None), Conditions(activities=("buy_compute",))).gaps == 1
