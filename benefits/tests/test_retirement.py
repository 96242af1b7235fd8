"""The retirement case and the determination (§9.1, §9.2) end to end on the tiny demo
province (Shanxi profile): a caseworker prepares, a reviewer approves, the stored
determination has the components worked out by hand in the comments; the refusals
with their exact message and nothing written; a provisional determination; the pages.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.choices import AccountStatus
from accounts.models import AccountEntry
from accounts.tests.factories import account_with, make_person
from benefits import tasks
from benefits.choices import DeterminationStatus, PayrollItem, RetirementKind
from benefits.determination import retirement
from benefits.models import PayrollDue, PayrollLine, PayrollPayment, PensionDetermination
from benefits.payroll import runs as payroll
from benefits.tests.factories import enter_test_average_wages
from contributions.models import ContributionLine
from contributions.tests.factories import assessed_months
from enrollment.choices import PersonStatus
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import (
    ApprovalRequest,
    ApprovalStatus,
    ChangeLogEntry,
    PolicyParameter,
    PolicyProfile,
)
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the msgids)."""
    with translation.override("en"):
        yield


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("application.pdf", b"%PDF-1.4 app", content_type="application/pdf")


def lines(person, first: str, last: str, base: str) -> None:
    """Regular lines of a flexible worker, one a month, at ``base``, in released runs,
    each bill paid in full (only paid months count, DESIGN §5.2)."""
    assessed_months(person, first, last, base)


def written() -> tuple[int, int, int, int]:
    return (
        ApprovalRequest.objects.count(),
        PensionDetermination.objects.count(),
        ChangeLogEntry.objects.count(),
        AccountEntry.objects.count(),
    )


@pytest.fixture
def wang(staff):
    """A man born 1965-03-15, first work 1985-07: statutory age 60 + 1 month (born
    1965-03: m = 2 → 2 // 4 + 1 = 1) → 2025-04-15. 180 deemed months; contributions
    2023 (12 × 10272 = 1.5 × W(2022) 6848), 2024 (12 × 8652.50 = 1.25 × W(2023) 6922),
    2025-01..03 (3 × 13994 = 2 × W(2024) 6997); an account of 41520.00 from 2025-01.
    W(2022) and W(2023) are test values (the published ones are not shipped)."""
    enter_test_average_wages()
    person = make_person(
        staff["caseworker"].agency,
        born=date(1965, 3, 15),
        name="王退休",
        first_work_date=date(1985, 7, 1),
        deemed_months=180,
    )
    lines(person, "2023-01", "2023-12", "10272.00")
    lines(person, "2024-01", "2024-12", "8652.50")
    lines(person, "2025-01", "2025-03", "13994.00")
    account_with(person, [("migrated_balance", "2025-01", "41520.00")])
    return person


def request_for(person, actor, **kwargs):
    defaults = {
        "retirement_date": date(2025, 4, 15),
        "kind": RetirementKind.STATUTORY,
        "reason": "本人申请按法定年龄退休",
        "attachments": [proof()],
        "today": date(2025, 4, 20),
    }
    return retirement.retirement_case_request(actor=actor, person=person, **{**defaults, **kwargs})


def test_a_statutory_retirement_is_prepared_approved_and_determined(wang, staff):
    caseworker, reviewer = staff["caseworker"], staff["reviewer"]
    before_entries = AccountEntry.objects.count()
    request = request_for(wang, caseworker)
    # nothing but the request: the person contributes on, the account is open
    wang.refresh_from_db()
    assert wang.status == PersonStatus.CONTRIBUTING
    assert PensionDetermination.objects.count() == 0
    assert AccountEntry.objects.count() == before_entries
    payload = request.payload
    # preview of the balance: 2025 interest to April at the provisional rate 2.62 % (the
    # 2025 rate is not announced), monthly product: 41520.00 from January earns 4 months:
    # 41520 × 0.0262 × 4 ÷ 12 = 362.608 → 362.61; balance 41882.61
    assert (payload["balance_posted"], payload["interest_to_post"], payload["account_balance"]) == (
        "41520.00",
        "362.61",
        "41882.61",
    )
    assert payload["statutory_date"] == "2025-04-15"
    assert (payload["contributed_months"], payload["deemed_months"]) == (27, 180)
    assert payload["provisional"] is False
    assert request.amount == D("3086.36")

    # the maker cannot approve her own case
    with pytest.raises(NotPermitted) as refusal:
        approval_request_approve(actor=caseworker, request_id=request.pk)
    assert str(refusal.value) == "You made this request; a second person must check it."
    assert PensionDetermination.objects.count() == 0

    approval_request_approve(actor=reviewer, request_id=request.pk, reason="材料齐全")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    determination = PensionDetermination.objects.get(person=wang)
    # Z = (1.5 × 12 + 1.25 × 12 + 2 × 3 + 1.0 × 180) ÷ 207 = 219 ÷ 207 = 1.05797101449275362319
    # N = 207 ÷ 12 = 17.25 (17.2500)
    # basic = (7253 + 7253 × 219/207) ÷ 2 × 17.25 × 1 % = 7253 × 71/69 × 0.1725
    #       = 88831.1175 ÷ 69 = 1287.4075 → 1287.41
    # age 60 y 1 m in 2025 (to the month): 139 − (139 − 132) × 1 ÷ 12 = 138.4166… → 138.4
    # account = 41882.61 ÷ 138.4 = 302.6200… → 302.62
    # transitional = 7253 × 219/207 × 15 deemed years × 1.3 % = 103246.455 ÷ 69
    #              = 1496.3254… → 1496.33
    # extra: none in Shanxi; total = 1287.41 + 302.62 + 1496.33 + 0 = 3086.36
    assert (
        determination.basic_pension,
        determination.account_pension,
        determination.transitional_pension,
        determination.extra_pension,
        determination.total,
    ) == (D("1287.41"), D("302.62"), D("1496.33"), D("0.00"), D("3086.36"))
    assert determination.average_index == D("1.05797101449275362319")
    assert determination.transitional_index == D("1.05797101449275362319")
    assert (determination.contribution_years, determination.divisor) == (D("17.2500"), D("138.4"))
    assert (determination.actual_months, determination.deemed_months) == (27, 180)
    assert determination.account_balance == D("41882.61")
    assert (determination.calculation_base, determination.calculation_base_year) == (
        D("7253.00"),
        2025,
    )
    assert determination.provisional is False
    assert determination.kind == RetirementKind.STATUTORY
    assert determination.status == DeterminationStatus.IN_PAYMENT
    assert (determination.case_id, determination.determined_by_id) == (request.pk, reviewer.pk)
    assert determination.retirement_month == Period(2025, 4)
    # every input kept: the yearly records, the wages used (by statistics year), the rules
    assert determination.inputs["year_records"] == [
        {"year": 2023, "months": 12, "bases": "123264.00"},
        {"year": 2024, "months": 12, "bases": "103830.00"},
        {"year": 2025, "months": 3, "bases": "41982.00"},
    ]
    assert [
        (y["year"], y["average_wage"], y["index"]) for y in determination.inputs["contributions"]
    ] == [
        (2023, "6848", "1.50000000000000000000"),
        (2024, "6922", "1.25000000000000000000"),
        (2025, "6997", "2.00000000000000000000"),
    ]
    keys = {reference.split("@")[0] for reference in determination.parameters}
    assert {
        "benefits.calculation_base",
        "benefits.months_divisor",
        "benefits.retirement_age",
        "benefits.minimum_contribution_months",
        "contribution.average_wage",
        "benefits.transitional_coefficient",
    } <= keys
    # the account drew: interest posted to April, the person retired
    account = wang.pension_account
    account.refresh_from_db()
    assert account.status == AccountStatus.DRAWING
    assert AccountEntry.objects.filter(account=account).count() == before_entries + 1
    wang.refresh_from_db()
    assert wang.status == PersonStatus.RETIRED
    assert request.result["determination"] == determination.pk
    # a second case for the same person is refused
    with pytest.raises(Conflict) as again:
        request_for(wang, caseworker)
    assert str(again.value) == "王退休 is Retired; only an insured person can retire."


def test_months_transferred_in_count_in_n_and_z(wang, staff):
    """国办发〔2009〕66号: the months of another province, recorded with the transfer-in
    case (base and that province's index), count in N and Z."""
    from accounts.cases import transfer_in_request

    transfer = transfer_in_request(
        actor=staff["caseworker"], person=wang, other_province="河南省",
        certificate_number="HN-Z-1", account_amount="0", pooled_amount="0",
        reason="跨省转入", history="2022-01 2022-12 6000.00 0.8",
    )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=transfer.pk)
    request = request_for(wang, staff["caseworker"])
    # 27 months here + 12 transferred = 39; deemed 180
    assert (request.payload["contributed_months"], request.payload["deemed_months"]) == (39, 180)
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    determination = PensionDetermination.objects.get(person=wang)
    # Z = (0.8 × 12 + 1.5 × 12 + 1.25 × 12 + 2 × 3 + 1.0 × 180) ÷ 219
    #   = (9.6 + 18 + 15 + 6 + 180) ÷ 219 = 228.6 ÷ 219 = 381 ÷ 365 = 1.04383561643835616438…
    # N = 219 ÷ 12 = 18.25
    # basic = (7253 + 7253 × 381/365) ÷ 2 × 18.25 × 1 % = 7253 × 373/365 × 0.1825
    #       = 7253 × 373 × 0.0005 = 1352.6845 → 1352.68
    # transitional = 7253 × 381/365 × 15 × 1.3 % = 2763393 × 0.195 ÷ 365 = 1476.3332… → 1476.33
    # account: 41882.61 ÷ 138.4 = 302.62 (as without the transfer: it brought 0.00)
    # total = 1352.68 + 302.62 + 1476.33 = 3131.63
    assert determination.average_index == D("1.04383561643835616438")
    assert (determination.contribution_years, determination.actual_months) == (D("18.2500"), 39)
    assert (
        determination.basic_pension,
        determination.account_pension,
        determination.transitional_pension,
        determination.total,
    ) == (D("1352.68"), D("302.62"), D("1476.33"), D("3131.63"))
    assert {
        "year": 2022, "months": 12, "bases": "72000.00", "index_sum": "9.60000000"
    } in request.payload["year_records"]  # fmt: skip


def test_one_current_determination_per_person(wang, staff):
    request = request_for(wang, staff["caseworker"])
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    first = PensionDetermination.objects.get(person=wang)
    copy = PensionDetermination.objects.filter(pk=first.pk).values()[0]
    copy.pop("id")
    copy["case_id"] = None
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        PensionDetermination.objects.create(**copy)
    assert "determination_one_current_per_person" in str(error.value)


def test_the_retirement_closes_the_open_employment(wang, staff):
    from enrollment.models import Employer, Employment

    employer = Employer.objects.order_by("pk").first()
    Employment.objects.create(person=wang, employer=employer, start_period=Period(2023, 1))
    request = request_for(wang, staff["caseworker"])
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    # retiring 2025-04-15: assessed up to April, the pension from May; closed from 2025-05
    assert Employment.objects.get(person=wang).stop_period == Period(2025, 5)


def test_a_second_case_waits_for_the_first(wang, staff):
    first = request_for(wang, staff["caseworker"])
    before = written()
    with pytest.raises(Conflict) as refusal:
        request_for(wang, staff["caseworker"])
    assert str(refusal.value) == (
        f"A retirement case of 王退休 is already waiting for a reviewer (#{first.pk})."
    )
    assert written() == before


@pytest.fixture
def zhou(staff):
    """A man born 1966-03-10: m = 14 → 14 // 4 + 1 = 4 months → statutory 2026-07-10;
    flexible early from max(2026-03 (age 60), 2026-07 − 36) = 2026-03. Contributions 2024
    (12 × 6922 = W(2023)) and 2025 (12 × 6997 = W(2024)), 156 deemed months: 180 in all;
    no account. W(2023) is a test value (the published one is not shipped)."""
    enter_test_average_wages({2023: "6922"})
    person = make_person(
        staff["caseworker"].agency,
        born=date(1966, 3, 10),
        name="周临退",
        first_work_date=date(1986, 9, 1),
        deemed_months=156,
    )
    lines(person, "2024-01", "2024-12", "6922.00")
    lines(person, "2025-01", "2025-12", "6997.00")
    return person


def test_a_determination_is_provisional_when_the_base_of_the_year_is_not_published(zhou, staff):
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    assert request.payload["provisional"] is True
    assert request.payload["provisional_reasons"] == ["benefits.calculation_base 2026"]
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    determination = PensionDetermination.objects.get(person=zhou)
    # no 2026 base: the latest published, 2025's 7253, provisionally
    # Z = (1 × 12 + 1 × 12 + 1 × 156) ÷ 180 = 1; N = 15
    # basic = (7253 + 7253 × 1) ÷ 2 × 15 × 1 % = 1087.95
    # transitional = 7253 × 1 × 13 × 1.3 % = 1225.757 → 1225.76
    # age 60 y 4 m: 139 − 7 × 4 ÷ 12 = 136.6666… → 136.7; no account: balance 0 → 0.00
    # total = 1087.95 + 0.00 + 1225.76 = 2313.71
    assert (determination.provisional, determination.calculation_base_year) == (True, 2025)
    assert (
        determination.basic_pension,
        determination.account_pension,
        determination.transitional_pension,
        determination.total,
    ) == (D("1087.95"), D("0.00"), D("1225.76"), D("2313.71"))
    assert determination.divisor == D("136.7")
    zhou.refresh_from_db()
    assert zhou.status == PersonStatus.RETIRED


def test_a_provisional_determination_is_recalculated_when_the_base_is_entered(zhou, staff):
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    old = PensionDetermination.objects.get(person=zhou)
    assert (old.provisional, old.total) == (True, D("2313.71"))  # on 2025's 7253
    actor = staff["admin"]
    # the 2026 base is not entered yet: nothing to do
    recalculate = retirement.provisional_determinations_recalculate
    assert recalculate(actor=actor, year=2026, today=date(2026, 8, 1)) == []
    assert PensionDetermination.objects.filter(person=zhou).count() == 1

    PolicyParameter.objects.create(
        key="benefits.calculation_base", profile=PolicyProfile.objects.get(code="shanxi"),
        effective_from=date(2026, 1, 1), value="7400", reference_year=2025,
        published_on=date(2026, 9, 1), source="test",
    )  # fmt: skip
    # approved payrolls paid 2026-08 and 2026-09 on the provisional figures (the pension
    # is paid from the month after the retirement month)
    PensionDetermination.objects.filter(pk=old.pk).update(paid_through=Period(2026, 9))
    logged = ChangeLogEntry.objects.count()
    written = recalculate(actor=actor, year=2026, today=date(2026, 9, 10))
    assert len(written) == 1
    new = PensionDetermination.objects.get(person=zhou, superseded_by__isnull=True)
    assert new.pk == written[0].pk
    # the stored inputs again (Z = 1, N = 15, 13 deemed years, divisor 136.7, no account),
    # on the 2026 base 7400:
    # basic = (7400 + 7400 × 1) ÷ 2 × 15 × 1 % = 7400 × 0.15 = 1110.00
    # transitional = 7400 × 1 × 13 × 1.3 % = 7400 × 0.169 = 1250.60
    # total = 1110.00 + 0.00 + 1250.60 + 0.00 = 2360.60
    assert (
        new.basic_pension,
        new.account_pension,
        new.transitional_pension,
        new.extra_pension,
        new.total,
    ) == (D("1110.00"), D("0.00"), D("1250.60"), D("0.00"), D("2360.60"))
    assert (new.calculation_base, new.calculation_base_year, new.provisional) == (
        D("7400.00"),
        2026,
        False,
    )
    assert (new.average_index, new.contribution_years, new.divisor) == (
        D("1.00000000000000000000"),
        D("15.0000"),
        D("136.7"),
    )
    assert (new.case_id, new.status, new.retirement_month) == (
        None,
        DeterminationStatus.IN_PAYMENT,
        Period(2026, 7),
    )
    # difference 2360.60 − 2313.71 = 46.89 a month; paid 2026-08 and -09 = 2 months;
    # 46.89 × 2 = 93.78 to pay in the next payroll
    assert (
        new.settlement["monthly_difference"],
        new.settlement["months"],
        new.settlement["amount"],
        new.settlement["replaces"],
    ) == ("46.89", 2, "93.78", old.pk)
    assert new.paid_through == Period(2026, 9)  # carried over
    due = PayrollDue.objects.get(source=f"recalculation:{new.pk}")
    assert (due.item, due.amount, due.months, due.determination_id) == (
        PayrollItem.SETTLEMENT,
        D("93.78"),
        2,
        new.pk,
    )
    # the parameter references kept, the base's replaced by the 2026 one
    base_refs = [r for r in new.parameters if r.startswith("benefits.calculation_base@")]
    assert len(base_refs) == 1 and base_refs[0] not in old.parameters
    assert [r for r in new.parameters if not r.startswith("benefits.calculation_base@")] == [
        r for r in old.parameters if not r.startswith("benefits.calculation_base@")
    ]
    old.refresh_from_db()
    assert (old.status, old.superseded_by_id) == (DeterminationStatus.SUPERSEDED, new.pk)
    assert ChangeLogEntry.objects.count() == logged + 2

    # a second run changes nothing
    before = written_now()
    assert recalculate(actor=actor, year=2026, today=date(2026, 10, 10)) == []
    assert written_now() == before

    # the next payroll pays the new total and the settlement, once (多退少补)
    run = payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-10", region=zhou.region_id
    )
    run = payroll.payroll_run_execute(run.pk)
    paid = dict(PayrollLine.objects.filter(run=run, person=zhou).values_list("item", "amount"))
    assert paid == {PayrollItem.PENSION: D("2360.60"), PayrollItem.SETTLEMENT: D("93.78")}
    assert PayrollPayment.objects.get(run=run, person=zhou).amount == D("2454.38")


def written_now() -> tuple:
    return (
        tuple(PensionDetermination.objects.order_by("pk").values_list("pk", "status", "total")),
        ChangeLogEntry.objects.count(),
    )


def test_the_recalculation_task_calls_the_service(zhou, staff):
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    PolicyParameter.objects.create(
        key="benefits.calculation_base", profile=PolicyProfile.objects.get(code="shanxi"),
        effective_from=date(2026, 1, 1), value="7400", reference_year=2025, source="test",
    )  # fmt: skip
    ids = tasks.provisional_determinations_recalculate.apply(args=(2026,)).get()
    new = PensionDetermination.objects.get(person=zhou, superseded_by__isnull=True)
    assert ids == [new.pk]
    assert (new.total, new.provisional) == (D("2360.60"), False)
    assert tasks.provisional_determinations_recalculate.apply(args=(2026,)).get() == []


def assert_refused(error, message: str, code: str, before, person) -> None:
    assert (str(error.value), error.value.code) == (message, code)
    assert written() == before
    person.refresh_from_db()
    assert person.status == PersonStatus.CONTRIBUTING


def test_a_retirement_before_the_earliest_month_is_refused(zhou, staff):
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(
            zhou,
            staff["caseworker"],
            retirement_date=date(2025, 12, 1),
            kind=RetirementKind.FLEXIBLE_EARLY,
            public_notice_date=date(2025, 11, 1),
            today=date(2025, 11, 20),
        )
    assert_refused(
        error,
        "周临退 reaches the statutory retirement age on 2026-07-10; the earliest retirement "
        "month is 2026-03.",
        "age_not_reached",
        before,
        zhou,
    )


def test_an_early_retirement_needs_the_public_notice(zhou, staff):
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(
            zhou,
            staff["caseworker"],
            retirement_date=date(2026, 5, 1),
            kind=RetirementKind.FLEXIBLE_EARLY,
            today=date(2026, 4, 20),
        )
    assert_refused(
        error,
        "A flexible early retirement needs the public-notice step: give the date the notice "
        "was posted.",
        "public_notice_required",
        before,
        zhou,
    )


def test_an_early_month_is_not_a_statutory_retirement(zhou, staff):
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(
            zhou, staff["caseworker"], retirement_date=date(2026, 5, 1), today=date(2026, 4, 20)
        )
    assert_refused(
        error,
        "A retirement in 2026-05 is a Flexible early retirement for 周临退 (statutory month "
        "2026-07), not a At the statutory age.",
        "wrong_kind",
        before,
        zhou,
    )


def test_an_early_retirement_with_notice_is_prepared(zhou, staff):
    request = request_for(
        zhou,
        staff["caseworker"],
        retirement_date=date(2026, 5, 1),
        kind=RetirementKind.FLEXIBLE_EARLY,
        public_notice_date=date(2026, 4, 10),
        today=date(2026, 4, 20),
    )
    assert (request.payload["kind"], request.payload["public_notice_date"]) == (
        "flexible_early",
        "2026-04-10",
    )
    # 60 y 2 m: 139 − 7 × 2 ÷ 12 = 137.8333… → 137.8
    assert request.payload["divisor"] == "137.8"


def test_the_minimum_months_must_be_met(staff):
    person = make_person(
        staff["caseworker"].agency,
        born=date(1965, 3, 15),
        name="李不足",
        first_work_date=date(1990, 1, 1),
        deemed_months=152,
    )
    lines(person, "2023-01", "2025-03", "6997.00")  # 27 months; 27 + 152 = 179 < 180
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(person, staff["caseworker"])
    assert_refused(
        error,
        "李不足 has 179 contribution months (27 contributed and 152 deemed); retiring in 2025 "
        "needs at least 180.",
        "minimum_months_not_met",
        before,
        person,
    )


def test_months_assessed_but_not_paid_do_not_meet_the_minimum(staff):
    """156 paid months of 180 assessed fail the 180-month minimum (DESIGN §5.2)."""
    person = make_person(
        staff["caseworker"].agency,
        born=date(1965, 3, 15),
        name="钱欠缴",
        first_work_date=date(2010, 4, 1),
        deemed_months=0,
    )
    # assessed 2010-04 … 2025-03: 9 + 14 × 12 + 3 = 180 months; 2012-01 … 2013-12
    # (24 months) never paid: 180 − 24 = 156 paid
    lines(person, "2010-04", "2011-12", "4000.00")  # 21 paid
    assessed_months(person, "2012-01", "2013-12", "4000.00", paid=False)  # 24 unpaid
    lines(person, "2014-01", "2025-03", "4000.00")  # 11 × 12 + 3 = 135 paid
    assert ContributionLine.objects.filter(person=person).count() == 180
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(person, staff["caseworker"])
    assert_refused(
        error,
        "钱欠缴 has 156 contribution months (156 contributed and 0 deemed); retiring in 2025 "
        "needs at least 180.",
        "minimum_months_not_met",
        before,
        person,
    )


def test_the_first_work_date_must_be_recorded(staff):
    person = make_person(staff["caseworker"].agency, born=date(1965, 3, 15), name="赵无档")
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(person, staff["caseworker"])
    assert_refused(
        error,
        "The first work date of 赵无档 is not recorded; correct the key data first.",
        "first_work_date_missing",
        before,
        person,
    )


def test_a_birth_date_against_the_id_number_is_refused(wang, staff):
    type(wang).objects.filter(pk=wang.pk).update(birth_date=date(1965, 3, 16))
    wang.refresh_from_db()
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(wang, staff["caseworker"])
    assert_refused(
        error,
        "The birth date 1965-03-16 of 王退休 does not match the citizen ID number "
        "(1965-03-15); correct the key data first.",
        "birth_date_mismatch",
        before,
        wang,
    )


def test_contributions_changed_before_approval_refuse_the_approval(wang, staff):
    request = request_for(wang, staff["caseworker"])
    lines(wang, "2025-04", "2025-04", "13994.00")
    with pytest.raises(Conflict) as error:
        approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert str(error.value) == (
        "The contributions of 王退休 changed since the case was made; make a new request."
    )
    assert PensionDetermination.objects.count() == 0
    wang.refresh_from_db()
    assert wang.status == PersonStatus.CONTRIBUTING


# --- pages -------------------------------------------------------------------------


def test_the_retirement_page_makes_a_request_and_writes_nothing(client, wang, staff):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/benefits/people/{wang.pk}/retirement/").content.decode()
    assert '<dd id="birth-date">1965-03-15</dd>' in page
    assert '<dd id="first-work-date">1985-07-01</dd>' in page
    assert '<dd id="deemed-months">180</dd>' in page
    before = PensionDetermination.objects.count(), AccountEntry.objects.count()
    response = client.post(
        f"/benefits/people/{wang.pk}/retirement/",
        {
            "retirement_date": "2025-04-15",
            "kind": "statutory",
            "reason": "按法定年龄退休",
            "attachment": proof(),
        },
        follow=True,
    )
    request = ApprovalRequest.objects.get(operation=retirement.RETIREMENT)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/approvals/{request.pk}/"
    assert f"Request #{request.pk} is waiting for a reviewer" in html
    assert "Basic pension = (7253 + 7253 × 1.05797101) ÷ 2 × 17.2500 × 1 % = 1287.41." in html
    assert (PensionDetermination.objects.count(), AccountEntry.objects.count()) == before


def test_the_retirement_page_shows_a_refusal(client, zhou, staff):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        f"/benefits/people/{zhou.pk}/retirement/",
        {
            "retirement_date": "2026-05-01",
            "kind": "flexible_early",
            "reason": "提前退休",
            "attachment": proof(),
        },
    )
    assert response.status_code == 200
    assert "A flexible early retirement needs the public-notice step" in response.content.decode()
    assert not ApprovalRequest.objects.filter(operation=retirement.RETIREMENT).exists()


def test_the_retirement_page_refuses_an_auditor_and_a_budget_officer(client, wang, staff):
    client.force_login(staff["auditor"])
    assert client.get(f"/benefits/people/{wang.pk}/retirement/").status_code == 403
    client.force_login(staff["province_budget"])
    assert client.get(f"/benefits/people/{wang.pk}/retirement/").status_code == 403
    client.logout()
    response = client.get(f"/benefits/people/{wang.pk}/retirement/")
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.fixture
def determined(wang, staff):
    request = request_for(wang, staff["caseworker"])
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    return PensionDetermination.objects.get(person=wang)


def test_the_determination_page_shows_the_calculation_in_chinese(client, determined, staff):
    client.force_login(staff["reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(f"/benefits/determinations/{determined.pk}/").content.decode()
    assert '<td class="num" id="total">3,086.36</td>' in html
    assert '<dd id="average-index">1.05797101449275362319</dd>' in html
    assert '<dd id="divisor">138.4</dd>' in html
    assert "基础养老金 = (7253 + 7253 × 1.05797101) ÷ 2 × 17.2500 × 1% = 1287.41。" in html
    assert "个人账户养老金 = 账户储存额 41882.61 ÷ 138.4 = 302.62。" in html
    assert "benefits.calculation_base@" in html
    assert 'id="provisional"' not in html


def test_the_determination_sheet_prints_as_pdf_with_the_hand_worked_figures(
    client, determined, staff
):
    from pension.tests.pdfs import foreign_caseworker, pdf_text

    client.force_login(staff["reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/benefits/determinations/{determined.pk}/").content.decode()
    url = f"/benefits/determinations/{determined.pk}/pdf"
    assert f'href="{url}"' in page
    before = ChangeLogEntry.objects.filter(action="export").count()
    text = pdf_text(client.get(url))
    assert "基本养老金核定表" in text
    assert "王退休" in text and determined.person.id_number in text
    # the figures of the statutory-retirement test, worked out there by hand
    assert "基础养老金 1,287.41" in text
    assert "个人账户养老金 302.62" in text
    assert "过渡性养老金 1,496.33" in text
    assert "基本养老金 3,086.36" in text  # the total
    assert "个人账户养老金 = 账户储存额 41882.61 ÷ 138.4 = 302.62。" in text
    assert "41,882.61" in text  # the balance at retirement
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 1
    # read province-wide (异地通办), never by another province nor a budget officer
    client.force_login(staff["other_caseworker"])
    assert "王退休" in pdf_text(client.get(url))
    client.force_login(foreign_caseworker())
    assert client.get(url).status_code == 403
    client.force_login(staff["province_budget"])
    assert client.get(url).status_code == 403
    assert ChangeLogEntry.objects.filter(action="export").count() == before + 2


def test_the_determination_page_is_read_province_wide_but_not_by_a_budget_officer(
    client, determined, staff
):
    client.force_login(staff["other_caseworker"])  # a county of 大同市
    assert client.get(f"/benefits/determinations/{determined.pk}/").status_code == 200
    client.force_login(staff["province_budget"])
    assert client.get(f"/benefits/determinations/{determined.pk}/").status_code == 403
    client.force_login(staff["reviewer"])
    assert client.get("/benefits/determinations/999999/").status_code == 404


def test_the_person_page_shows_the_current_determination(client, determined, staff):
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/enrollment/people/{determined.person_id}/").content.decode()
    assert '<dd id="benefit-total">3,086.36</dd>' in html
    assert f'href="/benefits/determinations/{determined.pk}/"' in html


def test_the_person_page_offers_the_retirement_case(client, zhou, staff):
    client.force_login(staff["caseworker"])
    html = client.get(f"/enrollment/people/{zhou.pk}/").content.decode()
    assert f'href="/benefits/people/{zhou.pk}/retirement/"' in html


def test_a_provisional_determination_page_has_the_badge(client, zhou, staff):
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    determination = PensionDetermination.objects.get(person=zhou)
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/benefits/determinations/{determination.pk}/").content.decode()
    assert 'id="provisional"' in html
    assert "The calculation base of 2026 was not yet published" in html


def test_the_person_section_does_not_offer_retirement_to_an_auditor(client, zhou, staff):
    client.force_login(staff["auditor"])
    html = client.get(f"/enrollment/people/{zhou.pk}/").content.decode()
    assert "/retirement/" not in html


def test_a_late_retirement_is_prepared_and_a_too_late_one_refused(zhou, staff):
    request = request_for(
        zhou,
        staff["caseworker"],
        retirement_date=date(2026, 10, 1),
        kind=RetirementKind.FLEXIBLE_LATE,
        today=date(2026, 10, 5),
    )
    # 60 y 7 m: 139 − 7 × 7 ÷ 12 = 134.9166… → 134.9; the 2026 base is not published
    assert (request.payload["kind"], request.payload["divisor"]) == ("flexible_late", "134.9")
    assert request.payload["provisional"] is True
    request.delete()
    before = written()
    with pytest.raises(InvalidInput) as error:
        # the latest month: 2026-07 + 36 = 2029-07
        request_for(
            zhou,
            staff["caseworker"],
            retirement_date=date(2029, 8, 1),
            kind=RetirementKind.FLEXIBLE_LATE,
            today=date(2029, 8, 1),
        )
    assert_refused(
        error,
        "周临退 reached the statutory retirement age on 2026-07-10; the latest retirement "
        "month is 2029-07.",
        "too_late",
        before,
        zhou,
    )


def test_a_case_prepared_elsewhere_is_approved_only_by_the_owning_region(wang, staff):
    # any hall of the province may prepare (异地通办); the owner's reviewer approves
    request = request_for(wang, staff["other_caseworker"])
    with pytest.raises(NotPermitted) as refusal:
        approval_request_approve(actor=staff["other_reviewer"], request_id=request.pk)
    assert str(refusal.value) == "This request belongs to an agency outside your region."
    assert PensionDetermination.objects.count() == 0
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert PensionDetermination.objects.get(person=wang).total == D("3086.36")


def test_the_determination_page_queries(client, determined, staff, django_assert_max_num_queries):
    client.force_login(staff["reviewer"])
    # session, user, second factor, the determination with its joins, the parameter
    # rows in one query, and the page's shared parts: nothing per line or per year
    with django_assert_max_num_queries(7):
        response = client.get(f"/benefits/determinations/{determined.pk}/")
    assert response.status_code == 200


@pytest.fixture
def changchun(demo_tiny):
    """An agency of 南关区 (长春市, Jilin profile) with a caseworker and a reviewer."""
    from pension.models import Agency, StaffUser

    agency = Agency.objects.create(code="22010200", name="南关区社会保险中心", region_id="220102")
    users = {
        role: StaffUser.objects.create_user(
            username=f"nanguan_{role}", password="x", agency=agency, roles=[role]
        )
        for role in ("caseworker", "reviewer")
    }
    return agency, users


def test_a_jilin_determination_in_changchun_uses_both_bases(changchun):
    agency, users = changchun
    person = make_person(
        agency,
        born=date(1965, 5, 20),
        name="长春甲",
        first_work_date=date(1985, 9, 1),
        deemed_months=294,
    )
    # 2025-01..06 at 10983 = 1.5 × W(2024) 7322 (Jilin's); born 1965-05: m = 4 →
    # 4 // 4 + 1 = 2 months → statutory 2025-07-20
    lines(person, "2025-01", "2025-06", "10983.00")
    request = request_for(
        person,
        users["caseworker"],
        retirement_date=date(2025, 7, 20),
        transitional_index=D("1.2"),
        today=date(2025, 7, 25),
    )
    approval_request_approve(actor=users["reviewer"], request_id=request.pk)
    determination = PensionDetermination.objects.get(person=person)
    # Z = (1.5 × 6 + 1.0 × 294) ÷ 300 = 303 ÷ 300 = 1.01; N = 300 ÷ 12 = 25.00 (2 decimals)
    # C_local (长春) 7978.25, C_province 7322.08:
    # basic = (7978.25 + 7322.08 × 1.01) ÷ 2 × 25.00 × 1 % = 15373.5508 ÷ 2 × 0.25
    #       = 1921.69385 → 1921.69
    # transitional, on the provincial base with the index of the records, actual years
    # 0.5 ≤ 20 → 1.2 %: 7322.08 × 1.2 × 24.50 × 1.2 % = 2583.229824 → 2583.23
    # extra: actual years 0.50 do not exceed 20 → 0.00; no account → 0.00
    # total = 1921.69 + 0.00 + 2583.23 + 0.00 = 4504.92
    assert (
        determination.basic_pension,
        determination.account_pension,
        determination.transitional_pension,
        determination.extra_pension,
        determination.total,
    ) == (D("1921.69"), D("0.00"), D("2583.23"), D("0.00"), D("4504.92"))
    assert (determination.calculation_base, determination.local_calculation_base) == (
        D("7322.08"),
        D("7978.25"),
    )
    assert (determination.contribution_years, determination.average_index) == (
        D("25.0000"),
        D("1.01000000000000000000"),
    )
    assert determination.transitional_index == D("1.20000000000000000000")
    assert determination.provisional is False
    assert any(r.startswith("benefits.calculation_base@") for r in determination.parameters)
    assert len([r for r in determination.parameters if "calculation_base" in r]) == 2


def test_a_changchun_determination_is_recalculated_on_both_bases(changchun):
    agency, users = changchun
    person = make_person(
        agency,
        born=date(1966, 3, 10),
        name="长春乙",
        first_work_date=date(1986, 9, 1),
        deemed_months=294,
    )
    # born 1966-03: m = 14 → 14 // 4 + 1 = 4 months → statutory 2026-07-10; 2025-01..06 at
    # 10983 = 1.5 × W(2024) 7322; no 2026 bases yet: 2025's, provisionally
    lines(person, "2025-01", "2025-06", "10983.00")
    request = request_for(
        person,
        users["caseworker"],
        retirement_date=date(2026, 7, 10),
        transitional_index=D("1.2"),
        today=date(2026, 7, 20),
    )
    approval_request_approve(actor=users["reviewer"], request_id=request.pk)
    first = PensionDetermination.objects.get(person=person)
    # as in the 2025 Changchun case: 1921.69 + 2583.23 = 4504.92
    assert (first.provisional, first.total) == (True, D("4504.92"))
    jilin = PolicyProfile.objects.get(code="jilin")
    recalculate = retirement.provisional_determinations_recalculate

    # the provincial 2026 base (7500, a test value) comes first: Changchun's is still 2025's
    PolicyParameter.objects.create(
        key="benefits.calculation_base", profile=jilin, effective_from=date(2026, 1, 1),
        value="7500", reference_year=2025, source="test",
    )  # fmt: skip
    PensionDetermination.objects.filter(pk=first.pk).update(paid_through=Period(2026, 9))
    [second] = recalculate(actor=None, year=2026, region="220000", today=date(2026, 9, 10))
    # Z = 1.01, N = 25.00, deemed 24.50, index of the records 1.2, coefficient 1.2 %:
    # basic = (7978.25 + 7500 × 1.01) ÷ 2 × 25.00 × 1 % = 15553.25 ÷ 8 = 1944.15625 → 1944.16
    # transitional = 7500 × 1.2 × 24.50 × 1.2 % = 2646.00; total 4590.16
    # difference 4590.16 − 4504.92 = 85.24 × 2 months paid (2026-08..09) = 170.48
    assert (second.basic_pension, second.transitional_pension, second.total) == (
        D("1944.16"),
        D("2646.00"),
        D("4590.16"),
    )
    assert (second.calculation_base, second.local_calculation_base, second.provisional) == (
        D("7500.00"),
        D("7978.25"),
        True,
    )
    assert second.inputs["provisional_reasons"] == ["benefits.calculation_base 220100 2026"]
    assert (
        second.settlement["monthly_difference"],
        second.settlement["months"],
        second.settlement["amount"],
    ) == ("85.24", 2, "170.48")
    assert recalculate(actor=None, year=2026, today=date(2026, 9, 20)) == []

    # then Changchun's (8100, a test value)
    PolicyParameter.objects.create(
        key="benefits.calculation_base", profile=jilin, region_id="220100",
        effective_from=date(2026, 1, 1), value="8100", reference_year=2025, source="test",
    )  # fmt: skip
    PensionDetermination.objects.filter(pk=second.pk).update(paid_through=Period(2026, 10))
    [third] = recalculate(actor=None, year=2026, today=date(2026, 10, 10))
    # basic = (8100 + 7575) ÷ 8 = 1959.375 → 1959.38; transitional 2646.00; total 4605.38
    # difference 4605.38 − 4590.16 = 15.22 × 3 months paid (2026-08..10) = 45.66
    assert (third.basic_pension, third.total, third.provisional) == (
        D("1959.38"),
        D("4605.38"),
        False,
    )
    assert (third.settlement["monthly_difference"], third.settlement["amount"]) == (
        "15.22",
        "45.66",
    )
    assert len([r for r in third.parameters if "calculation_base" in r]) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.superseded_by_id, second.superseded_by_id) == (second.pk, third.pk)
    assert recalculate(actor=None, year=2026, today=date(2026, 11, 10)) == []


def test_a_recalculation_outside_the_actors_region_is_refused(changchun, staff):
    with pytest.raises(NotPermitted) as refused:
        retirement.provisional_determinations_recalculate(
            actor=staff["caseworker"], year=2026, region="220102"
        )
    assert (str(refused.value), refused.value.code) == (
        "You cannot recalculate determinations for this region.",
        "outside_region",
    )


def test_a_year_without_a_published_average_wage_is_refused_by_name(staff):
    # 2024's index needs W(2023), which is not shipped (no published figure found,
    # docs/calculations.md) and not entered here: the case is refused naming it
    person = make_person(
        staff["caseworker"].agency,
        born=date(1965, 3, 15),
        name="陈缺参",
        first_work_date=date(1985, 7, 1),
        deemed_months=168,
    )
    lines(person, "2024-01", "2024-12", "6997.00")  # 12 + 168 = 180
    before = written()
    with pytest.raises(InvalidInput) as error:
        request_for(person, staff["caseworker"])
    assert_refused(
        error,
        "No average wage of 2023 is on record for the contribution index of 2024.",
        "average_wage_missing",
        before,
        person,
    )


def test_the_reviewers_page_shows_the_case_like_the_determination_page(client, wang, staff):
    """Issue 15: the reviewer reads the retirement case in sections (the retirement,
    the pension by component, the calculation line by line, the contributions year by
    year), amounts thousands-separated; no key/value dump of the request's payload."""
    request = request_for(wang, staff["caseworker"])
    client.force_login(staff["reviewer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(f"/approvals/{request.pk}/").content.decode()
    titles = re.findall(r'<section class="card case-section"[^>]*>\s*<h2>([^<]+)</h2>', html)
    assert titles[:5] == ["退休", "基本养老金", "计算过程", "计算依据", "逐年缴费"]
    # the components, the total as on the determination page: 3086.36
    assert "<dd>3,086.36</dd>" in html
    # the calculation, one line each, in Chinese
    calculation = re.search(r'<ol class="calculation">(.*?)</ol>', html, re.S).group(1)
    lines = re.findall(r"<li>(.*?)</li>", calculation)
    assert "基础养老金 = (7253 + 7253 × 1.05797101) ÷ 2 × 17.2500 × 1% = 1287.41。" in lines
    assert "个人账户养老金 = 账户储存额 41882.61 ÷ 138.4 = 302.62。" in lines
    # the balance at retirement (41520.00 posted + 362.61 interest), separated
    assert "<dd>41,882.61</dd>" in html
    # no field of the request under its code name, no "before" column for a new case
    for code in ("year_records", "basic_pension", "explanation", "divisor_table"):
        assert code not in html, code
    assert 'id="changes"' not in html


def test_the_average_wage_published_after_the_retirement_corrects_the_determination(staff):
    """Issue 12: a retirement in 2026-07 with contributions in 2026 needs W(2025) for the
    2026 index; on 2026-07-20 the 2026 wage 7073 is not yet published (published
    2026-08-01), so 2025's 6997 stands in (provisional). Once 7073 is published the
    determination is recalculated and the difference settled, as for the base."""
    enter_test_average_wages({2023: "6922"})
    person = make_person(
        staff["caseworker"].agency, born=date(1966, 3, 10), name="孙临退",
        first_work_date=date(1986, 9, 1), deemed_months=150,
    )  # fmt: skip
    lines(person, "2024-01", "2024-12", "6922.00")  # index 6922 ÷ W(2023) 6922 = 1
    lines(person, "2025-01", "2025-12", "6997.00")  # index 6997 ÷ W(2024) 6997 = 1
    lines(person, "2026-01", "2026-06", "7073.00")  # index 7073 ÷ W(2025)
    request = request_for(
        person, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    assert request.payload["provisional_reasons"] == [
        "benefits.calculation_base 2026",
        "contribution.average_wage 2025",
    ]
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    old = PensionDetermination.objects.get(person=person)
    # W(2025) taken as 6997: 2026 index 7073 ÷ 6997 = 1 + 76/6997;
    # Z = (12 + 12 + 6 × 7073/6997 + 150) ÷ 180 = 1 + 456/1 259 460 = 1.00036206…; N = 15
    # basic = 7253 × (1 + Z) ÷ 2 × 15 % = 1087.95 × 1.00018103… = 1088.146951… → 1088.15
    # transitional = 7253 × Z × 12.5 × 1.3 % = 1178.6125 × Z = 1179.039228… → 1179.04
    # no account; total 1088.15 + 1179.04 = 2267.19
    assert (old.basic_pension, old.transitional_pension, old.total) == (
        D("1088.15"), D("1179.04"), D("2267.19"),
    )  # fmt: skip
    PensionDetermination.objects.filter(pk=old.pk).update(paid_through=Period(2026, 9))
    recalculate = retirement.provisional_determinations_recalculate

    [new] = recalculate(actor=staff["admin"], year=2026, today=date(2026, 9, 10))

    # W(2025) = 7073 published: 2026 index 1, Z = 1
    # basic = 7253 × 15 % = 1087.95; transitional = 1178.6125 → 1178.61; total 2266.56;
    # 2266.56 − 2267.19 = −0.63 a month × 2 months paid (2026-08, -09) = −1.26 recovered
    assert (new.average_index, new.basic_pension, new.transitional_pension, new.total) == (
        D("1.00000000000000000000"), D("1087.95"), D("1178.61"), D("2266.56"),
    )  # fmt: skip
    wages = {c["year"]: c["average_wage"] for c in new.inputs["contributions"]}
    assert (str(wages[2026]), str(wages[2025])) == ("7073", "6997")
    # still provisional on the base (2026's not entered), no longer on the wage
    assert new.provisional and new.inputs["provisional_reasons"] == [
        "benefits.calculation_base 2026"
    ]
    due = PayrollDue.objects.get(source=f"recalculation:{new.pk}")
    assert (due.item, due.amount, due.months) == (PayrollItem.SETTLEMENT, D("-1.26"), 2)
    assert any(r.startswith("contribution.average_wage@") for r in new.parameters[-1:])
    # nothing more to do until the base is entered
    assert recalculate(actor=staff["admin"], year=2026, today=date(2026, 10, 10)) == []
