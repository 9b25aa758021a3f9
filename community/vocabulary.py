"""Words from the policy text (design.md, "Vocabulary from the seed") that every zone shares."""

from __future__ import annotations

from community.accounts.models import OrgType
from community.i18n import N_, gettext

DISTRICTS: tuple[str, ...] = (
    "江岸区",
    "江汉区",
    "硚口区",
    "汉阳区",
    "武昌区",
    "青山区",
    "洪山区",
    "东西湖区",
    "汉南区",
    "蔡甸区",
    "江夏区",
    "黄陂区",
    "新洲区",
    "东湖新技术开发区",
    "武汉经济技术开发区",
    "长江新区",
    "东湖生态旅游风景区",
)

DOMAINS: tuple[str, ...] = (
    "智慧医疗",
    "数字创意",
    "城市服务",
    "网络安全",
    "工业软件",
    "智能芯片",
    "自动驾驶",
    "政务服务",
    "教育",
    "医疗",
    "公共安全",
    "生产制造",
    "能源优化",
    "药物研发",
    "金融",
    "交通",
    "气象",
    "时空",
)

_ORG_TYPE_LABELS: dict[OrgType, str] = {
    OrgType.OPC: N_("OPC (one-person company)"),
    OrgType.ENTERPRISE: N_("Enterprise"),
    OrgType.GOVERNMENT: N_("Government department / public institution"),
    OrgType.UNIVERSITY: N_("University / research institute"),
    OrgType.SERVICE: N_("Service organization"),
    OrgType.INVESTMENT: N_("Investment organization"),
}


def org_type_label(org_type: OrgType | str) -> str:
    return gettext(_ORG_TYPE_LABELS[OrgType(org_type)])


def org_type_choices() -> list[tuple[str, str]]:
    return [(t.value, org_type_label(t)) for t in OrgType]
