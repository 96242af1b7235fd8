"""The demo step "enrollment" (enrollment/demo.py): valid and unique identifiers, plausible
people and employment, owning agencies, and the same rows every time."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from itertools import pairwise

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from enrollment import demo
from enrollment.choices import (
    EmployerStatus,
    OccupationKind,
    PersonCategory,
    PersonStatus,
    Sex,
)
from enrollment.models import Employer, Employment, InsuredPerson
from enrollment.services import owning_agency
from pension.bulk import copy_rows
from pension.choices import RegionLevel
from pension.demo import _STEPS, DemoContext
from pension.models import ChangeLogEntry, Region
from pension.periods import Period
from pension.validators import parse_citizen_id, parse_credit_code

pytestmark = pytest.mark.django_db

TINY = demo.SIZES["tiny"]


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _statutory_age(sex: str, occupation_kind: str) -> int:
    if sex == Sex.MALE:
        return 60
    return 55 if occupation_kind == OccupationKind.CADRE else 50


def _period(d: date) -> Period:
    return Period.from_date(d)


def _months(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _plan(scale: str = "tiny") -> demo.Plan:
    ctx = DemoContext("tiny", "shanxi", "140000", timezone.localdate(), lambda message: None)
    plan = demo.plan_for(ctx)
    return dataclasses.replace(plan, sizes=demo.SIZES[scale])


def _generate(plan: demo.Plan) -> tuple[list[tuple], list[tuple], list[tuple]]:
    rows = demo.DemoRows(plan)
    return list(rows.employers()), list(rows.people()), list(rows.employments())


def test_the_step_runs_in_the_tiny_demo_and_logs_one_entry(demo_tiny):
    assert "enrollment" in [name for name, _ in _STEPS]
    assert Employer.objects.count() == TINY.employers
    assert InsuredPerson.objects.count() == TINY.people
    assert InsuredPerson.objects.filter(status=PersonStatus.RETIRED).count() == TINY.retired
    entry = ChangeLogEntry.objects.get(object_type="enrollment.demo")
    assert (entry.action, entry.object_id, entry.actor_id) == ("create", "tiny", None)
    assert entry.reason == f"demo data: {TINY.employers} employers, {TINY.people} people"


def test_citizen_ids_are_valid_unique_and_agree_with_the_person(demo_tiny):
    counties = set(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="14").values_list(
            "code", flat=True
        )
    )
    people = list(InsuredPerson.objects.values_list("id_number", "birth_date", "sex", "region_id"))
    assert len({number for number, *_ in people}) == len(people) == TINY.people
    for number, birth_date, sex, region in people:
        parsed = parse_citizen_id(number)
        assert (parsed.birth_date, parsed.sex) == (birth_date, sex), number
        assert parsed.region_code == region
        assert region in counties  # a real county of the demo province
    cards = [c for c in InsuredPerson.objects.values_list("card_number", flat=True) if c]
    assert len(set(cards)) == len(cards) > TINY.people // 2


def test_credit_codes_are_valid_unique_and_name_the_employers_county(demo_tiny):
    employers = list(Employer.objects.values_list("credit_code", "region_id"))
    assert len({code for code, _ in employers}) == len(employers) == TINY.employers
    for code, region in employers:
        assert parse_credit_code(code) == code
        assert code[2:8] == region
        assert region.startswith("14")


def test_records_lie_in_the_demo_province_and_belong_to_the_nearest_agency(demo_tiny):
    expected: dict[str, int] = {}
    for model in (InsuredPerson, Employer):
        for record in model.objects.select_related("region", "agency"):
            assert record.region.code.startswith("14")
            assert record.region.level == RegionLevel.COUNTY
            if record.region_id not in expected:
                expected[record.region_id] = owning_agency(record.region).pk
            assert record.agency_id == expected[record.region_id]
    # at tiny scale most counties have no agency of their own: their city's or the province's
    assert len(set(expected.values())) > 1


def test_people_are_plausible_for_their_sex_status_and_category(demo_tiny):
    today = timezone.localdate()
    account_start = date(1997, 7, 1)  # Shanxi's accounts.start_month
    people = list(InsuredPerson.objects.all())
    for p in people:
        age = _age(p.birth_date, today)
        statutory = _statutory_age(p.sex, p.occupation_kind)
        assert 18 <= age <= 95, p.id_number
        if p.status == PersonStatus.RETIRED:
            assert age >= statutory, (p.id_number, p.sex, p.occupation_kind, age)
        else:
            assert age < statutory + 1, (p.id_number, age)
        assert 18 <= _age(p.birth_date, p.first_work_date) <= 25, p.id_number
        assert p.first_insured_date >= date(1992, 1, 1)
        assert p.first_work_date <= p.first_insured_date <= today
        if p.first_work_date >= account_start:
            assert p.deemed_months == 0
        else:
            until = min(account_start, p.first_insured_date.replace(day=1))
            assert p.deemed_months == min(600, _months(p.first_work_date, until))
        if p.sex == Sex.MALE:
            assert p.occupation_kind == OccupationKind.WORKER
    sexes = Counter(p.sex for p in people)
    assert sexes[Sex.MALE] and sexes[Sex.FEMALE]
    categories = Counter(p.category for p in people)
    assert categories[PersonCategory.EMPLOYEE] > len(people) * 0.7
    assert any(p.deemed_months for p in people)
    assert any(p.status == PersonStatus.INTERRUPTED for p in people)


def test_employment_never_overlaps_and_matches_the_status(demo_tiny):
    today_period = _period(timezone.localdate())
    by_person: dict[int, list[Employment]] = {}
    for e in Employment.objects.select_related("employer").order_by("person_id", "start_period"):
        by_person.setdefault(e.person_id, []).append(e)
    for p in InsuredPerson.objects.all():
        jobs = by_person.get(p.pk, [])
        current = [e for e in jobs if e.stop_period is None]
        assert len(current) <= 1
        for before, after in pairwise(jobs):
            assert before.stop_period is not None and before.stop_period <= after.start_period
        for e in jobs:
            assert _period(p.first_insured_date) <= e.start_period <= today_period
            assert e.stop_period is None or e.start_period < e.stop_period <= today_period
        employed = p.category in (PersonCategory.EMPLOYEE, PersonCategory.PART_TIME)
        if not employed:
            assert not jobs
        elif p.status == PersonStatus.CONTRIBUTING:
            assert len(current) == 1
            assert current[0].employer.status == EmployerStatus.ACTIVE
        else:  # interrupted or retired: every employment has ended
            assert jobs and not current
        if p.status == PersonStatus.RETIRED and jobs:
            assert jobs[-1].stop_reason == "退休"
            retired_on = jobs[-1].stop_period.first_day
            assert _age(p.birth_date, retired_on) >= _statutory_age(p.sex, p.occupation_kind)


def test_the_rows_are_the_same_every_time(demo_tiny):
    plan = _plan()
    first, second = _generate(plan), _generate(plan)
    assert first == second
    # and they are what the demo loaded (same plan but for the time stamp)
    loaded = list(InsuredPerson.objects.order_by("id").values_list("id_number", flat=True))
    assert [row[1] for row in first[1]] == loaded
    codes = list(Employer.objects.order_by("id").values_list("credit_code", flat=True))
    assert [row[1] for row in first[0]] == codes


def test_demo_scale_rows_are_valid_unique_and_spread_as_planned(demo_tiny):
    """The demo scale, generated without writing: 40 000 people."""
    plan = _plan("demo")
    employers, people, employments = _generate(plan)
    sizes = demo.SIZES["demo"]
    assert (len(employers), len(people)) == (sizes.employers, sizes.people)
    assert len({r[1] for r in employers}) == sizes.employers
    assert len({r[1] for r in people}) == sizes.people
    cards = [r[10] for r in people if r[10]]
    assert len(set(cards)) == len(cards)
    for row in people[::7]:
        parsed = parse_citizen_id(row[1])
        assert (parsed.birth_date.isoformat(), parsed.sex) == (row[4], row[3])
    for row in employers[::7]:
        assert parse_credit_code(row[1]) == row[1]
    assert sum(r[15] == PersonStatus.RETIRED for r in people) == sizes.retired
    men = sum(r[3] == Sex.MALE for r in people) / sizes.people
    assert 0.50 < men < 0.54
    categories = Counter(r[5] for r in people)
    assert 0.78 < categories[PersonCategory.EMPLOYEE] / sizes.people < 0.82
    assert 0.13 < categories[PersonCategory.FLEXIBLE] / sizes.people < 0.17
    # the capital's districts are the largest
    by_region = Counter(r[16] for r in people)
    assert by_region.most_common(1)[0][0].startswith("1401")
    current = Counter(r[0] for r in employments if r[3] is None)
    assert max(current.values()) == 1


def test_a_dangling_foreign_key_fails_the_load(demo_tiny):
    row = next(iter(demo.DemoRows(_plan(), employer_id0=10_000_000).employers()))
    bad = (*row[:1], "91140105MA0000000X", *row[2:8], 99_999_999, *row[9:])
    with pytest.raises(IntegrityError), transaction.atomic():
        with demo._foreign_keys_checked_once((Employer,)) as fast:
            copy_rows(Employer._meta.db_table, demo.EMPLOYER_COLUMNS, [bad])
        if not fast:  # per-row checks are deferred to the commit: ask for them now
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
