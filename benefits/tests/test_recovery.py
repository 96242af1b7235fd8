"""Recovery of overpaid benefits in monthly instalments (分期扣回, DESIGN §5.4, §5.7): the
schedule by hand, one instalment a month claimed by the payroll, never twice (re-run,
resume, recalculation, a second run of the month), a month skipped never doubling the
deduction, refusals in Chinese, the balance left owed when the pension stops, and the
schedule on the retiree's page and the case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from benefits.choices import (
    DeterminationStatus,
    PayrollItem,
    PayrollRunKind,
    PayrollRunStatus,
)
from benefits.models import PayrollDue, PayrollLine, PayrollPayment, PayrollRun
from benefits.payroll import recovery
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from pension import approvals
from pension.errors import Conflict, InvalidInput
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def august(monkeypatch):
    """The recovery is approved in August 2026 (the payrolls themselves are of past months)."""
    monkeypatch.setattr(recovery, "_today", lambda: date(2026, 8, 3))


@pytest.fixture
def county(staff) -> str:
    return staff["caseworker"].agency.region_id


@pytest.fixture
def pensioner(staff):
    """1500 + 800 + 900 = 3200.00 a month, retired 2026-05, paid through 2026-07."""
    return retiree(staff["caseworker"].agency, paid_through="2026-07", name="甲")


def propose(staff, determination, amount="1000.00", **terms):
    return recovery.overpayment_recovery_request(
        actor=staff["caseworker"],
        person=determination.person,
        amount=amount,
        source="test:overpaid-1",
        reason="稽核发现多领",
        **terms,
    )


def approved(staff, determination, amount="1000.00", **terms):
    case = propose(staff, determination, amount, **terms)
    approvals.approval_request_approve(actor=staff["reviewer"], request_id=case.pk)
    return case


def pay(staff, county, period, *, kind=PayrollRunKind.REGULAR, approve=True) -> PayrollRun:
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period=period, region=county, kind=kind
    )
    run = payroll.payroll_run_execute(run.pk)
    assert run.status == PayrollRunStatus.CALCULATED, run.error
    if approve:
        payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    return run


def recovered_in(run) -> D | None:
    line = PayrollLine.objects.filter(run=run, item=PayrollItem.RECOVERY).first()
    return None if line is None else line.amount


def paid_in(run, determination) -> D:
    return PayrollPayment.objects.get(run=run, person=determination.person).amount


def test_the_schedule_by_hand():
    # 1 000.00 at 300.00 a month: 300 + 300 + 300 + 100
    assert recovery.instalment_amounts(D("1000.00"), D("300.00")) == [
        D("300.00"), D("300.00"), D("300.00"), D("100.00"),
    ]  # fmt: skip
    # 1 000.00 over 3 months: 1000 ÷ 3 = 333.333… rounded up to 333.34; 333.34 × 2 =
    # 666.68, the last 1000 − 666.68 = 333.32
    assert recovery.plan_instalments(amount="1000.00", pension=D("3200.00"), months=3) == [
        D("333.34"), D("333.34"), D("333.32"),
    ]  # fmt: skip
    # 900.00 at 300.00: exactly three
    assert (
        recovery.plan_instalments(amount="900.00", pension=D("3200.00"), instalment="300.00")
        == [D("300.00")] * 3
    )


def test_four_payrolls_recover_300_300_300_100(staff, county, pensioner):
    case = approved(staff, pensioner, instalment="300.00")
    dues = list(PayrollDue.objects.filter(case=case).order_by("payable_from"))
    assert [(str(u.payable_from), u.amount) for u in dues] == [
        ("2026-08", D("-300.00")), ("2026-09", D("-300.00")),
        ("2026-10", D("-300.00")), ("2026-11", D("-100.00")),
    ]  # fmt: skip
    assert dues[0].source == "test:overpaid-1" and dues[3].source == "test:overpaid-1#4"

    expected = {"2026-08": "-300.00", "2026-09": "-300.00", "2026-10": "-300.00",
                "2026-11": "-100.00"}  # fmt: skip
    outstanding = {"2026-08": "700.00", "2026-09": "400.00", "2026-10": "100.00",
                   "2026-11": "0.00"}  # fmt: skip
    for period, deducted in expected.items():
        run = pay(staff, county, period)
        assert recovered_in(run) == D(deducted)
        # 3200.00 + the deduction: 2900.00, three times, then 3100.00
        assert paid_in(run, pensioner) == D("3200.00") + D(deducted)
        schedule = recovery.recovery_schedule(case)
        assert schedule.outstanding == D(outstanding[period])
        assert schedule.recovered == D("1000.00") - D(outstanding[period])
    assert schedule.next_month is None and schedule.instalments[-1].state == "recovered"
    # December: nothing left to recover
    assert recovered_in(pay(staff, county, "2026-12")) is None
    assert PayrollDue.objects.filter(case=case, run__isnull=True).count() == 0


def test_a_rerun_a_resume_and_a_recalculation_claim_nothing_twice(staff, county, pensioner):
    case = approved(staff, pensioner, instalment="300.00")
    run = pay(staff, county, "2026-08", approve=False)
    assert recovered_in(run) == D("-300.00")
    # executing a finished run again changes nothing
    payroll.payroll_run_execute(run.pk)
    # a worker lost after the county's chunk committed with its done-mark: the resumed
    # run skips the county, its instalment stays claimed once
    PayrollRun.objects.filter(pk=run.pk).update(status=PayrollRunStatus.RUNNING)
    run = payroll.payroll_run_execute(run.pk)
    assert run.status == PayrollRunStatus.CALCULATED
    assert PayrollLine.objects.filter(run=run, item=PayrollItem.RECOVERY).count() == 1
    assert list(PayrollDue.objects.filter(run=run).values_list("source", flat=True)) == [
        "test:overpaid-1"
    ]
    # recalculated: the instalment is released and claimed again, not the next one
    payroll.payroll_run_recalculate(actor=staff["caseworker"], run=run)
    run = payroll.payroll_run_execute(run.pk)
    assert recovered_in(run) == D("-300.00")
    assert list(PayrollDue.objects.filter(run=run).values_list("source", flat=True)) == [
        "test:overpaid-1"
    ]
    assert recovery.recovery_schedule(case).in_payroll == D("300.00")
    payroll.payroll_run_approve(actor=staff["reviewer"], run=run)
    schedule = recovery.recovery_schedule(case)
    assert (schedule.recovered, schedule.outstanding) == (D("300.00"), D("700.00"))


def test_a_month_skipped_does_not_double_the_deduction(staff, county, pensioner):
    case = approved(staff, pensioner, instalment="300.00")
    pay(staff, county, "2026-08")
    # no payroll in September; in October instalments 2 (from 2026-09) and 3 (from
    # 2026-10) are payable: one is deducted, with the two months of pension owed:
    # 2 × 3200.00 − 300.00 = 6100.00
    october = pay(staff, county, "2026-10")
    assert recovered_in(october) == D("-300.00")
    assert paid_in(october, pensioner) == D("6100.00")
    # a supplementary run of October claims no second instalment in the month
    extra = pay(staff, county, "2026-10", kind=PayrollRunKind.SUPPLEMENTARY)
    assert recovered_in(extra) is None
    schedule = recovery.recovery_schedule(case)
    assert (schedule.recovered, schedule.outstanding) == (D("600.00"), D("400.00"))
    # November takes instalment 3, December instalment 4 (100.00): a month later in all
    assert recovered_in(pay(staff, county, "2026-11")) == D("-300.00")
    assert recovered_in(pay(staff, county, "2026-12")) == D("-100.00")
    assert recovery.recovery_schedule(case).outstanding == D("0.00")


def test_dry_runs_read_the_month_instalment_only(staff, county, pensioner):
    approved(staff, pensioner, instalment="300.00")
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-08", region=county, dry_run=True
    )
    run = payroll.payroll_run_execute(run.pk)
    assert recovered_in(run) == D("-300.00")
    assert not PayrollDue.objects.filter(run__isnull=False).exists()


@pytest.mark.parametrize(
    ("terms", "code", "chinese"),
    [
        ({"instalment": "3200.00"}, "instalment_too_large", "不低于月养老金"),
        ({"instalment": "3500.00"}, "instalment_too_large", "不低于月养老金"),
        ({"instalment": "0"}, "instalment_amount", "每月扣回金额必须大于0"),
        ({"instalment": "-50.00"}, "instalment_amount", "每月扣回金额必须大于0"),
        ({"months": "0"}, "instalment_months", "扣回月数"),
        ({"instalment": "300.00", "months": 4}, "instalment_both", "只填"),
        ({}, "instalment_too_large", "不低于月养老金"),  # 5000.00 whole ≥ 3200.00
    ],
)
def test_refusals_in_chinese(staff, pensioner, terms, code, chinese):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        propose(staff, pensioner, "5000.00", **terms)
    assert refused.value.code == code
    with translation.override("zh-hans"):
        assert chinese in str(refused.value)
    assert not PayrollDue.objects.exists()


def test_a_source_is_recovered_once(staff, pensioner):
    approved(staff, pensioner, instalment="300.00")
    with pytest.raises(Conflict) as refused:
        propose(staff, pensioner, instalment="300.00")
    assert refused.value.code == "recovery_exists"


def test_the_balance_stays_owed_when_the_pension_stops(staff, county, pensioner):
    case = approved(staff, pensioner, instalment="300.00")
    pay(staff, county, "2026-08")
    pensioner.status = DeterminationStatus.STOPPED
    pensioner.stop_month = Period.parse("2026-09")
    pensioner.save(update_fields=["status", "stop_month"])
    september = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-09", region=county
    )
    september = payroll.payroll_run_execute(september.pk)
    assert recovered_in(september) is None
    schedule = recovery.recovery_schedule(case)
    assert schedule.receivable and schedule.outstanding == D("700.00")
    assert schedule.next_month is None


def test_the_schedule_on_the_retiree_page_and_the_case(client, staff, county, pensioner):
    case = approved(staff, pensioner, instalment="300.00")
    pay(staff, county, "2026-08")
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/enrollment/people/{pensioner.person_id}/").content.decode()
    row = page[page.index(f'data-recovery="{case.pk}"') :]
    row = row[: row.index("</tr>")]
    # 1000.00 to recover, 300.00 recovered in August, 700.00 outstanding, next 2026-09
    assert "1,000.00" in row and "300.00" in row and "700.00" in row
    assert "2026-09：300.00" in row
    assert "多领待遇追回" in page
    case_page = client.get(reverse("approval_detail", args=[case.pk])).content.decode()
    assert "扣回计划" in case_page and "已追回" in case_page
    assert "<dd>700.00</dd>" in case_page  # outstanding


def test_the_hall_proposes_a_recovery_in_instalments(client, staff, pensioner):
    from pension.models import ApprovalRequest

    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    person_page = client.get(f"/enrollment/people/{pensioner.person_id}/").content.decode()
    url = f"/benefits/people/{pensioner.person_id}/recovery/"
    assert f'href="{url}"' in person_page
    form = client.get(url).content.decode()
    assert "每月扣回金额" in form and "扣回月数" in form and 'name="token"' in form
    data = {"amount": "1000.00", "months": "3", "reason": "重复领取", "token": "abc123"}
    # an instalment not below the pension is refused on the form, in Chinese
    refused = client.post(url, {**data, "amount": "5000.00", "months": "", "instalment": "3200.00"})
    assert refused.status_code == 200 and "不低于月养老金" in refused.content.decode()
    response = client.post(url, data)
    case = ApprovalRequest.objects.get(operation=recovery.OVERPAYMENT_RECOVERY)
    assert response.url == reverse("approval_detail", args=[case.pk])
    # 1000.00 over 3 months: 333.34, 333.34, 333.32
    assert (case.payload["instalment"], case.payload["instalments"]) == ("333.34", 3)
    assert case.payload["last_instalment"] == "333.32"
    # the same form sent twice is one case
    again = client.post(url, data)
    assert "该多领待遇已在追回中" in again.content.decode()
    assert ApprovalRequest.objects.filter(operation=recovery.OVERPAYMENT_RECOVERY).count() == 1
    case_page = client.get(reverse("approval_detail", args=[case.pk])).content.decode()
    assert "经办大厅提出" in case_page and "hall:" not in case_page
    # an auditor prepares no case (403), nothing is opened
    client.force_login(staff["auditor"])
    assert client.get(url).status_code == 403
    assert client.post(url, {**data, "token": "other"}).status_code == 403
    assert ApprovalRequest.objects.filter(operation=recovery.OVERPAYMENT_RECOVERY).count() == 1
