"""Maker-checker (经办复核): key operations wait for a second person.

An operation type registers a handler with ``register_operation``; a maker creates an
``ApprovalRequest`` with the proposed change; a checker approves or rejects it. The
handler applies the change in the same transaction as the status change, under a row
lock, so two checkers approving at once apply it once. Rules (DESIGN §2.4):

- the checker is never the maker;
- the checker has the reviewer role in the owning agency's region or a level above;
- an amount above the profile's thresholds (``approvals.amount_thresholds``) needs a
  checker at city or province level;
- a rejection needs a reason;
- nothing changes until approval; a decided request is final.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pension import changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pension.models import Agency, ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.scope import LEVEL_RANK, level_at_least, region_allows
from pension.watch import mark_logged


@dataclass(frozen=True)
class Operation:
    """A kind of key operation and the handler that applies an approved request."""

    key: str
    label: Any
    apply: Callable[[ApprovalRequest, StaffUser], dict | None]
    checker_roles: frozenset[str] = frozenset({Role.REVIEWER})
    # how the work queue shows the proposed change: field labels, and values as text
    field_labels: dict[str, Any] | None = None
    display: Callable[[str, Any], str] | None = None
    # the record's values today for the keys of ``before``; None: read them from the target
    current: Callable[[ApprovalRequest], dict] | None = None
    # an approval too large for a web request (a batch's posting): checks the checker's
    # refusals again and queues the approval on a worker, which calls
    # ``approval_request_approve``; the request stays pending until then
    queue: Callable[[ApprovalRequest, StaffUser, str], Any] | None = None
    # how the reviewer's page shows the case, like the record's own page: a list of
    # sections, each ``{"title": …}`` with ``"facts"`` ([(label, text)]), ``"lines"``
    # ([text], the calculation line by line) or ``"table"`` ({"headers": [...], "rows":
    # [[...]]}); the fields the request changes are shown apart, before → after
    sections: Callable[[ApprovalRequest], list[dict]] | None = None

    def label_of(self, field: str) -> Any:
        return (self.field_labels or {}).get(field, field)

    def show(self, field: str, value: Any) -> str:
        if value is None:
            return "—"
        if self.display is not None:
            return self.display(field, value)
        if isinstance(value, list | tuple):
            return "、".join(str(v) for v in value)
        return str(value)


_OPERATIONS: dict[str, Operation] = {}


def register_operation(
    key: str,
    *,
    label: Any,
    apply: Callable[[ApprovalRequest, StaffUser], dict | None],
    checker_roles: Iterable[str] = (Role.REVIEWER,),
    field_labels: dict[str, Any] | None = None,
    display: Callable[[str, Any], str] | None = None,
    current: Callable[[ApprovalRequest], dict] | None = None,
    queue: Callable[[ApprovalRequest, StaffUser, str], Any] | None = None,
    sections: Callable[[ApprovalRequest], list[dict]] | None = None,
) -> Operation:
    """Register (or replace) the handler of an operation type, e.g. from ``AppConfig.ready``.

    ``current`` returns the record's values today for the keys the request recorded in
    ``before``; without it they are read from the target row's fields of those names.
    ``sections`` lays the case out for the reviewer (see ``Operation.sections``); without
    it the values the request records are listed by their labels."""
    operation = Operation(
        key,
        label,
        apply,
        frozenset(checker_roles),
        field_labels=field_labels,
        display=display,
        current=current,
        queue=queue,
        sections=sections,
    )
    _OPERATIONS[key] = operation
    return operation


def operation_for(key: str) -> Operation:
    try:
        return _OPERATIONS[key]
    except KeyError:
        raise InvalidInput(
            _("Unknown operation type: %(key)s"), code="unknown_operation", params={"key": key}
        ) from None


def operation_choices() -> list[tuple[str, Any]]:
    return sorted(((k, op.label) for k, op in _OPERATIONS.items()), key=lambda kv: kv[0])


def required_level(
    *, agency: Agency, amount: Decimal | None, threshold_key: str = "approvals.amount_thresholds"
) -> str:
    """County, city or province: the agency's own level, raised by the amount (above
    the ``city`` or ``province`` figure of the policy parameter ``threshold_key``)."""
    level = agency.region.level
    if amount is None:
        return level
    from pension.selectors import policy_value  # late: selectors import models only

    thresholds = policy_value(threshold_key, on=timezone.localdate(), region=agency.region).value
    needed = RegionLevel.COUNTY
    if amount > Decimal(thresholds["province"]):
        needed = RegionLevel.PROVINCE
    elif amount > Decimal(thresholds["city"]):
        needed = RegionLevel.CITY
    return max(level, needed, key=lambda lv: LEVEL_RANK[lv])


@transaction.atomic
def approval_request_create(
    *,
    actor: StaffUser,
    operation: str,
    agency: Agency,
    summary: str,
    payload: dict,
    target: models.Model | None = None,
    before: dict | None = None,
    amount: Decimal | None = None,
    reason: str = "",
    attachments: Iterable = (),
    threshold_key: str = "approvals.amount_thresholds",
) -> ApprovalRequest:
    """A maker proposes a key operation; nothing changes until it is approved. The
    amount is held against ``threshold_key`` (batches: ``approvals.batch_amount_thresholds``)."""
    operation_for(operation)
    if not region_allows(actor, agency.region_id, "prepare", model=_ProvinceWidePrepare):
        raise NotPermitted(_("You cannot prepare cases for this agency."), code="outside_region")
    if amount is not None and amount < 0:
        raise InvalidInput(_("The amount cannot be negative."), code="negative_amount")
    request = ApprovalRequest(
        operation=operation,
        object_type=changelog.object_type_of(target) if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        summary=summary[:200],
        payload=changelog.json_safe(payload),
        before=changelog.json_safe(before) if before is not None else None,
        agency=agency,
        amount=amount,
        required_level=required_level(agency=agency, amount=amount, threshold_key=threshold_key),
        maker=actor,
        maker_reason=reason,
    )
    request.full_clean()
    request.save()
    from pension.attachments import attachment_add

    for upload in attachments:
        attachment_add(actor=actor, target=request, upload=upload, title=upload.name)
    changelog.record(
        actor=actor,
        action=ChangeAction.REQUEST,
        instance=request,
        after={"operation": operation, "payload": request.payload, "amount": amount},
        reason=reason,
    )
    return request


def refusal_for(user: StaffUser, request: ApprovalRequest) -> NotPermitted | None:
    """Why ``user`` may not decide ``request``, or None when they may."""
    if user.pk == request.maker_id:
        return NotPermitted(
            _("You made this request; a second person must check it."), code="self_approval"
        )
    checker_roles = operation_for(request.operation).checker_roles
    if not (user.is_superuser or user.has_role(*checker_roles)):
        return NotPermitted(_("Only a reviewer can decide on requests."), code="not_reviewer")
    if not user.is_superuser and (
        user.region is None or not request.agency.region_id.startswith(user.region.scope_prefix)
    ):
        return NotPermitted(
            _("This request belongs to an agency outside your region."), code="outside_region"
        )
    if not level_at_least(user, request.required_level):
        return NotPermitted(
            _("This request needs a reviewer at %(level)s level."),
            code="level_too_low",
            params={"level": RegionLevel(request.required_level).label},
        )
    return None


def _locked_pending(request_id: int) -> ApprovalRequest:
    try:
        request = (
            ApprovalRequest.objects.select_for_update()
            .select_related("agency__region")
            .get(pk=request_id)
        )
    except ApprovalRequest.DoesNotExist:
        raise NotFound(_("No such approval request.")) from None
    if request.status != ApprovalStatus.PENDING:
        raise Conflict(
            _("This request has already been decided (%(status)s)."),
            code="already_decided",
            params={"status": ApprovalStatus(request.status).label},
        )
    return request


STALE = _(
    "The record has changed since this request was made (%(fields)s); nothing was "
    "applied. Reject this request and prepare a new one from today's data."
)


def _target_values(request: ApprovalRequest, keys: Iterable[str]) -> dict:
    """The target row's values today for those of ``keys`` that are its fields."""
    try:
        model = apps.get_model(request.object_type)
    except (LookupError, ValueError):
        return {}
    row = model._default_manager.select_for_update().filter(pk=request.object_id).first()
    if row is None:
        return {}
    out = {}
    for key in keys:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        if getattr(field, "concrete", False):
            out[key] = changelog.json_safe(getattr(row, field.attname))
    return out


def stale_fields(request: ApprovalRequest) -> list[str]:
    """The keys of the request's recorded ``before`` whose values the record no longer
    holds (a change that landed after the maker prepared the case)."""
    before = request.before
    if not isinstance(before, dict) or not before:
        return []
    operation = operation_for(request.operation)
    if operation.current is not None:
        now = changelog.json_safe(operation.current(request))
    elif request.object_id:
        now = _target_values(request, before)
    else:
        return []
    return sorted(k for k in before if k in now and now[k] != before[k])


@transaction.atomic
def approval_request_approve(
    *, actor: StaffUser, request_id: int, reason: str = ""
) -> ApprovalRequest:
    """A checker approves: the handler applies the change, once, in this transaction."""
    request = _locked_pending(request_id)
    refusal = refusal_for(actor, request)
    if refusal is not None:
        raise refusal
    stale = stale_fields(request)
    if stale:
        operation = operation_for(request.operation)
        raise Conflict(
            STALE,
            code="stale_request",
            params={"fields": "、".join(str(operation.label_of(f)) for f in stale)},
        )
    result = operation_for(request.operation).apply(request, actor)
    request.status = ApprovalStatus.APPROVED
    request.checker = actor
    request.decision_reason = reason
    request.decided_at = timezone.now()
    request.result = changelog.json_safe(result) if result is not None else None
    request.save(update_fields=["status", "checker", "decision_reason", "decided_at", "result"])
    changelog.record(
        actor=actor,
        action=ChangeAction.APPROVE,
        instance=request,
        before={"status": ApprovalStatus.PENDING},
        after={"status": request.status, "result": request.result},
        reason=reason,
    )
    return request


@transaction.atomic
def approval_request_approve_or_queue(
    *, actor: StaffUser, request_id: int, reason: str = ""
) -> tuple[ApprovalRequest, bool]:
    """The work queue's approval: applied at once, or, for an operation with a
    ``queue`` hook (a batch whose approval posts a province's rows), checked now and
    queued for a worker (the request stays pending until the worker approves it).
    Returns the request and whether it was queued."""
    request = _locked_pending(request_id)
    operation = operation_for(request.operation)
    if operation.queue is None:
        return approval_request_approve(actor=actor, request_id=request_id, reason=reason), False
    refusal = refusal_for(actor, request)
    if refusal is not None:
        raise refusal
    operation.queue(request, actor, reason)
    return request, True


@transaction.atomic
def approval_request_reject(*, actor: StaffUser, request_id: int, reason: str) -> ApprovalRequest:
    if not reason or not reason.strip():
        raise InvalidInput(_("A rejection needs a reason."), code="reason_required")
    request = _locked_pending(request_id)
    refusal = refusal_for(actor, request)
    if refusal is not None:
        raise refusal
    request.status = ApprovalStatus.REJECTED
    request.checker = actor
    request.decision_reason = reason.strip()
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "checker", "decision_reason", "decided_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.REJECT,
        instance=request,
        before={"status": ApprovalStatus.PENDING},
        after={"status": request.status},
        reason=request.decision_reason,
    )
    return request


@transaction.atomic
def approval_request_withdraw(
    *, actor: StaffUser, request_id: int, reason: str = ""
) -> ApprovalRequest:
    """The maker takes a pending request back."""
    request = _locked_pending(request_id)
    if actor.pk != request.maker_id:
        raise NotPermitted(_("Only the maker can withdraw a request."), code="not_maker")
    request.status = ApprovalStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_at", "decision_reason"])
    changelog.record(
        actor=actor,
        action=ChangeAction.WITHDRAW,
        instance=request,
        before={"status": ApprovalStatus.PENDING},
        after={"status": request.status},
        reason=reason,
    )
    return request


class _ProvinceWidePrepare(models.Model):
    """Scope stand-in: cases may be prepared for any agency of the maker's province."""

    scope_region_path = ""
    scope_province_wide_actions = frozenset({"prepare"})

    class Meta:
        abstract = True


# --- the kernel's own key operation: changing a staff user's roles ---------------


def _apply_staff_roles_change(request: ApprovalRequest, checker: StaffUser) -> dict:
    user = StaffUser.objects.select_for_update().get(pk=request.object_id)
    before = changelog.snapshot(user, ["roles"])
    user.roles = sorted(set(request.payload["roles"]))
    user.full_clean()
    mark_logged(user).save(update_fields=["roles"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=user,
        before=before,
        after=changelog.snapshot(user, ["roles"]),
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )
    return {"roles": user.roles}


def _show_roles(field: str, value: Any) -> str:
    labels = dict(Role.choices)
    return "、".join(str(labels.get(role, role)) for role in value) or "—"


register_operation(
    "pension.staff_roles_change",
    label=_("Change of a staff user's roles"),
    apply=_apply_staff_roles_change,
    field_labels={"roles": _("Roles")},
    display=_show_roles,
)


def staff_roles_change_request(
    *, actor: StaffUser, user: StaffUser, roles: list[str], reason: str
) -> ApprovalRequest:
    """Propose new roles for a staff user; the user's agency approves."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise InvalidInput(
            _("Unknown roles: %(roles)s"), code="unknown_role", params={"roles": sorted(unknown)}
        )
    return approval_request_create(
        actor=actor,
        operation="pension.staff_roles_change",
        agency=user.agency,
        summary=str(_("Roles of %(user)s")) % {"user": user},
        payload={"roles": sorted(set(roles))},
        before={"roles": user.roles},
        target=user,
        reason=reason,
    )


# --- a staff user's agency (their region), through a second person ------------------


def _apply_staff_agency_change(request: ApprovalRequest, checker: StaffUser) -> dict:
    user = StaffUser.objects.select_for_update().get(pk=request.object_id)
    before = changelog.snapshot(user, ["agency"])
    user.agency = Agency.objects.get(pk=request.payload["agency_id"])
    user.full_clean()
    mark_logged(user).save(update_fields=["agency"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=user,
        before=before,
        after=changelog.snapshot(user, ["agency"]),
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )
    return {"agency_id": user.agency_id}


def _show_agency(field: str, value: Any) -> str:
    agency = Agency.objects.filter(pk=value).first() if value else None
    return str(agency) if agency else "—"


register_operation(
    "pension.staff_agency_change",
    label=_("Change of a staff user's agency"),
    apply=_apply_staff_agency_change,
    field_labels={"agency_id": _("Agency")},
    display=_show_agency,
)


def staff_agency_change_request(
    *, actor: StaffUser, user: StaffUser, agency: Agency, reason: str
) -> ApprovalRequest:
    """Propose moving a staff user to another agency (their region scope); the new
    agency's region approves, since that is where the user will act."""
    return approval_request_create(
        actor=actor,
        operation="pension.staff_agency_change",
        agency=agency,
        summary=str(_("Agency of %(user)s")) % {"user": user},
        payload={"agency_id": agency.pk},
        before={"agency_id": user.agency_id},
        target=user,
        reason=reason,
    )


# --- policy parameters (amount thresholds above all), through a second person -------

PARAMETER_CHANGE = "pension.policy_parameter_change"


def _parameter_scope(payload: dict) -> dict:
    return {
        "key": payload["key"],
        "profile_id": payload.get("profile_id"),
        "region_id": payload.get("region_id"),
        "effective_from": payload["effective_from"],
    }


def _latest_parameter(payload: dict):
    from pension.models import PolicyParameter

    return PolicyParameter.objects.filter(**_parameter_scope(payload)).order_by("-version").first()


def _parameter_now(request: ApprovalRequest) -> dict:
    latest = _latest_parameter(request.payload)
    if latest is None:
        return {"version": None, "value": None}
    return {"version": latest.version, "value": latest.value}


def _apply_parameter_change(request: ApprovalRequest, checker: StaffUser) -> dict:
    from datetime import date

    from pension import services
    from pension.models import PolicyParameter, PolicyProfile, Region

    payload = request.payload
    note = str(_("Approval request #%(id)s: %(reason)s")) % {
        "id": request.pk,
        "reason": request.maker_reason,
    }
    published = date.fromisoformat(payload["published_on"]) if payload.get("published_on") else None
    latest = _latest_parameter(payload)
    if latest is None:
        parameter = services.policy_parameter_create(
            actor=checker,
            key=payload["key"],
            effective_from=date.fromisoformat(payload["effective_from"]),
            value=payload["value"],
            profile=PolicyProfile.objects.filter(pk=payload.get("profile_id")).first(),
            region=Region.objects.filter(pk=payload.get("region_id")).first(),
            reference_year=payload.get("reference_year"),
            published_on=published,
            source=payload.get("source", ""),
            notes=payload.get("notes") or note,
        )
    else:
        parameter = services.policy_parameter_revise(
            actor=checker,
            parameter=PolicyParameter.objects.get(pk=latest.pk),
            value=payload["value"],
            notes=payload.get("notes") or note,
            published_on=published,
        )
    return {"parameter": parameter.pk, "version": parameter.version}


register_operation(
    PARAMETER_CHANGE,
    label=_("Change of a policy parameter"),
    apply=_apply_parameter_change,
    field_labels={"value": _("Value"), "version": _("Version")},
    current=_parameter_now,
)


def policy_parameter_change_request(
    *,
    actor: StaffUser,
    key: str,
    effective_from,
    value: Any,
    profile=None,
    region=None,
    reference_year: int | None = None,
    published_on=None,
    source: str = "",
    notes: str = "",
) -> ApprovalRequest:
    """Propose a parameter value (a new one, or the next version of one): it is entered
    only when a second person approves. Checked now against the key's kind; the
    checker's region is the maker's agency's (the province, for the province's own)."""
    from pension.policy import spec_for, typed_value

    typed = typed_value(spec_for(key).kind, value)
    if actor.agency is None:
        raise NotPermitted(
            _("Only staff of an agency can propose a parameter change."), code="no_agency"
        )
    payload = {
        "key": key,
        "profile_id": getattr(profile, "pk", None),
        "region_id": getattr(region, "pk", None),
        "effective_from": effective_from,
        "value": typed,
        "reference_year": reference_year,
        "published_on": published_on,
        "source": source,
        "notes": notes,
    }
    payload = changelog.json_safe(payload)
    latest = _latest_parameter(payload)
    before = (
        {"version": latest.version, "value": latest.value}
        if latest is not None
        else {"version": None, "value": None}
    )
    return approval_request_create(
        actor=actor,
        operation=PARAMETER_CHANGE,
        agency=actor.agency,
        summary=str(_("Parameter %(key)s from %(date)s")) % {"key": key, "date": effective_from},
        payload=payload,
        before=before,
        target=latest,
        reason=notes,
    )
