"""Suspension and resumption of payment, and the recording of a death (§9.3.2–9.3.4),
on the tiny demo province: determinations are made directly (the retirement case is
tested in test_retirement.py); the figures are worked by hand in the comments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from accounts.tests.factories import make_person
from benefits.choices import (
    DeterminationStatus,
    PayrollItem,
    PayrollRunKind,
    PayrollRunStatus,
    RetirementKind,
    SuspensionReason,
)
from benefits.models import (
    PayrollDue,
    PayrollLine,
    PayrollRun,
    PensionAdjustment,
    PensionDetermination,
    Suspension,
)
from benefits.suspension import suspensions
from enrollment.choices import PersonStatus
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ChangeLogEntry
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the msgids)."""
    with translation.override("en"):
        yield


def determination_for(
    person,
    *,
    total: str = "3000.00",
    retirement_month: str = "2025-04",
    paid_through: str | None = None,
    status: str = DeterminationStatus.IN_PAYMENT,
) -> PensionDetermination:
    """A current determination of ``person``: the whole ``total`` as the basic pension
    (the total is the sum of the components), retired in ``retirement_month``."""
    month = Period.parse(retirement_month)
    person.status = PersonStatus.RETIRED
    person.save(update_fields=["status"])
    return PensionDetermination.objects.create(
        person=person, region_id=person.region_id, agency_id=person.agency_id,
        kind=RetirementKind.STATUTORY, status=status,
        retirement_date=month.first_day, retirement_month=month, statutory_date=month.first_day,
        actual_months=180, deemed_months=0, contribution_years=D("15"),
        average_index=D("1"), transitional_index=D("0"), divisor=D("139"),
        account_balance=D("0"), calculation_base=D("7000"), local_calculation_base=D("7000"),
        calculation_base_year=month.year, basic_pension=D(total), account_pension=D("0"),
        transitional_pension=D("0"), extra_pension=D("0"), total=D(total),
        paid_through=Period.parse(paid_through) if paid_through else None,
    )  # fmt: skip


def retiree(staff, **kwargs) -> PensionDetermination:
    person = make_person(staff["caseworker"].agency, born=date(1965, 3, 15), name="赵退休")
    return determination_for(person, **kwargs)


def paid_line(determination, period: str, item: str, months: int, amount: str) -> PayrollLine:
    """A posted line of an approved regular run of ``period``."""
    p = Period.parse(period)
    run, _ = PayrollRun.objects.get_or_create(
        period=p, region_id=determination.person.region_id, kind=PayrollRunKind.REGULAR,
        dry_run=False, defaults={"status": PayrollRunStatus.APPROVED},
    )  # fmt: skip
    return PayrollLine.objects.create(
        run=run, posted=True, period=p, run_kind=PayrollRunKind.REGULAR,
        person=determination.person, determination=determination,
        region_id=determination.person.region_id, item=item, months=months, amount=D(amount),
    )  # fmt: skip


# --- death -------------------------------------------------------------------------------


def test_a_death_stops_the_pension_from_the_next_month_once(staff):
    d = retiree(staff, paid_through="2026-02")
    caseworker = staff["caseworker"]
    result = suspensions.record_death(
        actor=caseworker, person=d.person, death_date=date(2026, 2, 10), source="test",
        reason="火化记录", today=date(2026, 3, 5),
    )  # fmt: skip
    assert result.pk == d.pk
    d.refresh_from_db()
    d.person.refresh_from_db()
    # died in February: February is paid, stopped from March
    assert (d.status, d.stop_month) == (DeterminationStatus.STOPPED, Period(2026, 3))
    assert d.inputs["death"]["date"] == "2026-02-10"
    assert d.person.status == PersonStatus.DECEASED

    # the same death again: nothing changes, nothing logged
    entries = ChangeLogEntry.objects.count()
    again = suspensions.record_death(
        actor=caseworker, person=d.person, death_date=date(2026, 2, 10), source="other",
        reason="民政比对", today=date(2026, 3, 6),
    )  # fmt: skip
    assert again.pk == d.pk
    assert ChangeLogEntry.objects.count() == entries
    d.refresh_from_db()
    assert d.inputs["death"]["source"] == "test"

    # another date is a conflict
    with pytest.raises(Conflict) as refusal:
        suspensions.record_death(
            actor=caseworker, person=d.person, death_date=date(2026, 1, 10), source="x",
            reason="x", today=date(2026, 3, 6),
        )  # fmt: skip
    assert refusal.value.code == "other_death_date"


def test_a_death_closes_every_open_employment_from_the_next_month(staff):
    from enrollment.models import Employer, Employment

    person = make_person(staff["caseworker"].agency, born=date(1980, 5, 1), name="孙在职")
    employer = Employer.objects.order_by("pk").first()
    Employment.objects.create(person=person, employer=employer, start_period=Period(2020, 1))
    suspensions.record_death(
        actor=staff["caseworker"], person=person, death_date=date(2026, 2, 10), source="test",
        reason="火化记录", today=date(2026, 3, 5),
    )  # fmt: skip
    # died in 2026-02: assessed up to February, the employment closed from 2026-03
    employment = Employment.objects.get(person=person)
    assert (employment.stop_period, employment.stop_reason) == (Period(2026, 3), "火化记录")
    person.refresh_from_db()
    assert person.status == PersonStatus.DECEASED


def test_a_death_in_the_future_is_refused(staff):
    d = retiree(staff)
    with pytest.raises(InvalidInput) as refusal:
        suspensions.record_death(
            actor=staff["caseworker"], person=d.person, death_date=date(2026, 4, 1),
            source="test", reason="x", today=date(2026, 3, 5),
        )  # fmt: skip
    assert str(refusal.value) == "The date of death 2026-04-01 is after today."
    d.refresh_from_db()
    assert d.status == DeterminationStatus.IN_PAYMENT


def test_a_death_closes_an_open_suspension(staff):
    d = retiree(staff, status=DeterminationStatus.SUSPENDED)
    suspension = Suspension.objects.create(
        person=d.person, determination=d, reason=SuspensionReason.CERTIFICATION_MISSING,
        from_month=Period(2026, 1), back_pay=True,
    )  # fmt: skip
    suspensions.record_death(
        actor=None, person=d.person, death_date=date(2025, 12, 20), source="data_match:1",
        reason="死亡比对", today=date(2026, 3, 5),
    )  # fmt: skip
    suspension.refresh_from_db()
    d.refresh_from_db()
    assert suspension.resumed_from is None
    assert suspension.details["closed_by_death"]["date"] == "2025-12-20"
    assert suspensions.open_suspension(d.person) is None
    assert (d.status, d.stop_month) == (DeterminationStatus.STOPPED, Period(2026, 1))


def test_overpayment_after_death_counts_the_months_from_the_stop_month(staff):
    d = retiree(staff, total="3000.00", paid_through="2026-04")
    # January: one month, before the death (not counted)
    paid_line(d, "2026-01", PayrollItem.PENSION, 1, "3000.00")
    # April pays February..April (3 months, 3 × 3000.00) and 3 × 50.00 of an adjustment
    paid_line(d, "2026-04", PayrollItem.PENSION, 3, "9000.00")
    paid_line(d, "2026-04", PayrollItem.ADJUSTMENT, 3, "150.00")
    # a line of a run not yet approved is not paid: not counted
    draft = PayrollRun.objects.create(
        period=Period(2026, 5), region_id=d.person.region_id, status=PayrollRunStatus.CALCULATED
    )
    PayrollLine.objects.create(
        run=draft, posted=True, period=Period(2026, 5), run_kind=PayrollRunKind.REGULAR,
        person=d.person, determination=d, region_id=d.person.region_id,
        item=PayrollItem.PENSION, months=1, amount=D("3000.00"),
    )  # fmt: skip
    suspensions.record_death(
        actor=None, person=d.person, death_date=date(2026, 2, 14), source="test",
        reason="x", today=date(2026, 5, 10),
    )  # fmt: skip
    d.refresh_from_db()
    over = suspensions.overpayment_after_death(d)
    # stopped from March: of the April line, March and April count:
    # 2 × 3000.00 + 2 × 50.00 = 6100.00; February (the month of death) is due
    assert over["months"] == ["2026-03", "2026-04"]
    assert over["amount"] == D("6100.00")
    assert len(over["lines"]) == 4


def test_a_death_reported_at_the_hall_waits_for_a_reviewer(staff):
    d = retiree(staff)
    caseworker, reviewer = staff["caseworker"], staff["reviewer"]
    request = suspensions.death_report_request(
        actor=caseworker, person=d.person, death_date=date(2026, 1, 3), reason="家属报告死亡",
        today=date(2026, 1, 10),
    )  # fmt: skip
    d.refresh_from_db()
    assert d.status == DeterminationStatus.IN_PAYMENT
    with pytest.raises(NotPermitted):
        approval_request_approve(actor=caseworker, request_id=request.pk)
    approval_request_approve(actor=reviewer, request_id=request.pk, reason="死亡证明齐全")
    d.refresh_from_db()
    assert (d.status, d.stop_month) == (DeterminationStatus.STOPPED, Period(2026, 2))
    assert d.inputs["death"]["source"] == f"case:{request.pk}"
    with pytest.raises(Conflict) as refusal:
        suspensions.death_report_request(
            actor=caseworker, person=d.person, death_date=date(2026, 1, 3), reason="again",
            today=date(2026, 1, 10),
        )  # fmt: skip
    assert refusal.value.code == "already_deceased"


# --- suspension and resumption --------------------------------------------------------------


def suspend(d, staff, reason, from_month: str) -> Suspension:
    request = suspensions.suspension_request(
        actor=staff["caseworker"], determination=d, reason=reason, from_month=from_month,
        note="暂停发放",
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk, reason="核实")
    return Suspension.objects.get(case=request)


def resume(suspension, staff, resumed_from: str, today: date) -> ApprovalRequest:
    request = suspensions.resumption_request(
        actor=staff["caseworker"], suspension=suspension, resumed_from=resumed_from,
        note="恢复发放", today=today,
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk, reason="核实")
    request.refresh_from_db()
    return request


def test_imprisonment_is_resumed_without_back_pay(staff):
    d = retiree(staff, paid_through="2026-02")
    suspension = suspend(d, staff, SuspensionReason.IMPRISONED, "2026-03")
    d.refresh_from_db()
    assert d.status == DeterminationStatus.SUSPENDED
    assert (suspension.from_month, suspension.back_pay) == (Period(2026, 3), False)
    assert suspension.created_by == staff["caseworker"]

    request = resume(suspension, staff, "2026-06", today=date(2026, 6, 10))
    suspension.refresh_from_db()
    d.refresh_from_db()
    assert suspension.resumed_from == Period(2026, 6)
    assert suspension.resumption_case == request
    # March..May are not paid: the regular payroll pays from paid_through + 1 = June
    assert (d.status, d.paid_through) == (DeterminationStatus.IN_PAYMENT, Period(2026, 5))
    assert not PayrollDue.objects.filter(person=d.person).exists()
    assert request.result["due"] is None


def test_missing_certification_is_resumed_with_back_pay(staff):
    d = retiree(staff, total="3000.00", paid_through="2026-02")
    # an adjustment of 50.00 a month in force from April (the 2nd suspended month)
    PensionAdjustment.objects.create(
        person=d.person, determination=d, flat_amount=D("50.00"), monthly_amount=D("50.00"),
        effective_from=Period(2026, 4), in_force=True,
    )  # fmt: skip
    # one not in force is not paid
    PensionAdjustment.objects.create(
        person=d.person, determination=d, flat_amount=D("70.00"), monthly_amount=D("70.00"),
        effective_from=Period(2026, 1), in_force=False,
    )  # fmt: skip
    suspension = suspend(d, staff, SuspensionReason.CERTIFICATION_MISSING, "2026-03")
    assert suspension.back_pay is True
    request = resume(suspension, staff, "2026-06", today=date(2026, 6, 10))
    d.refresh_from_db()
    assert d.paid_through == Period(2026, 5)
    due = PayrollDue.objects.get(person=d.person)
    # March 3000.00 + April 3050.00 + May 3050.00 = 3000 × 3 + 50 × 2 = 9100.00
    assert (due.item, due.amount, due.months) == (PayrollItem.BACK_PAY, D("9100.00"), 3)
    assert (due.from_month, due.to_month) == (Period(2026, 3), Period(2026, 5))
    assert due.source == f"suspension:{suspension.pk}"
    assert [m["amount"] for m in due.details["months"]] == ["3000.00", "3050.00", "3050.00"]
    assert due.run_id is None
    assert request.amount == D("9100.00")


def test_resumption_never_lowers_paid_through(staff):
    # the month of the suspension was paid already (its payroll ran before)
    d = retiree(staff, total="3000.00", paid_through="2026-04")
    suspension = suspend(d, staff, SuspensionReason.CERTIFICATION_MISSING, "2026-03")
    resume(suspension, staff, "2026-04", today=date(2026, 6, 10))
    d.refresh_from_db()
    # resumed from April: paid_through would be March, but April is paid: kept
    assert d.paid_through == Period(2026, 4)
    # nothing left to back-pay: March and April were paid
    assert not PayrollDue.objects.filter(person=d.person).exists()


def test_suspension_refusals(staff):
    d = retiree(staff, retirement_month="2025-04", paid_through="2026-02")
    caseworker = staff["caseworker"]
    requests = ApprovalRequest.objects.count()
    with pytest.raises(InvalidInput) as refusal:
        suspensions.suspension_request(
            actor=caseworker, determination=d, reason=SuspensionReason.DEATH,
            from_month="2026-03", note="死亡",
        )  # fmt: skip
    assert refusal.value.code == "death_not_suspension"
    with pytest.raises(InvalidInput) as refusal:
        suspensions.suspension_request(
            actor=caseworker, determination=d, reason=SuspensionReason.IMPRISONED,
            from_month="2025-04", note="服刑",
        )  # fmt: skip
    # retired in April 2025: payable from May
    assert str(refusal.value) == (
        "The pension of 赵退休 is payable from 2025-05; it cannot be suspended from 2025-04."
    )
    with pytest.raises(InvalidInput) as refusal:
        suspensions.suspension_request(
            actor=caseworker, determination=d, reason=SuspensionReason.IMPRISONED,
            from_month="2026-04", note="服刑", today=date(2026, 3, 20),
        )  # fmt: skip
    assert refusal.value.code == "suspend_future"
    assert ApprovalRequest.objects.count() == requests

    # the maker cannot approve her own suspension
    request = suspensions.suspension_request(
        actor=caseworker, determination=d, reason=SuspensionReason.WANTED, from_month="2026-03",
        note="通缉",
    )  # fmt: skip
    with pytest.raises(NotPermitted) as refusal:
        approval_request_approve(actor=caseworker, request_id=request.pk)
    assert refusal.value.code == "self_approval"
    with pytest.raises(Conflict) as refusal:
        suspensions.suspension_request(
            actor=caseworker, determination=d, reason=SuspensionReason.WANTED,
            from_month="2026-03", note="通缉",
        )  # fmt: skip
    assert refusal.value.code == "case_pending"
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    d.refresh_from_db()
    with pytest.raises(Conflict) as refusal:
        suspensions.suspension_request(
            actor=caseworker, determination=d, reason=SuspensionReason.OTHER,
            from_month="2026-04", note="again",
        )  # fmt: skip
    # the determination is no longer in payment
    assert refusal.value.code == "not_in_payment"
    assert Suspension.objects.filter(person=d.person).count() == 1

    # resumption: not from before the suspended month, not from a month to come
    suspension = Suspension.objects.get(person=d.person)
    with pytest.raises(InvalidInput) as refusal:
        suspensions.resumption_request(
            actor=caseworker, suspension=suspension, resumed_from="2026-02", note="x",
            today=date(2026, 6, 1),
        )  # fmt: skip
    assert refusal.value.code == "resume_not_after"
    with pytest.raises(InvalidInput) as refusal:
        suspensions.resumption_request(
            actor=caseworker, suspension=suspension, resumed_from="2026-07", note="x",
            today=date(2026, 6, 1),
        )  # fmt: skip
    assert refusal.value.code == "resume_future"


def test_the_payroll_skips_the_suspended_months_and_pays_the_back_pay(staff):
    """With the monthly payroll (benefits.payroll.runs): paid through 2026-09, suspended for a
    missing certification from 2026-10; the October run pays nothing to the retiree;
    resumed from 2026-11: the November run pays November (1 × 3000.00) and the back pay
    of October (3000.00) as its own line, and nothing twice."""
    from benefits.payroll import runs as payroll

    county = staff["caseworker"].agency.region_id
    d = retiree(staff, total="3000.00", paid_through="2026-09")
    suspension = suspend(d, staff, SuspensionReason.CERTIFICATION_MISSING, "2026-10")

    def run(period: str) -> PayrollRun:
        created = payroll.payroll_run_create(
            actor=staff["caseworker"], period=period, region=county
        )
        done = payroll.payroll_run_execute(created.pk)
        assert done.status == PayrollRunStatus.CALCULATED, done.error
        return payroll.payroll_run_approve(actor=staff["reviewer"], run=done)

    october = run("2026-10")
    assert not PayrollLine.objects.filter(run=october, person=d.person).exists()

    resume(suspension, staff, "2026-11", today=date(2026, 11, 5))
    november = run("2026-11")
    lines = {
        line.item: (line.months, line.amount)
        for line in PayrollLine.objects.filter(run=november, person=d.person)
    }
    assert lines == {
        PayrollItem.PENSION: (1, D("3000.00")),
        PayrollItem.BACK_PAY: (1, D("3000.00")),
    }
    d.refresh_from_db()
    assert d.paid_through == Period(2026, 11)
    assert PayrollDue.objects.get(source=f"suspension:{suspension.pk}").run_id == november.pk
