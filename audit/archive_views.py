"""Pages of the business archives (业务档案, operations standard §14): the volumes, a
volume with its documents, the decided cases awaiting filing, the hand-over lists with
their confirmation and the printable list. The archives section's roles, rows by region
(another region's: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import archives, selectors
from audit.filtersets import CaseToFileFilterSet, HandoverFilterSet, VolumeFilterSet
from audit.forms import ClassifyForm, HandoverForm
from audit.models import HandoverList, Volume
from pension import approvals
from pension.errors import ApplicationError
from pension.models import ApprovalStatus
from pension.paging import page_of
from pension.views import section_required

PAGE_SIZE = 50
HANDOVER_STATUS = {
    ApprovalStatus.PENDING: gettext_lazy("Awaiting confirmation"),
    ApprovalStatus.APPROVED: gettext_lazy("Received"),
    ApprovalStatus.REJECTED: gettext_lazy("Rejected"),
    ApprovalStatus.WITHDRAWN: gettext_lazy("Withdrawn"),
}


def _case_kind_label(key: str) -> str:
    try:
        return str(approvals.operation_for(key).label)
    except ApplicationError:
        return key


def _handover_status(handover: HandoverList) -> str:
    status = handover.approval.status if handover.approval_id else ApprovalStatus.PENDING
    return str(HANDOVER_STATUS[ApprovalStatus(status)])


@section_required("archives")
def volume_list(request: HttpRequest) -> HttpResponse:
    """The filing volumes (案卷) of the reader's region: filters region, case kind,
    filing year, retention and hand-over; 50 a page, newest year first."""
    filterset = VolumeFilterSet(request.GET or None, queryset=selectors.volumes(request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset.order_by("-year", "region_id", "sequence"), per_page=PAGE_SIZE)
    for volume in page.object_list:
        volume.kind_label = _case_kind_label(volume.case_kind)
    return render(
        request,
        "audit/volume_list.html",
        {
            "filterset": filterset,
            "page": page,
            "volumes": page.object_list,
            "may_archive": _may_archive_somewhere(request.user),
        },
    )


def _may_archive_somewhere(user) -> bool:
    region = getattr(user, "region", None)
    if user.is_superuser:
        return True
    return region is not None and archives.may_archive(user, region.code)


def _volume(request: HttpRequest, pk: int) -> Volume:
    try:
        return selectors.volumes(request.user).get(pk=pk)
    except (ValueError, Volume.DoesNotExist):
        raise Http404 from None


@section_required("archives")
def volume_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A volume: its case, retention, who filed it, its documents with their types."""
    volume = _volume(request, pk)
    volume.kind_label = _case_kind_label(volume.case_kind)
    editable = volume.handed_over_at is None and archives.may_archive(
        request.user, volume.region_id
    )
    handover = selectors.latest_handover_of(volume)
    return render(
        request,
        "audit/volume_detail.html",
        {
            "volume": volume,
            "items": selectors.volume_items(volume),
            "editable": editable,
            "classify_form": ClassifyForm(),
            "handover": handover,
            "handover_status": _handover_status(handover) if handover else "",
        },
    )


@section_required("archives")
def volume_item_classify(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    volume = _volume(request, pk)
    if request.method != "POST":
        return redirect("audit:volume_detail", pk=volume.pk)
    form = ClassifyForm(request.POST)
    if not form.is_valid() or not volume.items.filter(pk=item_pk).exists():
        messages.error(request, _("Choose a material type."))
        return redirect("audit:volume_detail", pk=volume.pk)
    try:
        archives.volume_item_classify(
            actor=request.user,
            item_id=item_pk,
            material_type=form.cleaned_data["material_type"].code,
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("audit:volume_detail", pk=volume.pk)


@section_required("archives")
def case_list(request: HttpRequest) -> HttpResponse:
    """Decided cases of the reader's region with documents, not filed yet; filters
    region, case kind and decision; 50 a page. Only those who may file the case's
    region see its button (auditors read)."""
    filterset = CaseToFileFilterSet(
        request.GET or None, queryset=selectors.cases_to_file(request.user)
    )
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset, per_page=PAGE_SIZE)
    for case in page.object_list:
        case.kind_label = _case_kind_label(case.operation)
        case.may_file = archives.may_archive(request.user, case.agency.region_id)
    return render(
        request,
        "audit/archive_case_list.html",
        {"filterset": filterset, "page": page, "cases": page.object_list},
    )


@section_required("archives")
def case_file(request: HttpRequest, pk: int) -> HttpResponse:
    """File a decided case into a volume (立卷)."""
    if request.method != "POST":
        return redirect("audit:archive_case_list")
    try:
        volume = archives.volume_file(actor=request.user, case_id=pk)
    except ApplicationError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, str(error))
        return redirect("audit:archive_case_list")
    messages.success(request, _("Filed as volume %(number)s.") % {"number": volume.number})
    return redirect("audit:volume_detail", pk=volume.pk)


@section_required("archives")
def handover_list(request: HttpRequest) -> HttpResponse:
    """The hand-over lists of the reader's region (filters region, year, status; 50 a
    page) and, for those who hand over, the form of a new one with the volumes awaiting
    hand-over, 50 a page (``vpage``)."""
    may_archive = _may_archive_somewhere(request.user)
    candidates = (
        selectors.volumes_to_hand_over(request.user) if may_archive else Volume.objects.none()
    )
    form = HandoverForm(request.POST or None, volumes=candidates)
    if request.method == "POST" and may_archive and form.is_valid():
        try:
            handover = archives.handover_create(
                actor=request.user,
                volume_ids=[v.pk for v in form.cleaned_data["volumes"]],
                receiver=form.cleaned_data["receiver"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("Hand-over list %(number)s made; a second person confirms it.")
                % {"number": handover.number},
            )
            return redirect("audit:handover_detail", pk=handover.pk)
    filterset = HandoverFilterSet(request.GET or None, queryset=selectors.handovers(request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(request, queryset, per_page=PAGE_SIZE)
    for handover in page.object_list:
        handover.status_label = _handover_status(handover)
    # the form's checkboxes: one page of the candidates (any of them is valid)
    candidate_page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("vpage"))
    checked = set(form.data.getlist("volumes")) if form.is_bound else set()
    for volume in candidate_page.object_list:
        volume.checked = str(volume.pk) in checked
    return render(
        request,
        "audit/handover_list.html",
        {
            "filterset": filterset,
            "page": page,
            "handovers": page.object_list,
            "form": form,
            "may_archive": may_archive,
            "candidate_page": candidate_page,
        },
    )


def _handover(request: HttpRequest, pk: int) -> HandoverList:
    try:
        return selectors.handovers(request.user).get(pk=pk)
    except (ValueError, HandoverList.DoesNotExist):
        raise Http404 from None


def _handover_context(request: HttpRequest, handover: HandoverList) -> dict:
    items = selectors.handover_items(handover)
    handover.status_label = _handover_status(handover)
    return {
        "handover": handover,
        "items": items,
        "document_total": sum(item.document_count for item in items),
        "pending": handover.approval_id is not None
        and handover.approval.status == ApprovalStatus.PENDING,
    }


@section_required("archives")
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A hand-over list: its volumes, who made it, and the confirmation by a second
    person (or the reason it was refused)."""
    handover = _handover(request, pk)
    context = _handover_context(request, handover)
    refusal = approvals.refusal_for(request.user, handover.approval) if context["pending"] else None
    context["may_confirm"] = context["pending"] and refusal is None
    context["refusal"] = refusal
    return render(request, "audit/handover_detail.html", context)


@section_required("archives")
def handover_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """A second person confirms the archive received the volumes."""
    handover = _handover(request, pk)
    if request.method == "POST":
        try:
            archives.handover_confirm(actor=request.user, handover=handover)
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Hand-over confirmed."))
    return redirect("audit:handover_detail", pk=handover.pk)


@section_required("archives")
def handover_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The hand-over list as printed for signature (移交清单)."""
    handover = _handover(request, pk)
    context = _handover_context(request, handover)
    context["printed_on"] = timezone.localdate()
    return render(request, "audit/handover_print.html", context)
