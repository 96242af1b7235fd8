"""Browser test (Playwright, Debian's chromium): the business archives (业务档案, §14) of
a demo county. The county caseworker files a decided case with its documents into a
volume from the cases awaiting filing (待立卷), sets a document's material type and
puts the volume on a hand-over list; the maker sees no confirm button; the county's
reviewer confirms it; the printable list shows the volume, its documents and the
signature lines.

The tiny demo has no decided case with documents, so the set-up makes one through the
services: a bank-account change of a 小店区 (140105) pensioner with three documents,
approved by the county reviewer. Hand figures: the kind (``enrollment.person_bank_
account_change``) has no retention row of its own, so the default row applies, 30
years, counted from 1 January after the filing year (the year the case was decided):
kept until 31 December of filing year + 30; the first volume of 140105 in the year is
``140105-<year>-00001``, the first hand-over list ``YJ-140105-<year>-0001``."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from audit.models import HandoverList, RetentionRule, Volume, VolumeItem
from enrollment.models import InsuredPerson
from enrollment.services import person_bank_account_change_request
from pension import approvals
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCUMENTS = ("银行账户变更申请表.pdf", "本人身份证复印件.pdf", "新银行卡复印件.pdf")


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), content_type="application/pdf")


def _decided_case(staff, *, nth: int = 0, approve: bool = True):
    """A bank-account change of a 140105 person with three documents, approved (or
    rejected) by the county reviewer."""
    person = InsuredPerson.objects.filter(
        region_id="140105", agency=staff["caseworker"].agency
    ).order_by("pk")[nth]
    case = person_bank_account_change_request(
        actor=staff["caseworker"],
        person=person,
        bank_name="中国工商银行太原小店支行",
        bank_account=f"622202050200123456{nth}",
        reason="原账户销户，改用社会保障卡银行账户",
        attachments=[_pdf(name) for name in DOCUMENTS],
    )
    if approve:
        return approvals.approval_request_approve(actor=staff["reviewer"], request_id=case.pk)
    return approvals.approval_request_reject(
        actor=staff["reviewer"], request_id=case.pk, reason="缺少开户证明"
    )


def test_a_decided_case_is_filed_handed_over_and_confirmed(page, staff, demo_password):
    # the hand figures' premises: no volume or list yet; the kind has no rule of its own
    assert not Volume.objects.exists() and not HandoverList.objects.exists()
    kind = "enrollment.person_bank_account_change"
    assert not RetentionRule.objects.filter(case_kind=kind).exists()
    assert RetentionRule.objects.get(case_kind="").retention == "30y"
    case = _decided_case(staff)
    assert case.status == "approved" and case.operation == kind
    refused = _decided_case(staff, nth=1, approve=False)  # stays awaiting filing
    year = timezone.localtime(case.decided_at).year
    volume_number = f"140105-{year}-00001"
    kept_until = f"{year + 30}-12-31"

    # 1. the caseworker opens the archives from the menu and the cases awaiting filing
    sign_in(page, "caseworker", demo_password)
    page.click("nav.sidebar a[data-domain=archives]")
    page.wait_for_selector("#volumes")
    assert page.inner_text("h1") == "业务档案"
    page.click("#archive-links a[href$='/archives/cases/']")
    assert page.locator("#cases tbody tr[data-case]").count() == 2
    page.select_option("#id_status", value="approved")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    assert page.locator("#cases tbody tr[data-case]").count() == 1
    row = page.locator(f'#cases tr[data-case="{case.pk}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == "养老金发放银行账户变更"  # the case kind by its Chinese name
    assert cells[4] == "已通过" and cells[6] == "3"  # three documents
    screenshot(page, "archives-1-cases-awaiting-filing")
    with page.expect_navigation():
        row.locator("button").click()

    # 2. the volume: its number, retention and end date, the three documents
    volume = Volume.objects.get(case=case)
    assert page.url.endswith(f"/audit/archives/volumes/{volume.pk}/")
    assert page.inner_text("h1") == f"案卷 {volume_number}"
    assert f"已立卷，案卷号 {volume_number}。" in page.inner_text(".messages")
    assert page.inner_text("#volume-retention") == "30年"
    assert page.inner_text("#volume-retain-until") == kept_until
    items = page.locator("#volume-items tbody tr")
    assert items.count() == 3
    titles = [items.nth(i).locator("td").nth(1).inner_text() for i in range(3)]
    assert titles == list(DOCUMENTS)
    # every document is the digitised copy until the filer says otherwise
    types = [items.nth(i).locator("select option:checked").inner_text() for i in range(3)]
    assert types == ["纸质资料的数字化副本"] * 3

    # 3. the identity card copy is 本人身份证件复印件 (operations standard 8.4.3)
    second = items.nth(1)
    second.locator("select").select_option(value="identity_document")
    with page.expect_navigation():
        second.locator("button").click()
    assert "已保存" in page.inner_text(".messages")
    checked = page.locator("#volume-items tbody tr >> nth=1").locator("option:checked")
    assert checked.inner_text() == "本人身份证件复印件"
    assert list(
        VolumeItem.objects.filter(volume=volume)
        .order_by("position")
        .values_list("material_type__code", flat=True)
    ) == ["digital_copy", "identity_document", "digital_copy"]
    screenshot(page, "archives-2-volume")

    # 4. the volume in the list of volumes, found by its filters
    page.goto("/audit/archives/")
    page.fill("#id_year", str(year))
    page.select_option("#id_retention", value="30y")
    page.select_option("#id_handed_over", value="no")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    rows = page.locator("#volumes tbody tr[data-volume]")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == volume_number and cells[5:8] == ["30年", kept_until, "3"]

    # 5. a hand-over list with the volume; its maker cannot confirm it
    page.click("#archive-links a[href$='/archives/handovers/']")
    page.check(f'#handover-form input[name=volumes][value="{volume.pk}"]')
    page.fill("#id_receiver", "太原市小店区档案馆")
    assert page.inner_text("#candidate-pager .count") == "共 1 卷待移交"
    screenshot(page, "archives-3-handover-form")
    with page.expect_navigation():
        page.click("#handover-form button[type=submit]")
    handover = HandoverList.objects.get()
    handover_number = f"YJ-140105-{timezone.localdate().year}-0001"
    assert handover.number == handover_number
    assert page.url.endswith(f"/audit/archives/handovers/{handover.pk}/")
    assert page.inner_text("#handover-status") == "待确认"
    assert page.locator("#handover-confirm").count() == 0
    assert page.inner_text("#handover-refusal") == "您提交的申请须由他人复核。"
    assert page.inner_text("#handover-document-total") == "3"
    screenshot(page, "archives-4-handover-maker")
    page.goto(f"/audit/archives/volumes/{volume.pk}/")
    assert page.inner_text("#volume-handover") == f"{handover_number}（待确认）"
    # the volume list's hand-over filter: on a list awaiting confirmation, not free
    for state, rows in (("listed", 1), ("no", 0), ("yes", 0)):
        page.goto(f"/audit/archives/?handed_over={state}")
        assert page.locator("#volumes tbody tr[data-volume]").count() == rows, state
    page.click("button.link")  # sign out

    # 6. the county's reviewer confirms the list
    sign_in(page, "reviewer", demo_password)
    # in the work queue, the request's kind by its name (never audit.archive_handover)
    page.click("nav.sidebar a[data-domain=approvals]")
    queued = page.locator("table.list tbody tr").filter(has_text=handover_number)
    assert queued.locator("td").nth(1).inner_text() == "档案案卷移交"
    page.click("nav.sidebar a[data-domain=archives]")
    page.click("#archive-links a[href$='/archives/handovers/']")
    page.select_option("#id_status", value="pending")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    row = page.locator(f'#handovers tr[data-handover="{handover.pk}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == handover_number and cells[2] == "太原市小店区档案馆"
    assert (cells[3], cells[4], cells[6]) == ("1", "王经办", "待确认")
    row.locator("a").click()
    page.wait_for_selector("#handover-confirm")
    with page.expect_navigation():
        page.click("#handover-confirm button[type=submit]")
    assert "移交已确认" in page.inner_text(".messages")
    assert page.inner_text("#handover-status") == "已接收"
    assert page.locator("#handover-confirm").count() == 0
    handover.refresh_from_db()
    assert handover.confirmed_by == staff["reviewer"]
    volume.refresh_from_db()
    assert volume.handed_over_at == handover.confirmed_at
    screenshot(page, "archives-5-handover-confirmed")

    # 7. the printable list: the volume, its three documents, both signature lines
    page.click("#handover-print-link")
    page.wait_for_selector("#handover-print")
    assert page.inner_text("#handover-print h1") == "档案移交清单"
    printed = page.locator("#handover-items tbody tr")
    assert printed.count() == 1
    cells = printed.first.locator("td").all_inner_texts()
    assert cells == ["1", volume_number, case.summary, str(year), "30年", kept_until, "3"]
    assert page.inner_text("#handover-items tfoot th") == "共 1 卷"
    assert page.inner_text("#handover-document-total") == "3"
    signatures = page.locator("#handover-signatures tr")
    assert signatures.count() == 2
    maker_line = signatures.nth(0).inner_text()
    receiver_line = signatures.nth(1).inner_text()
    assert "移交人" in maker_line and "王经办" in maker_line and "签字" in maker_line
    assert "接收人" in receiver_line and "李复核" in receiver_line and "签字" in receiver_line
    screenshot(page, "archives-6-handover-print")
    page.emulate_media(media="print")
    assert not page.locator("#handover-print .noprint").is_visible()
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(pdf.pages) == 1
    printed_text = pdf.pages[0].extract_text()
    assert volume_number in printed_text and kept_until in printed_text
    page.emulate_media(media="screen")
    page.click("button.link")  # sign out

    # 8. an auditor reads the archives: no filing, no hand-over form, the list received
    sign_in(page, "auditor", demo_password)
    page.click("nav.sidebar a[data-domain=archives]")
    assert page.locator("#archive-links a[href$='/archives/cases/']").count() == 0
    page.goto("/audit/archives/cases/")  # readable, but the auditor files nothing
    unfiled = page.locator(f'#cases tr[data-case="{refused.pk}"]')
    assert unfiled.locator("td").nth(4).inner_text() == "已驳回"
    assert unfiled.locator("button").count() == 0
    page.goto("/audit/archives/handovers/?status=approved")
    rows = page.locator("#handovers tbody tr[data-handover]")
    assert rows.count() == 1 and rows.locator("td").nth(6).inner_text() == "已接收"
    assert page.locator("#handover-form").count() == 0
    page.goto("/audit/archives/handovers/?status=pending")
    assert page.locator("#handovers tbody tr[data-handover]").count() == 0
    page.goto(f"/audit/archives/volumes/{volume.pk}/")
    assert page.inner_text("#volume-handover") == f"{handover_number}（已接收）"
    assert page.locator("#volume-items select").count() == 0  # read only
    screenshot(page, "archives-7-auditor-volume")
