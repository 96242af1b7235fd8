"""The reviewer work queue (待复核) and the decision on one request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pension import approvals
from pension.attachments import attachment_add, attachment_supersede, attachments_of
from pension.errors import ApplicationError
from pension.filtersets import ApprovalRequestFilterSet
from pension.models import ApprovalRequest, ApprovalStatus
from pension.scope import LEVEL_RANK, region_allows, restrict


def _visible(user):
    """Requests in the user's region, and those they made anywhere (异地通办)."""
    base = ApprovalRequest.objects.select_related("agency__region", "maker", "checker").order_by(
        "-created_at", "-id"
    )
    return restrict(base, user, "view") | base.filter(maker=user)


def pending_for_checker(user):
    """Pending requests this user could decide (the navigation's count)."""
    pending = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).exclude(maker=user)
    if not user.is_superuser:
        rank = LEVEL_RANK[user.region.level] if user.region else -1
        pending = pending.filter(
            required_level__in=[level for level, r in LEVEL_RANK.items() if r <= rank]
        )
    return restrict(pending, user, "approve")


@login_required
def approval_queue(request):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = ApprovalStatus.PENDING
    filterset = ApprovalRequestFilterSet(data, queryset=_visible(request.user), request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    labels = dict(approvals.operation_choices())
    for req in page.object_list:
        # the kind of case by its name, never its code (``audit.archive_handover``)
        req.operation_label = labels.get(req.operation, req.operation)
    return render(
        request,
        "pension/approval_queue.html",
        {"filterset": filterset, "page": page, "requests": page.object_list},
    )


def _diff_rows(req: ApprovalRequest) -> list[dict]:
    """The fields the request changes: the current value beside the proposed one, by
    the field's label (the keys the request recorded in ``before``)."""
    operation = approvals.operation_for(req.operation)
    before = req.before or {}
    payload = req.payload if isinstance(req.payload, dict) else {"value": req.payload}
    rows = []
    for key in sorted(before):
        old, new = before.get(key), payload.get(key)
        rows.append(
            {
                "field": operation.label_of(key),
                "before": operation.show(key, old),
                "after": operation.show(key, new) if key in payload else "—",
                "changed": old != new,
            }
        )
    return rows


def _sections(req: ApprovalRequest) -> list[dict]:
    """The case as its operation lays it out (``Operation.sections``): facts, the
    calculation line by line, tables. Without a layout, what the request records beyond
    the changed fields, each value by its label."""
    operation = approvals.operation_for(req.operation)
    if operation.sections is not None:
        return operation.sections(req)
    before = req.before or {}
    payload = req.payload if isinstance(req.payload, dict) else {"value": req.payload}
    facts = [
        (operation.label_of(key), operation.show(key, value))
        for key, value in payload.items()
        if key not in before
    ]
    return [{"title": _("The case"), "facts": facts}] if facts else []


@login_required
def approval_detail(request, pk: int):
    req = _visible(request.user).filter(pk=pk).first()
    if req is None:
        raise Http404
    refusal = approvals.refusal_for(request.user, req)
    return render(
        request,
        "pension/approval_detail.html",
        {
            "req": req,
            "operation_label": dict(approvals.operation_choices()).get(
                req.operation, req.operation
            ),
            "rows": _diff_rows(req),
            "sections": _sections(req),
            "attachments": attachments_of(req),
            "can_decide": req.status == ApprovalStatus.PENDING and refusal is None,
            "refusal": refusal if req.status == ApprovalStatus.PENDING else None,
            "can_withdraw": req.status == ApprovalStatus.PENDING
            and req.maker_id == request.user.pk,
            "can_attach": _may_attach(request.user, req),
        },
    )


def _may_attach(user, req: ApprovalRequest) -> bool:
    """While a case is pending, its maker or a preparer of the owning region adds papers."""
    if req.status != ApprovalStatus.PENDING:
        return False
    return req.maker_id == user.pk or region_allows(user, req.agency.region_id, "prepare")


@login_required
@require_POST
def approval_attach(request, pk: int):
    """Add a document to a pending case, or supersede one already there."""
    req = _visible(request.user).filter(pk=pk).first()
    if req is None:
        raise Http404
    if not _may_attach(request.user, req):
        messages.error(
            request,
            _(
                "Documents can be added only to a pending case, "
                "by its maker or a caseworker of its agency."
            ),
        )
        return redirect("approval_detail", pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("approval_detail", pk=pk)
    title = request.POST.get("title", "").strip() or upload.name
    try:
        supersedes = request.POST.get("supersedes")
        if supersedes:
            old = attachments_of(req).filter(pk=supersedes, superseded_by__isnull=True).first()
            if old is None:
                raise Http404
            attachment_supersede(actor=request.user, attachment=old, upload=upload, title=title)
        else:
            attachment_add(actor=request.user, target=req, upload=upload, title=title)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Document added to the case."))
    return redirect("approval_detail", pk=pk)


def _decide(request, pk: int, action: str):
    if not _visible(request.user).filter(pk=pk).exists():
        raise Http404
    reason = request.POST.get("reason", "")
    try:
        queued = False
        if action == "approve":
            queued = approvals.approval_request_approve_or_queue(
                actor=request.user, request_id=pk, reason=reason
            )[1]
        elif action == "reject":
            approvals.approval_request_reject(actor=request.user, request_id=pk, reason=reason)
        else:
            approvals.approval_request_withdraw(actor=request.user, request_id=pk, reason=reason)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, {
            "approve": _("Approval queued; a worker applies it, then this request shows it.")
            if queued
            else _("Approved; the change has been applied."),
            "reject": _("Rejected."),
            "withdraw": _("Withdrawn."),
        }[action])  # fmt: skip
    return redirect("approval_detail", pk=pk)


@login_required
@require_POST
def approval_approve(request, pk: int):
    return _decide(request, pk, "approve")


@login_required
@require_POST
def approval_reject(request, pk: int):
    return _decide(request, pk, "reject")


@login_required
@require_POST
def approval_withdraw(request, pk: int):
    return _decide(request, pk, "withdraw")
