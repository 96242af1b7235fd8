"""The provisional recalculation as a batch on the engine (issue 16): a run per
publication, one county per transaction with its done-mark, nothing written by a
county that failed, and the failed run resumed without recalculating anyone twice.
The figures of the recalculation itself are tested in test_retirement.py.
"""

# ruff: noqa: F811  (the retirement tests' fixtures, imported, are arguments here)
from __future__ import annotations

from datetime import date

import pytest

from benefits.choices import RecalculationStatus
from benefits.determination import provisional, retirement
from benefits.models import PensionDetermination, ProvisionalRecalculation
from benefits.tests.test_retirement import english, request_for, zhou  # noqa: F401
from pension.approvals import approval_request_approve
from pension.models import PolicyParameter, PolicyProfile
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def provisional_zhou(staff, zhou):
    """Zhou's provisional determination (on 2025's base), then the 2026 base published."""
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    old = PensionDetermination.objects.get(person=zhou)
    assert old.provisional
    PolicyParameter.objects.create(
        key="benefits.calculation_base", profile=PolicyProfile.objects.get(code="shanxi"),
        effective_from=date(2026, 1, 1), value="7400", reference_year=2025,
        published_on=date(2026, 9, 1), source="test",
    )  # fmt: skip
    PensionDetermination.objects.filter(pk=old.pk).update(paid_through=Period(2026, 9))
    return old


def test_nothing_published_starts_no_run(staff, zhou):
    request = request_for(
        zhou, staff["caseworker"], retirement_date=date(2026, 7, 10), today=date(2026, 7, 20)
    )
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert (
        retirement.provisional_determinations_recalculate(
            actor=None, year=2026, today=date(2026, 8, 1)
        )
        == []
    )
    assert not ProvisionalRecalculation.objects.exists()


def test_a_run_recalculates_county_by_county(staff, provisional_zhou):
    old = provisional_zhou
    [new] = retirement.provisional_determinations_recalculate(
        actor=staff["admin"], year=2026, today=date(2026, 9, 10)
    )

    run = ProvisionalRecalculation.objects.get()
    county = old.region_id
    assert (run.status, run.started_by, run.year) == (
        RecalculationStatus.POSTED,
        staff["admin"],
        2026,
    )
    # one county, one provisional determination in it
    assert run.parameters["chunks"] == [[county, 1]]
    assert run.parameters["chunks_done"] == [county]
    assert run.parameters["written"] == [[old.pk, new.pk]]
    assert (run.processed_count, run.total_count, run.recalculated_count) == (1, 1, 1)
    # a second publication day: the determination is no longer provisional, no run
    assert (
        retirement.provisional_determinations_recalculate(
            actor=None, year=2026, today=date(2026, 9, 11)
        )
        == []
    )
    assert ProvisionalRecalculation.objects.count() == 1


def test_a_failed_county_writes_nothing_and_the_run_resumes(staff, provisional_zhou, monkeypatch):
    old = provisional_zhou
    real = provisional._chunk

    def boom(run, county, weight):
        real(run, county, weight)  # the county's work, then the failure: rolled back
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisional, "_chunk", boom)
    with pytest.raises(RuntimeError):
        retirement.provisional_determinations_recalculate(
            actor=None, year=2026, today=date(2026, 9, 10)
        )
    run = ProvisionalRecalculation.objects.get()
    assert run.status == RecalculationStatus.FAILED and "disk full" in run.error
    assert (run.processed_count, run.parameters["chunks_done"]) == (0, [])
    old.refresh_from_db()
    assert old.superseded_by_id is None  # the county's transaction was rolled back
    assert PensionDetermination.objects.filter(person=old.person).count() == 1

    monkeypatch.undo()
    run = provisional.provisional_recalculation_execute(run.pk)

    assert run.status == RecalculationStatus.POSTED
    assert run.recalculated_count == 1
    current = PensionDetermination.objects.get(person=old.person, superseded_by__isnull=True)
    assert run.parameters["written"] == [[old.pk, current.pk]]
    assert PensionDetermination.objects.filter(person=old.person).count() == 2
