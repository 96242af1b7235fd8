"""Base declaration (缴费基数申报, DESIGN §5.2): clamping, provisional limits and their
re-determination, flexible workers' own bases, the Excel import, the pages and the
person page's section. Expected figures are worked out by hand in the comments."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from contributions import bases
from contributions.choices import BillStatus, LineKind
from contributions.models import Bill, ContributionBase, ContributionLine
from contributions.tests.factories import assessed_months
from enrollment import services as enrollment
from enrollment.choices import EmployerKind, PersonCategory
from enrollment.models import Employer, InsuredPerson
from enrollment.tests.helpers import citizen_id, credit_code
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry, PolicyProfile, Region
from pension.periods import Period
from pension.services import policy_parameter_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the msgids)."""
    with translation.override("en"):
        yield


COUNTY = "140105"
HEADERS = ["公民身份号码", "姓名", "上年月平均工资", "基数类型"]


def person(actor, birth: str, seq: int, name: str, **kwargs: Any) -> InsuredPerson:
    return enrollment.person_register(
        actor=actor,
        id_number=citizen_id(COUNTY, birth, seq),
        name=name,
        category=kwargs.pop("category", PersonCategory.EMPLOYEE),
        region=Region.objects.get(code=COUNTY),
        first_insured_date=kwargs.pop("first_insured_date", date(2010, 1, 1)),
        **kwargs,
    )


@pytest.fixture
def world(staff):
    actor = staff["caseworker"]
    county = Region.objects.get(code=COUNTY)
    employer = enrollment.employer_register(
        actor=actor,
        credit_code=credit_code("91140105MA0KB0001"),
        name="太原基数测试有限公司",
        kind=EmployerKind.ENTERPRISE,
        region=county,
    )
    other = enrollment.employer_register(
        actor=actor,
        credit_code=credit_code("91140105MA0KB0002"),
        name="另一家公司",
        kind=EmployerKind.ENTERPRISE,
        region=county,
    )
    low = person(actor, "19850715", 11, "张低")
    high = person(actor, "19800302", 13, "李高")
    elsewhere = person(actor, "19780808", 15, "王外")
    for someone in (low, high):
        enrollment.employment_add(
            actor=actor, employer=employer, person=someone, start=Period(2024, 1)
        )
    enrollment.employment_add(actor=actor, employer=other, person=elsewhere, start=Period(2024, 1))
    return {
        "actor": actor,
        "employer": employer,
        "other": other,
        "low": low,
        "high": high,
        "elsewhere": elsewhere,
    }


def counts() -> tuple[int, int, int, int]:
    return (
        ContributionBase.objects.count(),
        ContributionLine.objects.count(),
        Bill.objects.count(),
        ChangeLogEntry.objects.count(),
    )


def regular_line(
    someone: InsuredPerson, employer: Employer | None, period: Period, base: str, amounts: tuple
) -> ContributionLine:
    """A posted regular line as the monthly assessment writes it (fixture data)."""
    employer_rate, individual_rate, account_rate = (
        ("0.16", "0.08", "0.08") if employer else ("0", "0.20", "0.08")
    )
    return ContributionLine.objects.create(
        period=period,
        person=someone,
        employer=employer,
        kind=LineKind.REGULAR,
        base=D(base),
        employer_rate=D(employer_rate),
        individual_rate=D(individual_rate),
        account_rate=D(account_rate),
        employer_amount=D(amounts[0]),
        individual_amount=D(amounts[1]),
        account_credit=D(amounts[2]),
    )


def regular_bill(employer: Employer, period: Period, employer_amount: str, individual: str, **kw):
    total = D(employer_amount) + D(individual)
    return Bill.objects.create(
        period=period,
        kind=LineKind.REGULAR,
        employer=employer,
        line_count=kw.pop("line_count", 1),
        employer_amount=D(employer_amount),
        individual_amount=D(individual),
        total=total,
        due_date=kw.pop("due_date", period.next().first_day.replace(day=15)),
        paid_amount=kw.pop("paid_amount", D("0")),
        status=kw.pop("status", BillStatus.OPEN),
        region=employer.region,
    )


# --- clamping ------------------------------------------------------------------------


def test_declared_wages_are_clamped_to_shanxi_2025_limits(world):
    actor, employer = world["actor"], world["employer"]
    # Shanxi 2025: floor 4198, ceiling 20991 (published, effective 2025-01-01)
    # 3500.00 < 4198 → raised to the floor 4198.00
    low = bases.base_declare(
        actor=actor,
        person=world["low"],
        employer=employer,
        year=2025,
        wage="3500",
        basis="prior_year_average",
        as_of=date(2025, 3, 1),
    )
    assert (low.base, low.rule, low.floor, low.ceiling) == (
        D("4198.00"),
        "below_floor",
        D("4198.00"),
        D("20991.00"),
    )
    assert low.declared_wage == D("3500.00") and low.provisional is False
    assert low.parameters["base_floor"].startswith("contribution.base_floor@")
    assert low.parameters["base_ceiling"].startswith("contribution.base_ceiling@")
    assert low.parameters["limits_of_year"] == 2025
    # 25000.00 > 20991 → lowered to the ceiling 20991.00
    high = bases.base_declare(
        actor=actor,
        person=world["high"],
        employer=employer,
        year=2025,
        wage=D("25000.00"),
        basis="first_month_wage",
        as_of=date(2025, 3, 1),
    )
    assert (high.base, high.rule, high.basis) == (
        D("20991.00"),
        "above_ceiling",
        "first_month_wage",
    )
    # employer base = Σ employees' bases = 4198.00 + 20991.00 = 25189.00
    assert bases.employer_base_total(employer, 2025) == D("25189.00")
    entry = (
        ChangeLogEntry.objects.filter(object_type="contributions.contributionbase")
        .order_by("-id")
        .first()
    )
    assert entry.actor_id == actor.pk and entry.after["base"] == "20991.00"


def test_a_new_declaration_supersedes_the_current_row(world):
    actor, employer, low = world["actor"], world["employer"], world["low"]
    first = bases.base_declare(
        actor=actor, person=low, employer=employer, year=2025, wage="5000", as_of=date(2025, 3, 1)
    )
    second = bases.base_declare(
        actor=actor, person=low, employer=employer, year=2025, wage="6000", as_of=date(2025, 4, 1)
    )
    first.refresh_from_db()
    assert first.superseded_by_id == second.pk
    assert second.base == D("6000.00") and second.superseded_by_id is None
    current = ContributionBase.objects.filter(
        person=low, year=2025, employer=employer, superseded_by__isnull=True
    )
    assert list(current) == [second]


def test_a_base_whose_months_are_assessed_changes_only_by_correction(world):
    actor, employer, low = world["actor"], world["employer"], world["low"]
    bases.base_declare(
        actor=actor, person=low, employer=employer, year=2025, wage="5000", as_of=date(2025, 1, 5)
    )
    # 5000 × 16 % = 800.00; × 8 % = 400.00
    regular_line(low, employer, Period(2025, 1), "5000.00", ("800.00", "400.00", "400.00"))
    before = counts()
    with pytest.raises(Conflict) as caught:
        bases.base_declare(
            actor=actor,
            person=low,
            employer=employer,
            year=2025,
            wage="6000",
            as_of=date(2025, 2, 1),
        )
    assert caught.value.code == "base_already_assessed"
    assert str(caught.value) == (
        "Months of 2025 are already assessed for 张低 with the current base; "
        "the base now changes only through a base correction."
    )
    assert counts() == before


def test_someone_not_on_the_roster_is_refused(world):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        bases.base_declare(
            actor=world["actor"],
            person=world["elsewhere"],
            employer=world["employer"],
            year=2025,
            wage="5000",
        )
    assert caught.value.code == "not_on_roster"
    assert str(caught.value) == "王外 is not on the roster of 太原基数测试有限公司 in 2025."
    assert counts() == before


def test_a_caseworker_of_another_region_cannot_declare(world, staff):
    before = counts()
    with pytest.raises(NotPermitted):
        bases.base_declare(
            actor=staff["other_caseworker"],
            person=world["low"],
            employer=world["employer"],
            year=2025,
            wage="5000",
        )
    assert counts() == before


# --- flexible workers ------------------------------------------------------------------


def test_a_flexible_workers_base_outside_the_limits_is_refused(world):
    actor = world["actor"]
    flexible = person(actor, "19900101", 17, "赵灵活", category=PersonCategory.FLEXIBLE)
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        bases.base_choose(
            actor=actor, person=flexible, year=2025, base="4000", as_of=date(2025, 3, 1)
        )
    # 4000 < floor 4198
    assert caught.value.code == "base_outside_limits"
    assert str(caught.value) == (
        "The base 4000.00 is outside the limits for 2025: at least 4198 and at most 20991. "
        "Nothing was changed."
    )
    with pytest.raises(InvalidInput) as caught:
        bases.base_choose(
            actor=actor, person=flexible, year=2025, base="21000.00", as_of=date(2025, 3, 1)
        )
    assert caught.value.code == "base_outside_limits"
    assert counts() == before
    # within the limits (bounds included): stored as chosen
    row = bases.base_choose(
        actor=actor, person=flexible, year=2025, base="4198", as_of=date(2025, 3, 1)
    )
    assert (row.base, row.basis, row.rule, row.employer_id) == (
        D("4198.00"),
        "self_declared",
        "as_declared",
        None,
    )
    # choosing again supersedes the row (employer empty: one current row all the same)
    again = bases.base_choose(
        actor=actor, person=flexible, year=2025, base="5000", as_of=date(2025, 4, 1)
    )
    row.refresh_from_db()
    assert (row.superseded_by_id, again.base) == (again.pk, D("5000.00"))


def test_an_employee_does_not_choose_a_base(world):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        bases.base_choose(actor=world["actor"], person=world["low"], year=2025, base="5000")
    assert caught.value.code == "not_self_declaring"
    assert counts() == before


# --- provisional limits and their re-determination ----------------------------------


def test_provisional_limits_then_redetermination_with_the_published_ones(world):
    actor, employer, low, high = world["actor"], world["employer"], world["low"], world["high"]
    # declared on 2026-05-01: Shanxi's 2026 limits (4244–21219) are published on
    # 2026-08-01, so 2025's 4198–20991 apply provisionally
    low_row = bases.base_declare(
        actor=actor, person=low, employer=employer, year=2026, wage="3500", as_of=date(2026, 5, 1)
    )
    high_row = bases.base_declare(
        actor=actor, person=high, employer=employer, year=2026, wage="21100", as_of=date(2026, 5, 1)
    )
    flexible = person(actor, "19900101", 17, "赵灵活", category=PersonCategory.FLEXIBLE)
    # a flexible worker chooses 4198, the provisional floor
    flexible_row = bases.base_choose(
        actor=actor, person=flexible, year=2026, base="4198", as_of=date(2026, 5, 1)
    )
    assert (flexible_row.base, flexible_row.provisional) == (D("4198.00"), True)
    assert (low_row.base, low_row.provisional, low_row.floor) == (D("4198.00"), True, D("4198.00"))
    assert low_row.parameters["limits_of_year"] == 2025
    # 21100 > 20991 → 20991.00 provisionally
    assert (high_row.base, high_row.provisional) == (D("20991.00"), True)

    # January to March assessed with the provisional bases:
    # 4198 × 16 % = 671.68, × 8 % = 335.84; 20991 × 16 % = 3358.56, × 8 % = 1679.28
    months = [Period(2026, m) for m in (1, 2, 3)]
    low_lines = [
        regular_line(low, employer, p, "4198.00", ("671.68", "335.84", "335.84")) for p in months
    ]
    high_lines = [
        regular_line(high, employer, p, "20991.00", ("3358.56", "1679.28", "1679.28"))
        for p in months
    ]
    # the flexible worker's January: 4198 × 20 % = 839.60, account 4198 × 8 % = 335.84
    flexible_line = regular_line(
        flexible, None, Period(2026, 1), "4198.00", ("0.00", "839.60", "335.84")
    )

    # before publication, nothing can be re-determined
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        bases.bases_redetermine_for_published_limits(
            actor=actor, year=2026, region=COUNTY, as_of=date(2026, 7, 31)
        )
    assert caught.value.code == "limits_not_published"
    assert counts() == before

    report = bases.bases_redetermine_for_published_limits(
        actor=actor, year=2026, region=COUNTY, as_of=date(2026, 8, 15)
    )
    assert (report.bases, report.lines, report.bills) == (3, 7, 4)

    low_row.refresh_from_db()
    high_row.refresh_from_db()
    new_low = ContributionBase.objects.get(pk=low_row.superseded_by_id)
    new_high = ContributionBase.objects.get(pk=high_row.superseded_by_id)
    # 3500 < 4244 → 4244.00; 21100 within 4244–21219 → 21100.00
    assert (new_low.base, new_low.provisional, new_low.floor, new_low.ceiling) == (
        D("4244.00"),
        False,
        D("4244.00"),
        D("21219.00"),
    )
    assert (new_high.base, new_high.rule, new_high.provisional) == (
        D("21100.00"),
        "as_declared",
        False,
    )
    assert new_low.parameters["limits_of_year"] == 2026

    # low: (4244 − 4198) = 46.00; × 16 % = 7.36 employer; × 8 % = 3.68 individual and account
    for line in low_lines:
        adjustment = ContributionLine.objects.get(adjusts=line)
        assert (
            adjustment.kind,
            adjustment.period,
            adjustment.base,
            adjustment.employer_amount,
            adjustment.individual_amount,
            adjustment.account_credit,
            adjustment.base_record_id,
            adjustment.posted,
        ) == (
            LineKind.LIMITS_ADJUSTMENT,
            line.period,
            D("46.00"),
            D("7.36"),
            D("3.68"),
            D("3.68"),
            new_low.pk,
            True,
        )
    # high: 21100 − 20991 = 109.00; 21100 × 16 % = 3376.00 − 3358.56 = 17.44;
    # 21100 × 8 % = 1688.00 − 1679.28 = 8.72
    for line in high_lines:
        adjustment = ContributionLine.objects.get(adjusts=line)
        assert (adjustment.base, adjustment.employer_amount, adjustment.individual_amount) == (
            D("109.00"),
            D("17.44"),
            D("8.72"),
        )
    # one bill per employer and period: employer 7.36 + 17.44 = 24.80,
    # individual 3.68 + 8.72 = 12.40, total 37.20; due 2026-09-15 (due day 15 of the
    # month after the run)
    # the flexible worker: 4198 is below 4244 → 4244.00; 46.00 × 20 % = 9.20 (all the
    # individual's), account 46.00 × 8 % = 3.68; billed to the person
    adjustment = ContributionLine.objects.get(adjusts=flexible_line)
    assert (
        adjustment.employer_id,
        adjustment.base,
        adjustment.employer_amount,
        adjustment.individual_amount,
        adjustment.account_credit,
    ) == (None, D("46.00"), D("0.00"), D("9.20"), D("3.68"))
    flexible_bill = Bill.objects.get(kind=LineKind.LIMITS_ADJUSTMENT, person=flexible)
    assert (flexible_bill.period, flexible_bill.total, flexible_bill.region_id) == (
        Period(2026, 1),
        D("9.20"),
        COUNTY,
    )
    bills = Bill.objects.filter(kind=LineKind.LIMITS_ADJUSTMENT, employer=employer).order_by(
        "period"
    )
    assert [
        (b.period, b.employer_id, b.line_count, b.employer_amount, b.individual_amount, b.total)
        for b in bills
    ] == [(p, employer.pk, 2, D("24.80"), D("12.40"), D("37.20")) for p in months]
    assert {b.due_date for b in bills} == {date(2026, 9, 15)}
    assert report.billed_total == D("120.80")  # 3 × 37.20 + 9.20
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert entry.after["redetermination"] == 2026 and entry.after["lines"] == 7

    # a second run finds nothing provisional and changes nothing
    before = counts()
    again = bases.bases_redetermine_for_published_limits(
        actor=actor, year=2026, region=COUNTY, as_of=date(2026, 8, 20)
    )
    assert (again.bases, again.lines, again.bills) == (0, 0, 0)
    assert counts()[:3] == before[:3]


def test_a_lower_published_floor_gives_negative_lines_and_a_credit_not_a_bill(world, staff):
    actor, employer, low = world["actor"], world["employer"], world["low"]
    # 2027 declared on 2027-03-01: no 2027 limits yet → 2026's 4244–21219 provisionally
    row = bases.base_declare(
        actor=actor, person=low, employer=employer, year=2027, wage="3500", as_of=date(2027, 3, 1)
    )
    assert (row.base, row.provisional) == (D("4244.00"), True)
    # 4244 × 16 % = 679.04; × 8 % = 339.52
    line = regular_line(low, employer, Period(2027, 1), "4244.00", ("679.04", "339.52", "339.52"))
    shanxi = PolicyProfile.objects.get(code="shanxi")
    for key, value in (("contribution.base_floor", "4100"), ("contribution.base_ceiling", "21000")):
        policy_parameter_create(
            actor=staff["admin"],
            key=key,
            profile=shanxi,
            effective_from=date(2027, 1, 1),
            value=value,
            reference_year=2026,
            published_on=date(2027, 7, 1),
            source="test",
        )
    report = bases.bases_redetermine_for_published_limits(
        actor=actor, year=2027, region=COUNTY, as_of=date(2027, 7, 10)
    )
    # 3500 < 4100 → 4100.00; difference 4100 − 4244 = −144.00:
    # 4100 × 16 % = 656.00 − 679.04 = −23.04; 4100 × 8 % = 328.00 − 339.52 = −11.52
    adjustment = ContributionLine.objects.get(adjusts=line)
    assert (
        adjustment.base,
        adjustment.employer_amount,
        adjustment.individual_amount,
        adjustment.account_credit,
    ) == (D("-144.00"), D("-23.04"), D("-11.52"), D("-11.52"))
    # a bill cannot be negative: no bill, a credit of −23.04 − 11.52 = −34.56
    assert (report.bills, report.lines) == (0, 1)
    assert [(c.employer_id, c.period, c.amount) for c in report.credits] == [
        (employer.pk, Period(2027, 1), D("-34.56"))
    ]
    assert not Bill.objects.filter(kind=LineKind.LIMITS_ADJUSTMENT).exists()
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert entry.after["credit_total"] == "-34.56"


# --- Excel import ----------------------------------------------------------------------


def sheet(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> io.BytesIO:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(list(headers))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "bases.xlsx"
    return buffer


def test_a_good_sheet_is_imported_with_one_change_log_entry(world):
    actor, employer, low, high = world["actor"], world["employer"], world["low"], world["high"]
    result = bases.parse_base_sheet(
        sheet(
            [
                [low.id_number, "张低", 3500, "上年平均"],
                [high.id_number, "李高", "8000.50", "首月工资"],
            ]
        ),
        employer=employer,
        year=2025,
    )
    assert result.errors == []
    entries = ChangeLogEntry.objects.count()
    report = bases.apply_base_sheet(
        actor=actor, employer=employer, result=result, as_of=date(2025, 3, 1)
    )
    # 3500 → floor 4198.00; 8000.50 within the limits; Σ = 12198.50
    assert (report.declared, report.superseded, report.provisional, report.base_total) == (
        2,
        0,
        0,
        D("12198.50"),
    )
    rows = ContributionBase.objects.filter(employer=employer, year=2025).order_by("person__name")
    assert [(r.person.name, r.base, r.rule, r.basis, r.declared_by_id) for r in rows] == [
        ("张低", D("4198.00"), "below_floor", "prior_year_average", actor.pk),
        ("李高", D("8000.50"), "as_declared", "first_month_wage", actor.pk),
    ]
    assert ChangeLogEntry.objects.count() == entries + 1
    # importing again supersedes the two rows
    again = bases.parse_base_sheet(
        sheet([[low.id_number, "", 5000, "上年平均"]]), employer=employer, year=2025
    )
    bases.apply_base_sheet(actor=actor, employer=employer, result=again, as_of=date(2025, 4, 1))
    current = ContributionBase.objects.get(person=low, year=2025, superseded_by__isnull=True)
    old = ContributionBase.objects.get(person=low, year=2025, superseded_by=current)
    assert (current.base, old.base) == (D("5000.00"), D("4198.00"))


def test_wrong_headers_are_refused(world):
    before = counts()
    result = bases.parse_base_sheet(
        sheet(
            [[world["low"].id_number, "张低", 3500, "上年平均"]], headers=["身份证", "姓名", "工资"]
        ),
        employer=world["employer"],
        year=2025,
    )
    assert [(e.row, e.message) for e in result.errors] == [
        (
            1,
            "The first row must hold the headers 公民身份号码 | 姓名 | 上年月平均工资 | 基数类型; "
            "it holds 身份证 | 姓名 | 工资. Missing columns: "
            "公民身份号码、上年月平均工资、基数类型. Columns not expected: 身份证、工资.",
        )
    ]
    with pytest.raises(InvalidInput) as caught:
        bases.apply_base_sheet(actor=world["actor"], employer=world["employer"], result=result)
    assert caught.value.code == "import_has_errors"
    assert counts() == before


def test_a_bad_sheet_reports_every_row_and_imports_nothing(world):
    low, high, elsewhere = world["low"], world["high"], world["elsewhere"]
    unknown = citizen_id(COUNTY, "19950505", 19)
    rows = [
        [low.id_number, "张低", "六千", "上年平均"],  # row 2: text in the number cell
        [high.id_number, "李高", 6000, "全年"],  # row 3: unknown basis
        [low.id_number, "张低", 5000, "上年平均"],  # row 4: the same ID again
        [elsewhere.id_number, "王外", 5000, "上年平均"],  # row 5: another employer's
        [unknown, "陈未", 5000, "首月工资"],  # row 6: not registered
        [high.id_number[:-1] + "0", "李高", 5000, "上年平均"],  # row 7: bad check digit
        [high.id_number, "李四", -10, "上年平均"],  # row 8: wrong name, negative, repeat
    ]
    before = counts()
    result = bases.parse_base_sheet(sheet(rows), employer=world["employer"], year=2025)
    found = [(e.row, e.column, e.value, e.message) for e in result.errors]
    assert (
        2,
        "上年月平均工资",
        "六千",
        "“六千” is not an amount of money; write yuan in digits with at most two decimals, "
        "e.g. 6500.00.",
    ) in found
    assert (3, "基数类型", "全年", "Write 上年平均 or 首月工资.") in found
    assert (4, "公民身份号码", low.id_number, "This citizen ID number is also on row 2.") in found
    assert (
        5,
        "公民身份号码",
        elsewhere.id_number,
        "王外 is not on this employer's roster in 2025.",
    ) in found
    assert (
        6,
        "公民身份号码",
        unknown,
        "Nobody with this citizen ID number is registered.",
    ) in found
    assert any(e[0] == 7 and e[1] == "公民身份号码" for e in found)
    assert (8, "上年月平均工资", "-10", "The amount must be more than zero.") in found
    assert (8, "公民身份号码", high.id_number, "This citizen ID number is also on row 3.") in found
    assert {e.row for e in result.errors} == {2, 3, 4, 5, 6, 7, 8}
    with pytest.raises(InvalidInput):
        bases.apply_base_sheet(actor=world["actor"], employer=world["employer"], result=result)
    assert counts() == before


def test_the_import_page_lists_the_errors_and_offers_them_for_download(client, world):
    employer = world["employer"]
    url = f"/contributions/employers/{employer.pk}/bases/import/"
    client.force_login(world["actor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    before = counts()
    response = client.post(
        url, {"year": 2025, "file": sheet([[world["low"].id_number, "张低", "六千", "上年平均"]])}
    )
    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "1 error found; nothing was imported." in html
    assert (
        '<tr><td class="num">2</td><td>上年月平均工资</td><td>六千</td><td>“六千” is not an amount '
        "of money; write yuan in digits with at most two decimals, e.g. 6500.00.</td></tr>"
    ) in html
    assert counts() == before
    download = client.get(url + "?download=errors")
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert rows[1][:3] == (2, "上年月平均工资", "六千")
    # a good sheet is imported and leads back to the base page
    response = client.post(
        url,
        {"year": 2025, "file": sheet([[world["low"].id_number, "张低", "7000", "上年平均"]])},
        follow=True,
    )
    assert "Imported 1 bases for 2025" in response.content.decode()
    assert ContributionBase.objects.get(person=world["low"], year=2025).base == D("7000.00")


# --- pages -----------------------------------------------------------------------------


def test_the_base_page_declares_per_person(client, world):
    employer, low = world["employer"], world["low"]
    client.force_login(world["actor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/contributions/employers/{employer.pk}/bases/?year=2025")
    html = page.content.decode()
    assert page.status_code == 200
    assert "张低" in html and "李高" in html and "王外" not in html
    assert '<dd id="floor">4,198.00</dd>' in html
    response = client.post(
        f"/contributions/employers/{employer.pk}/bases/{low.pk}/declare",
        {
            f"p{low.pk}-year": "2025",
            f"p{low.pk}-wage": "3500",
            f"p{low.pk}-basis": "prior_year_average",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Base of 张低 for 2025: 4,198.00 (Raised to the floor)." in html
    assert ContributionBase.objects.get(person=low, year=2025).base == D("4198.00")


def test_the_base_page_shows_the_roster_a_page_at_a_time(client, world):
    # 2 employees of the fixture + 53 more = 55: page 1 has 50, page 2 the last 5
    actor, employer = world["actor"], world["employer"]
    for n in range(53):
        someone = person(actor, "19900101", 101 + n, f"员工{n:03d}")
        enrollment.employment_add(
            actor=actor, employer=employer, person=someone, start=Period(2024, 1)
        )
    client.force_login(actor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/contributions/employers/{employer.pk}/bases/"
    first = client.get(url, {"year": "2025"}).content.decode()
    assert first.count('<tr id="person-') == 50
    assert "55 rows" in first and "Page 1 of 2" in first
    assert 'href="?year=2025&amp;page=2"' in first  # the year is kept
    second = client.get(url, {"year": "2025", "page": "2"}).content.decode()
    assert second.count('<tr id="person-') == 5
    # names in order: 员工000 … 员工052, 张低, 李高 (by code point); the last 5 on page 2
    assert "员工052" in second and "张低" in second and "李高" in second
    assert "员工000" not in second
    # a page number out of range is the last page, not an error
    assert (
        client.get(url, {"year": "2025", "page": "99"}).content.decode().count('<tr id="person-')
        == 5
    )


def test_pages_refuse_other_regions_and_other_roles(client, world, staff):
    employer, low = world["employer"], world["low"]
    before = counts()
    client.force_login(staff["other_caseworker"])
    assert client.get(f"/contributions/employers/{employer.pk}/bases/").status_code == 403
    assert (
        client.post(
            f"/contributions/employers/{employer.pk}/bases/{low.pk}/declare",
            {f"p{low.pk}-year": "2025", f"p{low.pk}-wage": "3500"},
        ).status_code
        == 403
    )
    client.force_login(staff["province_budget"])  # no contributions section
    assert client.get(f"/contributions/employers/{employer.pk}/bases/").status_code == 403
    client.logout()
    assert client.get(f"/contributions/employers/{employer.pk}/bases/").status_code == 302
    assert counts() == before


def test_the_flexible_base_page_shows_the_refusal(client, world):
    actor = world["actor"]
    flexible = person(actor, "19900101", 17, "赵灵活", category=PersonCategory.FLEXIBLE)
    client.force_login(actor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    year = date.today().year
    limits = bases.year_limits(year, region=COUNTY)
    response = client.post(
        f"/contributions/people/{flexible.pk}/base/", {"year": year, "base": "100"}
    )
    html = response.content.decode()
    assert (
        f"The base 100.00 is outside the limits for {year}: at least {limits.floor_value} "
        f"and at most {limits.ceiling_value}. Nothing was changed."
    ) in html
    assert not ContributionBase.objects.filter(person=flexible).exists()


def test_the_person_page_shows_contributions_month_by_month(client, world):
    employer, low = world["employer"], world["low"]
    low.deemed_months = 30
    low.save()
    bases.base_declare(
        actor=world["actor"], person=low, employer=employer, year=2025, wage="5000",
        as_of=date(2025, 1, 5),
    )  # fmt: skip
    # 5000 × 16 % = 800.00, × 8 % = 400.00; January paid, February unpaid and overdue
    # (due 2025-03-15), both in released runs
    assessed_months(low, "2025-01", "2025-01", "5000.00", employer=employer)
    assessed_months(low, "2025-02", "2025-02", "5000.00", employer=employer, paid=False)
    client.force_login(world["actor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = " ".join(client.get(f"/enrollment/people/{low.pk}/").content.decode().split())
    assert 'id="contributions-section"' in html
    # paid apart from unpaid: 1 month paid ÷ 12 = 0.0833 → 0.08 years; February
    # assessed, not paid, not counted; deemed 30 ÷ 12 = 2.50 years
    assert '<dd id="contribution-months">1 (0.08 years)</dd>' in html
    assert '<dd id="contribution-unpaid-months">1 (2025-02)</dd>' in html
    assert '<dd id="contribution-deemed">30 (2.50 years)</dd>' in html
    # arrears: February's 800.00 + 400.00 = 1200.00
    assert '<dd id="contribution-arrears">1,200.00</dd>' in html
    assert (
        "<td>2025-01</td><td>太原基数测试有限公司</td> <td>Regular assessment</td> "
        '<td class="num">5,000.00</td><td class="num">800.00</td><td class="num">400.00</td> '
        '<td class="num">400.00</td><td class="status-paid">Paid</td> <td class="num">—</td> '
        '<td class="counts-yes">Yes</td>'
    ) in html
    assert (
        '<td class="status-open">Unpaid</td> <td class="num">1,200.00</td> '
        '<td class="counts-no">No</td>'
    ) in html


def test_the_bases_start_page_finds_the_employer_and_runs_the_redetermination(client, world):
    employer, low = world["employer"], world["low"]
    client.force_login(world["actor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(
        "/contributions/bases/", {"credit_code": employer.credit_code, "year": 2027}
    )
    assert response.status_code == 302
    assert response.url == f"/contributions/employers/{employer.pk}/bases/?year=2027"
    # no 2027 limits are on record: 2026's apply provisionally, and the page says so
    html = " ".join(client.get(response.url).content.decode().split())
    assert (
        "The limits of 2027 are not published yet: those of 2026 apply provisionally, and the "
        "difference is assessed when they are."
    ) in html
    bases.base_declare(
        actor=world["actor"], person=low, employer=employer, year=2026, wage="3500",
        as_of=date(2026, 5, 1),
    )  # fmt: skip
    # the 2026 limits are published (2026-08-01) by the time these tests run
    response = client.post("/contributions/bases/redetermine", {"year": 2026}, follow=True)
    assert (
        "1 bases re-determined; 0 adjustment lines and 0 bills (0.00) written; 0 credits (0.00) "
        "to be refunded."
    ) in response.content.decode()
    assert ContributionBase.objects.get(person=low, year=2026, superseded_by__isnull=True).base == (
        D("4244.00")
    )
    response = client.get("/contributions/bases/", {"credit_code": "91140105MA0KB0009X"})
    assert "No employer with this unified social credit code is registered." in (
        response.content.decode()
    )


# --- through the import kernel (pension.imports): limits, formulas, money cells ----------


@pytest.mark.parametrize(
    "wage", ["1e30", 1e30, "1" * 30, 10**30, "sNaN", "1_000", "６５００", 6500.125]
)
def test_a_wage_that_is_not_an_amount_is_a_row_error(world, wage):
    low = world["low"]
    result = bases.parse_base_sheet(
        sheet([[low.id_number, "张低", wage, "上年平均"]]), employer=world["employer"], year=2025
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "上年月平均工资")]
    assert "is not an amount of money" in result.errors[0].message
    assert result.rows == []


def test_formula_and_error_cells_and_a_huge_dimension_are_refused(world):
    import time

    from pension.tests.import_files import ERROR, FORMULA, declared_dimension, xlsx_bytes

    low, high = world["low"], world["high"]
    content = xlsx_bytes(
        [
            HEADERS,
            [low.id_number, "张低", FORMULA("=A1*2"), "上年平均"],
            [high.id_number, "李高", ERROR("#DIV/0!"), "上年平均"],
        ]
    )
    result = bases.parse_base_sheet(io.BytesIO(content), employer=world["employer"], year=2025)
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (2, "上年月平均工资", "=A1*2"),
        (3, "上年月平均工资", "#DIV/0!"),
    ]
    assert result.rows == []
    huge = declared_dimension(content, "A1:XFD1048576")
    started = time.monotonic()
    result = bases.parse_base_sheet(io.BytesIO(huge), employer=world["employer"], year=2025)
    assert time.monotonic() - started < 5  # minutes before the kernel
    assert [(e.row, e.value) for e in result.errors] == [(0, "A1:XFD1048576")]


def test_a_number_id_gets_the_one_message_in_chinese(world):
    with translation.override("zh-hans"):
        result = bases.parse_base_sheet(
            sheet([[float(world["low"].id_number[:17] + "0"), "张低", 5000, "上年平均"]]),
            employer=world["employer"],
            year=2025,
        )
    (error,) = result.errors
    assert error.message == "请以文本格式填写公民身份号码：数字格式的单元格会丢失末尾几位。"


def test_the_upload_size_limit_on_the_import_page(client, world, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(world["actor"])
    content = sheet([[world["low"].id_number, "张低", 5000, "上年平均"]])
    before = counts()
    response = client.post(
        f"/contributions/employers/{world['employer'].pk}/bases/import/",
        {"year": 2025, "file": content},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "上传文件不得超过 1000 B" in response.content.decode()
    assert counts() == before
