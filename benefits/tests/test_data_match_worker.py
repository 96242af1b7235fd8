"""A large data-match file is imported on a real Celery worker (Redis, the test
database), the page showing its progress (pension.imports ImportJob): the worker path,
its failure with the row errors, and the job page only for the user who started it."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import make_person
from benefits.models import DataMatchImport, LifeCertification
from benefits.tests.test_suspension import determination_for
from pension.choices import ImportJobStatus
from pension.models import ImportJob
from pension.validators import citizen_id_check_character

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _unregistered(n: int) -> str:
    first17 = f"14010219500101{n:03d}"
    return first17 + citizen_id_check_character(first17)


def _wait(job: ImportJob, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED):
            return job
        time.sleep(0.5)
    raise AssertionError(f"the import job is still {job.status}")


def _post(client, rows: list[tuple[str, str, str]]):
    text = "公民身份号码,姓名,日期\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    upload = SimpleUploadedFile("hospital.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("benefits:data_match_import"), {"kind": "hospital", "file": upload})


def test_a_large_file_is_imported_on_the_worker_with_a_progress_bar(
    celery_worker, client, staff, settings
):
    settings.IMPORT_WORKER_FROM_ROWS = 5  # "large": 5 rows or more
    agency = staff["caseworker"].agency
    a = determination_for(make_person(agency, born=date(1960, 1, 5), name="甲退休"))
    b = determination_for(make_person(agency, born=date(1961, 2, 6), name="乙退休"))
    day = (date.today() - timedelta(days=3)).isoformat()
    rows = [
        (a.person.id_number, "甲退休", day),
        (b.person.id_number, "乙退休", day),
        *[(_unregistered(n), "外省人", day) for n in range(4)],  # counted, not matched
    ]
    client.force_login(staff["caseworker"])
    response = _post(client, rows)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert (job.kind, job.params, job.created_by_id) == (
        "data_match",
        {"kind": "hospital"},
        staff["caseworker"].pk,
    )

    job = _wait(job)
    assert job.status == ImportJobStatus.DONE, job.message
    imported = DataMatchImport.objects.get()
    # 6 rows, 2 in the register, both retirees in payment: certified
    assert (imported.row_count, imported.matched_count, imported.certified_count) == (6, 2, 2)
    assert imported.imported_by_id == staff["caseworker"].pk
    assert LifeCertification.objects.filter(data_match=imported).count() == 2
    assert job.result["id"] == imported.pk
    assert job.processed_count == job.total_count > 0

    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'value="100"' in page
    assert f'href="{reverse("benefits:data_match_detail", args=[imported.pk])}"' in page
    partial = client.get(reverse("import_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial["HX-Refresh"] == "true"  # done: the page reloads to show the result

    # another user's job is not theirs to see
    client.force_login(staff["other_caseworker"])
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("import_job_progress", args=[job.pk])).status_code == 404


def test_a_wrong_row_fails_the_job_with_its_row_errors_and_imports_nothing(
    celery_worker, client, staff, settings
):
    settings.IMPORT_WORKER_FROM_ROWS = 2
    day = (date.today() - timedelta(days=3)).isoformat()
    rows = [(_unregistered(1), "某人", day), ("123", "某人", day), (_unregistered(2), "某人", "²")]
    client.force_login(staff["caseworker"])
    assert _post(client, rows).status_code == 302
    job = _wait(ImportJob.objects.get())
    assert job.status == ImportJobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "公民身份号码"), (4, "日期")]
    assert job.error_count == 2
    assert not DataMatchImport.objects.exists()
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'id="row-errors"' in page and 'id="import-message"' in page
