"""The acceptance checklist (验收清单, seed 000): the live figures equal hand counts of a
small data set planted in a county of the tiny demo province where nobody lives; an
auditor's status change is recorded with who and when; evidence is attached, a file
that is not a PDF or an image refused in Chinese; another region is refused."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import make_person
from audit import checklist
from audit.models import ChecklistAssessment, RiskScanRun
from benefits.models import PayrollPayment, PayrollRun
from benefits.tests.factories import retiree
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from funds.models import (
    AccountingPeriod,
    Disbursement,
    ReconciliationRun,
    SpendingPlan,
    SurplusSweep,
)
from pension.choices import RegionLevel
from pension.models import Attachment, ChangeLogEntry, Region
from pension.periods import Period

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)  # the last closed month is 2026-10
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def empty_county() -> Region:
    """A county of the province with nobody registered in it."""
    return (
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="14")
        .exclude(code__in=InsuredPerson.objects.values("region_id"))
        .exclude(code__startswith="1401")
        .order_by("code")
        .first()
    )


def figures(region: Region) -> dict[str, checklist.Figure]:
    measured = checklist.measure(region, TODAY).figures
    return {f.key: f for item in measured.values() for f in item}


def plant(staff, county: Region) -> None:
    """Five retirees paid in the October payroll, three contributors, one dead person;
    payments, reconciliations, disbursements, a sweep and a risk scan."""
    agency = staff["county_head"].agency
    card = iter(range(1, 100))

    def pensioner(retired: str, *, with_card: bool = True):
        d = retiree(agency, region=county.code, retired=retired)
        if with_card:
            InsuredPerson.objects.filter(pk=d.person_id).update(card_number=f"Z{next(card):08d}")
        return InsuredPerson.objects.get(pk=d.person_id)

    # new retirees (retired 2025-11 … 2026-10): r1 paid to the card's account; r2 paid
    # to someone else's account (a guardian's), so not to the card
    r1 = pensioner("2026-03")
    r2 = pensioner("2026-06")
    # existing retirees: r3 and r5 paid to the card's account, r4 has no card
    r3 = pensioner("2010-01")
    r4 = pensioner("2012-01", with_card=False)
    r5 = pensioner("2015-01")
    # three contributors, one with a card; a dead person with a card is not insured
    for i, status in enumerate([PersonStatus.CONTRIBUTING] * 3 + [PersonStatus.DECEASED]):
        person = make_person(agency, region=county.code, status=status)
        if i in (0, 3):
            InsuredPerson.objects.filter(pk=person.pk).update(card_number=f"Y{i:08d}")
    october = PayrollRun.objects.create(
        period=Period.parse("2026-10"), region=county, status="exported"
    )
    for person, account in [
        (r1, r1.bank_account),
        (r2, "6222000099998888"),
        (r3, r3.bank_account),
        (r4, r4.bank_account),
        (r5, r5.bank_account),
    ]:
        PayrollPayment.objects.create(
            run=october, posted=True, period=october.period, person=person, region=county,
            payee_name=person.name, bank_name="中国工商银行", bank_account=account,
            amount=D("3200.00"),
        )  # fmt: skip
    # September: one payment held for lack of an account (would be cash or manual)
    september = PayrollRun.objects.create(
        period=Period.parse("2026-09"), region=county, status="closed"
    )
    PayrollPayment.objects.create(
        run=september, posted=True, period=september.period, person=r4, region=county,
        payee_name=r4.name, bank_account="", amount=D("3200.00"), status="held",
    )  # fmt: skip
    # November's run is only calculated: neither the pay month nor counted
    november = PayrollRun.objects.create(
        period=Period.parse("2026-11"), region=county, status="calculated"
    )
    PayrollPayment.objects.create(
        run=november, posted=True, period=november.period, person=r2, region=county,
        payee_name=r2.name, bank_account="", amount=D("3200.00"), status="held",
    )  # fmt: skip
    # reconciliations of the province: 2025-11 … 2026-10 signed off except 2026-05
    # (matched, awaiting sign-off) and 2026-07 (none); 2025-10 is outside the window
    for month in Period.range("2025-10", "2026-10"):
        if str(month) == "2026-07":
            continue
        ReconciliationRun.objects.create(
            period=month, region_id="140000",
            status="calculated" if str(month) == "2026-05" else "approved",
        )  # fmt: skip
    # disbursements to the county: on time, late, overdue and unpaid, not yet due
    accountant = staff["county_accountant"]
    # the plans: due on the 25th of the month before; submitted on time, a day late, on
    # the day itself, and one not yet due
    for month, due, paid, plan_due, submitted in [
        ("2026-09", date(2026, 9, 10), date(2026, 9, 8), date(2026, 8, 25), date(2026, 8, 20)),
        ("2026-10", date(2026, 10, 10), date(2026, 10, 12), date(2026, 9, 25), date(2026, 9, 26)),
        ("2026-11", date(2026, 11, 10), None, date(2026, 10, 25), date(2026, 10, 25)),
        ("2026-12", date(2026, 12, 10), None, date(2026, 11, 25), None),
    ]:
        plan = SpendingPlan.objects.create(
            region=county, agency=agency, period=Period.parse(month), status="approved",
            prepared_by=accountant, total_amount=D("16000.00"), due_on=plan_due,
            submitted_at=(
                timezone.make_aware(datetime.combine(submitted, time(23, 30)))
                if submitted else None
            ),
        )  # fmt: skip
        Disbursement.objects.create(
            plan=plan, from_region_id=county.code[:4] + "00", region=county, agency=agency,
            amount=D("16000.00"), status="paid" if paid else "pending", due_on=due,
            paid_on=paid, requested_by=accountant,
        )  # fmt: skip
    SurplusSweep.objects.create(
        region=county, agency=agency, amount=D("1234567.80"), audited_on=date(2026, 1, 15),
        audit_firm="晋审会计师事务所", status="swept", prepared_by=accountant,
        swept_on=date(2026, 2, 1),
    )  # fmt: skip
    # 2025's accounting periods: all closed but December; 2024-12 and 2026-01 outside
    for month in [*Period.range("2025-01", "2025-12"), Period.parse("2024-12"),
                  Period.parse("2026-01")]:  # fmt: skip
        closed = str(month) != "2025-12"
        AccountingPeriod.objects.update_or_create(
            period=month,
            defaults={"status": "closed" if closed else "open",
                      "closed_at": timezone.now() if closed else None},
        )  # fmt: skip
    RiskScanRun.objects.create(
        region_id="140000", scan_date=date(2026, 11, 19), status="posted", alert_count=4
    )


def test_live_figures_equal_hand_counts(staff):
    county = empty_county()
    before = figures(county)
    assert before["card_coverage"].denominator == 0
    assert before["new_retirees_by_card"].value == "尚无已发放的月度待遇"
    plant(staff, county)
    got = figures(county)
    # 20: 5 retirees + 3 contributors insured (the dead person is not); cards: r1 r2 r3
    # r5 and one contributor = 5 of 8 = 62.50 %
    card = got["card_coverage"]
    assert (card.numerator, card.denominator, card.value) == (5, 8, "62.50%")
    assert card.met is False  # goal 95 %
    # October's payroll: new retirees r1 (card) and r2 (another account): 1 of 2
    new = got["new_retirees_by_card"]
    assert (new.numerator, new.denominator, new.value, new.met) == (1, 2, "50.00%", False)
    assert "2026-10" in new.detail
    # existing retirees r3, r5 (card) and r4 (no card): 2 of 3 = 66.67 % ≥ 50 %
    old = got["existing_retirees_by_card"]
    assert (old.numerator, old.denominator, old.value, old.met) == (2, 3, "66.67%", True)
    # 27: pay months 2025-11 … 2026-10: 5 October payments and 1 held in September
    cash = got["payments_without_account"]
    assert (cash.numerator, cash.denominator, cash.value, cash.met) == (1, 6, "1", False)
    # 10: 2025-11 … 2026-10: 10 signed off, 2026-05 matched only, 2026-07 missing
    rec = got["reconciled_months"]
    assert (rec.numerator, rec.value, rec.met) == (10, "10 / 12", False)
    assert "1" in rec.detail and "2025-11" in rec.detail
    # 14: due by 11-20 in the last year: 09-10 (paid 09-08), 10-10 (paid 10-12, late),
    # 11-10 (unpaid): 1 of 3 = 33.33 %; 12-10 not yet due
    due = got["disbursed_on_time"]
    assert (due.numerator, due.denominator, due.value, due.met) == (1, 3, "33.33%", False)
    # plans due by 11-20: 08-25 (in on 08-20), 09-25 (in on 09-26, late), 10-25 (in on
    # the day, at 23:30 local time): 2 of 3 = 66.67 %; 11-25 not yet due
    plans = got["plans_on_time"]
    assert (plans.numerator, plans.denominator, plans.value) == (2, 3, "66.67%")
    # 11: one region swept, 1 234 567.80 yuan
    assert got["surplus_swept"].value == "1 个地区，1,234,567.80 元"
    # 13: no budget of 2026 in the tiny province; 2025's periods: 11 of 12 closed
    assert (got["budget_approved"].value, got["budget_approved"].met) == ("尚未编制", False)
    closed = got["final_accounts_closed"]
    assert (closed.numerator, closed.value, closed.met) == (11, "11 / 12", False)
    assert closed.label == "2025 年已结账月份（决算）"
    # 25: the province's scan of yesterday covers the county
    scan = got["last_risk_scan"]
    assert (scan.value, scan.met, scan.detail) == ("2026-11-19", True, "新增预警 4 条")
    # the city above sees the same county's figures among its own
    city = Region.objects.get(code=county.code[:4] + "00")
    assert figures(city)["new_retirees_by_card"].denominator >= 2


def test_share_rounds_half_up():
    assert checklist.percent(3, 5) == D("60.00")
    assert checklist.percent(2, 3) == D("66.67")
    assert checklist.percent(1, 8) == D("12.50")
    assert checklist.percent(1, 0) is None
    assert len(checklist.ITEMS) == 29
    assert [i.number for i in checklist.ITEMS] == list(range(1, 30))


def test_systems_connected_counts_active_tax_and_finance_keys(staff):
    from pension.models import ApiClient

    county = empty_county()
    before = figures(county)["systems_connected"]
    for name, kind, revoked in [("省税务", "tax", False), ("省财政", "finance", False),
                                ("旧财政", "finance", True)]:  # fmt: skip
        ApiClient.objects.create(
            name=name, kind=kind, region_id="140000", key_prefix=f"k{name}"[:16],
            key_hash="0" * 64, is_active=True,
            revoked_at=timezone.now() if revoked else None,
        )  # fmt: skip
    after = figures(county)["systems_connected"]
    # the tiny demo registers no external system; the revoked key does not count
    assert (before.value, before.met) == ("税务 0 个，财政 0 个", False)
    assert (after.value, after.met) == ("税务 1 个，财政 1 个", True)
    assert after.detail == "最近调用：税务 从未，财政 从未"


def test_auditor_sets_a_status_recorded_with_who_and_when(client, staff):
    county = empty_county()
    auditor = staff["auditor"]
    client.force_login(auditor)
    response = client.post(
        f"/audit/checklist/20/assess?region={county.code}",
        {"status": "partly", "note": "发卡率未达95%"},
        follow=True,
    )
    assert "第 20 项已评定。" in response.content.decode()
    row = ChecklistAssessment.objects.get(region=county, item=20)
    assert (row.status, row.note, row.assessed_by) == ("partly", "发卡率未达95%", auditor)
    assert row.assessed_at is not None
    entry = ChangeLogEntry.objects.filter(
        object_type="audit.checklistassessment", object_id=str(row.pk), action="update"
    ).latest("id")
    assert entry.actor == auditor
    assert entry.before == {"status": "not_assessed", "note": ""}
    assert entry.after == {"status": "partly", "note": "发卡率未达95%"}
    client.post(f"/audit/checklist/20/assess?region={county.code}", {"status": "met"})
    row.refresh_from_db()
    assert row.status == "met"
    assert (
        ChangeLogEntry.objects.filter(
            object_type="audit.checklistassessment", object_id=str(row.pk), action="update"
        ).count()
        == 2
    )
    page = client.get(f"/audit/checklist/?region={county.code}").content.decode()
    assert 'data-status="met">达标<' in page
    assert page.count('<tr id="item-') == 29
    # a status outside the list, an item outside 1-29: refused, nothing written
    client.post(f"/audit/checklist/20/assess?region={county.code}", {"status": "perfect"})
    client.post(f"/audit/checklist/30/assess?region={county.code}", {"status": "met"})
    row.refresh_from_db()
    assert row.status == "met"
    assert not ChecklistAssessment.objects.filter(item=30).exists()


def test_other_region_and_other_roles_are_refused(client, staff):
    head = staff["county_head"]  # an agency head of county 140105: reads, does not assess
    client.force_login(head)
    own = client.get("/audit/checklist/")
    assert own.status_code == 200
    assert head.region.name in own.content.decode()
    assert "assess-form" not in own.content.decode()
    other = empty_county()
    # another region typed into the filter: the reader's own checklist, and why
    for code in (other.code, "140000", "abc"):
        response = client.get("/audit/checklist/", {"region": code})
        page = response.content.decode()
        assert response.status_code == 200 and response.context["region"] == head.region
        assert f"{code} 不是您辖区内的地区，下面是{head.region.name}的验收清单。" in page
    assert client.get(f"/audit/checklist/print?region={other.code}").status_code == 404
    response = client.post(f"/audit/checklist/3/assess?region={other.code}", {"status": "met"})
    assert response.status_code == 404
    response = client.post("/audit/checklist/3/assess", {"status": "met"}, follow=True)
    assert "只有本地区的稽核员可以评定验收清单。" in response.content.decode()
    assert not ChecklistAssessment.objects.exists()
    # a caseworker has no audit section at all
    client.force_login(staff["caseworker"])
    assert client.get("/audit/checklist/").status_code == 403


def test_evidence_attached_and_a_bad_file_refused_in_chinese(client, staff):
    county = empty_county()
    client.force_login(staff["auditor"])
    url = f"/audit/checklist/10/evidence?region={county.code}"
    scan = SimpleUploadedFile("对账单.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"title": "2026年10月三方对账签认单", "file": scan}, follow=True)
    assert "印证材料已附到第 10 项。" in response.content.decode()
    row = ChecklistAssessment.objects.get(region=county, item=10)
    [attachment] = Attachment.objects.filter(object_id=str(row.pk))
    assert attachment.target == row
    assert (attachment.title, attachment.size, attachment.uploaded_by) == (
        "2026年10月三方对账签认单", len(PDF), staff["auditor"],
    )  # fmt: skip
    assert "2026年10月三方对账签认单" in response.content.decode()
    # a text file, by its declared type
    text = SimpleUploadedFile("说明.txt", b"hello", content_type="text/plain")
    response = client.post(url, {"file": text}, follow=True)
    assert "附件须为 PDF 或图片（JPEG、PNG、TIFF）。" in response.content.decode()
    # a program calling itself a PDF, by its first bytes
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00\x03", content_type="application/pdf")
    response = client.post(url, {"file": fake}, follow=True)
    assert "该文件不是 PDF 或图片（JPEG、PNG、TIFF），不能作为印证材料。" in (
        response.content.decode()
    )
    assert Attachment.objects.filter(object_id=str(row.pk)).count() == 1
    # the print view counts the evidence
    printed = client.get(f"/audit/checklist/print?region={county.code}").content.decode()
    assert "印证材料 1 份" in printed


def test_print_view_has_the_29_items_figures_and_signature_lines(client, staff):
    county = empty_county()
    plant(staff, county)
    client.force_login(staff["auditor"])
    page = client.get(f"/audit/checklist/print?region={county.code}").content.decode()
    assert f"规范省级统筹制度考核验收表 · {county.name}" in page
    assert page.count('<tr data-item="') == 29
    assert "对参保人员基本实现社会保障卡发行全覆盖。" in page
    assert "62.50%" in page  # the card coverage, live
    for label in ("稽核员：", "复核人：", "单位负责人（盖章）：", "日期："):
        assert label in page
    assert "未评定 29" in page
    # no English phrase, code name or bare amount on either page (the link walk's checks)
    from tests.test_link_walk import BARE_MONEY, CODE_NAME, _english, _Page

    client.post(f"/audit/checklist/27/assess?region={county.code}", {"status": "not_met"})
    client.post(
        f"/audit/checklist/27/evidence?region={county.code}",
        {"file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )
    for url in ("/audit/checklist/", "/audit/checklist/print"):
        parsed = _Page()
        parsed.feed(client.get(f"{url}?region={county.code}").content.decode())
        text = " ".join(parsed.text)
        assert not _english(text) and not CODE_NAME.findall(text), url
        assert not BARE_MONEY.findall(text), url
    index = client.get("/audit/").content.decode()
    assert 'id="tile-checklist"' in index and "验收清单" in index


def test_pdf_of_the_checklist_is_logged(client, staff):
    import io

    from pypdf import PdfReader

    county = empty_county()
    plant(staff, county)
    client.force_login(staff["auditor"])
    response = client.get(f"/audit/checklist/pdf?region={county.code}")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert "规范省级统筹制度考核验收表" in text
    assert "62.50%" in text and "66.67%" in text
    assert "稽核员" in text and "单位负责人（盖章）" in text
    entry = ChangeLogEntry.objects.filter(action="export", object_id=county.code).latest("id")
    assert entry.actor == staff["auditor"] and entry.after["export"] == "checklist"
