"""Large roster and base sheets are imported on a real Celery worker (pension.imports
ImportJob), with the same checks as in the request: all or nothing, the row errors on
the job's page. (The data-match file: benefits/tests/test_data_match_worker.py.)"""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from openpyxl import Workbook

from contributions.models import ContributionBase
from enrollment import services as enrollment
from enrollment.choices import EmployerKind, PersonCategory
from enrollment.models import Employment
from enrollment.tests.helpers import citizen_id, credit_code
from pension.choices import ImportJobStatus
from pension.models import ImportJob, Region
from pension.periods import Period

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
COUNTY = "140105"


def _sheet(rows) -> io.BytesIO:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "sheet.xlsx"
    return buffer


def _wait(timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.order_by("-pk").first()
        if job is not None and job.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED):
            return job
        time.sleep(0.5)
    raise AssertionError("the import job did not finish")


@pytest.fixture
def employer(staff):
    return enrollment.employer_register(
        actor=staff["caseworker"],
        credit_code=credit_code("91140105MA0KW0001"),
        name="后台导入测试公司",
        kind=EmployerKind.ENTERPRISE,
        region=Region.objects.get(code=COUNTY),
    )


def test_a_large_roster_sheet_on_the_worker(celery_worker, client, staff, employer, settings):
    settings.IMPORT_WORKER_FROM_ROWS = 5
    ids = [citizen_id(COUNTY, "19900101", 11 + 2 * n) for n in range(6)]
    rows = [("公民身份号码", "姓名", "变动类型", "生效年月", "减员原因")]
    rows += [(number, f"新人{n}", "增员", 202503, None) for n, number in enumerate(ids)]
    client.force_login(staff["caseworker"])
    url = f"/enrollment/employers/{employer.pk}/roster/import/"
    response = client.post(url, {"file": _sheet(rows)})
    assert response.status_code == 302 and response["Location"].startswith("/imports/")
    job = _wait()
    assert job.status == ImportJobStatus.DONE, job.message
    assert (job.result["added"], job.result["registered"]) == (6, 6)
    assert Employment.objects.filter(employer=employer, stop_period__isnull=True).count() == 6

    # one wrong row: the job fails with it, nothing imported
    rows = [rows[0]] + [(citizen_id(COUNTY, "19910101", 11 + 2 * n), "人", "增员", 202503, None)
                        for n in range(5)] + [("123", "错", "增员", 202503, None)]  # fmt: skip
    assert client.post(url, {"file": _sheet(rows)}).status_code == 302
    job = _wait()
    assert job.status == ImportJobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(7, "公民身份号码")]
    assert Employment.objects.filter(employer=employer).count() == 6


def test_a_large_base_sheet_on_the_worker(celery_worker, client, staff, employer, settings):
    settings.IMPORT_WORKER_FROM_ROWS = 5
    actor = staff["caseworker"]
    rows = [("公民身份号码", "姓名", "上年月平均工资", "基数类型")]
    for n in range(5):
        person = enrollment.person_register(
            actor=actor, id_number=citizen_id(COUNTY, "19850101", 11 + 2 * n), name=f"员工{n}",
            category=PersonCategory.EMPLOYEE, region=Region.objects.get(code=COUNTY),
            first_insured_date=date(2010, 1, 1),
        )  # fmt: skip
        enrollment.employment_add(
            actor=actor, employer=employer, person=person, start=Period(2024, 1)
        )
        rows.append((person.id_number, person.name, "8000.00", "上年平均"))
    client.force_login(actor)
    response = client.post(
        f"/contributions/employers/{employer.pk}/bases/import/",
        {"year": 2025, "file": _sheet(rows)},
    )
    assert response.status_code == 302 and response["Location"].startswith("/imports/")
    job = _wait()
    assert job.status == ImportJobStatus.DONE, job.message
    assert job.result["declared"] == 5
    assert ContributionBase.objects.filter(employer=employer, year=2025).count() == 5
