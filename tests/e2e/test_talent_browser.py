"""Talent recruitment in real browsers: an OPC posts a position, a member fills in a talent profile and
applies with a PDF CV (a wrong file first: refused beside the field, the note kept), and the OPC answers;
the applicant sees the answer."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfWriter

from tests.e2e.conftest import create_organization, register

pytestmark = pytest.mark.e2e


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_post_apply_with_a_pdf_and_answer(people: Any) -> None:
    owner = people()
    register(owner, "zhang@qingyun.example", "张薇")
    create_organization(owner, "青云智能体工作室", "qingyun-agent", "opc")
    owner.goto("/talent/positions/new")
    owner.locator('[name="title"]').fill("大模型应用开发工程师")
    owner.locator('[name="skills"]').fill("Python，大模型，RAG")
    owner.locator('[name="description"]').fill("为政务热线搭建知识库问答与智能体工单分派。")
    owner.locator('[name="pay_min"]').fill("12000")
    owner.locator('[name="pay_max"]').fill("20000")
    owner.locator('[name="district"]').select_option("洪山区")
    owner.locator('button[name="action"][value="publish"]').click()
    owner.wait_for_url(re.compile(r"/talent/positions/[0-9a-f-]{36}$"))
    position_url = owner.url
    assert owner.locator(".meta .badge").filter(has_text="招聘中").is_visible()

    applicant = people()
    register(applicant, "wang@example.com", "王小明")
    applicant.goto("/talent/profile")
    applicant.locator('[name="headline"]').fill("大模型应用工程师")
    applicant.locator('[name="skills"]').fill("Python, RAG, 智能体")
    applicant.locator('[name="district"]').select_option("洪山区")
    applicant.locator('[name="open_to_offers"]').check()
    applicant.locator("main form button[type=submit]").click()
    assert applicant.locator(".flash").filter(has_text="人才名片已保存").is_visible()

    applicant.goto(position_url)
    note = "我做过三个政务知识库项目，熟悉 RAG。"
    applicant.locator('[name="cover_note"]').fill(note)
    applicant.locator('[name="cv"]').set_input_files(
        {"name": "简历.docx", "mimeType": "application/pdf", "buffer": b"PK\x03\x04 not a pdf"}
    )
    applicant.locator("#apply button[type=submit]").click()
    assert applicant.locator("#e-cv").filter(has_text="不是 PDF").is_visible()
    assert applicant.locator('[name="cover_note"]').input_value() == note
    applicant.locator('[name="cv"]').set_input_files(
        {"name": "简历.pdf", "mimeType": "application/pdf", "buffer": _pdf()}
    )
    applicant.locator("#apply button[type=submit]").click()
    assert applicant.locator(".flash").filter(has_text="已提交").is_visible()
    assert applicant.locator("#my-application .badge").filter(has_text="待答复").is_visible()

    owner.goto(position_url)
    application = owner.locator("#applications .interest").first
    assert application.filter(has_text="王小明").is_visible()
    assert application.locator("a", has_text="简历.pdf").is_visible()
    application.locator("textarea[name=note]").fill("周三下午两点，光谷软件园面试。")
    application.locator("button", has_text="邀请面试").click()
    assert owner.locator(".flash").filter(has_text="已通知申请人").is_visible()

    applicant.goto(position_url)
    mine = applicant.locator("#my-application")
    assert mine.locator(".badge").filter(has_text="已邀请面试").is_visible()
    assert mine.filter(has_text="周三下午两点，光谷软件园面试。").is_visible()
    assert int(applicant.locator("header .unread-count").inner_text()) >= 1
