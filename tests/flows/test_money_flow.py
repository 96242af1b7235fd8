"""The money chain end to end (issue 12, "Done when"): real money through the real
services and the real Celery worker, no factory standing in for an upstream row.

Register two employers and three people → declare bases → assessment runs of 2026-10
and 2026-11, calculated on the worker, approved and released → the tax bureau pulls
them and posts payments through the REST API (employer A on time, employer B late with
its late fee, collected apart, the flexible worker pays nothing) → crediting on the
worker → the annual interest of 2025 on the worker → two retirements determined from
what was paid → the payroll of 2026-12 on the worker → the bank file downloaded through
the API → bank results through the API (one paid, one failed). At every step the
control totals hold: assessed = paid + outstanding; credited = the paid personal
shares; each account's balance = the sum of its ledger; payroll total = bank file
control total = bank results paid + failed.

The dates are fixed, so the test runs on any day from 2026-12-05 on (a payment may not
be dated after the day it is recorded): the runs are released, and their bills issued,
on 2026-12-01 (a tax payment cannot predate its bill's issue without being counted late
to it); the payments are dated 2026-12-05 (2026-11, due 2026-12-15, on time; 2026-10,
due 2026-11-15, 20 days late); crediting runs in 2026-12, the retirement cases are
decided as of 2026-12-05 and the payroll is that of 2026-12.

The people (Shanxi profile, the tiny demo's 小店区 140105), all men born 1966-06-10:
statutory age 60 + 5 months (m = 1965-01 → 1966-06 = 17 months; 17 // 4 + 1 = 5), so
2026-11-10, retirement month 2026-11, pension paid from 2026-12:

- 张甲, employee of A from 2026-11, first work 1982-08 (age 16): 179 deemed months
  (1982-08 … 1997-06), base 7073.00 (= W(2025), index 1); one month paid: 180.
- 李乙, employee of B from 2026-10, first work 1982-09: 178 deemed months, base
  10609.50 (= 1.5 × 7073), two months paid: 180.
- 赵丙, flexible worker, base 4244.00 (the 2026 floor), assessed 2026-10 and 2026-11,
  pays nothing.

Contributions (2026: employer 16 %, individual 8 %, account 8 %; flexible 20 %, 8 %):

- 张甲 2026-11: 7073 × 16 % = 1131.68, × 8 % = 565.84 (account 565.84): bill A 1697.52
- 李乙 each month: 10609.50 × 16 % = 1697.52, × 8 % = 848.76 (account 848.76): bill B
  2546.28 for 2026-10 and for 2026-11
- 赵丙 each month: 4244 × 20 % = 848.80 (account 4244 × 8 % = 339.52)
- assessed: 2026-10 2546.28 + 848.80 = 3395.08; 2026-11 1697.52 + 2546.28 + 848.80 =
  5092.60; in all 8487.68 = paid 1697.52 + 5092.56 = 6790.08 + outstanding 1697.60
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.utils import translation

from accounts import runs as account_runs
from accounts.choices import EntryKind
from accounts.choices import RunStatus as AccountRunStatus
from accounts.models import AccountEntry, AccountRun, InterestLine, PensionAccount
from accounts.selectors import account_statement
from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus, RetirementKind
from benefits.determination import retirement
from benefits.models import (
    BankFile,
    PayrollDue,
    PayrollLine,
    PayrollPayment,
    PayrollRun,
    PensionDetermination,
)
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from contributions import assessment, bases
from contributions.choices import BaseBasis, BillStatus, RunStatus
from contributions.models import (
    AssessmentRun,
    Bill,
    ContributionLine,
    LateFeeCharge,
    PaymentAllocation,
)
from contributions.payments import bill_outstanding
from contributions.selectors import late_fee_collected
from enrollment import services as enrollment
from enrollment.choices import EmployerKind, PersonCategory
from enrollment.tests.helpers import credit_code
from pension.api import keys
from pension.approvals import approval_request_approve
from pension.errors import InvalidInput
from pension.models import Region
from pension.periods import Period
from pension.validators import citizen_id_check_character

COUNTY = "140105"
CITY = "140100"
PROVINCE = "140000"
BORN = date(1966, 6, 10)
RETIRED = date(2026, 11, 10)
ISSUED = date(2026, 12, 1)  # the runs' release: the bills' issue
PAID = date(2026, 12, 5)  # the tax payments' day
ICBC = "中国工商银行"
TAX = "/api/v1/contributions/"
BANK = "/api/v1/benefits/"
FEE_RATE = D("0.0005")  # 社会保险法 art. 86: 0.05 % a day


def _id(seq: int) -> str:
    first17 = f"{COUNTY}{BORN:%Y%m%d}{seq:03d}"  # odd sequence: a man
    return first17 + citizen_id_check_character(first17)


def _fen(value: D) -> D:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _wait(model, pk: int, done: set, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        row = model.objects.get(pk=pk)
        if row.status in done:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"{model.__name__} {pk} still {row.status} after {timeout} s")
        time.sleep(0.2)


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _all(client: Client, key: str, url: str, **params) -> list[dict]:
    response = client.get(url, data=params, **_auth(key))
    assert response.status_code == 200, response.content
    page = response.json()
    rows = page["results"]
    while page["next"]:
        page = client.get(page["next"], **_auth(key)).json()
        rows += page["results"]
    return rows


def _pay(client: Client, key: str, **body) -> dict:
    response = client.post(
        TAX + "payments/", data=json.dumps(body), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=body["receipt_number"], **_auth(key),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def _balances_are_their_ledgers() -> None:
    """Every account's balance (its statement's closing, its latest interest line's
    closing where the line is the latest word) is the sum of its ledger entries."""
    for account in PensionAccount.objects.all():
        ledger = AccountEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
        statement = account_statement(account)
        assert statement[-1].closing == ledger, account


def _assessed_is_paid_plus_outstanding() -> tuple[D, D, D]:
    bills = list(Bill.objects.filter(run__dry_run=False))
    assessed = sum((b.total for b in bills), D("0.00"))
    paid = sum((b.paid_amount for b in bills), D("0.00"))
    outstanding = sum((bill_outstanding(b) for b in bills), D("0.00"))
    assert assessed == paid + outstanding
    allocated = PaymentAllocation.objects.aggregate(s=Sum("amount"))["s"] or D("0.00")
    assert allocated == paid  # what the payments allocated is what the bills received
    return assessed, paid, outstanding


@pytest.fixture
def client() -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_money_follows_the_chain_with_its_control_totals(celery_worker, staff, client):
    caseworker, reviewer = staff["caseworker"], staff["reviewer"]
    county = Region.objects.get(code=COUNTY)

    # 1. registration -------------------------------------------------------------------
    a = enrollment.employer_register(
        actor=caseworker, credit_code=credit_code("91140105MA0AAA001"), name="甲流程公司",
        kind=EmployerKind.ENTERPRISE, region=county,
    )  # fmt: skip
    b = enrollment.employer_register(
        actor=caseworker, credit_code=credit_code("91140105MA0BBB002"), name="乙流程公司",
        kind=EmployerKind.ENTERPRISE, region=county,
    )  # fmt: skip
    zhang = enrollment.person_register(
        actor=caseworker, id_number=_id(901), name="张甲", category=PersonCategory.EMPLOYEE,
        region=county, first_work_date=date(1982, 8, 1), deemed_months=179,
        first_insured_date=date(2026, 11, 1), bank_name=ICBC, bank_account="6222020200009011",
    )  # fmt: skip
    li = enrollment.person_register(
        actor=caseworker, id_number=_id(903), name="李乙", category=PersonCategory.EMPLOYEE,
        region=county, first_work_date=date(1982, 9, 1), deemed_months=178,
        first_insured_date=date(2026, 10, 1), bank_name=ICBC, bank_account="6222020200009033",
    )  # fmt: skip
    zhao = enrollment.person_register(
        actor=caseworker, id_number=_id(905), name="赵丙", category=PersonCategory.FLEXIBLE,
        region=county, first_work_date=date(1982, 9, 1), deemed_months=178,
        first_insured_date=date(2026, 10, 1),
    )  # fmt: skip
    enrollment.employment_add(actor=caseworker, employer=a, person=zhang, start=Period(2026, 11))
    enrollment.employment_add(actor=caseworker, employer=b, person=li, start=Period(2026, 10))

    # 2. bases for 2026 (limits 4244–21219, published 2026-08) ---------------------------
    bases.base_declare(
        actor=caseworker, person=zhang, employer=a, year=2026, wage="7073.00",
        basis=BaseBasis.FIRST_MONTH_WAGE,
    )  # fmt: skip
    bases.base_declare(
        actor=caseworker, person=li, employer=b, year=2026, wage="10609.50",
        basis=BaseBasis.FIRST_MONTH_WAGE,
    )  # fmt: skip
    bases.base_choose(actor=caseworker, person=zhao, year=2026, base="4244.00")

    # 3. assessments, calculated on the worker, approved by the reviewer, released -------
    expected_runs = {
        # period: (lines, bills, employer, individual, account)
        # 2026-10: 李乙 1697.52 / 848.76 / 848.76; 赵丙 0 / 848.80 / 339.52
        "2026-10": (2, 2, D("1697.52"), D("1697.56"), D("1188.28")),
        # 2026-11: + 张甲 1131.68 / 565.84 / 565.84
        "2026-11": (3, 3, D("2829.20"), D("2263.40"), D("1754.12")),
    }
    released = {}
    for period, (n_lines, n_bills, employer, individual, account) in expected_runs.items():
        run = assessment.assessment_run_create(actor=caseworker, period=period, region=COUNTY)
        assessment.assessment_run_start(actor=caseworker, run=run)
        run = _wait(AssessmentRun, run.pk, {RunStatus.CALCULATED, RunStatus.FAILED})
        assert run.status == RunStatus.CALCULATED, run.error
        # the demo's own people of the county have no 2026 base: not assessed
        assert (run.line_count, run.bill_count) == (n_lines, n_bills)
        assert (run.total_employer, run.total_individual, run.total_account) == (
            employer, individual, account,
        )  # fmt: skip
        sums = run.lines.aggregate(e=Sum("employer_amount"), i=Sum("individual_amount"))
        assert (sums["e"], sums["i"]) == (employer, individual)
        bill_total = Bill.objects.filter(run=run).aggregate(s=Sum("total"))["s"]
        assert bill_total == employer + individual
        assessment.assessment_run_approve(actor=reviewer, run=run)
        released[period] = assessment.assessment_run_release(
            actor=caseworker, run=run, today=ISSUED
        )
        assert set(Bill.objects.filter(run=run).values_list("issued_on", flat=True)) == {ISSUED}
    assert _assessed_is_paid_plus_outstanding() == (D("8487.68"), D("0.00"), D("8487.68"))

    # 4. the tax bureau pulls the assessments and posts payments -----------------------
    _tax, tax_key = keys.api_client_create(
        actor=staff["admin"], name="太原税务", kind="tax", region=Region.objects.get(code=CITY),
        scopes=["contributions.read", "contributions.pay"],
    )  # fmt: skip
    pulled = _all(client, tax_key, TAX + "assessments/", region=COUNTY)
    assert sorted((r["period"], D(r["total"]), D(r["outstanding"])) for r in pulled) == [
        ("2026-10", D("848.80"), D("848.80")),
        ("2026-10", D("2546.28"), D("2546.28")),
        ("2026-11", D("848.80"), D("848.80")),
        ("2026-11", D("1697.52"), D("1697.52")),
        ("2026-11", D("2546.28"), D("2546.28")),
    ]
    assert sum(D(r["total"]) for r in pulled) == D("8487.68")

    # A pays 2026-11 on 2026-12-05, before its due date 2026-12-15: no late fee
    paid_a = _pay(
        client, tax_key, receipt_number="SW-FLOW-A-1", credit_code=a.credit_code,
        amount="1697.52", paid_on=PAID.isoformat(),
    )  # fmt: skip
    assert (paid_a["allocated"], paid_a["late_fee"], paid_a["credit_held"]) == (
        "1697.52", "0.00", "0.00",
    )  # fmt: skip
    # B pays both months on 2026-12-05, and the late fee: 2026-10 was due 2026-11-15, so
    # 20 days late: 2546.28 × 0.0005 × 20 = 25.4628 → 25.46; 2026-11 on time. The
    # contributions are paid first (5092.56), the rest pays the fee billed, collected
    # apart from the contributions
    days_late = 20
    fee_b = D("25.46")
    assert _fen(D("2546.28") * FEE_RATE * days_late) == fee_b
    paid_b = _pay(
        client, tax_key, receipt_number="SW-FLOW-B-1", credit_code=b.credit_code,
        amount=str(D("5092.56") + fee_b), paid_on=PAID.isoformat(),
    )  # fmt: skip
    assert [
        (x["period"], x["amount"], x["status"], x["days_late"], x["late_fee"])
        for x in paid_b["allocations"]
    ] == [
        ("2026-10", "2546.28", "paid", days_late, str(fee_b)),
        ("2026-11", "2546.28", "paid", 0, "0.00"),
    ]
    assert (
        paid_b["allocated"], paid_b["late_fee"], paid_b["late_fee_collected"],
        paid_b["credit_held"],
    ) == ("5092.56", str(fee_b), str(fee_b), "0.00")  # fmt: skip
    charge = LateFeeCharge.objects.get(employer=b)
    assert (charge.amount, charge.paid_amount, charge.days) == (fee_b, fee_b, days_late)
    assert late_fee_collected(region_prefix=COUNTY) == [{"region_id": COUNTY, "amount": fee_b}]
    assert not LateFeeCharge.objects.exclude(employer=b).exists()  # A on time, 赵丙 none
    # 赵丙 pays nothing: 848.80 + 848.80 = 1697.60 outstanding
    assert _assessed_is_paid_plus_outstanding() == (D("8487.68"), D("6790.08"), D("1697.60"))
    still_open = _all(client, tax_key, TAX + "assessments/", region=COUNTY)
    assert sum(D(r["outstanding"]) for r in still_open) == D("1697.60")
    assert {b.person_id for b in Bill.objects.exclude(status=BillStatus.PAID)} == {zhao.pk}

    # 5. crediting on the worker: the paid personal shares, nothing of the unpaid -----
    crediting = account_runs.crediting_run_create(
        actor=staff["province_accountant"], region=PROVINCE, period="2026-12"
    )
    account_runs.crediting_run_start(actor=staff["province_accountant"], run=crediting)
    crediting = _wait(AccountRun, crediting.pk, {AccountRunStatus.POSTED, AccountRunStatus.FAILED})
    assert crediting.status == AccountRunStatus.POSTED, crediting.error
    # 565.84 (张甲 2026-11) + 848.76 × 2 (李乙) = 2263.36
    paid_shares = ContributionLine.objects.filter(
        person__in=[zhang, li], run__in=released.values()
    ).aggregate(s=Sum("account_credit"))["s"]
    credits = AccountEntry.objects.filter(kind=EntryKind.CREDIT)
    assert paid_shares == crediting.total_amount == D("2263.36")
    assert credits.aggregate(s=Sum("amount"))["s"] == D("2263.36")
    assert (crediting.entry_count, crediting.account_count) == (3, 2)
    assert not PensionAccount.objects.filter(person=zhao).exists()
    # on time: earns from its month; 李乙's 2026-10, paid late, from the month of payment
    assert sorted(
        (e.account.person.name, str(e.period), str(e.value_period), e.amount) for e in credits
    ) == [
        ("张甲", "2026-11", "2026-11", D("565.84")),
        ("李乙", "2026-10", "2026-12", D("848.76")),
        ("李乙", "2026-11", "2026-11", D("848.76")),
    ]
    _balances_are_their_ledgers()

    # 6. the annual interest: the last year ended is 2025, whose rate is not announced
    # (2024's 2.62 % provisionally); these accounts were opened in 2026, so the run
    # has no line for them and posts nothing (their 2026 interest is posted to the
    # month of retirement, step 7)
    interest = account_runs.interest_run_create(
        actor=staff["province_accountant"], region=PROVINCE, year=2025
    )
    assert (interest.rate, interest.rate_provisional) == (D("0.0262"), True)
    account_runs.interest_run_start(actor=staff["province_accountant"], run=interest)
    interest = _wait(
        AccountRun, interest.pk, {AccountRunStatus.CALCULATED, AccountRunStatus.FAILED}
    )
    assert interest.status == AccountRunStatus.CALCULATED, interest.error
    account_runs.interest_run_approve(actor=staff["province_reviewer"], run=interest)
    interest = _wait(AccountRun, interest.pk, {AccountRunStatus.POSTED, AccountRunStatus.FAILED})
    assert interest.status == AccountRunStatus.POSTED, interest.error
    # the accounts opened in 2026 have no line in 2025's interest
    assert not InterestLine.objects.filter(run=interest).exists()
    assert (interest.account_count, interest.entry_count, interest.total_amount) == (
        0, 0, D("0.00"),
    )  # fmt: skip
    assert not AccountEntry.objects.filter(kind=EntryKind.INTEREST).exists()
    _balances_are_their_ledgers()

    # 7. retirements, determined from what was paid -----------------------------------
    def retire(person):
        request = retirement.retirement_case_request(
            actor=caseworker, person=person, retirement_date=RETIRED,
            kind=RetirementKind.STATUTORY, reason="本人申请按法定年龄退休",
            attachments=[SimpleUploadedFile("app.pdf", b"%PDF-1.4", "application/pdf")],
            today=PAID,
        )  # fmt: skip
        approval_request_approve(actor=reviewer, request_id=request.pk)
        return PensionDetermination.objects.get(person=person)

    # 张甲: 1 paid month + 179 deemed = 180, N = 15; Z = (1 × 1 + 1 × 179) ÷ 180 = 1
    # - no 2026 calculation base is published: 2025's 7253, provisionally
    # - basic = (7253 + 7253 × 1) ÷ 2 × 15 × 1 % = 1087.95
    # - interest to 2026-11 at 2.62 % (provisional): 565.84 earns 1 month (11 − 11 + 1):
    #   565.84 × 0.0262 × 1 ÷ 12 = 1.23541… → 1.24; balance 565.84 + 1.24 = 567.08
    # - divisor at 60 y 5 m: 139 − (139 − 132) × 5 ÷ 12 = 136.083… → 136.1;
    #   account = 567.08 ÷ 136.1 = 4.1666… → 4.17
    # - transitional = 7253 × 1 × 179 ÷ 12 × 1.3 % = 1406.4775… → 1406.48
    # - total = 1087.95 + 4.17 + 1406.48 = 2498.60
    zhang_d = retire(zhang)
    assert (zhang_d.actual_months, zhang_d.deemed_months, zhang_d.average_index) == (
        1, 179, D("1"),
    )  # fmt: skip
    assert (zhang_d.calculation_base, zhang_d.provisional, zhang_d.divisor) == (
        D("7253.00"), True, D("136.1"),
    )  # fmt: skip
    assert zhang_d.account_balance == D("567.08")
    assert (
        zhang_d.basic_pension,
        zhang_d.account_pension,
        zhang_d.transitional_pension,
        zhang_d.total,
    ) == (D("1087.95"), D("4.17"), D("1406.48"), D("2498.60"))

    # 李乙: 2 paid months + 178 deemed = 180, N = 15; index 2026 = 10609.50 ÷ 7073 = 1.5,
    # Z = (1.5 × 2 + 1 × 178) ÷ 180 = 181 ÷ 180 = 1.00555…
    # - basic = (7253 + 7253 × 181 ÷ 180) ÷ 2 × 15 × 1 % = 7253 × 361 ÷ 360 × 0.15
    #   = 1090.972… → 1090.97
    # - interest to 2026-11: only 2026-11's 848.76 earns (2026-10's, paid late, earns
    #   from the month of payment): 848.76 × 0.0262 ÷ 12 = 1.8531… → 1.85; balance at
    #   retirement = 848.76 + 848.76 + 1.85 = 1699.37 (the whole ledger)
    # - account = 1699.37 ÷ 136.1 = 12.4862… → 12.49
    # - transitional = 7253 × 181 ÷ 180 × 178 ÷ 12 × 1.3 % = 1406.390… → 1406.39
    # - total = 1090.97 + 12.49 + 1406.39 = 2509.85
    li_d = retire(li)
    assert (li_d.actual_months, li_d.deemed_months) == (2, 178)
    assert li_d.average_index.quantize(D("0.000001")) == D("1.005556")
    assert li_d.account_balance == D("1699.37")
    assert (li_d.basic_pension, li_d.account_pension, li_d.transitional_pension, li_d.total) == (
        D("1090.97"), D("12.49"), D("1406.39"), D("2509.85"),
    )  # fmt: skip
    # the balance each determination divides is its account's whole ledger
    for person, determination in ((zhang, zhang_d), (li, li_d)):
        ledger = AccountEntry.objects.filter(account__person=person).aggregate(s=Sum("amount"))
        assert determination.account_balance == ledger["s"]
    assert AccountEntry.objects.filter(kind=EntryKind.INTEREST).aggregate(s=Sum("amount"))[
        "s"
    ] == D("3.09")  # 1.24 + 1.85
    _balances_are_their_ledgers()

    # 8. the payroll of 2026-12 on the worker: one month each -------------------------
    run = payroll.payroll_run_create(actor=caseworker, period="2026-12", region=COUNTY)
    payroll.payroll_run_start(actor=caseworker, run=run)
    run = _wait(PayrollRun, run.pk, {PayrollRunStatus.CALCULATED, PayrollRunStatus.FAILED})
    assert run.status == PayrollRunStatus.CALCULATED, run.error
    # 2498.60 + 2509.85 = 5008.45, two lines (pension), two payments
    assert (run.line_count, run.payment_count, run.total_amount) == (2, 2, D("5008.45"))
    assert PayrollLine.objects.filter(run=run).aggregate(s=Sum("amount"))["s"] == D("5008.45")
    assert set(PayrollLine.objects.filter(run=run).values_list("item", flat=True)) == {
        PayrollItem.PENSION
    }
    assert PayrollPayment.objects.filter(run=run).aggregate(s=Sum("amount"))["s"] == D("5008.45")
    payroll.payroll_run_approve(actor=reviewer, run=run)

    # 9. the bank file, written and downloaded by the bank's system -------------------
    bank.payroll_run_export(actor=caseworker, run=run)
    csv_file = BankFile.objects.get(run=run, bank_name=ICBC, file_format="csv")
    assert (csv_file.payment_count, csv_file.total_amount) == (2, D("5008.45"))
    _bank, bank_key = keys.api_client_create(
        actor=staff["admin"], name="工行太原", kind="bank", region=Region.objects.get(code=CITY),
        scopes=["payroll.read", "payroll.bank_results"], bank_name=ICBC,
    )  # fmt: skip
    response = client.get(f"{BANK}bank-files/{csv_file.pk}/content/", **_auth(bank_key))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    body, control = rows[1:-1], rows[-1]
    assert (control[0], control[1], control[2]) == ("合计", "2", "5008.45")
    assert sum(D(row[4]) for row in body) == D("5008.45") == run.total_amount

    # 10. the bank's results through the API: 张甲 paid, 李乙 failed -------------------
    payments = {p.person_id: p for p in PayrollPayment.objects.filter(run=run)}
    ok, bad = payments[zhang.pk], payments[li.pk]
    response = client.post(
        BANK + "bank-results/",
        data=json.dumps(
            {
                "run": run.pk,
                "bank_name": ICBC,
                "bank_batch_id": "ICBC-FLOW-2026-12",
                "results": [
                    {"payment": ok.pk, "account": ok.bank_account, "amount": "2498.60",
                     "result": "成功"},
                    {"payment": bad.pk, "account": bad.bank_account, "amount": "2509.85",
                     "result": "失败", "reason": "账户已冻结"},
                ],
            },
            ensure_ascii=False,
        ),
        content_type="application/json",
        **_auth(bank_key),
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.status, bad.status) == (PaymentStatus.PAID, PaymentStatus.FAILED)
    paid = PayrollPayment.objects.filter(run=run, status=PaymentStatus.PAID)
    failed = PayrollPayment.objects.filter(run=run, status=PaymentStatus.FAILED)
    paid_total = paid.aggregate(s=Sum("amount"))["s"]
    failed_total = failed.aggregate(s=Sum("amount"))["s"]
    # payroll total = bank file control total = bank results paid + failed
    assert (paid_total, failed_total) == (D("2498.60"), D("2509.85"))
    assert paid_total + failed_total == csv_file.total_amount == run.total_amount
    # the failed payment waits to be re-issued in the next payroll, whole
    reissue = PayrollDue.objects.get(person=li, item=PayrollItem.REISSUE)
    assert reissue.amount == D("2509.85") and reissue.run_id is None


# --- what the chain must also hold for the worker who does not pay (issue 12) ---------


@pytest.fixture
def unpaid_flexible_worker(staff):
    """赵丙 of the flow: a flexible worker with 178 deemed months, assessed for 2026-10 and
    2026-11 at 4244.00 (848.80 a month) by released runs, who paid nothing."""
    caseworker = staff["caseworker"]
    zhao = enrollment.person_register(
        actor=caseworker, id_number=_id(905), name="赵丙", category=PersonCategory.FLEXIBLE,
        region=Region.objects.get(code=COUNTY), first_work_date=date(1982, 9, 1),
        deemed_months=178, first_insured_date=date(2026, 10, 1),
    )  # fmt: skip
    bases.base_choose(actor=caseworker, person=zhao, year=2026, base="4244.00")
    for period in ("2026-10", "2026-11"):
        run = assessment.assessment_run_create(actor=caseworker, period=period, region=COUNTY)
        run = assessment.assessment_run_execute(run.pk)
        assert (run.status, run.line_count, run.total_individual) == (
            RunStatus.CALCULATED, 1, D("848.80"),
        )  # fmt: skip
        assessment.assessment_run_approve(actor=staff["reviewer"], run=run)
        assessment.assessment_run_release(actor=caseworker, run=run)
    assert Bill.objects.filter(person=zhao, paid_amount=0).count() == 2
    return zhao


@pytest.mark.django_db
def test_unpaid_months_do_not_count_towards_the_minimum(unpaid_flexible_worker):
    # 178 deemed + 0 paid = 178 < 180: refused, although 2 months were assessed
    with translation.override("en"):
        with pytest.raises(InvalidInput) as refused:
            retirement.retirement_preview(
                person=unpaid_flexible_worker, retirement_date=RETIRED,
                kind=RetirementKind.STATUTORY, today=date(2026, 12, 5),
            )  # fmt: skip
        assert refused.value.code == "minimum_months_not_met"
        assert str(refused.value) == (
            "赵丙 has 178 contribution months (0 contributed and 178 deemed); retiring in 2026 "
            "needs at least 180."
        )


@pytest.mark.django_db
def test_a_flexible_worker_owes_no_late_fee(unpaid_flexible_worker, staff, client):
    _tax, key = keys.api_client_create(
        actor=staff["admin"], name="太原税务", kind="tax", region=Region.objects.get(code=CITY),
        scopes=["contributions.read"],
    )  # fmt: skip
    rows = _all(
        client, key, TAX + "arrears/", id_number=unpaid_flexible_worker.id_number,
        as_of="2026-12-05",
    )  # fmt: skip
    # 2026-10, due 2026-11-15, 20 days past due on 2026-12-05: outstanding 848.80, no fee
    # (2026-11 is due 2026-12-15: not in arrears yet)
    assert [(r["period"], r["outstanding"], r["late_fee"]) for r in rows] == [
        ("2026-10", "848.80", "0.00")
    ]
