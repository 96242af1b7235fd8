"""Pages of the monthly payroll (养老金发放): the runs, a new run, a run with its progress
bar (htmx polling), totals by city and county, the variance report, the transitions,
the bank files to download and the bank results to upload. Thin: they check the input
and call ``benefits.payroll.runs`` and ``benefits.payroll.bank``."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from benefits import selectors
from benefits.choices import PayrollRunStatus
from benefits.filtersets import PayrollRunFilterSet
from benefits.models import BankFile, PayrollRun
from benefits.payroll import bank, payee_accounts
from benefits.payroll import runs as payroll
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
from pension.errors import ApplicationError
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField, estimate_rows, import_job_create
from pension.scope import region_allows
from pension.views import section_required, sent_to_reviewer

benefits_section = section_required("benefits")
VARIANCE_SHOWN = 200
FINISHED = (PayrollRunStatus.CALCULATED, *payroll.PAID_STATUSES)


class BankResultForm(forms.Form):
    """A bank's result file for one of the run's banks, under the bank's batch id."""

    bank_name = forms.ChoiceField(label=_("Bank"))
    bank_batch_id = forms.CharField(label=_("Bank batch id"), max_length=64)
    file = UploadField(
        label=_("Result file"), help_text=_("CSV or Excel: 流水号 | 账号 | 金额 | 结果 | 失败原因")
    )

    def __init__(self, *args, banks: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_name"].choices = [(b, b) for b in banks]


def _run(request: HttpRequest, pk: int) -> PayrollRun:
    return run_or_404(payroll.payroll_run_get, request, pk)


def _readable_run(request: HttpRequest, pk: int) -> PayrollRun:
    """A run to read: the user's region's, or one of a region above that pays theirs."""
    return run_or_404(lambda user, pk: payroll.payroll_runs_paying(user).get(pk=pk), request, pk)


def _part_context(request: HttpRequest, run: PayrollRun, prefix: str) -> dict:
    """A run of a region above the user's (the province's): their region's part of the
    totals, read-only; no payee, bank or variance of other regions."""
    cities = []
    if run.status in FINISHED:
        for city in payroll.run_totals(run):
            counties = [c for c in city["counties"] if c["region"].code.startswith(prefix)]
            if city["region"].code.startswith(prefix):
                cities.append(city)
            elif counties:
                amount = sum((c["amount"] for c in counties), Decimal("0.00"))
                lines = sum(c["lines"] for c in counties)
                cities.append({**city, "counties": counties, "amount": amount, "lines": lines})
    part = {
        "region": request.user.region,
        "amount": sum((c["amount"] for c in cities), Decimal("0.00")),
        "lines": sum(c["lines"] for c in cities),
    }
    return {"run": run, "part": part, "totals": cities, "progress": _progress(run)}


@benefits_section
def payroll_run_list(request: HttpRequest) -> HttpResponse:
    runs = payroll.payroll_runs_paying(request.user)
    return run_list_page(request, runs, "benefits/payroll_list.html", PayrollRunFilterSet)


@benefits_section
def payroll_run_create(request: HttpRequest) -> HttpResponse:
    return run_create_page(
        request,
        create=payroll.payroll_run_create,
        template="benefits/payroll_form.html",
        done=gettext("Payroll run %(run)s created."),
        detail="benefits:payroll_run_detail",
        period_label=_("Pay month"),
    )


def _progress(run: PayrollRun) -> dict[str, Any]:
    return progress_of(run, finished=FINISHED, working=(PayrollRunStatus.RUNNING,))


def _banks(run: PayrollRun) -> list[str]:
    return sorted({f.bank_name for f in bank.bank_files(run)})


def _charts(run: PayrollRun) -> list:
    """The run page's charts: this run by city, and the pay months up to this one."""
    by_city = selectors.payroll_city_totals(run)
    months = selectors.payroll_months(run)
    return [
        chart(
            "payroll-by-city",
            title=gettext("Amount by city"),
            categories=[name for name, _amount in by_city],
            series=[(gettext("Amount"), [amount for _name, amount in by_city])],
            unit=gettext("yuan"),
        ),
        chart(
            "payroll-by-month",
            title=gettext("Amount by pay month"),
            categories=[period for period, _amount, _lines in months],
            series=[(gettext("Amount"), [amount for _period, amount, _lines in months])],
            kind="line",
            unit=gettext("yuan"),
        ),
    ]


def _detail_context(request: HttpRequest, run: PayrollRun, result_form=None) -> dict:
    user = request.user
    may_prepare = region_allows(user, run.region_id, "prepare")
    approver = may_approve(user, run)
    status = run.status
    calculated = status in FINISHED
    return {
        "run": run,
        "charts": _charts(run) if calculated else [],
        "progress": _progress(run),
        "totals": payroll.run_totals(run) if calculated else [],
        "variance": payroll.run_variance(run, limit=VARIANCE_SHOWN) if calculated else None,
        "variance_shown": VARIANCE_SHOWN,
        "account_changes": payee_accounts.accounts_changed_since_last_month(
            run, limit=VARIANCE_SHOWN
        )
        if calculated
        else [],
        "recent_accounts": payee_accounts.recent_account_changes(run, limit=VARIANCE_SHOWN)
        if status == PayrollRunStatus.CALCULATED and not run.dry_run
        else None,
        "by_bank": payroll.payments_by_bank(run) if calculated else [],
        "bank_files": bank.bank_files(run),
        "bank_results": run.bank_results.order_by("-received_at"),
        "result_form": result_form
        or (BankResultForm(banks=_banks(run)) if status == PayrollRunStatus.EXPORTED else None),
        "may_start": may_prepare and startable(payroll.BATCH, run),
        "may_approve": approver and not run.dry_run and status == PayrollRunStatus.CALCULATED,
        "may_recalculate": may_prepare
        and not run.dry_run
        and status == PayrollRunStatus.CALCULATED,
        "may_export": may_prepare and status == PayrollRunStatus.APPROVED,
        "may_discard": may_prepare
        and run.dry_run
        and status
        in (PayrollRunStatus.DRAFT, PayrollRunStatus.CALCULATED, PayrollRunStatus.FAILED),
    }


@benefits_section
def payroll_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _readable_run(request, pk)
    prefix = payroll.run_part_of(request.user, run)
    if prefix is not None:
        context = _part_context(request, run, prefix)
    else:
        context = _detail_context(request, run)
    return render(request, "benefits/payroll_detail.html", context)


@benefits_section
def payroll_run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial the run page polls while the run is running."""
    run = _readable_run(request, pk)
    return progress_partial(
        request, "benefits/payroll_progress.html", {"run": run, "progress": _progress(run)}
    )


def _transition(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    return run_transition(request, _run(request, pk), service, done, "benefits:payroll_run_detail")


@benefits_section
@require_POST
def payroll_run_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, payroll.payroll_run_start, gettext("Payroll run %(run)s started.")
    )


@benefits_section
@require_POST
def payroll_run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve; the reviewer confirms the payments to recently changed bank accounts by
    ticking the box that carries their number (none ticked: nothing confirmed)."""
    confirmed = request.POST.get("confirmed_account_changes", "")
    service = partial(
        payroll.payroll_run_approve,
        confirmed_account_changes=int(confirmed) if confirmed.isascii() and confirmed.isdigit()
        else None,
    )  # fmt: skip
    return _transition(request, pk, service, gettext("Payroll run %(run)s approved."))


@benefits_section
@require_POST
def payroll_run_recalculate(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        payroll.payroll_run_recalculate,
        gettext("Payroll run %(run)s is being calculated again."),
    )


@benefits_section
@require_POST
def payroll_run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request, pk, payroll.payroll_run_discard, gettext("Dry run %(run)s discarded.")
    )


@benefits_section
@require_POST
def payroll_run_export(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        bank.payroll_run_export,
        gettext("The bank files of payroll run %(run)s are written."),
    )


@benefits_section
def bank_file_download(request: HttpRequest, pk: int) -> FileResponse:
    """A bank file as written (its SHA-256 is on the run page)."""
    bank_file = BankFile.objects.select_related("run").filter(pk=pk).first()
    if (
        bank_file is None
        or not payroll.payroll_runs(request.user).filter(pk=bank_file.run_id).exists()
    ):
        raise Http404
    name = f"代发-{bank_file.run.period}-{bank_file.bank_name}.{bank_file.file_format}"
    return FileResponse(bank_file.file.open("rb"), as_attachment=True, filename=name)


@benefits_section
@require_POST
def bank_result_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a bank's result file; row errors are listed and nothing is imported."""
    run = _run(request, pk)
    form = BankResultForm(request.POST, request.FILES, banks=_banks(run))
    row_errors: list = []
    if form.is_valid() and estimate_rows(form.cleaned_data["file"]) >= (
        settings.IMPORT_WORKER_FROM_ROWS
    ):
        # a large file: imported on a worker, the job's page shows the progress
        job = import_job_create(
            actor=request.user,
            kind="bank_results",
            upload=form.cleaned_data["file"],
            params={
                "run": run.pk,
                "bank_name": form.cleaned_data["bank_name"],
                "bank_batch_id": form.cleaned_data["bank_batch_id"],
            },
            rows=2 * estimate_rows(form.cleaned_data["file"]),
        )
        return redirect("import_job", pk=job.pk)
    if form.is_valid():
        parsed = bank.read_result_file(form.cleaned_data["file"])
        row_errors = [bank.row_error_dict(e) for e in parsed.errors]
        if not parsed.errors:
            try:
                batch = bank.bank_results_import(
                    actor=request.user,
                    run=run,
                    bank_name=form.cleaned_data["bank_name"],
                    bank_batch_id=form.cleaned_data["bank_batch_id"],
                    rows=parsed.rows,
                    sha256=parsed.sha256,
                )
            except ApplicationError as error:
                form.add_error(None, str(error))
                row_errors = error.details.get("rows", [])
            else:
                text = (
                    gettext("Bank batch %(batch)s was received before; nothing was changed.")
                    if getattr(batch, "replayed", False)
                    else gettext("Bank batch %(batch)s: %(paid)s paid, %(failed)s failed.")
                )
                messages.success(
                    request,
                    text
                    % {
                        "batch": batch.bank_batch_id,
                        "paid": batch.paid_count,
                        "failed": batch.failed_count,
                    },
                )
                return redirect("benefits:payroll_run_detail", pk=run.pk)
        else:
            form.add_error(None, gettext("The file has errors; nothing was imported."))
    context = _detail_context(request, run, result_form=form)
    context["row_errors"] = row_errors
    return render(request, "benefits/payroll_detail.html", context, status=400)


# --- a recovery of overpaid benefits proposed at the hall (待遇追回, 分期扣回) ---------------


class RecoveryForm(ServiceErrorsMixin, forms.Form):
    """The amount overpaid, the monthly instalment or the number of months (neither: the
    whole in the next payroll), why. The page's hidden ``token`` makes a form sent
    twice one case."""

    amount = forms.DecimalField(
        label=_("Amount to recover"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    instalment = forms.DecimalField(
        label=_("Monthly instalment"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Deducted each month until the whole is recovered; below the pension."),
    )
    months = forms.IntegerField(
        label=_("or months"), required=False, help_text=_("Instead of the instalment.")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )


@section_required("benefits")
def recovery_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose recovering an overpayment from a retiree's coming payrolls, whole or in
    monthly instalments, for a reviewer (maker-checker)."""
    import uuid

    from django.core.exceptions import PermissionDenied

    from benefits.payroll import recovery
    from enrollment.models import InsuredPerson

    person = InsuredPerson.objects.select_related("region", "agency").filter(pk=pk).first()
    if person is None:
        raise Http404
    if not region_allows(request.user, person.region_id, "prepare", model=InsuredPerson):
        raise PermissionDenied
    form = RecoveryForm(request.POST or None)
    token = "".join(c for c in request.POST.get("token", "") if c.isalnum())[:32]
    token = token or uuid.uuid4().hex
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = recovery.overpayment_recovery_request(
                actor=request.user,
                person=person,
                amount=data["amount"],
                instalment=data["instalment"],
                months=data["months"],
                source=f"hall:{person.pk}:{token}",
                reason=data["reason"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/recovery_request.html",
        {
            "person": person,
            "form": form,
            "token": token,
            "current": selectors.current_determination(person),
            "recoveries": recovery.person_recoveries(person),
        },
    )
