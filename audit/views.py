"""Pages of audit and internal control (稽核与内控)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit import selectors, services
from audit.choices import ALERT_ACTIVE, ChecklistStatus, ControlReport, DataCheck
from audit.filtersets import (
    AlertFilterSet,
    ChangeLogFilterSet,
    DataQualityRunFilterSet,
    InspectionFilterSet,
)
from audit.forms import (
    AssignForm,
    ChecklistAssessForm,
    CloseForm,
    CloseInspectionForm,
    ControlReportForm,
    EvidenceForm,
    ExplainForm,
    FindingForm,
    LedgerForm,
    PlanForm,
    RegionPrefixForm,
)
from audit.models import Alert, DataQualityRun, Finding, Inspection, RiskScanRun
from audit.risk import may_audit
from enrollment.models import InsuredPerson
from pension import batches
from pension.charts import chart
from pension.errors import ApplicationError, NotPermitted
from pension.models import Region
from pension.paging import page_of
from pension.selectors import profile_for_region
from pension.views import DomainIndexView, section_required

index = DomainIndexView.as_view(domain="audit", template_name="audit/index.html")

PAGE_SIZE = 50


@section_required("audit")
def change_log_list(request: HttpRequest) -> HttpResponse:
    """The change-log browser (变更日志): filters by user, agency region, record, action
    and date; 50 entries a page, newest first, with the total."""
    filterset = ChangeLogFilterSet(request.GET or None, queryset=selectors.change_log(request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("-id"), per_page=PAGE_SIZE)
    for entry in page.object_list:
        entry.object_label = selectors.object_type_label(entry.object_type)
    return render(
        request,
        "audit/change_log_list.html",
        {"filterset": filterset, "page": page, "entries": page.object_list},
    )


@section_required("audit")
def change_log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One change-log entry: who, for which agency, from where, the fields before and
    after, the reason and its place in the hash chain."""
    try:
        entry = selectors.change_log(request.user).get(pk=pk)
    except (ValueError, selectors.ChangeLogEntry.DoesNotExist):
        raise Http404 from None
    entry.object_label = selectors.object_type_label(entry.object_type)
    return render(request, "audit/change_log_detail.html", {"entry": entry})


# --- alerts (预警) -------------------------------------------------------------------------


def _alert(request: HttpRequest, pk: int):
    try:
        return selectors.alerts(request.user).get(pk=pk)
    except (ValueError, Alert.DoesNotExist):
        raise Http404 from None


@section_required("audit")
def alert_list(request: HttpRequest) -> HttpResponse:
    """The alert queue (预警工作台): filters by rule, status, region, age and owner; 50 a
    page, oldest active first."""
    filterset = AlertFilterSet(
        request.GET or None, queryset=selectors.alerts(request.user), request=request
    )
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("created_at", "id"), per_page=PAGE_SIZE)
    return render(
        request,
        "audit/alert_list.html",
        {
            "filterset": filterset,
            "page": page,
            "alerts": page.object_list,
            "running": _running(RiskScanRun),
            "may_run": _may_run(request.user),
        },
    )


# --- run now: the risk scan, the data-quality check, the statistics ledger --------------------


def _may_run(user) -> bool:
    region = user.region or profile_for_region(None).province
    return may_audit(user, region.code)


def _running(model):
    """The run of ``model`` draft or running, if any (the run-now buttons wait for it)."""
    return model.objects.filter(status__in=[batches.DRAFT, batches.RUNNING]).order_by("pk").first()


def _run_now(request: HttpRequest, start, done: str, back: str) -> HttpResponse:
    try:
        run = start()
    except NotPermitted:
        raise PermissionDenied from None
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"run": run.pk})
    return redirect(back)


@section_required("audit")
@require_POST
def risk_scan_start(request: HttpRequest) -> HttpResponse:
    """Run the risk scan now, queued to the worker (the nightly one runs anyway)."""
    from audit import risk

    return _run_now(
        request,
        lambda: risk.risk_scan_start(actor=request.user),
        _("Risk scan #%(run)s is queued; its new alerts join the queue when it has finished."),
        "audit:alert_list",
    )


@section_required("audit")
@require_POST
def data_quality_start(request: HttpRequest) -> HttpResponse:
    """Run the data-quality checks of this quarter now, queued to the worker."""
    from audit import quality

    return _run_now(
        request,
        lambda: quality.data_quality_start(actor=request.user),
        _("Data-quality check #%(run)s is queued; it is listed here when it has finished."),
        "audit:data_quality_list",
    )


@section_required("audit")
@require_POST
def statistics_ledger_take(request: HttpRequest) -> HttpResponse:
    """Produce the ledger of the month asked now: its month-end snapshot, queued."""
    from audit import statistics

    _form, filters = _ledger_filters(request)
    response = _run_now(
        request,
        lambda: statistics.ledger_take(actor=request.user, period=filters["period"]),
        _("The month-end snapshot #%(run)s is queued; the ledger appears when it has finished."),
        "audit:statistics_ledger",
    )
    return redirect(f"{response.url}?period={filters['period']}")


@section_required("audit")
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: the rule, the subject linked, what was found, its history, and the
    forms to assign, explain, resolve or dismiss it, or open an inspection."""
    alert = _alert(request, pk)
    owners = selectors.alert_owners(request.user, alert.region_id)
    return render(
        request,
        "audit/alert_detail.html",
        {
            "alert": alert,
            "assign_form": AssignForm(owners=owners, initial={"owner": alert.owner_id}),
            "explain_form": ExplainForm(),
            "close_form": CloseForm(),
            "active": alert.status in ALERT_ACTIVE,
            "inspections": alert.inspections.all(),
        },
    )


def _alert_action(request: HttpRequest, pk: int, form_class, call) -> HttpResponse:
    alert = _alert(request, pk)
    if request.method != "POST":
        return redirect("audit:alert_detail", pk=alert.pk)
    kwargs = (
        {"owners": selectors.alert_owners(request.user, alert.region_id)}
        if form_class is AssignForm
        else {}
    )
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("audit:alert_detail", pk=alert.pk)
    try:
        result = call(alert, form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("audit:alert_detail", pk=alert.pk)
    if isinstance(result, Inspection):
        messages.success(request, _("Inspection #%(id)s opened.") % {"id": result.pk})
        return redirect("audit:inspection_detail", pk=result.pk)
    messages.success(request, _("Saved."))
    return redirect("audit:alert_detail", pk=alert.pk)


@section_required("audit")
def alert_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(
        request,
        pk,
        AssignForm,
        lambda alert, data: services.alert_assign(
            actor=request.user, alert=alert, owner=data["owner"]
        ),
    )


@section_required("audit")
def alert_explain(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(
        request,
        pk,
        ExplainForm,
        lambda alert, data: services.alert_explain(
            actor=request.user, alert=alert, explanation=data["explanation"]
        ),
    )


@section_required("audit")
def alert_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(
        request,
        pk,
        CloseForm,
        lambda alert, data: services.alert_close(
            actor=request.user, alert=alert, status=data["status"], resolution=data["resolution"]
        ),
    )


class _NoFields(forms.Form):
    pass


@section_required("audit")
def alert_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(
        request,
        pk,
        _NoFields,
        lambda alert, data: services.inspection_open_from_alert(actor=request.user, alert=alert),
    )


# --- inspections (稽核) --------------------------------------------------------------------


@section_required("audit")
def inspection_list(request: HttpRequest) -> HttpResponse:
    """Inspections (稽核案件) with their filters, the plans, and the form of a new plan
    chosen by risk score."""
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.inspection_plan_create(
                actor=request.user,
                region=request.user.region
                or Region.objects.get(code=profile_for_region(None).province_id),
                **form.cleaned_data,
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Plan %(name)s: %(count)s inspections opened.")
                % {"name": plan.name, "count": plan.inspections.count()},
            )
            return redirect(f"{request.path}?plan={plan.pk}")
    queryset = selectors.inspections(request.user)
    plan_id = request.GET.get("plan", "")
    if plan_id.isdigit():
        queryset = queryset.filter(plan_id=int(plan_id))
    filterset = InspectionFilterSet(request.GET or None, queryset=queryset)
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("-opened_at", "-id"), per_page=PAGE_SIZE)
    return render(
        request,
        "audit/inspection_list.html",
        {
            "filterset": filterset,
            "page": page,
            "inspections": page.object_list,
            "form": form,
            "plans": selectors.inspection_plans(request.user)[:20],
        },
    )


def _inspection(request: HttpRequest, pk: int) -> Inspection:
    try:
        return selectors.inspections(request.user).get(pk=pk)
    except (ValueError, Inspection.DoesNotExist):
        raise Http404 from None


@section_required("audit")
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One inspection: its subject, the alert it came from, the evidence on record
    (headcount, declared bases), the findings and the cases they became."""
    inspection = _inspection(request, pk)
    form = FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        if data["person"]:
            person = InsuredPerson.objects.filter(id_number=data["person"].upper()).first()
            if person is None:
                form.add_error("person", _("No insured person has this citizen ID number."))
        if form.is_valid():
            try:
                services.finding_record(
                    actor=request.user,
                    inspection=inspection,
                    kind=data["kind"],
                    description=data["description"],
                    amount=data["amount"],
                    person=person,
                    months=data["months"],
                )
            except ApplicationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Finding recorded."))
                return redirect("audit:inspection_detail", pk=inspection.pk)
    return render(
        request,
        "audit/inspection_detail.html",
        {
            "inspection": inspection,
            "form": form,
            "findings": inspection.findings.select_related("person", "case"),
            "evidence": selectors.inspection_evidence(inspection),
            "close_form": CloseInspectionForm(),
        },
    )


@section_required("audit")
def finding_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the case a finding becomes (转办): for staff who may prepare cases."""
    try:
        finding = Finding.objects.select_related("inspection").get(
            pk=pk, inspection__in=selectors.inspections(request.user)
        )
    except (ValueError, Finding.DoesNotExist):
        raise Http404 from None
    if request.method == "POST":
        try:
            services.finding_refer(
                actor=request.user,
                finding=finding,
                instalment=request.POST.get("instalment", "").strip() or None,
                months=request.POST.get("months", "").strip() or None,
            )
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Case opened; a reviewer decides it."))
    return redirect("audit:inspection_detail", pk=finding.inspection_id)


@section_required("audit")
def inspection_close(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection(request, pk)
    form = CloseInspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.inspection_close(
                actor=request.user, inspection=inspection, notes=form.cleaned_data["notes"]
            )
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Inspection closed."))
    return redirect("audit:inspection_detail", pk=inspection.pk)


# --- data-quality checks (数据质量检查) ----------------------------------------------------


@section_required("audit")
def data_quality_list(request: HttpRequest) -> HttpResponse:
    """The quarterly data-quality checks (季度数据质量检查): the trend of the counts by
    check over the last eight quarters (chart and table), and the runs, filtered by
    quarter and status, 50 a page."""
    region_form = RegionPrefixForm(request.GET or None)
    trend = selectors.data_quality_trend(request.user, region=region_form.prefix())
    checks = [label for _code, label in DataCheck.choices]
    trend_chart = chart(
        "data-quality-trend",
        title=_("Records found by check, by quarter"),
        categories=[row["quarter"] for row in trend],
        series=[(label, [row["cells"][i] for row in trend]) for i, label in enumerate(checks)],
        kind="line",
        money=False,
        unit=_("records"),
    )
    filterset = DataQualityRunFilterSet(
        request.GET or None, queryset=selectors.data_quality_runs(request.user)
    )
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("-quarter", "-id"), per_page=PAGE_SIZE)
    return render(
        request,
        "audit/data_quality_list.html",
        {
            "filterset": filterset,
            "region_form": region_form,
            "page": page,
            "runs": page.object_list,
            "trend": trend,
            "trend_rows": [
                {"label": label, "cells": [row["cells"][i] for row in trend]}
                for i, label in enumerate(checks)
            ],
            "chart": trend_chart,
            "running": _running(DataQualityRun),
            "may_run": _may_run(request.user),
        },
    )


@section_required("audit")
def data_quality_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One data-quality check: the counts by region and check within the user's region
    (filtered by region code, 50 regions a page), the totals by check."""
    try:
        run = selectors.data_quality_runs(request.user).get(pk=pk)
    except (ValueError, DataQualityRun.DoesNotExist):
        raise Http404 from None
    region_form = RegionPrefixForm(request.GET or None)
    rows, totals = selectors.data_quality_table(request.user, run, region=region_form.prefix())
    page = page_of(request, rows, per_page=PAGE_SIZE)
    return render(
        request,
        "audit/data_quality_detail.html",
        {
            "run": run,
            "region_form": region_form,
            "page": page,
            "rows": page.object_list,
            "checks": [label for _code, label in DataCheck.choices],
            "totals": [totals[code] for code in DataCheck.values],
            "grand_total": sum(totals.values()),
        },
    )


# --- internal-control reports (内控报告) ---------------------------------------------------


@section_required("audit")
def control_reports(request: HttpRequest) -> HttpResponse:
    """The internal-control reports (内控报告), one at a time: approvals by user,
    decisions above the owning agency, refused requests, changes out of office hours,
    the change log's chain verifications; filtered by period and region, 50 a page."""
    form = ControlReportForm(request.GET or None)
    report, filters = form.filters()
    user = request.user
    if report == ControlReport.APPROVALS:
        rows = selectors.approvals_by_user(user, **filters)
    elif report == ControlReport.OVERRIDES:
        rows = selectors.decided_above(user, **filters).order_by("-decided_at", "-id")
    elif report == ControlReport.REFUSED:
        rows = selectors.refused_requests(user, **filters).order_by("-decided_at", "-id")
    elif report == ControlReport.OUT_OF_HOURS:
        rows = selectors.out_of_hours_changes(user, **filters).order_by("-occurred_at", "-id")
    else:
        rows = selectors.chain_verifications(user)
    page = page_of(request, rows, per_page=PAGE_SIZE)
    latest = selectors.chain_verifications(user).first()
    return render(
        request,
        "audit/control_reports.html",
        {
            "form": form,
            "report": report,
            "report_label": ControlReport(report).label,
            "reports": ControlReport.choices,
            "page": page,
            "rows": page.object_list,
            "latest": latest,
        },
    )


# --- statistics ledger (统计台账) and analysis report (分析报告) ---------------------------


def _ledger_filters(request: HttpRequest) -> tuple[LedgerForm, dict]:
    from django.utils import timezone

    from pension.periods import Period

    form = LedgerForm(request.GET or None)
    last_month = Period.from_date(timezone.localdate()).prev()
    return form, form.filters(last_month)


@section_required("audit")
def statistics_ledger(request: HttpRequest) -> HttpResponse:
    """The monthly statistics ledger (统计台账) by county or city within the user's region,
    from the month-end snapshot; 50 regions a page, the total, the Excel download."""
    from audit import statistics

    form, filters = _ledger_filters(request)
    result = statistics.ledger(request.user, **filters)
    page = page_of(request, result.rows, per_page=PAGE_SIZE)
    from budget.models import SnapshotRun

    return render(
        request,
        "audit/statistics_ledger.html",
        {
            "form": form,
            "ledger": result,
            "page": page,
            "rows": page.object_list,
            "running": _running(SnapshotRun),
            "may_run": statistics.may_take(request.user),
        },
    )


@section_required("audit")
def statistics_ledger_export(request: HttpRequest) -> HttpResponse:
    from audit import statistics
    from pension import changelog
    from pension.models import ChangeAction

    _form, filters = _ledger_filters(request)
    result = statistics.ledger(request.user, **filters)
    changelog.record(
        actor=request.user, action=ChangeAction.EXPORT, object_type="budget.snapshotrun",
        object_repr=f"统计台账 {result.period} {filters['region']}",
    )  # fmt: skip
    response = HttpResponse(
        statistics.ledger_workbook(result), content_type=statistics.CONTENT_TYPE
    )
    name = f"statistics-ledger-{result.period}-{filters['region'] or 'all'}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@section_required("audit")
def statistics_analysis(request: HttpRequest) -> HttpResponse:
    """The analysis report (分析报告, §11.2): twelve months to the month asked within the
    user's region, people and ratios month by month, with their charts."""
    from audit import statistics

    form, filters = _ledger_filters(request)
    months = statistics.analysis(request.user, period=filters["period"], region=filters["region"])
    categories = [str(m["period"]) for m in months]
    people = chart(
        "analysis-people",
        title=_("Insured, contributors and retirees"),
        categories=categories,
        series=[
            (_("Insured"), [m["figures"].insured for m in months]),
            (_("Contributors"), [m["figures"].contributors for m in months]),
            (_("Retirees"), [m["figures"].retirees for m in months]),
        ],
        kind="line",
        money=False,
    )
    money = chart(
        "analysis-money",
        title=_("Assessed, collected and monthly pension total"),
        categories=categories,
        series=[
            (_("Assessed"), [m["figures"].assessed for m in months]),
            (_("Collected"), [m["figures"].collected for m in months]),
            (_("Monthly pension total"), [m["figures"].pension_total for m in months]),
        ],
        unit=_("yuan"),
    )
    return render(
        request,
        "audit/statistics_analysis.html",
        {"form": form, "months": months, "charts": [people, money]},
    )


# --- the acceptance checklist (验收清单, seed 000) -----------------------------------------


def _checklist_region(request: HttpRequest) -> Region:
    code = request.GET.get("region") or request.POST.get("region") or ""
    region = selectors.checklist_region(request.user, code.strip())
    if region is None:  # another region, or none
        raise Http404
    return region


def _checklist_context(request: HttpRequest, region: Region) -> dict:
    from django.utils import timezone

    rows = selectors.checklist(region, timezone.localdate())
    return {
        "region": region,
        "rows": rows,
        "summary": selectors.checklist_summary(rows),
        "may_assess": services.may_assess_checklist(request.user, region.code),
        "statuses": ChecklistStatus.choices,
        "printed_on": timezone.localdate(),
    }


def _back_to_checklist(region: Region, item: int | None = None) -> HttpResponse:
    from django.urls import reverse

    anchor = f"#item-{item}" if item else ""
    return redirect(f"{reverse('audit:checklist')}?region={region.code}{anchor}")


@section_required("audit")
def checklist(request: HttpRequest) -> HttpResponse:
    """The acceptance checklist (验收清单): the 29 items of the seven unifications for the
    user's region (or a region below it), each with its status, note, evidence and,
    where the system measures it, the live figure."""
    code = (request.GET.get("region") or "").strip()
    region = selectors.checklist_region(request.user, code)
    region_error = ""
    if region is None and code:
        # a code outside the reader's region (or none such): their own checklist, with
        # the reason beside the filter, rather than a page that does not exist
        region = selectors.checklist_region(request.user, "")
        region_error = _(
            "%(code)s is not a region within yours; the checklist of %(region)s is shown."
        ) % {"code": code[:12], "region": region.name if region else ""}
    if region is None:
        raise Http404
    context = _checklist_context(request, region)
    context["region_error"] = region_error
    return render(request, "audit/checklist.html", context)


@section_required("audit")
def checklist_print(request: HttpRequest) -> HttpResponse:
    """The checklist as one clean A4 document to print and sign (打印)."""
    region = _checklist_region(request)
    return render(request, "audit/checklist_print.html", _checklist_context(request, region))


@section_required("audit")
def checklist_assess(request: HttpRequest, item: int) -> HttpResponse:
    region = _checklist_region(request)
    if request.method != "POST":
        return _back_to_checklist(region, item)
    form = ChecklistAssessForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _back_to_checklist(region, item)
    try:
        services.checklist_assess(actor=request.user, region=region, item=item, **form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Item %(item)s assessed.") % {"item": item})
    return _back_to_checklist(region, item)


@section_required("audit")
def checklist_attach(request: HttpRequest, item: int) -> HttpResponse:
    region = _checklist_region(request)
    if request.method != "POST":
        return _back_to_checklist(region, item)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _back_to_checklist(region, item)
    try:
        services.checklist_attach(
            actor=request.user, region=region, item=item,
            upload=form.cleaned_data["file"], title=form.cleaned_data["title"],
        )  # fmt: skip
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Evidence attached to item %(item)s.") % {"item": item})
    return _back_to_checklist(region, item)


@section_required("audit")
def checklist_pdf(request: HttpRequest) -> HttpResponse:
    """The checklist as a PDF (A4, ``pension.pdf``): the items by unification with the
    figures, statuses and notes, and the signature lines; the printing is logged."""
    from django.utils import timezone
    from django.utils.translation import gettext

    from pension.pdf import PdfDocument, pdf_response

    region = _checklist_region(request)
    context = _checklist_context(request, region)
    title = gettext("Acceptance checklist of standardised provincial pooling · %(region)s") % {
        "region": region.name
    }
    doc = PdfDocument(title=title, issuer=region.name, printed_on=timezone.localdate())
    doc.facts(
        [
            (gettext("Region"), f"{region.name}（{region.code}）"),
            (gettext("Printed on"), timezone.localdate().isoformat()),
            *[(str(label), count) for _code, label, count in context["summary"]],
        ]
    )
    header = [
        gettext("No."), gettext("Checklist item"), gettext("Standard"), gettext("Live figure"),
        gettext("Status"), gettext("Note"),
    ]  # fmt: skip
    rows: list[list[object]] = []
    for row in context["rows"]:
        if row["first_of_domain"] and rows:
            doc.table(header, rows, widths=[0.05, 0.33, 0.17, 0.22, 0.1, 0.13])
            rows = []
        if row["first_of_domain"]:
            doc.heading(f"{row['item'].domain}. {row['domain']}")
        figures = "；".join(
            f"{f.label}：{f.value}" + (f"（{f.goal}）" if f.goal else "") for f in row["figures"]
        )
        note = row["assessment"].note if row["assessment"] else ""
        rows.append(
            [row["item"].number, row["item"].text, row["item"].standard, figures,
             row["status_label"], note]
        )  # fmt: skip
    doc.table(header, rows, widths=[0.05, 0.33, 0.17, 0.22, 0.1, 0.13])
    doc.signatures(
        [gettext("Auditor"), gettext("Reviewed by"), gettext("Head of the agency (seal)")]
    )
    services.checklist_printed(actor=request.user, region=region)
    return pdf_response(doc.render(), f"acceptance-checklist-{region.code}.pdf")
