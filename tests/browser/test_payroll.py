"""The retirement-to-bank-file flow in a real browser, on a real Celery worker, in
Chinese (the default language): a caseworker submits a statutory retirement with its
supporting document, a reviewer approves the case from the approval queue, the
determination page shows the pension and its calculation; a dry run of 2026-12 shows
the retiree as new in the variance report; a live run of 2026-12 is calculated,
approved by the reviewer, its bank files written, and the CSV downloaded has the
control total and the SHA-256 shown on the page. The determination sheet's PDF has the
person's name and these figures (issue 15).

The person, by hand: 郑新退 is a man born 1966-06-10. Statutory age (Shanxi profile,
the 2025 reform): m = months from 1965-01 to 1966-06 = 17 → 17 // 4 + 1 = 5 months of
delay → 60 y 5 m → 2026-11-10, retirement month 2026-11, paid from 2026-12. Records:
2024 (12 × 6922 = W(2023)) and 2025 (12 × 6997 = W(2024)), each index 1, and 156 deemed
months at index 1: 180 months in all (the minimum), no personal account.

- Z = (1 × 12 + 1 × 12 + 1 × 156) ÷ 180 = 1; N = 180 ÷ 12 = 15
- no 2026 calculation base published: 2025's 7253, provisionally
- basic = (7253 + 7253 × 1) ÷ 2 × 15 × 1 % = 7253 × 0.15 = 1087.95
- divisor at 60 y 5 m: 139 − (139 − 132) × 5 ÷ 12 = 136.0833… → 136.1; no account → 0.00
- transitional = 7253 × 1 × 13 deemed years × 1.3 % = 1225.757 → 1225.76
- monthly pension = 1087.95 + 0.00 + 1225.76 + 0.00 = 2313.71

The payroll of 2026-12 pays the months from max(paid_through (none), 2026-11) + 1 =
2026-12 to 2026-12: one month, 2313.71, in one payment to his account at 中国工商银行.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.utils import translation

from accounts.tests.factories import make_person
from benefits.choices import PayrollRunStatus
from benefits.models import PayrollRun, PensionDetermination
from benefits.tests.factories import enter_test_average_wages
from benefits.tests.test_retirement import lines
from pension.models import ApprovalRequest
from pension.periods import Period
from pension.tests.pdfs import pdf_text
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PENSION = "2313.71"
PENSION_SHOWN = "2,313.71"  # on a page: thousands separated
PERIOD = "2026-12"
ACCOUNT = "6222020200001234"


def zh(text) -> str:
    """The Chinese the pages show for a msgid (or a choice's label)."""
    with translation.override("zh-hans"):
        return translation.gettext(str(text))


@pytest.fixture
def zheng(staff):
    """郑新退, of the caseworker's county, with his records and a bank account; W(2023)
    is a test value (the published one is not shipped)."""
    enter_test_average_wages({2023: "6922"})
    person = make_person(
        staff["caseworker"].agency,
        born=date(1966, 6, 10),
        name="郑新退",
        first_work_date=date(1986, 9, 1),
        deemed_months=156,
        bank_name="中国工商银行",
        bank_account=ACCOUNT,
    )
    lines(person, "2024-01", "2024-12", "6922.00")
    lines(person, "2025-01", "2025-12", "6997.00")
    return person


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("button.link")


def wait_for_status(page, status: str) -> None:
    """The run page polls its progress every 2 s and reloads itself when the run stops
    running: wait until it says ``status``."""
    page.wait_for_function(
        "expected => document.querySelector('#run-status')?.textContent.trim() === expected",
        arg=zh(status),
        timeout=90_000,
    )


def create_run(page, county: str, *, dry_run: bool) -> PayrollRun:
    page.goto("/benefits/payroll-runs/new/")
    page.fill("#id_period", PERIOD)
    page.select_option("#id_region", county)
    if dry_run:
        page.check("#id_dry_run")
    else:
        page.uncheck("#id_dry_run")
    with page.expect_navigation():
        page.click("#create")
    assert page.locator("#run-status").inner_text() == zh(PayrollRunStatus.DRAFT.label)
    run = PayrollRun.objects.get(dry_run=dry_run)
    assert (run.period, run.region_id) == (Period(2026, 12), county)
    assert page.url.endswith(f"/benefits/payroll-runs/{run.pk}/")
    return run


def start_and_wait(page) -> None:
    with page.expect_navigation():
        page.click("#start")
    wait_for_status(page, PayrollRunStatus.CALCULATED.label)
    bar = page.locator("#run-progress progress")
    assert bar.get_attribute("value") == "100" and bar.get_attribute("max") == "100"
    assert page.locator("#run-progress").get_attribute("hx-get") is None  # polling stopped


def test_retirement_determination_dry_run_live_run_approval_and_bank_file(
    page, staff, zheng, celery_worker, demo_password, tmp_path
):
    county = staff["caseworker"].agency.region_id
    assert zheng.region_id == county

    # 1. the caseworker submits the statutory retirement with the application scan
    sign_in(page, "caseworker", demo_password)
    page.goto(f"/benefits/people/{zheng.pk}/retirement/")
    assert page.locator("#statutory-date").inner_text() == "2026-11-10"
    scan = tmp_path / "退休申请.pdf"
    scan.write_bytes(b"%PDF-1.4 retirement application and file review")
    page.fill("#id_retirement_date", "2026-11-10")
    page.select_option("#id_kind", "statutory")
    page.fill("#id_reason", "本人申请按法定年龄退休")
    page.set_input_files("#id_attachment", str(scan))
    with page.expect_navigation():
        page.click("section.form-card button[type=submit]")
    request = ApprovalRequest.objects.get(object_id=str(zheng.pk))
    assert page.url.endswith(f"/approvals/{request.pk}/")
    assert page.locator(".messages li.success").count() == 1
    assert "退休申请.pdf" in page.locator("#attachments").inner_text()
    assert page.locator("button[name=approve]").count() == 0  # the maker cannot approve
    assert PensionDetermination.objects.count() == 0  # nothing until it is approved

    # 2. the reviewer approves it from the approval queue
    sign_out(page)
    sign_in(page, "reviewer", demo_password)
    page.click("nav.sidebar a[data-domain=approvals]")
    page.locator(f"main a[href='/approvals/{request.pk}/']").first.click()
    page.wait_for_url(f"**/approvals/{request.pk}/")
    page.fill("#approve-reason", "材料齐全")
    with page.expect_navigation():
        page.click("button[name=approve]")
    assert page.locator(".messages li.success").count() == 1
    assert page.locator("dd.status-approved").count() == 1
    determination = PensionDetermination.objects.get(person=zheng)
    assert determination.retirement_month == Period(2026, 11)

    # the determination page, from the person's page
    page.goto(f"/enrollment/people/{zheng.pk}/")
    assert page.locator("#benefit-total").inner_text().startswith(PENSION_SHOWN)
    with page.expect_navigation():
        page.click("#benefit-determination")
    assert page.url.endswith(f"/benefits/determinations/{determination.pk}/")
    assert page.locator("#total").inner_text() == PENSION_SHOWN
    assert page.locator("#basic-pension").inner_text() == "1,087.95"
    assert page.locator("#account-pension").inner_text() == "0.00"
    assert page.locator("#transitional-pension").inner_text() == "1,225.76"
    assert page.locator("#extra-pension").inner_text() == "0.00"
    assert page.locator("#divisor").inner_text() == "136.1"
    assert page.locator("#provisional").count() == 1  # on 2025's base
    calculation = page.locator("#calculation li").all_inner_texts()
    # the basic pension's line: (7253 + 7253 × 1) ÷ 2 × 15 × 1 % = 1087.95
    assert any("7253" in line and "1087.95" in line for line in calculation), calculation
    # the total's line: 1087.95 + 0.00 + 1225.76 + 0.00 = 2313.71
    assert any(f"1087.95 + 0.00 + 1225.76 + 0.00 = {PENSION}" in line for line in calculation)

    # the determination sheet (养老金核定表) as a PDF, from the page's link, in the
    # browser's session: the person, the ID number and the figures worked out above
    sheet = page.context.request.get(page.locator("#determination-pdf").get_attribute("href"))
    assert sheet.status == 200 and sheet.headers["content-type"] == "application/pdf"
    text = pdf_text(sheet.body())
    assert "基本养老金核定表" in text and "郑新退" in text and zheng.id_number in text
    assert "基础养老金 1,087.95" in text and "过渡性养老金 1,225.76" in text
    assert f"基本养老金 {PENSION_SHOWN}" in text

    # 3. the caseworker's dry run of 2026-12: he is new in the variance report
    sign_out(page)
    sign_in(page, "caseworker", demo_password)
    dry = create_run(page, county, dry_run=True)
    start_and_wait(page)
    assert page.locator("#total-amount").inner_text() == PENSION_SHOWN
    assert page.locator("#payment-count").inner_text() == "1"
    assert page.locator("#approve").count() == 0  # a dry run is never approved
    # the run's charts are drawn (ECharts renders SVG into the figure)
    page.wait_for_selector('[data-chart="payroll-by-city"] svg', state="attached")
    assert page.locator('[data-chart="payroll-by-month"] svg').count() == 1
    screenshot(page, "payroll-dry-run")
    rows = page.locator("#variance tbody tr")
    assert rows.count() == 1
    row = page.locator(f"#variance tr[data-person='{zheng.pk}']")
    assert row.get_attribute("data-change") == "new"
    cells = row.locator("td").all_inner_texts()
    # name, change, last month (nothing), this run, difference (2313.71 − 0)
    assert cells[0] == "郑新退" and cells[1] == zh("New")
    assert (cells[3], cells[4]) == (PENSION_SHOWN, PENSION_SHOWN)
    dry.refresh_from_db()
    assert (dry.status, str(dry.total_amount), dry.started_by_id) == (
        PayrollRunStatus.CALCULATED,
        PENSION,
        staff["caseworker"].pk,
    )

    # 4. the live run of 2026-12: created and started by the caseworker
    live = create_run(page, county, dry_run=False)
    start_and_wait(page)
    assert page.locator("#total-amount").inner_text() == PENSION_SHOWN
    assert page.locator("#approve").count() == 0  # the starter cannot approve
    assert page.locator("#export").count() == 0  # nor write the files before approval

    # a second person, the reviewer, approves it
    sign_out(page)
    sign_in(page, "reviewer", demo_password)
    page.goto(f"/benefits/payroll-runs/{live.pk}/")
    with page.expect_navigation():
        page.click("#approve")
    assert page.locator("#run-status").inner_text() == zh(PayrollRunStatus.APPROVED.label)
    assert "李复核" in page.locator("#run-approved-by").inner_text()
    determination.refresh_from_db()
    assert determination.paid_through == Period(2026, 12)

    # the caseworker writes the bank files and downloads the CSV
    sign_out(page)
    sign_in(page, "caseworker", demo_password)
    page.goto(f"/benefits/payroll-runs/{live.pk}/")
    with page.expect_navigation():
        page.click("#export")
    assert page.locator("#run-status").inner_text() == zh(PayrollRunStatus.EXPORTED.label)
    link = page.locator("#bank-files a.bank-file[data-format=csv]")
    assert link.count() == 1
    shown_sha = link.locator("xpath=ancestor::tr").locator("code").inner_text().strip()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == f"代发-{PERIOD}-中国工商银行.csv"
    content = target.read_bytes()
    assert hashlib.sha256(content).hexdigest() == shown_sha
    text = content.decode()
    assert text.endswith("\n")
    rows = text.splitlines()
    assert rows[0] == "序号,流水号,姓名,账号,金额"
    payment = live.payments.get()
    assert rows[1] == f"1,{payment.pk},郑新退,{ACCOUNT},{PENSION}"
    # the control row: label, count, total and the SHA-256 of every byte before it
    body = content[: content.rindex(b"\n", 0, len(content) - 1) + 1]
    assert rows[-1] == f"合计,1,{PENSION},{hashlib.sha256(body).hexdigest()}"
    assert len(rows) == 3
