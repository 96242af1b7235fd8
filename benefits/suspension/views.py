"""Pages of suspension and resumption, the death report, life certification, data-match
imports and the certification sweep's list (暂停与恢复发放, 死亡登记, 资格确认, 比对数据,
§9.3.2–9.3.4, §9.6).

Thin: each page checks the section and the region, calls a service of
``benefits.suspension.suspensions`` or ``benefits.suspension.certification`` and puts
its errors on the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from benefits import selectors
from benefits.choices import CertificationMethod, DataMatchKind, SuspensionReason
from benefits.filtersets import OverdueCertificationFilterSet
from benefits.models import DataMatchImport, Suspension
from benefits.suspension import certification, suspensions
from enrollment.models import InsuredPerson
from pension.errors import ApplicationError
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField, estimate_rows, import_job_create
from pension.paging import PER_PAGE, page_of
from pension.periods import Period, PeriodFormField
from pension.privacy import citizen_id_for
from pension.scope import region_allows, restrict, user_prefix
from pension.views import section_required, sent_to_reviewer

benefits_section = section_required("benefits")
DATE = forms.DateInput(attrs={"type": "date"})


# --- forms -------------------------------------------------------------------------------


class SuspensionForm(ServiceErrorsMixin, forms.Form):
    """暂停发放申请: the reason (not death: the death report), the first month not paid."""

    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[
            (v, label) for v, label in SuspensionReason.choices if v != SuspensionReason.DEATH
        ],
    )
    from_month = PeriodFormField(label=gettext_lazy("Suspended from"))
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = UploadField(label=gettext_lazy("Supporting document"), required=False)


class ResumptionForm(ServiceErrorsMixin, forms.Form):
    """恢复发放申请: the first month paid again."""

    resumed_from = PeriodFormField(label=gettext_lazy("Resumed from"))
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = UploadField(label=gettext_lazy("Supporting document"), required=False)


class DeathReportForm(ServiceErrorsMixin, forms.Form):
    """死亡登记: the date of death and the death certificate."""

    death_date = forms.DateField(label=gettext_lazy("Date of death"), widget=DATE)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = UploadField(
        label=gettext_lazy("Death certificate"),
        help_text=gettext_lazy("A scan of the death certificate or the cremation record."),
    )


class CertificationForm(ServiceErrorsMixin, forms.Form):
    """资格确认: the day and how (a data match is recorded by importing its file)."""

    certified_on = forms.DateField(label=gettext_lazy("Certified on"), widget=DATE)
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        choices=[
            (v, label)
            for v, label in CertificationMethod.choices
            if v != CertificationMethod.DATA_MATCH
        ],
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class DataMatchForm(ServiceErrorsMixin, forms.Form):
    """比对数据导入: the kind and the file (CSV or .xlsx)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DataMatchKind.choices)
    file = UploadField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV or Excel (.xlsx) with the columns 公民身份号码, 姓名, 日期 (for death records "
            "the date of death)."
        ),
    )


# --- helpers -----------------------------------------------------------------------------


def _person(request: HttpRequest, pk: int, action: str = "prepare") -> InsuredPerson:
    person = InsuredPerson.objects.select_related("region", "agency").filter(pk=pk).first()
    if person is None:
        raise Http404
    if not region_allows(request.user, person.region_id, action, model=InsuredPerson):
        raise PermissionDenied
    return person


# --- suspension, resumption, death -------------------------------------------------------


@benefits_section
def suspension_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The suspension case of a determination (暂停发放申请)."""
    determination = selectors.determinations(request.user, "prepare").filter(pk=pk).first()
    if determination is None:
        raise (
            PermissionDenied
            if selectors.PensionDetermination.objects.filter(pk=pk).exists()
            else Http404
        )
    form = SuspensionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = suspensions.suspension_request(
                actor=request.user,
                determination=determination,
                reason=data["reason"],
                from_month=data["from_month"],
                note=data["note"],
                attachments=[data["attachment"]] if data["attachment"] else [],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/suspension_request.html",
        {
            "determination": determination,
            "person": determination.person,
            "form": form,
            "open": suspensions.open_suspension(determination.person),
        },
    )


@benefits_section
def resumption_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The resumption case of a suspension (恢复发放申请)."""
    suspension = (
        restrict(
            Suspension.objects.select_related("person", "determination"), request.user, "prepare"
        )
        .filter(pk=pk)
        .first()
    )
    if suspension is None:
        raise PermissionDenied if Suspension.objects.filter(pk=pk).exists() else Http404
    initial = {"resumed_from": Period.from_date(timezone.localdate())}
    form = ResumptionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = suspensions.resumption_request(
                actor=request.user,
                suspension=suspension,
                resumed_from=data["resumed_from"],
                note=data["note"],
                attachments=[data["attachment"]] if data["attachment"] else [],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/suspension_resumption.html",
        {"suspension": suspension, "person": suspension.person, "form": form},
    )


@benefits_section
def death_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The death reported at the hall (死亡登记), for a reviewer."""
    person = _person(request, pk)
    form = DeathReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = suspensions.death_report_request(
                actor=request.user,
                person=person,
                death_date=data["death_date"],
                reason=data["reason"],
                attachments=[data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/suspension_death.html",
        {"person": person, "form": form, "current": selectors.current_determination(person)},
    )


# --- certification --------------------------------------------------------------------------


@benefits_section
def certification_person(request: HttpRequest, pk: int) -> HttpResponse:
    """A retiree's certifications (资格确认): the form to record one, the history, when
    the next is due, the open suspension."""
    person = _person(request, pk, "view")
    may_record = region_allows(request.user, person.region_id, "prepare", model=InsuredPerson)
    form = CertificationForm(
        request.POST or None, initial={"certified_on": timezone.localdate(), "method": "hall"}
    )
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                recorded = certification.life_certification_record(
                    actor=request.user,
                    person=person,
                    certified_on=data["certified_on"],
                    method=data["method"],
                    note=data["note"],
                )
            except ApplicationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("The certification of %(date)s is recorded.")
                    % {"date": data["certified_on"].isoformat()},
                )
                if recorded.resumption is not None:
                    messages.info(
                        request,
                        _(
                            "The payment was suspended for a missing certification: resumption "
                            "case #%(id)s is waiting for a reviewer."
                        )
                        % {"id": recorded.resumption.pk},
                    )
                return redirect("benefits:certification_person", pk=person.pk)
    return render(
        request,
        "benefits/certification_person.html",
        {
            "person": person,
            "form": form,
            "may_record": may_record,
            "history": certification.certifications_of(person)[:50],
            "last": certification.last_certified_on(person),
            "due": certification.certification_due_on(person),
            "current": selectors.current_determination(person),
            "open": suspensions.open_suspension(person),
        },
    )


@benefits_section
def data_match_import(request: HttpRequest) -> HttpResponse:
    """Import a data-match file (比对数据导入) and the imports so far; a failed file shows
    its row errors, nothing imported."""
    if user_prefix(request.user, InsuredPerson, "prepare") is None:
        raise PermissionDenied
    form = DataMatchForm(request.POST or None, request.FILES or None)
    row_errors: list[dict] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        rows = estimate_rows(upload)
        try:
            if rows >= settings.IMPORT_WORKER_FROM_ROWS:
                # a large file: imported on a worker, the job's page shows the progress
                job = import_job_create(
                    actor=request.user,
                    kind="data_match",
                    upload=upload,
                    params={"kind": form.cleaned_data["kind"]},
                    rows=2 * rows,
                )
                return redirect("import_job", pk=job.pk)
            imported = certification.data_match_import(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=upload,
                file_name=upload.name,
            )
        except ApplicationError as error:
            form.add_service_error(error)
            row_errors = (error.details or {}).get("errors", [])
        else:
            messages.success(
                request,
                _("%(name)s is imported: %(rows)s rows, %(matched)s in the register.")
                % {
                    "name": imported.file_name,
                    "rows": imported.row_count,
                    "matched": imported.matched_count,
                },
            )
            return redirect("benefits:data_match_detail", pk=imported.pk)
    imports = Paginator(DataMatchImport.objects.select_related("imported_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "benefits/certification_import.html",
        {
            "form": form,
            "row_errors": row_errors[:500],
            "error_count": len(row_errors),
            "imports": imports,
        },
    )


@benefits_section
def data_match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One data-match import: its counts and the people it listed."""
    imported = DataMatchImport.objects.select_related("imported_by").filter(pk=pk).first()
    if imported is None:
        raise Http404
    if user_prefix(request.user, InsuredPerson, "view") is None:
        raise PermissionDenied
    result = imported.result or {}
    groups = [
        ("stopped", _("Payment stopped")),
        ("deceased_not_retired", _("Recorded as deceased (no pension)")),
        ("already_deceased", _("Already recorded as deceased")),
        ("suspended_certified", _("Certified while suspended: prepare the resumption")),
    ]
    labels = dict(groups)
    chosen = request.GET.get("group", "")
    if chosen not in labels:
        chosen = ""
    # the people the file listed, within the reader's region, one paged list with the
    # group as its filter
    wanted = {i for key, _label in groups if chosen in ("", key) for i in result.get(key, [])}
    people = restrict(InsuredPerson.objects.filter(pk__in=wanted), request.user).in_bulk()
    rows = [
        (labels[key], people[i])
        for key, _label in groups
        if chosen in ("", key)
        for i in result.get(key, [])
        if i in people
    ]
    unmatched = Paginator(result.get("unmatched", []), PER_PAGE).get_page(
        request.GET.get("unmatched_page")
    )
    return render(
        request,
        "benefits/certification_import_detail.html",
        {
            "imported": imported,
            "result": result,
            "groups": groups,
            "group": chosen,
            "page": page_of(request, rows),
            "unmatched": [citizen_id_for(request.user, n) for n in unmatched],
            "unmatched_page": unmatched,
            "conflicts": result.get("conflicts", []),
        },
    )


@benefits_section
def certification_overdue(request: HttpRequest) -> HttpResponse:
    """The people suspended for a missing certification in the user's region, by who is
    to tell them (their last employer, else their county), to print (§9.3.3); and those
    falling due within a month."""
    prefix = user_prefix(request.user, Suspension, "view")
    if prefix is None:
        raise PermissionDenied
    filterset = OverdueCertificationFilterSet(
        request.GET or None, queryset=certification.overdue_suspensions(prefix)
    )
    page = page_of(request, filterset.qs)
    groups = certification.overdue_by_notifier(prefix, suspensions=page.object_list)
    for group in groups:
        for row in group["people"]:
            row["id_number"] = citizen_id_for(request.user, row["id_number"])
    soon = certification.overdue_not_suspended(filterset.region_prefix(prefix))
    for row in soon:
        row["id_number"] = citizen_id_for(request.user, row["id_number"])
    return render(
        request,
        "benefits/certification_overdue.html",
        {
            "groups": groups,
            "filterset": filterset,
            "page": page,
            "count": page.paginator.count,
            "soon": soon,
            "today": timezone.localdate(),
        },
    )
