"""The risk rules (风险规则, DESIGN §5.7): each finds its planted case and nothing else on
the tiny demo province (no history), and the scan is idempotent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import make_person, paid_line
from audit import risk
from audit.choices import AlertStatus, RiskRule, ScanStatus
from audit.models import Alert, RiskScanRun, StaffIdentity
from benefits.models import LifeCertification, PayrollDue, PayrollLine, PayrollRun
from benefits.tests.factories import retiree
from contributions.models import Bill, ContributionBase
from enrollment.models import Employer, Employment
from pension.models import ApprovalRequest
from pension.periods import Period

pytestmark = pytest.mark.django_db

SCAN_DATE = date(2026, 12, 5)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def scan(rule: str) -> list[Alert]:
    run = risk.risk_scan(actor=None, scan_date=SCAN_DATE, rules=[rule])
    assert run.status == ScanStatus.POSTED
    return list(Alert.objects.filter(scan=run).order_by("id"))


def _paid(determination, period: str, *, kind: str = "regular", amount: str | None = None):
    p = Period.parse(period)
    run, _ = PayrollRun.objects.get_or_create(
        period=p, region_id=determination.region_id[:2] + "0000", kind=kind,
        defaults={"status": "approved"},
    )  # fmt: skip
    return PayrollLine.objects.create(
        run=run, posted=True, period=p, run_kind=kind, person=determination.person,
        determination=determination, region_id=determination.region_id, item="pension",
        amount=D(amount or determination.total),
    )  # fmt: skip


def _approved(staff, person, *, operation: str, checker, decided: datetime, **extra):
    return ApprovalRequest.objects.create(
        operation=operation, object_type="enrollment.insuredperson", object_id=str(person.pk),
        object_repr=person.name, summary=f"案件 {person.name}", payload={"person_id": person.pk},
        agency=staff["caseworker"].agency, status="approved", maker=staff["caseworker"],
        checker=checker, decided_at=decided, **extra,
    )  # fmt: skip


def test_the_tiny_province_raises_nothing(staff):
    run = risk.risk_scan(actor=None, scan_date=SCAN_DATE)
    assert run.status == ScanStatus.POSTED
    assert run.total_count == len(risk.RULES) == 11
    assert run.alert_count == 0
    assert not Alert.objects.exists()


def test_paid_after_death(staff):
    agency = staff["caseworker"].agency
    dead = retiree(agency, retired="2025-01", name="张亡")  # total 3200.00
    dead.inputs = {"death": {"date": "2026-08-15"}}
    dead.save()
    alive = retiree(agency, retired="2025-01")
    for period in ("202608", "202609", "202610"):
        _paid(dead, period)
        _paid(alive, period)
    [alert] = scan(RiskRule.PAID_AFTER_DEATH)
    assert alert.person_id == dead.person_id
    assert alert.subject_key == f"person:{dead.person_id}:202610"
    assert alert.amount == D("6400.00")  # September and October, 2 × 3200.00
    assert alert.details["months"] == [202609, 202610]
    assert alert.region_id == dead.region_id and alert.status == AlertStatus.OPEN


def test_two_pensions(staff):
    agency = staff["caseworker"].agency
    twice = retiree(agency, retired="2025-01")
    once = retiree(agency, retired="2025-01")
    _paid(twice, "202610")
    _paid(twice, "202610", kind="supplementary")
    _paid(once, "202610")
    _paid(once, "202611")
    [alert] = scan(RiskRule.TWO_PENSIONS)
    assert alert.person_id == twice.person_id
    assert alert.amount == D("6400.00")
    assert alert.details["period"] == 202610


def test_uncertified_still_paid(staff):
    agency = staff["caseworker"].agency
    late = retiree(agency, retired="2024-01")
    recent = retiree(agency, retired="2024-01")
    new = retiree(agency, retired="2026-05")  # never certified, but retired 7 months ago
    LifeCertification.objects.create(person=late.person, certified_on=date(2025, 10, 1),
                                     method="hall", agency=agency)  # fmt: skip
    LifeCertification.objects.create(person=recent.person, certified_on=date(2026, 3, 1),
                                     method="hall", agency=agency)  # fmt: skip
    for determination in (late, recent, new):
        _paid(determination, "202611")
    [alert] = scan(RiskRule.UNCERTIFIED_PAID)
    # 2025-10-01 + 12 months = 2026-10-01, before the scan on 2026-12-05
    assert alert.person_id == late.person_id
    assert alert.details["last_certified"] == "2025-10-01"
    assert alert.details["interval_months"] == 12


def _base(person, year: int, base: str, floor: str, ceiling: str) -> ContributionBase:
    return ContributionBase.objects.create(
        person=person, year=year, declared_wage=D(base), basis="self_declared", base=D(base),
        rule="as_declared", floor=D(floor), ceiling=D(ceiling), provisional=floor != "4244.00",
    )  # fmt: skip


def test_base_outside_limits(staff):
    agency = staff["caseworker"].agency
    low, fine = make_person(agency), make_person(agency)
    # declared under 2025's limits (4198–20991) while 2026's were not out; Shanxi's 2026
    # limits are 4244–21219, and the base was never re-determined
    bad = _base(low, 2026, "4198.00", "4198.00", "20991.00")
    _base(fine, 2026, "5000.00", "4244.00", "21219.00")
    _base(fine, 2025, "4198.00", "4198.00", "20991.00")  # on 2025's floor
    [alert] = scan(RiskRule.BASE_OUTSIDE_LIMITS)
    assert alert.subject_key == f"base:{bad.pk}" and alert.person_id == low.pk
    assert alert.details == {"year": 2026, "base": 4198.0, "floor": 4244.0, "ceiling": 21219.0}


def test_contribution_after_retirement(staff):
    agency = staff["caseworker"].agency
    retired = retiree(agency, retired="2026-05")
    paid_line(retired.person, "202604", "5000.00", paid_on=None)
    paid_line(retired.person, "202606", "5000.00", paid_on=None)  # after retiring
    other = retiree(agency, retired="2026-05")
    paid_line(other.person, "202604", "5000.00", paid_on=None)
    [alert] = scan(RiskRule.CONTRIBUTION_AFTER_END)
    assert alert.person_id == retired.person_id
    assert alert.details["months"] == [202606]
    assert alert.amount == D("1000.00")  # 20 % of 5000.00


def _employer_bill(employer: Employer, period: str) -> Bill:
    from accounts.tests.factories import _released_run

    p = Period.parse(period)
    return Bill.objects.create(
        run=_released_run(p, employer.region_id, None), posted=True, period=p, kind="regular",
        employer=employer, line_count=1, employer_amount=D("800.00"),
        individual_amount=D("400.00"), total=D("1200.00"), due_date=date(2026, 11, 15),
        region_id=employer.region_id,
    )  # fmt: skip


def test_employer_assessed_without_employees(staff):
    employers = list(Employer.objects.order_by("id")[:2])
    empty, staffed = employers
    Employment.objects.filter(employer__in=employers).delete()
    person = make_person(staff["caseworker"].agency, category="employee")
    Employment.objects.create(person=person, employer=staffed, start_period=Period(2026, 1))
    _employer_bill(empty, "202610")
    _employer_bill(staffed, "202610")
    [alert] = scan(RiskRule.EMPLOYER_WITHOUT_EMPLOYEES)
    assert alert.employer_id == empty.pk
    assert alert.amount == D("1200.00") and alert.details["months"] == [202610]


def test_implausible_dates(staff):
    agency = staff["caseworker"].agency
    child_worker = make_person(agency, born=date(1990, 5, 1), first_work_date=date(2004, 9, 1),
                               first_insured_date=date(2008, 9, 1))  # fmt: skip
    make_person(agency, born=date(1990, 5, 1), first_work_date=date(2008, 9, 1),
                first_insured_date=date(2008, 9, 1))  # fmt: skip
    # insured before the first work date
    make_person(agency, born=date(1990, 5, 1), first_work_date=date(2009, 9, 1),
                first_insured_date=date(2008, 9, 1))  # fmt: skip
    alert, insured_first = sorted(scan(RiskRule.IMPLAUSIBLE_DATES), key=lambda a: a.person_id)
    assert alert.person_id == child_worker.pk  # at work at 14
    assert insured_first.details["first_insured_date"] == "2008-09-01"
    assert alert.details["first_work_date"] == "2004-09-01"


def test_staff_approving_a_relatives_case(staff):
    agency = staff["caseworker"].agency
    reviewer = staff["reviewer"]
    me = make_person(agency, name="李复核", address="太原市小店区坞城路1号")
    StaffIdentity.objects.create(user=reviewer, id_number=me.id_number)
    relative = make_person(agency, name="李小红", address="太原市小店区坞城路1号")
    neighbour = make_person(agency, name="王邻居", address="太原市小店区坞城路1号")
    stranger = make_person(agency, name="李路人", address="太原市迎泽区迎泽大街2号")
    tuesday = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
    case = _approved(staff, relative, operation="benefits.retirement_case",
                     checker=reviewer, decided=tuesday)  # fmt: skip
    for person in (neighbour, stranger):
        _approved(staff, person, operation="benefits.retirement_case", checker=reviewer,
                  decided=tuesday)  # fmt: skip
    _approved(staff, relative, operation="benefits.retirement_case",
              checker=staff["province_reviewer"], decided=tuesday)  # fmt: skip
    [alert] = scan(RiskRule.SELF_APPROVAL)
    assert alert.case_id == case.pk and alert.staff_id == reviewer.pk
    assert alert.details["relation"] == "same surname and address"


def test_key_data_change_out_of_hours(staff):
    agency = staff["caseworker"].agency
    person = make_person(agency)
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=SHANGHAI)
    late_evening = datetime(2026, 11, 3, 21, 30, tzinfo=SHANGHAI)
    office = datetime(2026, 11, 3, 17, 59, tzinfo=SHANGHAI)
    reviewer = staff["reviewer"]
    weekend = _approved(staff, person, operation=risk.KEY_DATA_CHANGE, checker=reviewer,
                        decided=saturday)  # fmt: skip
    evening = _approved(staff, person, operation=risk.BANK_ACCOUNT_CHANGE, checker=reviewer,
                        decided=late_evening)  # fmt: skip
    _approved(staff, person, operation=risk.KEY_DATA_CHANGE, checker=reviewer, decided=office)
    _approved(staff, person, operation="benefits.retirement_case", checker=reviewer,
              decided=saturday)  # fmt: skip
    alerts = scan(RiskRule.OUT_OF_HOURS_CHANGE)
    assert sorted(a.case_id for a in alerts) == [weekend.pk, evening.pk]


def test_one_bank_account_several_pensions(staff):
    agency = staff["caseworker"].agency
    retiree(agency, bank_account="6222000011112222")
    retiree(agency, bank_account="6222000011112222")
    retiree(agency, bank_account="6222000033334444")
    [alert] = scan(RiskRule.SHARED_BANK_ACCOUNT)
    assert alert.subject_key == "account:6222000011112222"
    assert alert.subject_label == "中国工商银行 ···2222"
    assert len(alert.details["people"]) == 2


def test_account_changed_before_a_large_back_pay(staff):
    agency = staff["caseworker"].agency
    changed = retiree(agency)
    steady = retiree(agency)
    decided = datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    _approved(staff, changed.person, operation=risk.BANK_ACCOUNT_CHANGE,
              checker=staff["reviewer"], decided=decided)  # fmt: skip
    big = PayrollDue.objects.create(person=changed.person, determination=changed,
                                    item="back_pay", amount=D("12000.00"), source="t:1",
                                    reason="补发")  # fmt: skip
    small = PayrollDue.objects.create(person=changed.person, determination=changed,
                                      item="back_pay", amount=D("500.00"), source="t:2",
                                      reason="补发")  # fmt: skip
    steady_due = PayrollDue.objects.create(person=steady.person, determination=steady,
                                           item="back_pay", amount=D("12000.00"),
                                           source="t:3", reason="补发")  # fmt: skip
    PayrollDue.objects.filter(pk__in=[big.pk, small.pk, steady_due.pk]).update(
        created_at=datetime(2026, 11, 25, 9, tzinfo=SHANGHAI)
    )
    [alert] = scan(RiskRule.ACCOUNT_CHANGED_BEFORE_BACK_PAY)
    assert alert.subject_key == f"due:{big.pk}" and alert.amount == D("12000.00")
    assert alert.details["days"] == 30


def test_the_scan_is_idempotent_and_a_closed_alert_stays_closed(staff):
    agency = staff["caseworker"].agency
    retiree(agency, bank_account="6222000011112222")
    retiree(agency, bank_account="6222000011112222")
    first = scan(RiskRule.SHARED_BANK_ACCOUNT)
    assert len(first) == 1
    assert scan(RiskRule.SHARED_BANK_ACCOUNT) == []
    Alert.objects.filter(pk=first[0].pk).update(status="dismissed", resolution="家属共用账户")
    assert scan(RiskRule.SHARED_BANK_ACCOUNT) == []
    assert Alert.objects.count() == 1
    assert RiskScanRun.objects.count() == 3
