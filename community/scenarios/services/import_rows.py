"""The columns and words of an import file: which header names which field of the scenario form, how a
row of cells becomes that form's fields (类型 and 规模 in words, budgets like 10万-50万, dates like
2027年3月31日), and the template to fill in.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from community.i18n import _
from community.kernel import exports
from community.kernel.clock import today
from community.kernel.text import clean_line
from community.scenarios.models import ScenarioKind, ScenarioScale
from community.scenarios.services.validation import ScenarioInput, ScenarioValues, validate_scenario

# field -> the headers people write for it (compared after header_key()); the first is the template's.
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "场景名称", "场景标题", "名称", "title", "name"),
    "kind": ("类型", "场景类型", "kind", "type"),
    "scale": ("规模", "场景规模", "scale"),
    "domains": ("领域", "应用领域", "所属领域", "domains", "domain"),
    "district": ("区域", "所在区", "所在区域", "行政区", "district"),
    "abstract": ("摘要", "公开摘要", "简介", "abstract", "summary"),
    "description": ("详细描述", "描述", "需求描述", "场景描述", "description", "details"),
    "expected_outcome": ("预期成效", "预期效果", "expected_outcome", "expectedoutcome", "outcome"),
    "budget": ("预算", "预算金额", "budget"),
    "deadline": ("截止日期", "截止时间", "deadline"),
    "contact_name": ("联系人", "contact_name", "contactname", "contact"),
    "contact_phone": ("电话", "联系电话", "手机", "contact_phone", "contactphone", "phone"),
    "contact_email": ("邮箱", "电子邮箱", "联系邮箱", "contact_email", "contactemail", "email"),
    "organization": ("发布单位", "单位", "组织", "organization", "organisation", "org"),
}
REQUIRED = (
    "title", "kind", "scale", "domains", "district", "abstract", "description", "expected_outcome",
    "budget", "contact_name",
)  # fmt: skip
# Which column a validation error belongs to (the budget is one column but three fields).
FIELD_COLUMN = {"budget_mode": "budget", "budget_min": "budget", "budget_max": "budget"}

KIND_WORDS: dict[str, ScenarioKind] = {
    "真实业务需求": ScenarioKind.NEED,
    "业务需求": ScenarioKind.NEED,
    "需求": ScenarioKind.NEED,
    "real business need": ScenarioKind.NEED,
    "技术瓶颈": ScenarioKind.BOTTLENECK,
    "瓶颈": ScenarioKind.BOTTLENECK,
    "technical bottleneck": ScenarioKind.BOTTLENECK,
    "标杆案例": ScenarioKind.BENCHMARK,
    "案例": ScenarioKind.BENCHMARK,
    "benchmark case": ScenarioKind.BENCHMARK,
}
SCALE_WORDS: dict[str, ScenarioScale] = {
    "综合性重大场景": ScenarioScale.MAJOR,
    "重大场景": ScenarioScale.MAJOR,
    "comprehensive major scenario": ScenarioScale.MAJOR,
    "行业领域集成式场景": ScenarioScale.INTEGRATED,
    "集成式场景": ScenarioScale.INTEGRATED,
    "industry integrated scenario": ScenarioScale.INTEGRATED,
    "高价值小切口场景": ScenarioScale.FOCUSED,
    "小切口场景": ScenarioScale.FOCUSED,
    "high-value focused scenario": ScenarioScale.FOCUSED,
}
NEGOTIABLE_WORDS = frozenset({"面议", "待议", "协商", "议价", "negotiable", "to be negotiated", "tbd"})
_RANGE_SPLIT = re.compile(r"\s*(?:-|~|～|—|–|至|到|to)\s*")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")

TEMPLATE_HEADERS = [names[0] for names in COLUMNS.values()]


def template_example(on: date | None = None) -> list[str]:
    """One believable row under the template's headers (its deadline a quarter from now)."""
    deadline = (on or today()) + timedelta(days=90)
    return [
        "社区养老服务热线智能问答",
        "真实业务需求",
        "高价值小切口场景",
        "城市服务、政务服务",
        "江岸区",
        "为区养老服务热线建设基于大模型的知识库问答，覆盖政策咨询与服务预约。",
        "现有热线日均来电约 800 通，70% 为重复的政策咨询。希望：\n1. 接入现有知识库；\n2. 支持方言语音。",
        "重复咨询自动答复率达到 60% 以上，人工坐席等待时间减半。",
        "10万-50万",
        deadline.isoformat(),
        "孙丽",
        "027-8888 0000",
        "contact@example.com",
        "jiangan-data-bureau",
    ]


@dataclass(frozen=True)
class RowError:
    """One bad cell: the spreadsheet's row number, the column as the file names it, and what is wrong."""

    row: int
    column: str
    message: str
    value: str = ""


def header_key(header: str) -> str:
    """'预算（元）*' and ' Contact Email ' match '预算' and 'contact_email'."""
    text = unicodedata.normalize("NFKC", clean_line(header)).lower()
    text = re.sub(r"\(.*?\)", "", text)  # NFKC turned （） into ()
    return re.sub(r"[\s*_\-:：]+", "", text)


ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def _choice(raw: str, words: dict[str, Any], codes: Iterable[str]) -> str:
    text = clean_line(raw)
    key = text.lower()
    if key in codes:
        return key
    found = words.get(key) or words.get(text)
    return found.value if found is not None else text


def _budget(raw: str) -> dict[str, str]:
    """'面议', '20万', '10万-50万', '200000' -> the budget fields the form sends."""
    text = unicodedata.normalize("NFKC", clean_line(raw)).replace("元", "").replace("人民币", "").strip()
    if not text:
        return {"budget_mode": ""}
    if text.lower() in NEGOTIABLE_WORDS:
        return {"budget_mode": "negotiable"}
    parts = _RANGE_SPLIT.split(text, maxsplit=1) if not text.startswith("-") else [text]
    if len(parts) == 2 and parts[0] and parts[1]:
        low, high = parts
        if high.endswith("万") and not low.endswith("万"):  # "10-50万" means 10万-50万
            low += "万"
        return {"budget_mode": "range", "budget_min": low, "budget_max": high}
    return {"budget_mode": "amount", "budget_min": text, "budget_max": text}


def _deadline(raw: str) -> str:
    text = unicodedata.normalize("NFKC", clean_line(raw))
    match = _DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


def title_key(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()


# The form's one-line and text fields, taken from their cells as they are.
_TEXT_FIELDS = (
    "title", "district", "abstract", "description", "expected_outcome",
    "contact_name", "contact_phone", "contact_email",
)  # fmt: skip


def check_cells(cells: dict[str, str], on: date) -> tuple[ScenarioInput, ScenarioValues, dict[str, str]]:
    """A row's cells (field -> text) read as the scenario form's fields and checked by the form's rules
    (``complete=True``): what the form was given, the values, and a message per column."""
    row_errors: dict[str, str] = {}
    for name, text in cells.items():
        if text.lstrip().startswith("="):
            row_errors[name] = _(
                "Formulas are not imported: type the value itself (the cell starts with “=”)."
            )
    cells = {k: v for k, v in cells.items() if k not in row_errors}
    mapping: dict[str, Any] = {name: cells.get(name, "") for name in _TEXT_FIELDS}
    mapping["kind"] = _choice(cells.get("kind", ""), KIND_WORDS, {k.value for k in ScenarioKind})
    mapping["scale"] = _choice(cells.get("scale", ""), SCALE_WORDS, {s.value for s in ScenarioScale})
    mapping["domains"] = cells.get("domains", "")
    mapping["deadline"] = _deadline(cells.get("deadline", ""))
    mapping.update(_budget(cells.get("budget", "")))
    data = ScenarioInput.from_mapping(mapping)
    values, field_errors = validate_scenario(data, complete=True, today=on)
    for name, message in field_errors.items():
        column = FIELD_COLUMN.get(name, name)
        if column in row_errors:
            continue
        # The form's messages speak of its choices; a spreadsheet has words typed in.
        if name == "kind" and cells.get("kind"):
            message = _("Use one of: 真实业务需求, 技术瓶颈, 标杆案例.")
        elif name == "scale" and cells.get("scale"):
            message = _("Use one of: 综合性重大场景, 行业领域集成式场景, 高价值小切口场景.")
        elif name == "domains" and cells.get("domains") and "、" not in message:
            message += " " + _("Separate several domains with 、 or a comma.")
        row_errors.setdefault(column, message)
    return data, values, row_errors


# --- templates -------------------------------------------------------------------------------------------


def template_csv() -> bytes:
    """The template as CSV UTF-8 with a BOM (so that Excel shows the Chinese headers right)."""
    return exports.to_csv(TEMPLATE_HEADERS, [template_example()])


def template_xlsx() -> bytes:
    """The template as an Excel workbook: the headers, one example row, and a sheet of allowed values."""
    from community.vocabulary import DISTRICTS, DOMAINS

    openpyxl: Any = importlib.import_module("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "场景"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(template_example())
    for index, width in enumerate((28, 14, 18, 20, 16, 40, 50, 36, 14, 14, 10, 16, 24, 22), start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append(["列", "可填的值"])
    help_sheet.append(["类型", "真实业务需求、技术瓶颈、标杆案例"])
    help_sheet.append(["规模", "综合性重大场景、行业领域集成式场景、高价值小切口场景"])
    help_sheet.append(["领域", "、".join(DOMAINS) + "（可填多个，用顿号分隔，至多 5 个）"])
    help_sheet.append(["区域", "、".join(DISTRICTS)])
    help_sheet.append(["预算", "面议；一个金额，如 20万 或 200000；或一个区间，如 10万-50万（单位：元）"])
    help_sheet.append(["截止日期", "如 2027-03-31；可不填"])
    help_sheet.append(["发布单位", "企业或政府部门/事业单位在本站的网址名（如 jiangan-data-bureau）或全称"])
    help_sheet.append(["联系方式", "电话与邮箱至少填一项"])
    help_sheet.column_dimensions["A"].width = 12
    help_sheet.column_dimensions["B"].width = 100
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
