"""The PDF layout (``pension.pdf``): Chinese in the built-in CID font reads back as text,
tables run over pages with the page number on each, nothing is left out."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from pension.pdf import PdfDocument
from pension.tests.pdfs import pdf_text


def test_a_document_reads_back_in_chinese_with_its_figures_and_page_numbers():
    with translation.override("zh-hans"):
        doc = PdfDocument(
            title="个人账户对账单", issuer="小店区社会保险中心", printed_on=date(2026, 1, 5)
        )
        doc.facts([("姓名", "赵账户"), ("公民身份号码", "14010519800314001X")])
        doc.table(
            ["月份", "金额"],
            [(f"2025-{m:02d}", f"{m},000.00") for m in range(1, 13)] * 10,  # 120 rows
            numeric=[1],
            total=("合计", "936,000.00"),
        )
        doc.signatures(["经办人", "经办机构（盖章）"])
        content = doc.render()
    text = pdf_text(content)
    assert "个人账户对账单" in text and "小店区社会保险中心" in text
    assert "赵账户" in text and "14010519800314001X" in text
    assert text.count("2025-12 12,000.00") == 10  # every row, none lost at a page break
    assert "合计 936,000.00" in text
    assert "打印日期：2026-01-05" in text
    assert "第 1 页" in text and "第 2 页" in text  # 120 rows run over more than one page
    assert "经办机构（盖章）" in text


def test_an_empty_table_prints_its_note():
    doc = PdfDocument(title="T")
    doc.table(["a", "b"], [], empty="没有记录")
    assert "没有记录" in pdf_text(doc.render())
