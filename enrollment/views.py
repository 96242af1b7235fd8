"""Pages of registration (参保登记): search, employers, insured people, employment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from enrollment import selectors, services
from enrollment.filtersets import RosterFilterSet
from enrollment.forms import (
    BankAccountChangeForm,
    ContactForm,
    EmployerRegisterForm,
    EmploymentAddForm,
    EmploymentRemoveForm,
    KeyDataChangeForm,
    PersonRegisterForm,
    ReasonForm,
)
from enrollment.models import Employer, Employment, InsuredPerson
from enrollment.person_page import sections as person_sections
from pension.approvals import operation_choices
from pension.attachments import attachments_of
from pension.changelog import object_type_of
from pension.errors import ApplicationError
from pension.models import ApprovalRequest, Attachment, ChangeLogEntry
from pension.paging import page_of
from pension.privacy import citizen_id_for, record_read
from pension.scope import region_allows
from pension.views import section_required

registration = section_required("enrollment")


def _province(user) -> str:
    return user.region.code[:2] if getattr(user, "region", None) else "14"


def _may_prepare(user, region_code: str, model) -> None:
    if not region_allows(user, region_code, "prepare", model=model):
        raise PermissionDenied


@registration
def index(request):
    return render(request, "enrollment/index.html", {})


@registration
def person_search(request):
    query = request.GET.get("q", "")
    page = page_of(request, selectors.person_search(request.user, query, limit=None))
    return render(
        request, "enrollment/person_search.html", {"q": query, "people": page, "page": page}
    )


@registration
def person_register(request):
    form = PersonRegisterForm(request.POST or None, province_code=_province(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_register(
                actor=request.user,
                id_number=data["id_number"],
                name=data["name"],
                sex=data["sex"] or None,
                birth_date=data["birth_date"],
                category=data["category"],
                occupation_kind=data["occupation_kind"],
                region=data["region"],
                first_work_date=data["first_work_date"],
                deemed_months=data["deemed_months"],
                phone=data["phone"],
                address=data["address"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": person.name})
            return redirect("enrollment:person_detail", pk=person.pk)
    return render(
        request, "enrollment/form.html", {"form": form, "title": _("Register an insured person")}
    )


def _person(request, pk: int) -> InsuredPerson:
    try:
        return selectors.person_get(request.user, pk)
    except InsuredPerson.DoesNotExist:
        raise Http404 from None


@registration
def person_detail(request, pk: int):
    person = _person(request, pk)
    record_read(actor=request.user, instance=person, reason=gettext_noop("person page"))
    cases = ApprovalRequest.objects.filter(
        object_type=object_type_of(person), object_id=str(person.pk)
    ).select_related("maker", "checker")
    case_ids = [str(c.pk) for c in cases]
    attachments = (
        (
            Attachment.objects.filter(content_type__model="insuredperson", object_id=str(person.pk))
            | Attachment.objects.filter(
                content_type__model="approvalrequest", object_id__in=case_ids
            )
        )
        .select_related("uploaded_by")
        .order_by("-uploaded_at")
    )
    history = (
        ChangeLogEntry.objects.filter(object_type=object_type_of(person), object_id=str(person.pk))
        .exclude(action="read")
        .order_by("-id")[:100]
    )
    return render(
        request,
        "enrollment/person_detail.html",
        {
            "person": person,
            "employments": selectors.person_employments(person),
            "cases": cases,
            "operation_labels": dict(operation_choices()),
            "attachments": attachments,
            "history": history,
            "sections": person_sections(request, person),
            "may_prepare": region_allows(
                request.user, person.region_id, "prepare", model=InsuredPerson
            ),
            "may_change_bank": region_allows(request.user, person.region_id, "prepare"),
            # the key-data form shows the ID number whole: only to roles that see it so
            "may_key_data": citizen_id_for(request.user, person.id_number) == person.id_number,
            "flexible": person.category in services.FLEXIBLE_CATEGORIES
            and region_allows(request.user, person.region_id, "prepare"),
        },
    )


@registration
@require_POST
def person_flexible_contribution(request, pk: int, action: str):
    """Stop (中断) or resume a flexible worker's contributions at the hall."""
    handlers = {
        "interrupt": services.flexible_contribution_interrupt,
        "resume": services.flexible_contribution_resume,
    }
    if action not in handlers:
        raise Http404
    person = _person(request, pk)
    if not region_allows(request.user, person.region_id, "prepare"):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        handlers[action](actor=request.user, person=person, reason=reason)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("enrollment:person_detail", pk=person.pk)


@registration
def person_contact(request, pk: int):
    person = _person(request, pk)
    _may_prepare(request.user, person.region_id, InsuredPerson)
    form = ContactForm(request.POST or None, instance=InsuredPerson.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update_contact(
                actor=request.user, person=person, **{f: form.cleaned_data[f] for f in form.fields}
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Contact data saved."))
            return redirect("enrollment:person_detail", pk=person.pk)
    return render(
        request,
        "enrollment/form.html",
        {"form": form, "title": _("Contact data of %(name)s") % {"name": person.name}},
    )


@registration
def person_bank_account(request, pk: int):
    """Propose a new bank account for the pension (§6.2.2.3): owning region only."""
    person = _person(request, pk)
    if not region_allows(request.user, person.region_id, "prepare"):
        raise PermissionDenied(str(services.ERROR_BANK_OUTSIDE_REGION))
    form = BankAccountChangeForm(
        request.POST or None,
        request.FILES or None,
        initial={"bank_name": person.bank_name, "bank_account": person.bank_account},
    )
    if request.method == "POST" and form.is_valid():
        try:
            approval = services.person_bank_account_change_request(
                actor=request.user,
                person=person,
                bank_name=form.cleaned_data["bank_name"],
                bank_account=form.cleaned_data["bank_account"],
                reason=form.cleaned_data["reason"],
                attachments=[form.cleaned_data["attachment"]],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _(
                    "Request #%(id)s is waiting for a reviewer; "
                    "nothing changes until it is approved."
                )
                % {"id": approval.pk},
            )
            return redirect("enrollment:person_detail", pk=person.pk)
    return render(
        request,
        "enrollment/form.html",
        {
            "form": form,
            "title": _("Change the bank account of %(name)s") % {"name": person.name},
            "multipart": True,
        },
    )


@registration
def person_key_data(request, pk: int):
    """The key-data form shows the ID number in full: only roles that see it whole
    open it, and the showing is logged like any other (``pension.privacy``)."""
    person = _person(request, pk)
    _may_prepare(request.user, person.region_id, InsuredPerson)
    if citizen_id_for(request.user, person.id_number) != person.id_number:
        raise PermissionDenied(_("Your role sees citizen ID numbers masked."))
    if request.method == "POST":
        form = KeyDataChangeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                approval = services.person_key_data_change_request(
                    actor=request.user,
                    person=person,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                    attachments=[form.cleaned_data["attachment"]],
                )
            except ApplicationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _(
                        "Request #%(id)s is waiting for a reviewer; "
                        "nothing changes until it is approved."
                    )
                    % {"id": approval.pk},
                )
                return redirect("enrollment:person_detail", pk=person.pk)
    else:
        form = KeyDataChangeForm.for_person(person)
    return render(
        request,
        "enrollment/form.html",
        {
            "form": form,
            "title": _("Change key data of %(name)s") % {"name": person.name},
            "multipart": True,
        },
    )


# --- employers -----------------------------------------------------------------------


@registration
def employer_search(request):
    query = request.GET.get("q", "")
    page = page_of(request, selectors.employer_search(request.user, query, limit=None))
    return render(
        request,
        "enrollment/employer_search.html",
        {"q": query, "employers": page, "page": page},
    )


@registration
def employer_register(request):
    form = EmployerRegisterForm(request.POST or None, province_code=_province(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            employer = services.employer_register(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": employer.name})
            return redirect("enrollment:employer_detail", pk=employer.pk)
    return render(
        request, "enrollment/form.html", {"form": form, "title": _("Register an employer")}
    )


def _employer(request, pk: int) -> Employer:
    employer = selectors.employer_list(request.user).filter(pk=pk).first()
    if employer is None:
        raise Http404
    return employer


@registration
def employer_detail(request, pk: int):
    employer = _employer(request, pk)
    history = ChangeLogEntry.objects.filter(
        object_type=object_type_of(employer), object_id=str(employer.pk)
    ).order_by("-id")[:100]
    roster = RosterFilterSet(request.GET or None, queryset=selectors.employer_roster(employer))
    return render(
        request,
        "enrollment/employer_detail.html",
        {
            "employer": employer,
            # a page of the roster at a time (an employer may have thousands), filtered
            "roster": page_of(request, roster.qs.order_by("person__name", "id")),
            "filterset": roster,
            "history": history,
            "blockers": services.employer_cancellation_blockers(employer),
            "add_form": EmploymentAddForm(),
            "remove_form": EmploymentRemoveForm(),
            "reason_form": ReasonForm(),
            "attachments": attachments_of(employer),
            "may_prepare": region_allows(request.user, employer.region_id, "prepare"),
        },
    )


@registration
@require_POST
def employer_status(request, pk: int, action: str):
    employer = _employer(request, pk)
    _may_prepare(request.user, employer.region_id, Employer)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    handlers = {
        "suspend": services.employer_suspend,
        "resume": services.employer_resume,
        "cancel": services.employer_cancel,
    }
    if action not in handlers:
        raise Http404
    try:
        handlers[action](actor=request.user, employer=employer, reason=reason)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("enrollment:employer_detail", pk=employer.pk)


@registration
@require_POST
def employment_add(request, pk: int):
    employer = _employer(request, pk)
    _may_prepare(request.user, employer.region_id, Employer)
    form = EmploymentAddForm(request.POST)
    if form.is_valid():
        person = InsuredPerson.objects.filter(
            id_number=form.cleaned_data["id_number"].strip().upper()
        ).first()
        if person is None:
            messages.error(
                request,
                _("Nobody with this citizen ID number is registered; register the person first."),
            )
        else:
            try:
                services.employment_add(
                    actor=request.user,
                    employer=employer,
                    person=person,
                    start=form.cleaned_data["start"],
                )
            except ApplicationError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, _("%(name)s added to the roster.") % {"name": person.name}
                )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("enrollment:employer_detail", pk=employer.pk)


@registration
@require_POST
def employment_remove(request, pk: int, employment_pk: int):
    employer = _employer(request, pk)
    _may_prepare(request.user, employer.region_id, Employer)
    employment = Employment.objects.filter(pk=employment_pk, employer=employer).first()
    if employment is None:
        raise Http404
    form = EmploymentRemoveForm(request.POST)
    if form.is_valid():
        try:
            services.employment_remove(
                actor=request.user,
                employment=employment,
                stop=form.cleaned_data["stop"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Removed from the roster."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("enrollment:employer_detail", pk=employer.pk)
