"""The quarterly data-quality checks (operations standard §11.1.5): each check counts its
planted records by region and nothing else on the tiny demo province; the report page
shows the counts and the trend, within the reader's region."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.tests.factories import make_person
from audit import quality
from audit.choices import DataCheck, ScanStatus
from audit.models import DataQualityCount, DataQualityRun
from benefits.tests.factories import retiree
from enrollment.choices import PersonCategory, PersonStatus
from enrollment.models import Employer, Employment, InsuredPerson
from pension.models import StaffUser
from pension.periods import Period

pytestmark = pytest.mark.django_db

# the demo's people are insured today: a check date before it finds them inconsistent
CHECK_DATE = timezone.localdate()


def counts(run: DataQualityRun) -> dict[tuple[str, str], int]:
    return {(c.check_code, c.region_id): c.count for c in DataQualityCount.objects.filter(run=run)}


def baseline() -> dict[tuple[str, str], int]:
    return counts(quality.data_quality_check(actor=None, check_date=CHECK_DATE, quarter="2026Q3"))


def test_tiny_province_baseline_and_planted_records(staff):
    before = baseline()
    agency = staff["caseworker"].agency  # county 140105
    county = agency.region_id
    # a wrong check character (the right one is replaced by another valid character)
    wrong = make_person(agency, first_insured_date=date(2010, 1, 1))
    last = wrong.id_number[-1]
    InsuredPerson.objects.filter(pk=wrong.pk).update(
        id_number=wrong.id_number[:-1] + ("0" if last != "0" else "1")
    )
    # birth date and sex differing from the ID number
    born = make_person(agency, first_insured_date=date(2010, 1, 1))
    InsuredPerson.objects.filter(pk=born.pk).update(birth_date=date(1980, 3, 15))
    sex = make_person(agency, first_insured_date=date(2010, 1, 1))
    InsuredPerson.objects.filter(pk=sex.pk).update(sex="F")
    # missing key data: an employee without a first work date
    make_person(
        agency, category=PersonCategory.EMPLOYEE, first_insured_date=date(2010, 1, 1),
        status=PersonStatus.INTERRUPTED,
    )  # fmt: skip
    # a retiree with neither bank account nor card, and one with no determination
    bare = retiree(agency, bank_account="")
    InsuredPerson.objects.filter(pk=bare.person_id).update(
        card_number="", first_insured_date=date(1990, 1, 1)
    )
    make_person(agency, status=PersonStatus.RETIRED, first_insured_date=date(2000, 1, 1),
                bank_account="6222000000000001")  # fmt: skip
    # two records, same name, birth date and sex
    for _ in range(2):
        make_person(agency, name="重复人", born=date(1975, 6, 1),
                    first_insured_date=date(2000, 1, 1))  # fmt: skip
    # insured before the first work date
    make_person(agency, first_work_date=date(2005, 1, 1), first_insured_date=date(2004, 1, 1))
    # a contributing employee with no employment
    make_person(
        agency, category=PersonCategory.EMPLOYEE, first_work_date=date(2000, 1, 1),
        first_insured_date=date(2000, 1, 1), status=PersonStatus.CONTRIBUTING,
    )  # fmt: skip
    # an employment begun before 16 (born 1990-05: 16 in 2006-05)
    young = make_person(agency, born=date(1990, 5, 2), first_insured_date=date(2008, 1, 1))
    employer = Employer.objects.filter(region_id=county).order_by("id").first()
    Employment.objects.create(
        person=young, employer=employer, start_period=Period.parse("2006-04"),
        stop_period=Period.parse("2007-01"),
    )  # fmt: skip

    run = quality.data_quality_check(actor=None, check_date=CHECK_DATE)
    assert run.status == ScanStatus.POSTED and run.quarter == "2026Q4"
    assert run.total_count == len(quality.CHECKS) == 10
    after = counts(run)
    added = {
        key: after.get(key, 0) - before.get(key, 0)
        for key in set(after) | set(before)
        if after.get(key, 0) != before.get(key, 0)
    }
    assert added == {
        (DataCheck.ID_CHECK_CHARACTER, county): 1,
        (DataCheck.ID_BIRTH_DATE, county): 1,
        (DataCheck.ID_SEX, county): 1,
        (DataCheck.MISSING_KEY_DATA, county): 1,
        (DataCheck.RETIREE_WITHOUT_ACCOUNT, county): 1,
        (DataCheck.RETIRED_WITHOUT_DETERMINATION, county): 1,
        (DataCheck.DUPLICATE_PERSON, county): 2,
        (DataCheck.INCONSISTENT_DATES, county): 2,
        (DataCheck.EMPLOYEE_WITHOUT_EMPLOYMENT, county): 1,
    }
    assert run.issue_count == sum(after.values())
    assert run.parameters["found"][DataCheck.DUPLICATE_PERSON] == sum(
        n for (check, _r), n in after.items() if check == DataCheck.DUPLICATE_PERSON
    )


def test_the_tiny_province_by_hand(staff):
    """On the demo province only its retired people without a determination and without
    an account are found, as many as the ORM counts by hand."""
    from benefits.models import PensionDetermination

    found = baseline()
    assert {check for check, _r in found} <= {
        DataCheck.RETIRED_WITHOUT_DETERMINATION,
        DataCheck.RETIREE_WITHOUT_ACCOUNT,
    }
    current = PensionDetermination.objects.filter(person=OuterRef("pk"), superseded_by__isnull=True)
    retired = InsuredPerson.objects.filter(status=PersonStatus.RETIRED)
    orphans = retired.filter(~Exists(current))
    by_region: dict[str, int] = {}
    for region_id in orphans.values_list("region_id", flat=True):
        by_region[region_id] = by_region.get(region_id, 0) + 1
    assert {
        r: n for (c, r), n in found.items() if c == DataCheck.RETIRED_WITHOUT_DETERMINATION
    } == by_region
    assert (
        sum(n for (c, _r), n in found.items() if c == DataCheck.RETIREE_WITHOUT_ACCOUNT)
        == retired.filter(bank_account="", card_number="").count()
    )


def test_report_page_counts_trend_and_region(client, staff):
    agency = staff["caseworker"].agency
    quality.data_quality_check(actor=None, check_date=date(2026, 9, 30), quarter="2026Q3")
    for _ in range(2):
        make_person(agency, name="重复人", born=date(1975, 6, 1),
                    first_insured_date=date(2000, 1, 1))  # fmt: skip
    run = quality.data_quality_check(actor=None, check_date=CHECK_DATE)
    client.force_login(staff["auditor"])
    page = client.get("/audit/data-quality/").content.decode()
    assert "数据质量" in page and "2026Q3" in page and "2026Q4" in page
    assert 'id="data-quality-trend"' in page
    detail = client.get(f"/audit/data-quality/{run.pk}/").content.decode()
    assert f'data-region="{agency.region_id}"' in detail
    # another county's auditor sees the province's run but none of this county's records
    other = StaffUser.objects.create(
        username="other_auditor", full_name="县稽核", roles=["auditor"],
        agency=staff["other_caseworker"].agency,
    )  # fmt: skip
    client.force_login(other)
    detail = client.get(f"/audit/data-quality/{run.pk}/").content.decode()
    assert f'data-region="{agency.region_id}"' not in detail
    # a caseworker is refused
    client.force_login(staff["caseworker"])
    assert client.get("/audit/data-quality/").status_code == 403


def test_quarter_just_ended():
    assert quality.previous_quarter(date(2027, 1, 1)) == "2026Q4"
    assert quality.previous_quarter(date(2026, 7, 1)) == "2026Q2"
    assert quality.quarter_of(date(2026, 12, 5)) == "2026Q4"
