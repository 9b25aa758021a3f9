"""Words from the policy text (design.md, "Vocabulary from the seed") that every zone shares.

Districts and domains are stored as their Chinese names (the codes never change); each has an English name
marked for translation, and ``district_label`` / ``domain_label`` give the reader's word for a stored code
(the Chinese catalog maps the English name back to the code)."""

from __future__ import annotations

from collections.abc import Callable

from community.accounts.models import OrgType
from community.i18n import N_
from community.kernel.labels import Labels
from community.kernel.money import format_fen, format_yuan

district_label = Labels(
    {
        "江岸区": N_("Jiang'an District"),
        "江汉区": N_("Jianghan District"),
        "硚口区": N_("Qiaokou District"),
        "汉阳区": N_("Hanyang District"),
        "武昌区": N_("Wuchang District"),
        "青山区": N_("Qingshan District"),
        "洪山区": N_("Hongshan District"),
        "东西湖区": N_("Dongxihu District"),
        "汉南区": N_("Hannan District"),
        "蔡甸区": N_("Caidian District"),
        "江夏区": N_("Jiangxia District"),
        "黄陂区": N_("Huangpi District"),
        "新洲区": N_("Xinzhou District"),
        "东湖新技术开发区": N_("East Lake High-Tech Development Zone"),
        "武汉经济技术开发区": N_("Wuhan Economic and Technological Development Zone"),
        "长江新区": N_("Changjiang New Area"),
        "东湖生态旅游风景区": N_("East Lake Scenic Area"),
    }
)

domain_label = Labels(
    {
        "智慧医疗": N_("Smart healthcare"),
        "数字创意": N_("Digital creative industries"),
        "城市服务": N_("City services"),
        "网络安全": N_("Cybersecurity"),
        "工业软件": N_("Industrial software"),
        "智能芯片": N_("AI chips"),
        "自动驾驶": N_("Autonomous driving"),
        "政务服务": N_("Government services"),
        "教育": N_("Education"),
        "医疗": N_("Healthcare"),
        "公共安全": N_("Public safety"),
        "生产制造": N_("Manufacturing"),
        "能源优化": N_("Energy optimization"),
        "药物研发": N_("Drug discovery"),
        "金融": N_("Finance"),
        "交通": N_("Transport"),
        "气象": N_("Meteorology"),
        "时空": N_("Spatio-temporal data"),
    }
)

# The stored codes, in the order forms and filters list them.
DISTRICTS: tuple[str, ...] = tuple(str(code) for code in district_label.words)
DOMAINS: tuple[str, ...] = tuple(str(code) for code in domain_label.words)

org_type_label = Labels(
    {
        OrgType.OPC: N_("OPC (one-person company)"),
        OrgType.ENTERPRISE: N_("Enterprise"),
        OrgType.GOVERNMENT: N_("Government department / public institution"),
        OrgType.UNIVERSITY: N_("University / research institute"),
        OrgType.SERVICE: N_("Service organization"),
        OrgType.INVESTMENT: N_("Investment organization"),
    }
)


def district_choices() -> list[tuple[str, str]]:
    """(code, name) for a form's district options, in the reader's language."""
    return district_label.choices(DISTRICTS)


def domain_choices() -> list[tuple[str, str]]:
    """(code, name) for a form's domain options, in the reader's language."""
    return domain_label.choices(DOMAINS)


def org_type_choices() -> list[tuple[str, str]]:
    return org_type_label.choices(OrgType)


def template_filters() -> dict[str, Callable[..., str]]:
    """The filters every page and mail template has for the shared words and money: ``{{ d | domain_name }}``
    (``{{ s.domains | domain_names }}`` for a line of them),
    ``{{ s.district | district_name }}``, ``{{ amount | yuan }}`` (whole yuan), ``{{ f | fen }}`` (in fen)."""
    return {
        "domain_name": domain_label,
        "domain_names": domain_label.join,
        "district_name": district_label,
        "org_type_name": org_type_label,
        "yuan": format_yuan,
        "fen": format_fen,
    }
