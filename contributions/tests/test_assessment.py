"""The monthly assessment batch (核定), called directly (no worker): figures computed by
hand, idempotence, resumption, dry runs, variance, maker-checker and the pages.

The tiny demo has people and employments but no contribution bases, so its own
people are never assessed here; the lines come from the employer, people and bases
made below, in a county of Taiyuan that holds no demo employer and no demo flexible
contributor.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Sum
from django.urls import reverse

from contributions import assessment
from contributions.assessment import (
    assessment_month_start,
    assessment_run_approve,
    assessment_run_create,
    assessment_run_discard_dry_run,
    assessment_run_execute,
    assessment_run_release,
    assessment_run_start,
    run_variance,
)
from contributions.calc import contribution_line, flexible_line
from contributions.choices import BaseBasis, BaseRule, LineKind, RunStatus
from contributions.models import AssessmentRun, Bill, ContributionBase, ContributionLine
from enrollment.choices import (
    EmployerKind,
    PersonCategory,
    PersonStatus,
    RegistrationSource,
    Sex,
)
from enrollment.models import Employer, Employment, InsuredPerson
from pension.choices import RegionLevel
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import Agency, ChangeLogEntry, Region
from pension.periods import Period
from pension.selectors import policy_value

pytestmark = pytest.mark.django_db

# Shanxi 2025 limits (DESIGN §4), as the base rows record them.
FLOOR, CEILING = D("4198.00"), D("20991.00")


# Fixtures ---------------------------------------------------------------------------


@pytest.fixture
def county(demo_tiny) -> Region:
    """A county of Taiyuan with no demo employer and no demo flexible contributor."""
    employers = set(Employer.objects.values_list("region_id", flat=True))
    flexible = set(
        InsuredPerson.objects.filter(
            category__in=[PersonCategory.FLEXIBLE, PersonCategory.INDIVIDUAL_BUSINESS],
            status=PersonStatus.CONTRIBUTING,
        ).values_list("region_id", flat=True)
    )
    region = (
        Region.objects.filter(code__startswith="1401", level=RegionLevel.COUNTY)
        .exclude(code__in=employers | flexible)
        .order_by("code")
        .first()
    )
    assert region is not None, "the tiny demo fills every county of Taiyuan"
    return region


class Maker:
    """Employers, people, employments and bases of the tests, in one county."""

    def __init__(self, county: Region) -> None:
        self.county = county
        self.agency = Agency.objects.get(region_id="140100")
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def employer(self, name: str) -> Employer:
        return Employer.objects.create(
            credit_code=f"99{self._next():016d}",
            name=name,
            kind=EmployerKind.ENTERPRISE,
            region=self.county,
            agency=self.agency,
            source=RegistrationSource.HALL,
            registered_on=date(2018, 1, 1),
        )

    def person(self, name: str, category: str = PersonCategory.EMPLOYEE) -> InsuredPerson:
        return InsuredPerson.objects.create(
            id_number=f"98{self._next():016d}",
            name=name,
            sex=Sex.MALE,
            birth_date=date(1985, 6, 1),
            category=category,
            status=PersonStatus.CONTRIBUTING,
            region=self.county,
            agency=self.agency,
        )

    def employ(self, person, employer, start: int, stop: int | None = None) -> Employment:
        return Employment.objects.create(
            person=person, employer=employer, start_period=start, stop_period=stop
        )

    def base(self, person, employer, year: int, base: str) -> ContributionBase:
        amount = D(base)
        return ContributionBase.objects.create(
            person=person,
            employer=employer,
            year=year,
            declared_wage=amount,
            basis=BaseBasis.SELF_DECLARED if employer is None else BaseBasis.PRIOR_YEAR_AVERAGE,
            base=amount,
            rule=BaseRule.AS_DECLARED,
            floor=FLOOR,
            ceiling=CEILING,
        )


@pytest.fixture
def world(county) -> dict:
    """Employer A with P1–P4 (bases 4198.00, 6666.67, 6666.67, 20991.00; P3 joins in
    2025-03) and P5 (no base); employer B with P6, who left at 2025-03 (base 8000.00);
    flexible worker F (base 5000.00). All bases are for 2025."""
    make = Maker(county)
    a, b = make.employer("甲测试有限公司"), make.employer("乙测试有限公司")
    people = {name: make.person(name) for name in ("P1", "P2", "P3", "P4", "P5", "P6")}
    for name in ("P1", "P2", "P4", "P5"):
        make.employ(people[name], a, 202401)
    make.employ(people["P3"], a, 202503)
    make.employ(people["P6"], b, 202401, 202503)  # stop is exclusive: not in 2025-03
    for name, base in (("P1", "4198.00"), ("P2", "6666.67"), ("P3", "6666.67"), ("P4", "20991.00")):
        make.base(people[name], a, 2025, base)
    make.base(people["P6"], b, 2025, "8000.00")
    flexible = make.person("F", PersonCategory.FLEXIBLE)
    make.base(flexible, None, 2025, "5000.00")
    return {"make": make, "A": a, "B": b, "F": flexible, **people}


def _run(staff, world, *, period="2025-03", dry_run=False, by="city_caseworker", region=None):
    return assessment_run_create(
        actor=staff[by], period=period, region=region or world["make"].county, dry_run=dry_run
    )


def _lines(run) -> dict[str, ContributionLine]:
    return {line.person.name: line for line in run.lines.select_related("person")}


def _log_count(run) -> int:
    return ChangeLogEntry.objects.filter(
        object_type="contributions.assessmentrun", object_id=str(run.pk)
    ).count()


# Figures -----------------------------------------------------------------------------


def test_a_live_run_assesses_each_line_by_hand(staff, world):
    run = assessment_run_execute(_run(staff, world).pk)

    assert run.status == RunStatus.CALCULATED
    lines = _lines(run)
    amounts = {
        name: (line.base, line.employer_amount, line.individual_amount, line.account_credit)
        for name, line in lines.items()
    }
    assert amounts == {
        # 4198.00 × 16 % = 671.68; × 8 % = 335.84 (individual and account)
        "P1": (D("4198.00"), D("671.68"), D("335.84"), D("335.84")),
        # 6666.67 × 16 % = 1066.6672 → 1066.67; × 8 % = 533.3336 → 533.33
        "P2": (D("6666.67"), D("1066.67"), D("533.33"), D("533.33")),
        "P3": (D("6666.67"), D("1066.67"), D("533.33"), D("533.33")),
        # 20991.00 × 16 % = 3358.56; × 8 % = 1679.28
        "P4": (D("20991.00"), D("3358.56"), D("1679.28"), D("1679.28")),
        # flexible: 5000.00 × 20 % = 1000.00, all the individual's; 8 % = 400.00 credited
        "F": (D("5000.00"), D("0.00"), D("1000.00"), D("400.00")),
    }
    assert {(x.employer_rate, x.individual_rate, x.account_rate) for x in lines.values()} == {
        (D("0.16"), D("0.08"), D("0.08")),
        (D("0"), D("0.20"), D("0.08")),
    }
    assert all(
        x.posted and x.kind == LineKind.REGULAR and x.period == Period(2025, 3)
        for x in lines.values()
    )
    assert lines["P1"].employer_id == world["A"].pk and lines["F"].employer_id is None
    assert lines["P1"].base_record.base == D("4198.00")

    bill_a = Bill.objects.get(run=run, employer=world["A"])
    # employer 671.68 + 1066.67 + 1066.67 + 3358.56 = 6163.58, while the total base
    # 38522.34 × 16 % = 6163.5744 would round to 6163.57; individual 335.84 + 533.33 +
    # 533.33 + 1679.28 = 3081.78, while 38522.34 × 8 % = 3081.7872 → 3081.79
    assert (bill_a.line_count, bill_a.employer_amount, bill_a.individual_amount, bill_a.total) == (
        4,
        D("6163.58"),
        D("3081.78"),
        D("9245.36"),  # 6163.58 + 3081.78
    )
    sums = run.lines.filter(employer=world["A"]).aggregate(
        e=Sum("employer_amount"), i=Sum("individual_amount")
    )
    assert (bill_a.employer_amount, bill_a.individual_amount) == (sums["e"], sums["i"])
    bill_f = Bill.objects.get(run=run, person=world["F"])
    assert (bill_f.employer_id, bill_f.line_count, bill_f.employer_amount, bill_f.total) == (
        None,
        1,
        D("0.00"),
        D("1000.00"),
    )
    # period 2025-03 is due on the payment due day (15) of the month after
    assert {b.due_date for b in (bill_a, bill_f)} == {date(2025, 4, 15)}
    assert {b.region_id for b in (bill_a, bill_f)} == {world["make"].county.code}
    assert all(b.posted and b.kind == LineKind.REGULAR for b in (bill_a, bill_f))

    # bases 4198.00 + 6666.67 + 6666.67 + 20991.00 + 5000.00 = 43522.34;
    # individual 3081.78 + 1000.00 = 4081.78; account 3081.78 + 400.00 = 3481.78
    assert (
        run.line_count,
        run.bill_count,
        run.total_base,
        run.total_employer,
        run.total_individual,
        run.total_account,
    ) == (5, 2, D("43522.34"), D("6163.58"), D("4081.78"), D("3481.78"))
    # P1–P5 employed in 2025-03 and F contributing: 6 heads; P5 has no base
    assert (run.total_count, run.processed_count) == (6, 6)
    assert run.parameters["missing_base"] == {"count": 1, "person_ids": [world["P5"].pk]}
    assert run.parameters["flexible_without_base"] == {"count": 0, "person_ids": []}
    assert run.parameters["due_date"] == "2025-04-15"
    on = date(2025, 3, 1)
    assert run.parameters["rates"]["employer_rate"] == {
        "value": "0.16",
        "reference": policy_value("contribution.employer_rate", on=on).reference,
    }
    assert run.parameters["rates"]["flexible_rate"]["value"] == "0.20"
    # created, running, calculated: one entry per transition, none per line
    assert _log_count(run) == 3


def test_sql_rounding_agrees_with_calc(db):
    """PostgreSQL's round(numeric, 2) goes half away from zero, i.e. half-up here."""
    cases = [
        # (base, rate, hand-computed amount)
        (D("4198.00"), D("0.16"), D("671.68")),
        (D("6666.67"), D("0.16"), D("1066.67")),  # 1066.6672
        (D("3333.33"), D("0.08"), D("266.67")),  # 266.6664
        (D("1234.57"), D("0.20"), D("246.91")),  # 246.914
        (D("0.01"), D("0.5"), D("0.01")),  # 0.005: an exact half goes up
        (D("1234.57"), D("0.5"), D("617.29")),  # 617.285
        (D("20991.00"), D("0.08"), D("1679.28")),
    ]
    with connection.cursor() as cursor:
        for base, rate, expected in cases:
            cursor.execute("SELECT round(%s::numeric * %s::numeric, 2)", [base, rate])
            in_sql = cursor.fetchone()[0]
            in_python = contribution_line(
                base, employer_rate=rate, individual_rate=rate, account_rate=rate
            ).employer_amount
            assert in_sql == in_python == expected, (base, rate)
            if rate <= D("0.20"):
                assert flexible_line(base, rate=rate, account_rate=rate).individual_amount == (
                    expected
                )


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_second_execution_adds_nothing(staff, world, dry_run):
    run = assessment_run_execute(_run(staff, world, dry_run=dry_run).pk)
    before = (run.line_count, run.bill_count, run.total_employer, _log_count(run))

    again = assessment_run_execute(run.pk)

    assert again.status == RunStatus.CALCULATED
    assert (again.line_count, again.bill_count, again.total_employer, _log_count(again)) == before
    assert ContributionLine.objects.filter(run=run).count() == 5
    assert Bill.objects.filter(run=run).count() == 2

    # a worker that lost the bookkeeping and assesses every chunk again: the unique
    # keys refuse the lines, and bills are only made of lines just inserted
    AssessmentRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        processed_count=0,
        parameters={**run.parameters, "chunks_done": []},
    )
    again = assessment_run_execute(run.pk)
    assert (again.status, again.line_count, again.bill_count, again.total_employer) == (
        RunStatus.CALCULATED,
        *before[:3],
    )
    assert ContributionLine.objects.filter(run=run).count() == 5
    assert Bill.objects.filter(run=run).count() == 2


def test_a_failed_run_resumes_where_it_stopped(staff, world, monkeypatch):
    # the whole city: the demo's counties come first, ours later, each a chunk
    run = _run(staff, world, region="140100")

    def boom(run, committed):
        raise RuntimeError("boom after the first chunk")

    monkeypatch.setattr(assessment, "_after_chunk", boom)
    with pytest.raises(RuntimeError):
        assessment_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: boom after the first chunk"
    first_code, first_heads = run.parameters["chunks"][0]
    assert run.parameters["chunks_done"] == [first_code]
    assert run.processed_count == first_heads < run.total_count
    assert world["make"].county.code in [code for code, _ in run.parameters["chunks"][1:]]

    monkeypatch.undo()
    run = assessment_run_execute(run.pk)

    assert run.status == RunStatus.CALCULATED
    assert run.processed_count == run.total_count
    assert [code for code, _ in run.parameters["chunks"]] == run.parameters["chunks_done"]
    # the same lines and totals as the county run above (the demo has no bases)
    assert (run.line_count, run.bill_count, run.total_employer, run.total_individual) == (
        5,
        2,
        D("6163.58"),
        D("4081.78"),
    )
    # created, running, failed, running (resumed), calculated
    assert _log_count(run) == 5


def test_a_dry_run_posts_nothing_and_does_not_block_a_live_run(staff, world):
    dry = assessment_run_execute(_run(staff, world, dry_run=True).pk)
    assert dry.line_count == 5 and dry.bill_count == 2
    assert not dry.lines.filter(posted=True).exists()
    assert not dry.bills.filter(posted=True).exists()

    live = assessment_run_execute(_run(staff, world).pk)

    assert live.line_count == 5 and live.lines.filter(posted=True).count() == 5
    assert live.total_employer == dry.total_employer == D("6163.58")
    assert dry.lines.count() == 5  # kept aside until discarded

    with pytest.raises(Conflict) as refused:
        assessment_run_discard_dry_run(actor=staff["city_caseworker"], run=live)
    assert refused.value.code == "not_dry_run"

    dry = assessment_run_discard_dry_run(actor=staff["city_caseworker"], run=dry)
    assert dry.status == RunStatus.CLOSED
    assert dry.parameters["discarded"]["lines"] == 5
    assert dry.parameters["discarded"]["bills"] == 2
    assert not ContributionLine.objects.filter(run=dry).exists()
    assert not Bill.objects.filter(run=dry).exists()
    assert live.lines.count() == 5 and live.bills.count() == 2


def test_variance_against_the_previous_period(staff, world):
    february = assessment_run_execute(_run(staff, world, period="2025-02").pk)
    # February: P1, P2, P4 at A (P3 joins in March); P6 at B; F
    assert february.line_count == 5
    make = world["make"]
    c = make.employer("丙测试有限公司")
    p7 = make.person("P7")
    make.employ(p7, c, 202503)
    make.base(p7, c, 2025, "5000.00")

    march = assessment_run_execute(_run(staff, world, dry_run=True).pk)
    rows = run_variance(march)

    shown = [
        (r.change, r.name, r.previous_total, r.current_total, r.difference, r.count_change)
        for r in rows
    ]
    assert shown == [
        # B: P6 left; 8000.00 × 16 % = 1280.00 + 8 % = 640.00 → 1920.00 gone
        ("gone", "乙测试有限公司", D("1920.00"), None, D("-1920.00"), -1),
        # A: 1007.52 (P1) + 1600.00 (P2) + 5037.84 (P4) = 7645.36 → + 1600.00 (P3) = 9245.36
        ("changed", "甲测试有限公司", D("7645.36"), D("9245.36"), D("1600.00"), 1),
        # C: P7 5000.00 × 16 % = 800.00 + 400.00 = 1200.00, new
        ("new", "丙测试有限公司", None, D("1200.00"), D("1200.00"), 1),
    ]  # F pays 1000.00 both months: unchanged, not listed


def test_rates_before_and_after_the_2019_05_cut(staff, world):
    make = world["make"]
    employer = make.employer("丁测试有限公司")
    person = make.person("P8")
    make.employ(person, employer, 201801)
    make.base(person, employer, 2019, "5000.00")

    april = assessment_run_execute(_run(staff, world, period="2019-04").pk)
    may = assessment_run_execute(_run(staff, world, period="2019-05").pk)

    line_april, line_may = april.lines.get(), may.lines.get()
    # 2019-04: 5000.00 × 20 % = 1000.00 (国办发〔2019〕13号 cut it from 2019-05-01)
    assert (line_april.employer_rate, line_april.employer_amount) == (D("0.20"), D("1000.00"))
    # 2019-05: 5000.00 × 16 % = 800.00; individual 8 % = 400.00 both months
    assert (line_may.employer_rate, line_may.employer_amount) == (D("0.16"), D("800.00"))
    assert line_april.individual_amount == line_may.individual_amount == D("400.00")
    assert april.parameters["rates"]["employer_rate"]["value"] == "0.20"
    assert may.parameters["rates"]["employer_rate"]["value"] == "0.16"
    assert (
        april.parameters["rates"]["employer_rate"]["reference"]
        != may.parameters["rates"]["employer_rate"]["reference"]
    )
    # F has a 2025 base only: a flexible contributor without a base in 2019
    assert april.parameters["flexible_without_base"]["person_ids"] == [world["F"].pk]
    assert april.parameters["due_date"] == "2019-05-15"


# Creating and starting -----------------------------------------------------------------


def test_create_refuses_a_second_live_run_and_outsiders(staff, world):
    first = _run(staff, world)
    with pytest.raises(Conflict) as second:
        _run(staff, world)
    assert second.value.code == "live_run_exists"
    assert str(first.pk) in str(second.value)
    # the city around the county: the same people would be assessed twice
    with pytest.raises(Conflict) as around:
        _run(staff, world, region="140100")
    assert around.value.code == "live_run_exists"
    assert _run(staff, world, dry_run=True).dry_run  # dry runs never conflict

    with pytest.raises(NotPermitted) as outsider:
        _run(staff, world, by="caseworker")  # a caseworker of 140105, another county
    assert outsider.value.code == "outside_region"
    with pytest.raises(NotPermitted):
        _run(staff, world, by="auditor")  # auditors never prepare
    with pytest.raises(InvalidInput) as future:
        _run(staff, world, period="2099-01", dry_run=True)
    assert future.value.code == "future_period"
    assert AssessmentRun.objects.count() == 2


def test_a_failed_live_run_is_resumed_not_replaced(staff, world):
    run = _run(staff, world)
    AssessmentRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    with pytest.raises(Conflict) as refused:
        _run(staff, world)
    assert refused.value.code == "failed_run_exists"


def test_start_queues_the_task_when_the_transaction_commits(
    staff, world, django_capture_on_commit_callbacks
):
    run = _run(staff, world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = assessment_run_start(actor=staff["city_caseworker"], run=run)
    assert started.status == RunStatus.RUNNING and started.started_at is not None
    assert len(callbacks) == 1
    run = assessment_run_execute(run.pk)  # what the queued task does
    assert run.status == RunStatus.CALCULATED and run.line_count == 5
    assert _log_count(run) == 3  # created, started (by the caseworker), calculated
    entry = ChangeLogEntry.objects.filter(object_id=str(run.pk), reason="started").get()
    assert entry.actor_id == staff["city_caseworker"].pk


def test_month_start_creates_and_starts_the_provinces_dry_run_once(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = assessment_month_start(today=date(2025, 4, 1))
    assert (run.period, run.region_id, run.dry_run, run.status) == (
        Period(2025, 4),
        "140000",
        True,
        RunStatus.RUNNING,
    )
    assert run.started_by is None  # the system: no technical user stands in for it
    assert not get_user_model().objects.filter(username="system").exists()
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=False):
        assert assessment_month_start(today=date(2025, 4, 1)) is None
    assert AssessmentRun.objects.count() == 1
    # the pages name the system as the starter (Chinese by default)
    client.force_login(staff["province_reviewer"])
    page = client.get(reverse("contributions:run_detail", args=[run.pk])).content.decode()
    assert '<dd id="run-started-by">系统 · ' in page
    rows = client.get(reverse("contributions:run_list")).content.decode()
    assert "<td>系统</td>" in rows


# Maker-checker ---------------------------------------------------------------------------


def test_approval_needs_a_second_reviewer_of_the_region(staff, world):
    run = assessment_run_execute(_run(staff, world, by="city_reviewer").pk)
    entries = _log_count(run)

    refusals = {
        "city_reviewer": "self_approval",  # the starter
        "other_reviewer": "outside_region",  # a reviewer of 140212 (Datong)
        "reviewer": "outside_region",  # a reviewer of 140105, another county
        "city_caseworker": "not_reviewer",
    }
    for username, code in refusals.items():
        with pytest.raises(NotPermitted) as refused:
            assessment_run_approve(actor=staff[username], run=run)
        assert refused.value.code == code, username
    with pytest.raises(Conflict) as early:
        assessment_run_release(actor=staff["city_caseworker"], run=run)
    assert early.value.code == "not_approved"
    run.refresh_from_db()
    assert (run.status, run.approved_by, _log_count(run)) == (RunStatus.CALCULATED, None, entries)

    run = assessment_run_approve(actor=staff["province_reviewer"], run=run)
    assert (run.status, run.approved_by) == (RunStatus.APPROVED, staff["province_reviewer"])
    run = assessment_run_release(actor=staff["city_caseworker"], run=run)
    assert run.status == RunStatus.RELEASED
    assert _log_count(run) == entries + 2
    with pytest.raises(Conflict) as again:
        assessment_run_approve(actor=staff["province_reviewer"], run=run)
    assert again.value.code == "wrong_status"


def test_a_dry_run_is_never_approved(staff, world):
    dry = assessment_run_execute(_run(staff, world, dry_run=True).pk)
    with pytest.raises(Conflict) as refused:
        assessment_run_approve(actor=staff["city_reviewer"], run=dry)
    assert refused.value.code == "dry_run"


# Pages -----------------------------------------------------------------------------------


def test_pages_are_scoped_and_guarded(client, staff, world):
    run = _run(staff, world)
    detail = reverse("contributions:run_detail", args=[run.pk])
    assert client.get(detail).status_code == 302  # anonymous: to sign in
    client.force_login(staff["city_budget"])  # no contributions section
    assert client.get(detail).status_code == 403
    client.force_login(staff["other_caseworker"])  # Datong
    assert client.get(detail).status_code == 404
    assert (
        f'data-run="{run.pk}"' not in client.get(reverse("contributions:run_list")).content.decode()
    )
    client.force_login(staff["city_caseworker"])
    assert f'data-run="{run.pk}"' in client.get(reverse("contributions:run_list")).content.decode()


def test_new_run_form_creates_a_run_in_the_users_region(client, staff, world):
    client.force_login(staff["city_caseworker"])
    form = client.get(reverse("contributions:run_create")).context["form"]
    codes = {r.code for r in form.fields["region"].queryset}
    assert "140100" in codes and world["make"].county.code in codes
    assert not any(code.startswith("1402") for code in codes)

    response = client.post(
        reverse("contributions:run_create"),
        {"period": "2025-03", "region": world["make"].county.code, "dry_run": "on"},
    )
    run = AssessmentRun.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "contributions:run_detail", args=[run.pk]
    )
    assert (run.period, run.dry_run, run.started_by) == (
        Period(2025, 3),
        True,
        staff["city_caseworker"],
    )
    # a region outside the user's scope is not a choice
    response = client.post(
        reverse("contributions:run_create"), {"period": "2025-03", "region": "140212"}
    )
    assert response.status_code == 200 and "region" in response.context["form"].errors
    assert AssessmentRun.objects.count() == 1


def test_run_page_polls_while_running_and_shows_the_results(
    client, staff, world, django_capture_on_commit_callbacks
):
    run = _run(staff, world, dry_run=True)
    client.force_login(staff["city_caseworker"])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("contributions:run_start", args=[run.pk]))
    assert response.status_code == 302
    progress_url = reverse("contributions:run_progress", args=[run.pk])
    html = client.get(reverse("contributions:run_detail", args=[run.pk])).content.decode()
    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in html

    assessment_run_execute(run.pk)
    partial = client.get(progress_url, headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"
    assert "hx-trigger" not in partial.content.decode()
    assert 'value="100"' in partial.content.decode()

    html = client.get(reverse("contributions:run_detail", args=[run.pk])).content.decode()
    assert "hx-trigger" not in html
    assert 'data-change="new"' in html and "甲测试有限公司" in html  # no February bills
    assert "9,245.36" in html and "6,163.58" in html
    # the chart of the run by region: the county's one bar of each, the run's totals
    run.refresh_from_db()
    data = re.search(
        r'<script id="assessment-by-region" type="application/json">(.*?)</script>', html, re.S
    )
    figures = json.loads(data.group(1))
    assert [s["values"] for s in figures["series"]] == [
        [str(run.total_employer)],
        [str(run.total_individual)],
    ]
    assert '<td class="num" id="missing-count">1</td>' in html
    assert f'href="/enrollment/people/{world["P5"].pk}/"' in html
    assert 'id="discard"' in html and 'id="approve"' not in html


def test_run_page_buttons_call_the_services(client, staff, world):
    run = assessment_run_execute(_run(staff, world).pk)
    detail = reverse("contributions:run_detail", args=[run.pk])
    client.force_login(staff["city_caseworker"])
    assert 'id="approve"' not in client.get(detail).content.decode()
    client.post(reverse("contributions:run_release", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.CALCULATED  # refused: not approved

    client.force_login(staff["city_reviewer"])
    assert 'id="approve"' in client.get(detail).content.decode()
    response = client.post(reverse("contributions:run_approve", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (RunStatus.APPROVED, staff["city_reviewer"])
    client.post(reverse("contributions:run_release", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.RELEASED
    assert client.get(reverse("contributions:run_approve", args=[run.pk])).status_code == 405


def test_one_regular_posted_line_per_person_period_and_employer(staff, world):
    assessment_run_execute(_run(staff, world).pk)
    assessment_run_execute(_run(staff, world, dry_run=True).pk)
    duplicates = (
        ContributionLine.objects.filter(posted=True, kind=LineKind.REGULAR)
        .values("person", "period", "employer")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()


# One assessment per person and month (DESIGN §5.2) -------------------------------------


def _person_lines(run, person) -> list[tuple]:
    return [
        (x.employer_id, x.base, x.employer_amount, x.individual_amount)
        for x in run.lines.filter(person=person)
    ]


def test_a_hired_flexible_worker_is_assessed_by_the_employer_only(staff, world):
    from enrollment.services import employment_add, employment_remove

    make, flexible, a = world["make"], world["F"], world["A"]
    make.base(flexible, a, 2025, "6000.00")
    hired = employment_add(actor=None, employer=a, person=flexible, start=Period(2025, 3))

    # 2025-02, before the hire: flexible, 5000.00 × 20 % = 1000.00
    february = assessment_run_execute(_run(staff, world, period="2025-02").pk)
    assert _person_lines(february, flexible) == [(None, D("5000.00"), D("0.00"), D("1000.00"))]
    # 2025-03, the month of hire: once, by A: 6000.00 × 16 % = 960.00, × 8 % = 480.00
    march = assessment_run_execute(_run(staff, world, period="2025-03").pk)
    assert _person_lines(march, flexible) == [(a.pk, D("6000.00"), D("960.00"), D("480.00"))]
    assert not march.bills.filter(person=flexible).exists()
    # A's bill: P1 671.68 + 335.84, P2 and P3 1066.67 + 533.33 each, P4 3358.56 +
    # 1679.28, F 960.00 + 480.00 → employer 7123.58, individual 3561.78
    bill = march.bills.get(employer=a)
    assert (bill.line_count, bill.employer_amount, bill.individual_amount) == (
        5,
        D("7123.58"),
        D("3561.78"),
    )
    # leaves A from 2025-04: flexible again, still contributing
    employment_remove(actor=None, employment=hired, stop=Period(2025, 4), reason="离职")
    april = assessment_run_execute(_run(staff, world, period="2025-04").pk)
    assert _person_lines(april, flexible) == [(None, D("5000.00"), D("0.00"), D("1000.00"))]


def test_a_retired_or_deceased_person_is_never_assessed_after(staff, world):
    from enrollment.services import person_status_change

    p1, p2, p4, flexible = world["P1"], world["P2"], world["P4"], world["F"]
    # P1 retires in 2025-02 (assessed up to it, pension from 2025-03): the retirement
    # case closes the employment from 2025-03; P2 dies in 2025-02: closed from 2025-03;
    # the flexible worker dies in 2025-02 as well
    person_status_change(
        actor=None, person=p1, status=PersonStatus.RETIRED, reason="退休", stop=Period(2025, 3)
    )
    person_status_change(
        actor=None, person=p2, status=PersonStatus.DECEASED, reason="死亡", stop=Period(2025, 3)
    )
    person_status_change(
        actor=None, person=flexible, status=PersonStatus.DECEASED, reason="死亡",
        stop=Period(2025, 3),
    )  # fmt: skip
    assert list(
        Employment.objects.filter(person__in=[p1, p2]).values_list("stop_period", flat=True)
    ) == [Period(2025, 3), Period(2025, 3)]
    # 2025-02 still assessed for P1 and P2
    february = assessment_run_execute(_run(staff, world, period="2025-02").pk)
    assert {x.person.name for x in february.lines.select_related("person")} >= {"P1", "P2"}
    # 2025-03: neither, nor the deceased flexible worker
    march = assessment_run_execute(_run(staff, world, period="2025-03").pk)
    assert {x.person.name for x in march.lines.select_related("person")} == {"P3", "P4"}
    # an employment left open for a retired person (recorded before employments were
    # closed) is not assessed either
    InsuredPerson.objects.filter(pk=p4.pk).update(status=PersonStatus.RETIRED)
    assert Employment.objects.get(person=p4).stop_period is None
    april = assessment_run_execute(_run(staff, world, period="2025-04").pk)
    assert {x.person.name for x in april.lines.select_related("person")} == {"P3"}


def test_an_employment_that_starts_after_the_retirement_is_removed(staff, world):
    from enrollment.services import person_status_change

    make, p3 = world["make"], world["P3"]
    # P3 also has an employment with B added in advance from 2025-06 (A's ends first)
    Employment.objects.filter(person=p3).update(stop_period=Period(2025, 5))
    later = make.employ(p3, world["B"], 202506)
    person_status_change(
        actor=None, person=p3, status=PersonStatus.RETIRED, reason="退休", stop=Period(2025, 4)
    )
    # A's (closed already) stays; B's never took effect and is gone, the change logged
    assert list(Employment.objects.filter(person=p3).values_list("stop_period", flat=True)) == [
        Period(2025, 5)
    ]
    assert ChangeLogEntry.objects.filter(
        object_type="enrollment.employment", object_id=str(later.pk), action="delete"
    ).exists()


def test_a_flexible_worker_who_stops_at_the_hall_is_not_assessed(staff, world):
    from enrollment.services import flexible_contribution_interrupt, flexible_contribution_resume

    flexible, caseworker = world["F"], staff["city_caseworker"]
    flexible_contribution_interrupt(actor=caseworker, person=flexible, reason="本人申请中断缴费")
    flexible.refresh_from_db()
    assert flexible.status == PersonStatus.INTERRUPTED
    march = assessment_run_execute(_run(staff, world, period="2025-03").pk)
    assert _person_lines(march, flexible) == []
    flexible_contribution_resume(actor=caseworker, person=flexible, reason="恢复缴费")
    april = assessment_run_execute(_run(staff, world, period="2025-04").pk)
    assert _person_lines(april, flexible) == [(None, D("5000.00"), D("0.00"), D("1000.00"))]
