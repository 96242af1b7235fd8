"""Pages of survivors' benefits (遗属待遇, §9.5): the claim of a deceased person, the
claim with its figures line by line, the receivables (应收待追回) and a receivable with
its collection case (追缴) and the write-off request.

Thin: each page checks the section and the region, then calls ``benefits.survivors.claims``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from benefits.choices import ReceivableStatus
from benefits.determination.calc import Line
from benefits.filtersets import ReceivableFilterSet
from benefits.models import PayrollDue, Receivable, SurvivorClaim
from benefits.selectors import current_determination
from benefits.survivors import claims as survivors
from benefits.views import _parameters, _person, benefits_section
from pension.errors import ApplicationError
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField
from pension.paging import page_of
from pension.scope import region_allows
from pension.views import sent_to_reviewer

DATE = forms.DateInput(attrs={"type": "date"})


class SurvivorClaimForm(ServiceErrorsMixin, forms.Form):
    """The survivors' claim (遗属待遇申领): the death, the claimant and the account the
    benefits are paid to, the reason and the death certificate."""

    death_date = forms.DateField(label=gettext_lazy("Date of death"), widget=DATE)
    claimant_name = forms.CharField(label=gettext_lazy("Claimant"), max_length=64)
    claimant_id_number = forms.CharField(label=gettext_lazy("Claimant's citizen ID"), max_length=18)
    relationship = forms.CharField(
        label=gettext_lazy("Relationship"),
        max_length=32,
        help_text=gettext_lazy("The claimant's relationship to the deceased, e.g. spouse."),
    )
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=64)
    bank_account = forms.CharField(label=gettext_lazy("Bank account"), max_length=32)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = UploadField(
        label=gettext_lazy("Supporting document"),
        help_text=gettext_lazy(
            "A scan of the death certificate and of the proof of relationship (PDF or image)."
        ),
    )


class CollectionForm(ServiceErrorsMixin, forms.Form):
    """An amount collected on a receivable (追缴到账)."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount collected"), max_digits=14, decimal_places=2
    )
    collected_on = forms.DateField(label=gettext_lazy("Collected on"), widget=DATE)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class WriteOffForm(ServiceErrorsMixin, forms.Form):
    """The request to write off what is still owed (核销)."""

    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = UploadField(label=gettext_lazy("Supporting document"), required=False)


@benefits_section
def survivor_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """The survivors' claim of a person (遗属待遇申领), from the person page; the figures
    are computed when it is submitted and wait for a reviewer."""
    person = _person(request, pk)
    form = SurvivorClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = survivors.survivor_claim_request(
                actor=request.user,
                person=person,
                death_date=data["death_date"],
                claimant_name=data["claimant_name"],
                claimant_id_number=data["claimant_id_number"],
                relationship=data["relationship"],
                bank_name=data["bank_name"],
                bank_account=data["bank_account"],
                reason=data["reason"],
                attachments=[data["attachment"]],
                today=timezone.localdate(),
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            return sent_to_reviewer(request, approval)
    return render(
        request,
        "benefits/survivor_claim.html",
        {
            "person": person,
            "form": form,
            "current": current_determination(person),
            "claim": survivors.survivor_claim_of(person),
            "pending": survivors.pending_survivor_claim(person),
        },
    )


@benefits_section
def survivor_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A survivors' claim: each figure, the calculation line by line, the inputs and the
    parameters, the payroll due and the receivable."""
    claim = survivors.survivor_claims(request.user).filter(pk=pk).first()
    if claim is None:
        if SurvivorClaim.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    inputs = claim.inputs or {}
    lines = [Line(msgid, params).render() for msgid, params in inputs.get("explanation", [])]
    due = PayrollDue.objects.filter(source=f"survivor_claim:{claim.pk}").first()
    return render(
        request,
        "benefits/survivor_claim_detail.html",
        {
            "claim": claim,
            "person": claim.person,
            "inputs": inputs,
            "lines": lines,
            "parameters": _parameters(inputs.get("references", [])),
            "due": due,
            "receivables": claim.receivables.all(),
        },
    )


@benefits_section
def receivable_list(request: HttpRequest) -> HttpResponse:
    """Receivables (应收待追回) of the user's region, open first, filtered with
    ``ReceivableFilterSet`` (status, region) and paged with the count."""
    queryset = survivors.receivables(request.user).order_by("status", "-created_at")
    filterset = ReceivableFilterSet(request.GET or None, queryset=queryset, request=request)
    page = page_of(request, filterset.qs)
    return render(request, "benefits/receivable_list.html", {"page": page, "filterset": filterset})


def _receivable(request: HttpRequest, pk: int) -> Receivable:
    receivable = survivors.receivables(request.user).filter(pk=pk).first()
    if receivable is None:
        if Receivable.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return receivable


@benefits_section
def receivable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A receivable and its collection case: what was collected and when, the form to
    record a collection, and the write-off request."""
    receivable = _receivable(request, pk)
    may_prepare = region_allows(
        request.user, receivable.person.region_id, "prepare", model=Receivable
    )
    form = CollectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survivors.receivable_collection_record(
                actor=request.user,
                receivable=receivable,
                amount=data["amount"],
                collected_on=data["collected_on"],
                note=data["note"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The collection is recorded."))
            return redirect("benefits:receivable_detail", pk=receivable.pk)
    return render(
        request,
        "benefits/receivable_detail.html",
        {
            "receivable": receivable,
            "person": receivable.person,
            "outstanding": receivable.amount - receivable.collected,
            "form": form,
            "write_off_form": WriteOffForm(),
            "may_prepare": may_prepare and receivable.status == ReceivableStatus.OPEN,
            "pending_write_off": survivors.pending_write_off(receivable),
        },
    )


@benefits_section
def receivable_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    """The write-off request (核销) of what is still owed, for a reviewer."""
    receivable = _receivable(request, pk)
    form = WriteOffForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["attachment"]
        try:
            approval = survivors.receivable_write_off_request(
                actor=request.user,
                receivable=receivable,
                reason=form.cleaned_data["reason"],
                attachments=[upload] if upload else [],
            )
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            return sent_to_reviewer(request, approval)
    elif request.method == "POST":
        messages.error(request, _("Give the reason for the write-off."))
    return redirect("benefits:receivable_detail", pk=receivable.pk)
