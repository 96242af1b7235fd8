"""Pages of the Excel roster import and export (增员/减员, DESIGN §2.5).

Thin: they check the user may prepare for the employer's region, then call
``enrollment.excel``. The row errors of the last refused sheet are kept in the session
(compressed) so that the error workbook can be downloaded; nothing else is stored.
"""

from __future__ import annotations

import base64
import json
import zlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from enrollment import excel
from enrollment.models import Employer
from pension.errors import ApplicationError
from pension.imports import UploadField, estimate_rows, import_job_create
from pension.scope import region_allows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 500  # the page lists this many errors; the workbook has them all


class RosterImportForm(forms.Form):
    file = UploadField(label=_("Excel (.xlsx) or CSV file"))
    valid_rows_only = forms.BooleanField(label=_("Import only the valid rows"), required=False)


def _employer(request: HttpRequest, pk: int) -> Employer:
    employer = get_object_or_404(Employer.objects.select_related("region"), pk=pk)
    if not region_allows(request.user, employer.region_id, "prepare"):
        raise PermissionDenied
    return employer


def _session_key(pk: int) -> str:
    return f"enrollment.roster_import_errors.{pk}"


def _keep_errors(request: HttpRequest, pk: int, errors: list[excel.RowError]) -> None:
    data = [[e.row, e.column, e.value, e.message] for e in errors]
    packed = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    request.session[_session_key(pk)] = base64.b64encode(packed).decode("ascii")


def _kept_errors(request: HttpRequest, pk: int) -> list[excel.RowError] | None:
    packed = request.session.get(_session_key(pk))
    if not packed:
        return None
    data = json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))
    return [excel.RowError(*row) for row in data]


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a sheet of additions and removals; show its row errors or import it."""
    employer = _employer(request, pk)
    if request.method == "GET" and request.GET.get("download") == "errors":
        errors = _kept_errors(request, pk)
        if errors is None:
            raise Http404
        return _attachment(excel.errors_workbook(errors), f"roster-import-errors-{pk}.xlsx")
    context: dict = {
        "employer": employer,
        "headers": excel.HEADERS,
        "add": excel.ADD,
        "remove": excel.REMOVE,
    }
    form = RosterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        valid_only = form.cleaned_data["valid_rows_only"]
        rows = estimate_rows(upload)
        if rows >= settings.IMPORT_WORKER_FROM_ROWS:
            # a large sheet: imported on a worker, the job's page shows the progress
            job = import_job_create(
                actor=request.user,
                kind="roster_changes",
                upload=upload,
                params={"employer": employer.pk, "valid_rows_only": valid_only},
                rows=rows,
            )
            return redirect("import_job", pk=job.pk)
        result = excel.parse_roster_changes(upload, employer=employer)
        errors = result.errors
        if errors:
            _keep_errors(request, pk, errors)
        else:
            request.session.pop(_session_key(pk), None)
        if not errors or (valid_only and result.rows):
            try:
                report = excel.apply_roster_changes(
                    actor=request.user,
                    employer=employer,
                    result=result,
                    valid_rows_only=valid_only,
                )
            except ApplicationError as error:
                errors = [excel.RowError(**e) for e in error.details.get("errors", [])] or errors
                if errors:
                    _keep_errors(request, pk, errors)
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    gettext(
                        "Imported: %(added)d added, %(removed)d removed, %(registered)d newly "
                        "registered."
                    )
                    % {
                        "added": report.added,
                        "removed": report.removed,
                        "registered": report.registered,
                    },
                )
                if not errors:
                    return redirect("enrollment:roster_import", pk=pk)
                context["skipped"] = True
        elif valid_only:
            messages.error(request, gettext("No row of the sheet is valid; nothing was imported."))
        context.update(
            errors=errors[:ERRORS_SHOWN],
            error_count=len(errors),
            error_rows=len({e.row for e in errors}),
            more_errors=len(errors) > ERRORS_SHOWN,
            data_rows=result.data_rows,
        )
    context["form"] = form
    return render(request, "enrollment/roster_import.html", context)


@login_required
@require_GET
def roster_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The employer's current roster as an .xlsx (ID numbers masked by role)."""
    employer = _employer(request, pk)
    content = excel.roster_workbook(employer, user=request.user)
    excel.record_roster_export(actor=request.user, employer=employer)
    return _attachment(content, f"roster-{employer.credit_code}.xlsx")
