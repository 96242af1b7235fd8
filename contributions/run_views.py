"""Pages of the monthly assessment batch (核定批次): the runs, a new run, a run with
its progress bar (htmx polling), figures, variance against last month, missing bases
and the transitions. Thin: they check the input and call ``contributions.assessment``."""

from __future__ import annotations

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from contributions import assessment, selectors
from contributions.choices import RunStatus
from contributions.filtersets import AssessmentRunFilterSet, ContributionLineFilterSet
from contributions.models import AssessmentRun
from pension.batch_views import (
    may_approve,
    progress_of,
    progress_partial,
    run_create_page,
    run_list_page,
    run_or_404,
    run_transition,
    startable,
)
from pension.charts import chart
from pension.paging import page_of
from pension.scope import region_allows, run_part_of
from pension.views import section_required

contributions_section = section_required("contributions")
VARIANCE_SHOWN = 200  # rows of the variance table on the page


def _run(request: HttpRequest, pk: int) -> AssessmentRun:
    return run_or_404(assessment.assessment_run_get, request, pk)


def _readable_run(request: HttpRequest, pk: int) -> AssessmentRun:
    """A run to read: the user's region's, or one of a region above that covers theirs."""
    return run_or_404(
        lambda user, pk: assessment.assessment_runs_covering(user).get(pk=pk), request, pk
    )


@contributions_section
def run_list(request: HttpRequest) -> HttpResponse:
    runs = assessment.assessment_runs_covering(request.user)
    return run_list_page(request, runs, "contributions/run_list.html", AssessmentRunFilterSet)


@contributions_section
def run_create(request: HttpRequest) -> HttpResponse:
    return run_create_page(
        request,
        create=assessment.assessment_run_create,
        template="contributions/run_form.html",
        done=gettext("Assessment run %(run)s created."),
        detail="contributions:run_detail",
    )


def _detail_context(request: HttpRequest, run: AssessmentRun) -> dict:
    user = request.user
    may_prepare = region_allows(user, run.region_id, "prepare")
    approver = may_approve(user, run)
    finished = run.status in assessment.FINISHED
    discarded = "discarded" in run.parameters
    by_region = selectors.assessment_region_totals(run) if finished else []
    return {
        "run": run,
        "progress": _progress(run),
        "charts": [
            chart(
                "assessment-by-region",
                title=gettext("Amount by region"),
                categories=[name for name, _e, _i in by_region],
                series=[
                    (gettext("Employer amount"), [e for _n, e, _i in by_region]),
                    (gettext("Individual amount"), [i for _n, _e, i in by_region]),
                ],
                unit=gettext("yuan"),
            )
        ]
        if by_region
        else [],
        "variance": assessment.run_variance(run, limit=VARIANCE_SHOWN)
        if finished or (run.status == RunStatus.CLOSED and not discarded)
        else [],
        "variance_shown": VARIANCE_SHOWN,
        "missing_base": run.parameters.get("missing_base", {"count": 0, "person_ids": []}),
        "missing_people": assessment.missing_base_people(run),
        "flexible_without_base": run.parameters.get("flexible_without_base", {"count": 0}),
        "rates": run.parameters.get("rates", {}),
        "discarded": run.parameters.get("discarded"),
        "may_start": may_prepare and startable(assessment.BATCH, run),
        "may_approve": approver and not run.dry_run and run.status == RunStatus.CALCULATED,
        "may_release": may_prepare and run.status == RunStatus.APPROVED,
        "may_discard": may_prepare
        and run.dry_run
        and run.status in (RunStatus.DRAFT, RunStatus.CALCULATED, RunStatus.FAILED),
    }


def _progress(run: AssessmentRun) -> dict:
    return progress_of(run, finished=assessment.FINISHED, working=(RunStatus.RUNNING,))


@contributions_section
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _readable_run(request, pk)
    prefix = run_part_of(request.user, run)
    if prefix is not None:
        # a run of a region above the user's: their region's part, read-only
        part = (
            assessment.assessment_run_part(run, prefix)
            if run.status in assessment.FINISHED or run.status == RunStatus.CLOSED
            else None
        )
        return render(
            request,
            "contributions/run_part.html",
            {"run": run, "progress": _progress(run), "part": part, "region": request.user.region},
        )
    return render(request, "contributions/run_detail.html", _detail_context(request, run))


@contributions_section
def run_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's contribution lines (缴费明细), filtered by payer region, employer or
    person (``ContributionLineFilterSet``, as the API's), 50 a page, with the totals of
    what the filters select; of a run of a region above the user's, their people's only."""
    run = _readable_run(request, pk)
    prefix = run_part_of(request.user, run)
    lines = assessment.run_lines(run, prefix=prefix).select_related("person", "employer")
    filterset = ContributionLineFilterSet(request.GET or None, queryset=lines)
    queryset = filterset.qs
    totals = queryset.aggregate(
        employer=Sum("employer_amount"), individual=Sum("individual_amount")
    )
    return render(
        request,
        "contributions/run_lines.html",
        {
            "run": run,
            "filterset": filterset,
            "page": page_of(request, queryset.order_by("id")),
            "totals": totals,
            "part": prefix is not None,
        },
    )


@contributions_section
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial that the run page polls every 2 s while the run is running.
    When the run has stopped running, htmx reloads the page to show the results."""
    run = _readable_run(request, pk)
    return progress_partial(
        request, "contributions/run_progress.html", {"run": run, "progress": _progress(run)}
    )


def _transition(request: HttpRequest, pk: int, service, done_message: str) -> HttpResponse:
    return run_transition(
        request, _run(request, pk), service, done_message, "contributions:run_detail"
    )


@contributions_section
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, assessment.assessment_run_start, gettext("Assessment run %(run)s started.")
    )


@contributions_section
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, assessment.assessment_run_approve, gettext("Assessment run %(run)s approved.")
    )


@contributions_section
@require_POST
def run_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        assessment.assessment_run_release,
        gettext("Assessment run %(run)s released to the tax bureau."),
    )


@contributions_section
@require_POST
def run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        assessment.assessment_run_discard_dry_run,
        gettext("Dry run %(run)s discarded."),
    )
