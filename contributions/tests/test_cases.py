"""Contribution cases (§7.4): back-payment, base correction, refund, the retirement-age
shortfall and its one-time top-up; each through maker-checker. Expected figures are
worked out by hand in the comments, never with the code under test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from contributions import bases, cases
from contributions.cases import contribution_shortfall
from contributions.choices import BillStatus, LineKind
from contributions.models import Bill, ContributionBase, ContributionLine, ExtendedContribution
from contributions.tests.factories import assessed_months, pay_bill
from contributions.tests.test_bases import person, regular_bill, regular_line
from contributions.tests.test_bases import world as world
from enrollment.choices import OccupationKind
from pension.approvals import approval_request_approve
from pension.attachments import attachments_of
from pension.choices import InstructionPurpose, InstructionStatus
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, PaymentInstruction
from pension.periods import Period


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", content_type="application/pdf")


def written() -> tuple[int, int, int]:
    return (
        ContributionLine.objects.count(),
        Bill.objects.count(),
        ContributionBase.objects.count(),
    )


# --- back-payment --------------------------------------------------------------------


def test_a_back_payment_across_2019_05_waits_for_approval_then_writes_lines_and_bills(world, staff):
    caseworker, employer, low = world["actor"], world["employer"], world["low"]
    before = written()
    request = cases.back_payment_request(
        actor=caseworker,
        person=low,
        employer=employer,
        periods_and_bases=[(Period(2019, m), "5000.00") for m in (3, 4, 5, 6)],
        reason="劳动合同证明 2019 年 3 至 6 月在职",
        attachments=[proof()],
    )
    # employer 20 % before 2019-05: 5000 × 20 % = 1000.00; from 2019-05 16 %: 800.00;
    # individual 8 %: 400.00 each month; total 4 × 400 + 2 × 1000 + 2 × 800 = 5200.00
    assert [
        (x["period"], x["employer_rate"], x["employer_amount"], x["individual_amount"])
        for x in request.payload["lines"]
    ] == [
        ("2019-03", "0.20", "1000.00", "400.00"),
        ("2019-04", "0.20", "1000.00", "400.00"),
        ("2019-05", "0.16", "800.00", "400.00"),
        ("2019-06", "0.16", "800.00", "400.00"),
    ]
    assert (request.payload["employer_total"], request.payload["individual_total"]) == (
        "3600.00",
        "1600.00",
    )
    assert request.amount == D("5200.00") and request.required_level == "county"
    assert request.status == ApprovalStatus.PENDING
    assert request.payload["lines"][0]["sources"][0].startswith("contribution.employer_rate@")
    assert [a.original_name for a in attachments_of(request)] == ["proof.pdf"]
    assert written() == before  # nothing before approval

    with pytest.raises(NotPermitted) as caught:
        approval_request_approve(actor=caseworker, request_id=request.pk)
    assert caught.value.code == "self_approval"
    with pytest.raises(NotPermitted) as caught:
        approval_request_approve(actor=staff["other_reviewer"], request_id=request.pk)
    assert caught.value.code == "outside_region"
    assert written() == before

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    lines = ContributionLine.objects.filter(case=request).order_by("period")
    assert [
        (
            x.period,
            x.kind,
            x.employer_id,
            x.base,
            x.employer_amount,
            x.individual_amount,
            x.account_credit,
            x.posted,
        )
        for x in lines
    ] == [
        (Period(2019, 3), LineKind.BACK_PAYMENT, employer.pk, D("5000.00"), D("1000.00"),
         D("400.00"), D("400.00"), True),
        (Period(2019, 4), LineKind.BACK_PAYMENT, employer.pk, D("5000.00"), D("1000.00"),
         D("400.00"), D("400.00"), True),
        (Period(2019, 5), LineKind.BACK_PAYMENT, employer.pk, D("5000.00"), D("800.00"),
         D("400.00"), D("400.00"), True),
        (Period(2019, 6), LineKind.BACK_PAYMENT, employer.pk, D("5000.00"), D("800.00"),
         D("400.00"), D("400.00"), True),
    ]  # fmt: skip
    bills = Bill.objects.filter(case=request).order_by("period")
    today = timezone.localdate()
    # one bill a period, issued today but due on the month's own due date (the 15th of
    # the month after it), so its late fee runs from there:
    # 1000 + 400 = 1400.00; 800 + 400 = 1200.00
    assert [
        (b.period, b.kind, b.employer_id, b.total, b.due_date, b.issued_on, b.status,
         b.line_count)
        for b in bills
    ] == [
        (Period(2019, 3), LineKind.BACK_PAYMENT, employer.pk, D("1400.00"), date(2019, 4, 15),
         today, "open", 1),
        (Period(2019, 4), LineKind.BACK_PAYMENT, employer.pk, D("1400.00"), date(2019, 5, 15),
         today, "open", 1),
        (Period(2019, 5), LineKind.BACK_PAYMENT, employer.pk, D("1200.00"), date(2019, 6, 15),
         today, "open", 1),
        (Period(2019, 6), LineKind.BACK_PAYMENT, employer.pk, D("1200.00"), date(2019, 7, 15),
         today, "open", 1),
    ]  # fmt: skip
    assert written() == (before[0] + 4, before[1] + 4, before[2])
    # billed, not paid: the four months do not count yet (DESIGN §5.2)
    assert cases.contributed_months(low) == 0
    for bill in bills[:3]:
        pay_bill(bill, paid_on=today)
    # 2019-06 paid in part (1000.00 of 1200.00): still no month counts, since a case's
    # months count when every bill of the case is paid
    pay_bill(bills[3], paid_on=today, amount=D("1000.00"))
    assert cases.contributed_months(low) == 0
    pay_bill(Bill.objects.get(pk=bills[3].pk), paid_on=today)
    assert cases.contributed_months(low) == 4


def test_a_month_already_assessed_is_not_back_paid(world, staff):
    caseworker, employer, low = world["actor"], world["employer"], world["low"]
    # 5000 × 20 % = 1000.00 (April 2019)
    regular_line(low, employer, Period(2019, 4), "5000.00", ("1000.00", "400.00", "400.00"))
    before = written()
    requests = ApprovalRequest.objects.count()
    with pytest.raises(Conflict) as caught:
        cases.back_payment_request(
            actor=caseworker,
            person=low,
            employer=employer,
            periods_and_bases=[(Period(2019, 3), "5000"), (Period(2019, 4), "5000")],
            reason="补缴",
        )
    assert caught.value.code == "period_already_contributed"
    assert (
        str(caught.value)
        == "2019-04 already counts as contributed for 张低; it cannot be back-paid."
    )
    assert (written(), ApprovalRequest.objects.count()) == (before, requests)

    # a month assessed after the request was made is refused on approval too
    request = cases.back_payment_request(
        actor=caseworker,
        person=low,
        employer=employer,
        periods_and_bases=[(Period(2019, 7), "5000")],
        reason="补缴",
    )
    regular_line(low, employer, Period(2019, 7), "5000.00", ("800.00", "400.00", "400.00"))
    before = written()
    with pytest.raises(Conflict):
        approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and written() == before


def test_a_back_payment_needs_a_reason_and_past_months(world):
    with pytest.raises(InvalidInput) as caught:
        cases.back_payment_request(
            actor=world["actor"],
            person=world["low"],
            employer=world["employer"],
            periods_and_bases=[(Period(2019, 3), "5000")],
            reason=" ",
        )
    assert caught.value.code == "reason_required"
    this_month = Period.from_date(timezone.localdate())
    with pytest.raises(InvalidInput) as caught:
        cases.back_payment_request(
            actor=world["actor"],
            person=world["low"],
            employer=world["employer"],
            periods_and_bases=[(this_month, "5000")],
            reason="补缴",
        )
    assert caught.value.code == "period_not_past"
    assert not ApprovalRequest.objects.filter(operation=cases.BACK_PAYMENT).exists()


# --- base correction ------------------------------------------------------------------


def test_a_base_correction_writes_the_difference_for_the_assessed_months(world, staff):
    caseworker, employer, low = world["actor"], world["employer"], world["low"]
    old = bases.base_declare(
        actor=caseworker, person=low, employer=employer, year=2025, wage="3500",
        as_of=date(2025, 1, 5),
    )  # fmt: skip
    assert old.base == D("4198.00")
    # assessed at 4198: × 16 % = 671.68, × 8 % = 335.84
    january = regular_line(
        low, employer, Period(2025, 1), "4198.00", ("671.68", "335.84", "335.84")
    )
    february = regular_line(
        low, employer, Period(2025, 2), "4198.00", ("671.68", "335.84", "335.84")
    )
    before = written()
    request = cases.base_correction_request(
        actor=caseworker,
        person=low,
        employer=employer,
        year=2025,
        wage="5000",
        reason="稽核发现少报工资",
        attachments=[proof()],
    )
    # 5000 − 4198 = 802.00; 5000 × 16 % = 800.00 − 671.68 = 128.32;
    # 5000 × 8 % = 400.00 − 335.84 = 64.16; a month 128.32 + 64.16 = 192.48; two: 384.96
    assert request.amount == D("384.96")
    assert request.before["base"] == "4198.00" and request.payload["base"] == "5000.00"
    assert written() == before

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    old.refresh_from_db()
    new = ContributionBase.objects.get(pk=old.superseded_by_id)
    assert (new.base, new.rule, new.superseded_by_id) == (D("5000.00"), "as_declared", None)
    corrections = ContributionLine.objects.filter(case=request).order_by("period")
    assert [
        (x.kind, x.adjusts_id, x.base, x.employer_amount, x.individual_amount, x.account_credit,
         x.base_record_id)
        for x in corrections
    ] == [
        (LineKind.BASE_CORRECTION, january.pk, D("802.00"), D("128.32"), D("64.16"),
         D("64.16"), new.pk),
        (LineKind.BASE_CORRECTION, february.pk, D("802.00"), D("128.32"), D("64.16"),
         D("64.16"), new.pk),
    ]  # fmt: skip
    bills = Bill.objects.filter(case=request).order_by("period")
    assert [(b.period, b.kind, b.total) for b in bills] == [
        (Period(2025, 1), LineKind.BASE_CORRECTION, D("192.48")),
        (Period(2025, 2), LineKind.BASE_CORRECTION, D("192.48")),
    ]
    # the original lines are untouched
    january.refresh_from_db()
    assert (january.base, january.employer_amount) == (D("4198.00"), D("671.68"))


def test_a_correction_without_assessed_months_is_refused(world):
    before = written()
    with pytest.raises(InvalidInput) as caught:
        cases.base_correction_request(
            actor=world["actor"],
            person=world["low"],
            employer=world["employer"],
            year=2025,
            wage="5000",
            reason="更正",
        )
    assert caught.value.code == "nothing_assessed"
    assert written() == before


# --- what counts: paid months (DESIGN §5.2) ---------------------------------------


def test_only_paid_lines_of_released_runs_count(world):
    from contributions.choices import RunStatus
    from contributions.selectors import contribution_bases_by_year

    low, employer = world["low"], world["employer"]
    # 2024-01 … 2024-03 paid (released runs); 2024-04 released, bill open;
    # 2024-05 released, bill paid 600.00 of 1200.00; 2024-06 in a run only calculated,
    # its bill marked paid (it cannot be, but must not count if it were)
    assessed_months(low, "2024-01", "2024-03", "5000.00", employer=employer)
    assessed_months(low, "2024-04", "2024-04", "5000.00", employer=employer, paid=False)
    assessed_months(low, "2024-05", "2024-05", "5000.00", employer=employer, paid=False)
    pay_bill(Bill.objects.get(period=202405), paid_on=date(2024, 6, 15), amount=D("600.00"))
    assessed_months(
        low, "2024-06", "2024-06", "5000.00", employer=employer,
        run_status=RunStatus.CALCULATED,
    )  # fmt: skip
    assert Bill.objects.get(period=202406).status == BillStatus.PAID
    # 3 months counted: 2024-01 … 03; their bases 3 × 5000.00 = 15000.00
    assert cases.contributed_months(low) == 3
    assert contribution_bases_by_year(low.pk, from_year=2024) == [
        {"year": 2024, "months": 3, "bases": D("15000.00")}
    ]
    # the open bill paid: 4 months, 20000.00
    pay_bill(Bill.objects.get(period=202404), paid_on=date(2024, 6, 15))
    assert cases.contributed_months(low) == 4
    assert contribution_bases_by_year(low.pk, from_year=2024)[0]["bases"] == D("20000.00")


# --- refund -----------------------------------------------------------------------------


def test_a_refund_writes_negative_lines_and_no_bill(world, staff):
    caseworker, employer, low = world["actor"], world["employer"], world["low"]
    # 5000 × 16 % = 800.00, × 8 % = 400.00; the bill is paid
    march = regular_line(low, employer, Period(2025, 3), "5000.00", ("800.00", "400.00", "400.00"))
    regular_bill(
        employer, Period(2025, 3), "800.00", "400.00", paid_amount=D("1200.00"),
        status=BillStatus.PAID,
    )  # fmt: skip
    bills_before = Bill.objects.count()
    # an employer's refund is paid to the account given on the case: none given, refused
    with pytest.raises(InvalidInput) as caught:
        cases.refund_request(
            actor=caseworker, person=low, employer=employer, periods=[Period(2025, 3)],
            reason="重复缴费",
        )  # fmt: skip
    assert (caught.value.code, caught.value.details) == (
        "payee_required", {"field": "payee_account"},
    )  # fmt: skip
    assert not ApprovalRequest.objects.filter(operation=cases.REFUND).exists()
    request = cases.refund_request(
        actor=caseworker,
        person=low,
        employer=employer,
        periods=[Period(2025, 3)],
        reason="重复缴费",
        attachments=[proof()],
        payee_bank=" 中国建设银行 ",
        payee_account="6217000010001234",
    )
    assert request.amount == D("1200.00")  # the refund's size: 800.00 + 400.00
    assert request.payload["total"] == "-1200.00"
    # the payee is the payer, the employer, by default
    assert (
        request.payload["payee_name"], request.payload["payee_bank"],
        request.payload["payee_account"],
    ) == ("太原基数测试有限公司", "中国建设银行", "6217000010001234")  # fmt: skip
    assert not ContributionLine.objects.filter(kind=LineKind.REFUND).exists()
    assert not PaymentInstruction.objects.exists()
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    # the money goes out: an open instruction of 1200.00 to the employer's account, in the
    # employer's region, for the next payroll to carry
    instruction = PaymentInstruction.objects.get()
    assert (
        instruction.purpose, instruction.source, instruction.region_id, instruction.amount,
        instruction.status, instruction.payee_name, instruction.bank_name,
        instruction.bank_account, instruction.case_id, instruction.object_id,
    ) == (
        InstructionPurpose.REFUND, f"contributions.refund:{request.pk}", "140105",
        D("1200.00"), InstructionStatus.OPEN, "太原基数测试有限公司", "中国建设银行",
        "6217000010001234", request.pk, low.pk,
    )  # fmt: skip
    assert instruction.details == {
        "periods": ["2025-03"], "employer_amount": "800.00", "individual_amount": "400.00",
    }  # fmt: skip
    refund = ContributionLine.objects.get(case=request)
    assert (
        refund.kind,
        refund.adjusts_id,
        refund.base,
        refund.employer_amount,
        refund.individual_amount,
        refund.account_credit,
    ) == (LineKind.REFUND, march.pk, D("-5000.00"), D("-800.00"), D("-400.00"), D("-400.00"))
    assert Bill.objects.count() == bills_before
    request.refresh_from_db()
    assert request.result["refund_total"] == "-1200.00"
    assert request.result["payment_instruction"] == instruction.pk
    assert cases.contributed_months(low) == 0  # a refunded month does not count
    with pytest.raises(Conflict) as caught:
        cases.refund_request(
            actor=caseworker, person=low, employer=employer, periods=[Period(2025, 3)], reason="x"
        )
    assert caught.value.code == "already_refunded"


def test_a_flexible_workers_refund_goes_to_the_persons_own_account(world, staff):
    caseworker, low = world["actor"], world["low"]
    low.bank_name, low.bank_account = "中国银行", "6216600000001111"
    low.save(update_fields=["bank_name", "bank_account"])
    # a flexible worker's own month: 5000 × 20 % = 1000.00 individual (account 400.00)
    regular_line(low, None, Period(2025, 5), "5000.00", ("0.00", "1000.00", "400.00"))
    Bill.objects.create(
        period=Period(2025, 5), kind=LineKind.REGULAR, person=low, line_count=1,
        employer_amount=D("0.00"), individual_amount=D("1000.00"), total=D("1000.00"),
        due_date=date(2025, 6, 15), paid_amount=D("1000.00"), status=BillStatus.PAID,
        region=low.region,
    )  # fmt: skip
    request = cases.refund_request(
        actor=caseworker, person=low, employer=None, periods=["2025-05"], reason="多缴",
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    instruction = PaymentInstruction.objects.get(source=f"contributions.refund:{request.pk}")
    assert (
        instruction.payee_name, instruction.bank_name, instruction.bank_account,
        instruction.amount,
    ) == ("张低", "中国银行", "6216600000001111", D("1000.00"))  # fmt: skip


def test_an_unpaid_month_is_not_refunded(world):
    employer, low = world["employer"], world["low"]
    regular_line(low, employer, Period(2025, 4), "5000.00", ("800.00", "400.00", "400.00"))
    regular_bill(employer, Period(2025, 4), "800.00", "400.00")
    with pytest.raises(InvalidInput) as caught:
        cases.refund_request(
            actor=world["actor"],
            person=low,
            employer=employer,
            periods=[Period(2025, 4)],
            reason="多缴",
        )
    assert caught.value.code == "not_paid"
    assert (
        str(caught.value) == "Nothing has been paid for 2025-04; an unpaid month is not refunded."
    )
    assert not ApprovalRequest.objects.filter(operation=cases.REFUND).exists()


# --- retirement-age shortfall and one-time top-up ----------------------------------


@pytest.fixture
def near_retirement(world):
    """A man born 1966-03-10, first insured 2005, 24 months contributed, 36 deemed."""
    actor, employer = world["actor"], world["employer"]
    someone = person(
        actor,
        "19660310",
        21,
        "周临退",
        first_insured_date=date(2005, 3, 1),
        deemed_months=36,
        first_work_date=date(1985, 1, 1),
    )
    # 24 months at 5000.00, each bill paid in full
    assessed_months(someone, "2023-01", "2024-12", "5000.00", employer=employer)
    return someone


def test_the_shortfall_of_a_person(near_retirement):
    shortfall = contribution_shortfall(near_retirement, on=date(2026, 9, 1))
    # born 1966-03: m = 12 + 2 = 14 → 14 // 4 + 1 = 4 months → 60 y 4 m → 2026-07-10
    assert (shortfall.retirement.delay_months, shortfall.retirement.day) == (4, date(2026, 7, 10))
    assert shortfall.reached is True
    # retiring in 2026: minimum 180; 24 contributed + 36 deemed = 60; missing 120
    assert (
        shortfall.minimum_months,
        shortfall.contributed_months,
        shortfall.deemed_months,
        shortfall.total_months,
        shortfall.missing_months,
    ) == (180, 24, 36, 60, 120)
    # first insured 2005-03-01 < 2011-07-01, but no extended contribution yet (§7.4.4:
    # a top-up follows 5 years of it): not allowed; its figures are still stated: base
    # = 2026's floor as published on 2026-09-01: 4244; 4244 × 20 % = 848.80 a month;
    # × 120 = 101856.00; account 4244 × 8 % = 339.52 a month
    assert (shortfall.top_up_allowed, shortfall.extended_from) == (False, None)
    assert (
        shortfall.top_up_base,
        shortfall.top_up_rate,
        shortfall.top_up_monthly,
        shortfall.top_up_monthly_credit,
        shortfall.top_up_amount,
    ) == (D("4244.00"), D("0.20"), D("848.80"), D("339.52"), D("101856.00"))
    assert any(ref.startswith("contribution.base_floor@") for ref in shortfall.references)


@pytest.fixture
def extended(world, staff):
    """A man born 1960-03-10 (statutory 60: 2020-03-10, no delay before the 1965
    cohort), first insured 2005, 36 deemed months, nothing contributed by then:
    retiring in 2020 needs 180, missing 144. He extends his contribution (延长缴费)
    from 2020-04 and pays 60 months 2020-04 … 2025-03 at 5000.00."""
    actor, employer = world["actor"], world["employer"]
    someone = person(
        actor, "19600310", 23, "钱延缴", first_insured_date=date(2005, 3, 1),
        deemed_months=36, first_work_date=date(1980, 1, 1),
    )  # fmt: skip
    request = cases.extended_contribution_request(
        actor=staff["caseworker"], person=someone, reason="本人申请延长缴费",
        attachments=[proof()], on=date(2020, 4, 1),
    )  # fmt: skip
    assert (request.payload["start"], request.payload["missing_months"]) == ("2020-04", 144)
    assert not ExtendedContribution.objects.exists()  # nothing before approval
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert str(ExtendedContribution.objects.get(person=someone).start) == "2020-04"
    assessed_months(someone, "2020-04", "2025-03", "5000.00", employer=employer)
    return someone


def test_extended_contribution_is_a_case_and_refused_before_the_age_or_twice(
    extended, near_retirement, staff
):
    with pytest.raises(InvalidInput) as early:
        cases.extended_contribution_request(
            actor=staff["caseworker"], person=near_retirement, reason="r", on=date(2026, 3, 1)
        )
    assert early.value.code == "retirement_age_not_reached"  # statutory 2026-07-10
    with pytest.raises(Conflict) as twice:
        cases.extended_contribution_request(
            actor=staff["caseworker"], person=extended, reason="r", on=date(2026, 9, 1)
        )
    assert twice.value.code == "extension_exists"
    assert ApprovalRequest.objects.filter(operation=cases.EXTENDED_CONTRIBUTION).count() == 1


def test_a_top_up_needs_60_months_of_extended_contribution(extended, near_retirement, staff):
    # no extension on record at all
    with pytest.raises(InvalidInput) as none:
        cases.top_up_request(
            actor=staff["caseworker"], person=near_retirement, reason="r", on=date(2026, 9, 1)
        )
    assert none.value.code == "no_extended_contribution"
    # on 2024-09-01 only 2020-04 … 2024-09 = 54 months of the extension are paid
    with pytest.raises(InvalidInput) as short:
        cases.top_up_request(
            actor=staff["caseworker"], person=extended, reason="r", on=date(2024, 9, 1)
        )
    assert short.value.code == "extension_too_short"
    assert "54" in str(short.value) and "2020-04" in str(short.value)
    assert not ApprovalRequest.objects.filter(operation=cases.TOP_UP).exists()


def test_the_top_up_is_approved_at_city_level_and_fills_the_missing_months(extended, staff):
    caseworker = staff["caseworker"]
    shortfall = contribution_shortfall(extended, on=date(2026, 9, 1))
    # 60 paid + 36 deemed = 96 of 180: missing 84; 60 months extended since 2020-04
    assert (shortfall.missing_months, shortfall.extended_months, shortfall.top_up_allowed) == (
        84, 60, True,
    )  # fmt: skip
    request = cases.top_up_request(
        actor=caseworker,
        person=extended,
        reason="本人申请一次性补缴",
        attachments=[proof()],
        on=date(2026, 9, 1),
    )
    # 84 × 848.80 (4244 × 20 %) = 71299.20 > the city threshold 50000.00 → city reviewer
    assert (request.amount, request.required_level) == (D("71299.20"), "city")
    assert (request.payload["missing_months"], request.payload["base"]) == (84, "4244.00")
    # 84 months back from 2020-02 (the month before the statutory month 2020-03):
    # 2013-03 … 2020-02
    assert (request.payload["periods"][0], request.payload["periods"][-1]) == (
        "2013-03", "2020-02",
    )  # fmt: skip
    assert not ContributionLine.objects.filter(kind=LineKind.TOP_UP).exists()
    with pytest.raises(NotPermitted) as caught:
        approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert caught.value.code == "level_too_low"
    approval_request_approve(actor=staff["city_reviewer"], request_id=request.pk)
    lines = ContributionLine.objects.filter(case=request)
    assert lines.count() == 84
    assert {
        (x.kind, x.employer_id, x.base, x.employer_amount, x.individual_amount, x.account_credit)
        for x in lines
    } == {(LineKind.TOP_UP, None, D("4244.00"), D("0.00"), D("848.80"), D("339.52"))}
    bill = Bill.objects.get(case=request)
    assert (bill.person_id, bill.employer_id, bill.kind, bill.line_count, bill.total) == (
        extended.pk,
        None,
        LineKind.TOP_UP,
        84,
        D("71299.20"),
    )
    # the top-up is billed, not yet paid: it does not count
    after = contribution_shortfall(extended, on=date(2026, 9, 1))
    assert (after.contributed_months, after.missing_months) == (60, 84)
    pay_bill(bill, paid_on=date(2026, 9, 10))
    after = contribution_shortfall(extended, on=date(2026, 9, 1))
    assert (after.contributed_months, after.missing_months) == (144, 0)


def test_no_top_up_for_someone_first_insured_after_2011_07(world):
    actor = world["actor"]
    # a woman worker born 1975-03-05: m = 2 → 2 months → 50 y 2 m → 2025-05-05
    woman = person(
        actor,
        "19750305",
        22,
        "吴女工",
        first_insured_date=date(2015, 6, 1),
        occupation_kind=OccupationKind.WORKER,
    )
    shortfall = contribution_shortfall(woman, on=date(2026, 9, 1))
    assert (shortfall.retirement.day, shortfall.minimum_months, shortfall.missing_months) == (
        date(2025, 5, 5),
        180,
        180,
    )
    assert shortfall.top_up_allowed is False
    with pytest.raises(InvalidInput) as caught:
        cases.top_up_request(actor=actor, person=woman, reason="申请", on=date(2026, 9, 1))
    assert caught.value.code == "top_up_not_allowed"
    assert not ApprovalRequest.objects.filter(operation=cases.TOP_UP).exists()


# --- pages -------------------------------------------------------------------------------


def test_the_back_payment_page_makes_a_request_and_writes_nothing(client, world):
    low, employer = world["low"], world["employer"]
    client.force_login(world["actor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    before = written()
    response = client.post(
        f"/contributions/people/{low.pk}/back-payment/",
        {
            "employer": employer.credit_code,
            "first": "2019-03",
            "last": "2019-06",
            "base": "5000",
            "reason": "补缴",
            "attachment": proof(),
        },
        follow=True,
    )
    html = response.content.decode()
    request = ApprovalRequest.objects.get(operation=cases.BACK_PAYMENT)
    assert response.redirect_chain[-1][0] == f"/approvals/{request.pk}/"
    assert f"Request #{request.pk} is waiting for a reviewer" in html
    assert "2019-03: 5000.00 → 1000.00 + 400.00 (400.00); 2019-04" in html
    assert request.amount == D("5200.00")
    assert written() == before


def test_the_shortfall_page(client, near_retirement, staff):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/contributions/people/{near_retirement.pk}/shortfall/").content.decode()
    assert '<dd id="minimum-months">' in html
    assert '<dd id="contributed-months">24</dd>' in html
    assert '<dd id="deemed-months">36</dd>' in html
    assert '<dd id="statutory-date">2026-07-10</dd>' in html
    # no extended contribution yet: no top-up offered (§7.4.4)
    assert 'id="top-up-request"' not in html
    assert '<dd id="extended-months">0</dd>' in html
    assert "A one-time top-up follows 60 months of extended contribution; 0 are paid." in html
    client.force_login(staff["province_budget"])
    assert client.get(f"/contributions/people/{near_retirement.pk}/shortfall/").status_code == 403


def test_the_shortfall_page_offers_the_top_up_after_the_extension(client, extended, staff):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/contributions/people/{extended.pk}/shortfall/").content.decode()
    assert '<dd id="extended-from">2020-04</dd>' in html
    assert '<dd id="extended-months">60</dd>' in html
    assert 'id="top-up-request"' in html


def test_a_case_page_refuses_an_auditor(client, world, staff):
    client.force_login(staff["auditor"])
    response = client.get(f"/contributions/people/{world['low'].pk}/refund/")
    assert response.status_code == 403


def test_the_shortfall_page_requests_extended_contribution(
    client, near_retirement, extended, staff
):
    # 周临退 passed the statutory date 2026-07-10 with 60 of 180 months and has no
    # extension: the page offers the request; 钱延缴 already has one and is not offered it
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/contributions/people/{near_retirement.pk}/shortfall/"
    assert 'id="extend-request"' in client.get(url).content.decode()
    other = client.get(f"/contributions/people/{extended.pk}/shortfall/").content.decode()
    assert 'id="extend-request"' not in other
    # no reason: refused, nothing requested
    response = client.post(url, {"extend-reason": "", "extend-attachment": proof()})
    assert response.status_code == 200
    assert 'data-field="reason"' in response.content.decode()
    before = ApprovalRequest.objects.filter(operation=cases.EXTENDED_CONTRIBUTION).count()
    assert before == 1  # the fixture's own
    response = client.post(url, {"extend-reason": "本人申请延长缴费", "extend-attachment": proof()})
    assert response.status_code == 302
    request = ApprovalRequest.objects.filter(operation=cases.EXTENDED_CONTRIBUTION).latest("pk")
    assert response["Location"].endswith(f"/{request.pk}/")
    assert request.payload["missing_months"] == 120  # 180 − 24 contributed − 36 deemed
    # the auditor may not request it
    client.force_login(staff["auditor"])
    assert client.post(url, {"extend-reason": "x", "extend-attachment": proof()}).status_code == 403
