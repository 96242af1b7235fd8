"""ImportJob (后台导入任务): its constraints, its creation's refusals, and a run whose
handler fails (called in the process here; on the real worker in
pension/tests/test_import_jobs_worker.py and benefits/tests/test_data_match_worker.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from pension.choices import ImportJobStatus
from pension.errors import InvalidInput
from pension.imports import IMPORT_HANDLERS, import_job_create, import_job_run, register_import
from pension.models import ChangeLogEntry, ImportJob

pytestmark = pytest.mark.django_db


def _job(staff, **kwargs) -> ImportJob:
    values = {"kind": "x", "file": "imports/x.csv", "file_name": "x.csv", "size": 1,
              "created_by": staff["caseworker"], **kwargs}  # fmt: skip
    return ImportJob.objects.create(**values)


def test_constraints(staff) -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        _job(staff, processed_count=5, total_count=4)
    with transaction.atomic(), pytest.raises(IntegrityError):
        _job(staff, status=ImportJobStatus.RUNNING, finished_at=timezone.now())
    assert _job(staff, processed_count=4, total_count=4).pk


@pytest.fixture
def handlers():
    saved = dict(IMPORT_HANDLERS)
    yield
    IMPORT_HANDLERS.clear()
    IMPORT_HANDLERS.update(saved)


def test_creation_refuses_an_unknown_kind_and_a_large_file(staff, settings, handlers) -> None:
    upload = SimpleUploadedFile("a.csv", b"x" * 100)
    with pytest.raises(InvalidInput) as refused:
        import_job_create(actor=staff["caseworker"], kind="nothing", upload=upload)
    assert refused.value.code == "unknown_import"
    register_import("test", lambda job, progress: {})
    settings.UPLOAD_MAX_BYTES = 99
    with pytest.raises(InvalidInput) as refused:
        import_job_create(actor=staff["caseworker"], kind="test", upload=upload)
    assert refused.value.code == "upload_too_large"
    assert not ImportJob.objects.exists()
    settings.UPLOAD_MAX_BYTES = 100
    job = import_job_create(actor=staff["caseworker"], kind="test", upload=upload, rows=7)
    assert (job.status, job.total_count, job.size) == (ImportJobStatus.QUEUED, 7, 100)
    assert ChangeLogEntry.objects.filter(object_type="pension.importjob").count() == 1


def test_a_handler_that_raises_fails_the_job_and_its_writes(staff, handlers) -> None:
    def crashes(job, progress):
        _job(staff, kind="written-then-rolled-back")
        raise RuntimeError("boom")

    def refuses(job, progress):
        raise InvalidInput("no", code="x", details={"errors": [{"row": 2, "column": "A"}]})

    register_import("crashes", crashes)
    register_import("refuses", refuses)
    upload = SimpleUploadedFile("a.csv", b"a\n1\n")
    job = import_job_create(actor=staff["caseworker"], kind="crashes", upload=upload)
    assert import_job_run(job.pk) == ImportJobStatus.FAILED
    job.refresh_from_db()
    assert job.message == "导入意外中止，错误已记录，请重试。"  # the default language
    assert not ImportJob.objects.filter(kind="written-then-rolled-back").exists()
    job = import_job_create(actor=staff["caseworker"], kind="refuses", upload=upload)
    assert import_job_run(job.pk) == ImportJobStatus.FAILED
    job.refresh_from_db()
    assert (job.message, job.errors, job.error_count) == ("no", [{"row": 2, "column": "A"}], 1)
    assert import_job_run(job.pk) == ImportJobStatus.FAILED  # a redelivery changes nothing
