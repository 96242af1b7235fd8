"""Writes of audit and internal control (稽核与内控): one function per business operation, in a
transaction.

Alerts (预警): assigned to an owner, explained, resolved or dismissed with a reason, each
step in the change log. Inspections (稽核): opened from an alert or a plan's selection,
findings recorded by the inspector, and a finding referred (转办) to the case that
collects or recovers it: a back-payment or base-correction case of contributions, or a
recovery of overpaid benefits from the next payrolls (benefits' service); the case is
prepared in the name of someone who may prepare cases (not an auditor: auditors never
prepare what they audit) and approved by a reviewer as any other case.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.choices import (
    ALERT_ACTIVE,
    AlertStatus,
    FindingKind,
    FindingStatus,
    InspectionKind,
    InspectionStatus,
)
from audit.models import Alert, Finding, Inspection, InspectionPlan
from audit.risk import ERROR_NOT_AUDITOR, may_audit
from pension import changelog
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeAction, StaffUser

ERROR_ALERT_CLOSED = _("This alert is %(status)s; it cannot be changed any more.")
ERROR_NOT_OWNER = _("Only the alert's owner can explain it.")
ERROR_OWNER_NOT_AUDITOR = _("%(name)s does not work in audit for this region.")
ERROR_TEXT_NEEDED = _("Write the %(what)s.")
ERROR_WRONG_FINDING = _("This finding does not fit an inspection of this kind.")
ERROR_AMOUNT = _("Give the amount in yuan, at least 0, with at most two decimals.")
ERROR_FINDING_REFERRED = _("A case was already opened for this finding.")
ERROR_NOTHING_TO_REFER = _("A finding of nothing irregular opens no case.")
ERROR_INSPECTION_CLOSED = _("This inspection is closed.")


def _check_auditor(actor: StaffUser, region_code: str) -> None:
    if not may_audit(actor, region_code):
        raise NotPermitted(ERROR_NOT_AUDITOR, code="not_auditor")


def _text(value: str, what: Any, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(
            ERROR_TEXT_NEEDED,
            code="text_needed",
            params={"what": what},
            details={"field": field},
        )
    return value


def _locked_alert(alert: Alert | int) -> Alert:
    pk = alert.pk if isinstance(alert, Alert) else alert
    alert = Alert.objects.select_for_update().get(pk=pk)
    if alert.status not in ALERT_ACTIVE:
        raise Conflict(
            ERROR_ALERT_CLOSED,
            code="alert_closed",
            params={"status": AlertStatus(alert.status).label},
        )
    return alert


def _log_alert(actor: StaffUser, alert: Alert, before: dict, reason: str = "") -> None:
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=alert,
        before=before,
        after={"status": alert.status, "owner": alert.owner_id},
        reason=reason,
    )


@transaction.atomic
def alert_assign(*, actor: StaffUser, alert: Alert | int, owner: StaffUser) -> Alert:
    """Give an active alert to ``owner`` (someone of the audit section whose region
    covers the alert); it is assigned."""
    alert = _locked_alert(alert)
    _check_auditor(actor, alert.region_id)
    if not may_audit(owner, alert.region_id):
        raise InvalidInput(
            ERROR_OWNER_NOT_AUDITOR,
            code="owner_not_auditor",
            params={"name": owner.full_name or owner.username},
            details={"field": "owner"},
        )
    before = {"status": alert.status, "owner": alert.owner_id}
    alert.owner = owner
    alert.status = AlertStatus.ASSIGNED
    alert.full_clean()
    alert.save(update_fields=["owner", "status", "updated_at"])
    _log_alert(
        actor,
        alert,
        before,
        reason=str(_("Assigned to %(name)s")) % {"name": owner.full_name or owner.username},
    )
    return alert


@transaction.atomic
def alert_explain(*, actor: StaffUser, alert: Alert | int, explanation: str) -> Alert:
    """The owner writes what they found out (情况说明); the alert is explained."""
    alert = _locked_alert(alert)
    _check_auditor(actor, alert.region_id)
    if alert.owner_id != actor.pk:
        raise NotPermitted(ERROR_NOT_OWNER, code="not_owner")
    explanation = _text(explanation, _("explanation"), "explanation")
    before = {"status": alert.status, "owner": alert.owner_id}
    alert.explanation = explanation
    alert.status = AlertStatus.EXPLAINED
    alert.save(update_fields=["explanation", "status", "updated_at"])
    _log_alert(actor, alert, before, reason=explanation)
    return alert


@transaction.atomic
def alert_close(*, actor: StaffUser, alert: Alert | int, status: str, resolution: str) -> Alert:
    """Resolve the alert (处理完毕) or dismiss it (排除), with the reason either way."""
    if status not in (AlertStatus.RESOLVED, AlertStatus.DISMISSED):
        raise InvalidInput(
            _("Unknown status: %(status)s"), code="unknown_status", params={"status": status}
        )
    alert = _locked_alert(alert)
    _check_auditor(actor, alert.region_id)
    resolution = _text(resolution, _("resolution"), "resolution")
    before = {"status": alert.status, "owner": alert.owner_id}
    alert.resolution = resolution
    alert.status = status
    alert.owner = alert.owner or actor
    alert.closed_at = timezone.now()
    alert.full_clean()
    alert.save(update_fields=["resolution", "status", "owner", "closed_at", "updated_at"])
    _log_alert(actor, alert, before, reason=resolution)
    return alert


# --- inspections --------------------------------------------------------------------------


def _open_alerts_about(*, employer_id: int | None, person_id: int | None) -> int:
    queryset = Alert.objects.filter(status__in=ALERT_ACTIVE)
    if employer_id is not None:
        return queryset.filter(employer_id=employer_id).count()
    return queryset.filter(person_id=person_id).count()


@transaction.atomic
def inspection_open_from_alert(*, actor: StaffUser, alert: Alert | int) -> Inspection:
    """Open an inspection of the alert's subject (its employer, else its person as a
    benefit claim), the alert assigned to the inspector if nobody has it."""
    alert = _locked_alert(alert)
    _check_auditor(actor, alert.region_id)
    if alert.employer_id is not None:
        kind, region = InspectionKind.EMPLOYER, alert.employer.region_id
    elif alert.person_id is not None:
        kind, region = InspectionKind.BENEFIT, alert.person.region_id
    else:
        raise InvalidInput(
            _("This alert names no employer or person to inspect."), code="no_subject"
        )
    inspection = Inspection(
        kind=kind,
        employer_id=alert.employer_id if kind == InspectionKind.EMPLOYER else None,
        person_id=alert.person_id if kind == InspectionKind.BENEFIT else None,
        alert=alert,
        region_id=region,
        risk_score=_open_alerts_about(
            employer_id=alert.employer_id if kind == "employer" else None, person_id=alert.person_id
        ),
        inspector=actor,
    )
    inspection.full_clean()
    inspection.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=inspection,
        after={"kind": kind, "alert": alert.pk, "risk_score": inspection.risk_score},
    )
    if alert.status == AlertStatus.OPEN:
        before = {"status": alert.status, "owner": alert.owner_id}
        alert.owner, alert.status = actor, AlertStatus.ASSIGNED
        alert.save(update_fields=["owner", "status", "updated_at"])
        _log_alert(
            actor, alert, before, reason=str(_("Inspection #%(id)s opened")) % {"id": inspection.pk}
        )
    return inspection


@transaction.atomic
def inspection_plan_create(
    *, actor: StaffUser, name: str, year: int, kind: str, region, size: int
) -> InspectionPlan:
    """A plan of the ``size`` subjects of ``region`` with the highest risk score (the
    most active alerts), each an inspection (selection by risk)."""
    from audit import selectors

    _check_auditor(actor, region.code)
    if kind not in InspectionKind.values:
        raise InvalidInput(
            _("Unknown status: %(status)s"), code="unknown_kind", params={"status": kind}
        )
    if not 1 <= size <= 500:
        raise InvalidInput(
            _("Choose between 1 and 500 subjects."), code="plan_size", details={"field": "size"}
        )
    plan = InspectionPlan(
        name=_text(name, _("name"), "name"), year=year, kind=kind, region=region, created_by=actor
    )
    plan.full_clean()
    plan.save()
    chosen = selectors.risk_ranking(kind=kind, prefix=region.scope_prefix)[:size]
    for row in chosen:
        Inspection.objects.create(
            plan=plan,
            kind=kind,
            employer_id=row.get("employer_id"),
            person_id=row.get("person_id"),
            region_id=row["region_id"],
            risk_score=row["score"],
            inspector=actor,
        )
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=plan,
        after={"kind": kind, "year": year, "inspections": len(chosen)},
    )
    return plan


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            ERROR_AMOUNT, code="invalid_amount", details={"field": "amount"}
        ) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(ERROR_AMOUNT, code="invalid_amount", details={"field": "amount"})
    return amount


FINDINGS_BY_KIND = {
    InspectionKind.EMPLOYER: (
        FindingKind.BACK_PAYMENT,
        FindingKind.BASE_CORRECTION,
        FindingKind.NONE,
    ),
    InspectionKind.BENEFIT: (FindingKind.OVERPAID_BENEFIT, FindingKind.NONE),
}


@transaction.atomic
def finding_record(
    *,
    actor: StaffUser,
    inspection: Inspection | int,
    kind: str,
    description: str,
    amount: Any = "0",
    person=None,
    months: list[dict[str, str]] | None = None,
) -> Finding:
    """The inspector records a finding: its kind, the person, the months and bases
    (contributions) and the amount, and what the evidence showed."""
    pk = inspection.pk if isinstance(inspection, Inspection) else inspection
    inspection = Inspection.objects.select_for_update().get(pk=pk)
    _check_auditor(actor, inspection.region_id)
    if inspection.status != InspectionStatus.OPEN:
        raise Conflict(ERROR_INSPECTION_CLOSED, code="inspection_closed")
    if kind not in FINDINGS_BY_KIND[inspection.kind]:
        raise InvalidInput(ERROR_WRONG_FINDING, code="wrong_finding", details={"field": "kind"})
    if inspection.kind == InspectionKind.BENEFIT:
        person = inspection.person
    if kind != FindingKind.NONE and person is None:
        raise InvalidInput(
            _("Name the insured person the finding is about."),
            code="person_needed",
            details={"field": "person"},
        )
    finding = Finding(
        inspection=inspection,
        kind=kind,
        person=person,
        amount=_amount(amount),
        months=months or [],
        description=_text(description, _("description"), "description"),
        recorded_by=actor,
    )
    finding.full_clean()
    finding.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=finding,
        after={
            "kind": kind,
            "amount": str(finding.amount),
            "person": person.pk if person else None,
        },
    )
    return finding


@transaction.atomic
def finding_refer(
    *,
    actor: StaffUser,
    finding: Finding | int,
    instalment: Decimal | str | None = None,
    months: int | str | None = None,
) -> Finding:
    """Open the case a finding becomes (转办), prepared by ``actor`` (who may prepare
    cases in the region): a back-payment case (补缴) of the months and bases found, or a
    base correction (基数更正), with the inspection's employer; a recovery of overpaid
    benefits from the next payrolls, whole or at ``instalment`` a month or over
    ``months`` (``benefits.payroll.recovery``). The case goes to a reviewer like any
    other."""
    pk = finding.pk if isinstance(finding, Finding) else finding
    finding = Finding.objects.select_for_update().select_related("inspection").get(pk=pk)
    inspection = finding.inspection
    if finding.status == FindingStatus.REFERRED:
        raise Conflict(ERROR_FINDING_REFERRED, code="finding_referred")
    if finding.kind == FindingKind.NONE:
        raise Conflict(ERROR_NOTHING_TO_REFER, code="nothing_to_refer")
    reason = str(_("Inspection #%(id)s: %(text)s")) % {
        "id": inspection.pk,
        "text": finding.description,
    }
    if finding.kind == FindingKind.BACK_PAYMENT:
        from contributions.cases import back_payment_request

        case = back_payment_request(
            actor=actor,
            person=finding.person,
            employer=inspection.employer,
            periods_and_bases=[(m["period"], m["base"]) for m in finding.months],
            reason=reason,
        )
    elif finding.kind == FindingKind.BASE_CORRECTION:
        from contributions.cases import base_correction_request

        [first] = finding.months[:1] or [{}]
        case = base_correction_request(
            actor=actor,
            person=finding.person,
            employer=inspection.employer,
            year=int(first.get("year", 0)),
            wage=first.get("wage", ""),
            reason=reason,
        )
    else:
        from benefits.payroll.recovery import overpayment_recovery_request

        case = overpayment_recovery_request(
            actor=actor,
            person=finding.person,
            amount=finding.amount,
            source=f"inspection_finding:{finding.pk}",
            reason=reason,
            instalment=instalment,
            months=months,
        )
    finding.case = case
    finding.status = FindingStatus.REFERRED
    finding.referred_by = actor
    finding.save(update_fields=["case", "status", "referred_by"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=finding,
        before={"status": FindingStatus.RECORDED},
        after={"status": finding.status, "case": case.pk},
    )
    return finding


@transaction.atomic
def inspection_close(*, actor: StaffUser, inspection: Inspection | int, notes: str) -> Inspection:
    pk = inspection.pk if isinstance(inspection, Inspection) else inspection
    inspection = Inspection.objects.select_for_update().get(pk=pk)
    _check_auditor(actor, inspection.region_id)
    if inspection.status != InspectionStatus.OPEN:
        raise Conflict(ERROR_INSPECTION_CLOSED, code="inspection_closed")
    inspection.notes = _text(notes, _("conclusion"), "notes")
    inspection.status = InspectionStatus.CLOSED
    inspection.closed_at = timezone.now()
    inspection.save(update_fields=["notes", "status", "closed_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=inspection,
        before={"status": InspectionStatus.OPEN},
        after={"status": inspection.status},
        reason=inspection.notes,
    )
    return inspection


# --- the acceptance checklist (验收清单, seed 000) ------------------------------------------

ERROR_NOT_CHECKLIST_AUDITOR = _("Only an auditor of the region may assess the checklist.")
ERROR_NO_SUCH_ITEM = _("The checklist has no item %(item)s.")
ERROR_CHECKLIST_STATUS = _("Choose a status of the list.")
ERROR_EVIDENCE_CONTENT = _("The file is not a PDF or an image (JPEG, PNG, TIFF).")
# the first bytes of the evidence files accepted: PDF, JPEG, PNG, TIFF (both byte orders)
_EVIDENCE_MAGIC = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


def may_assess_checklist(user, region_code: str) -> bool:
    """Auditors (稽核员) assess the checklist of their region and the regions below."""
    from pension.choices import Role
    from pension.scope import region_allows

    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_superuser or user.has_role(Role.AUDITOR)):
        return False
    return region_allows(user, region_code, "view")


def _checklist_row(actor: StaffUser, region, item: int):
    from audit.checklist import ITEM_BY_NUMBER
    from audit.models import ChecklistAssessment

    if not may_assess_checklist(actor, region.code):
        raise NotPermitted(ERROR_NOT_CHECKLIST_AUDITOR, code="not_checklist_auditor")
    if item not in ITEM_BY_NUMBER:
        raise InvalidInput(ERROR_NO_SUCH_ITEM, code="no_such_item", params={"item": item})
    row, created = ChecklistAssessment.objects.select_for_update().get_or_create(
        region=region, item=item
    )
    if created:
        changelog.record(
            actor=actor, action=ChangeAction.CREATE, instance=row,
            after=changelog.snapshot(row),
        )  # fmt: skip
    return row


@transaction.atomic
def checklist_assess(*, actor: StaffUser, region, item: int, status: str, note: str = ""):
    """Set an item's status (达标情况) and note for ``region``: who and when on the row,
    the before and after in the change log."""
    from audit.choices import ChecklistStatus

    if status not in ChecklistStatus.values:
        raise InvalidInput(ERROR_CHECKLIST_STATUS, code="checklist_status",
                           details={"field": "status"})  # fmt: skip
    row = _checklist_row(actor, region, item)
    before = {"status": row.status, "note": row.note}
    row.status = status
    row.note = (note or "").strip()
    row.assessed_by = actor
    row.assessed_at = timezone.now()
    row.save()
    changelog.record(
        actor=actor, action=ChangeAction.UPDATE, instance=row, before=before,
        after={"status": row.status, "note": row.note}, reason=row.note,
    )  # fmt: skip
    return row


@transaction.atomic
def checklist_attach(*, actor: StaffUser, region, item: int, upload, title: str = ""):
    """Attach a piece of evidence (印证材料) to an item for ``region``: a PDF or an
    image, checked by its first bytes as well as its declared type, kept with its
    checksum, uploader and time (``pension.attachments``). A refused file leaves the
    item as it was (the transaction is rolled back)."""
    from pension.attachments import ALLOWED_MEDIA_TYPES, attachment_add

    row = _checklist_row(actor, region, item)
    head = upload.read(8)
    upload.seek(0)
    declared = getattr(upload, "content_type", "") or "application/octet-stream"
    # a wrong declared type is refused by attachment_add with its own message
    if declared in ALLOWED_MEDIA_TYPES and not any(head.startswith(m) for m in _EVIDENCE_MAGIC):
        raise InvalidInput(ERROR_EVIDENCE_CONTENT, code="attachment_type",
                           details={"field": "file"})  # fmt: skip
    return attachment_add(actor=actor, target=row, upload=upload, title=title)


def checklist_printed(*, actor: StaffUser, region) -> None:
    """Log that ``actor`` printed the checklist of ``region`` (an export)."""
    changelog.record(
        actor=actor, action=ChangeAction.EXPORT, object_type="audit.checklistassessment",
        object_id=region.code, object_repr=f"验收清单 {region.code}",
        after={"export": "checklist", "format": "pdf", "region": region.code},
    )  # fmt: skip
