"""Business archives (业务档案, operations standard §14): the writes.

- **Filing (立卷)**: a closed case (a maker-checker request that was decided: approved,
  rejected or withdrawn) is filed into a volume of its own with every document attached
  to it, each item with its material type (the digitised copy unless the filer says
  otherwise). The volume is numbered within its agency's region and filing year (the
  year, local time, the case was decided): ``<region>-<year>-<sequence>``. Its retention
  period is the case kind's (``RetentionRule``, the row with an empty kind for kinds
  without one), counted from 1 January of the year after the filing year, so a volume of
  2026 kept 10 years is kept until 2036-12-31.
- **Hand-over (移交)**: volumes of one agency, filed and on no live list, are put on a
  hand-over list to the archive by one person; a second person (a reviewer or the
  agency's head, of the agency's region or above) confirms it through the kernel's
  approvals, the operation ``audit.archive_handover``; the maker cannot. Until then the
  volumes are reserved; a rejected or withdrawn list frees them.

Filing and hand-over are the agencies' work (caseworkers, reviewers, heads) within their
region; auditors read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.choices import RETENTION_YEARS, RetentionPeriod
from audit.models import HandoverItem, HandoverList, MaterialType, RetentionRule, Volume, VolumeItem
from pension import approvals, changelog
from pension.attachments import attachments_of
from pension.choices import Role
from pension.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pension.models import Agency, ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.scope import region_allows

HANDOVER = "audit.archive_handover"
# who files and hands over (the agencies' staff); a second person of these confirms
ARCHIVIST_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.AGENCY_HEAD})
CONFIRMING_ROLES = (Role.REVIEWER, Role.AGENCY_HEAD)
DEFAULT_MATERIAL = "digital_copy"
LIVE = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)

ERROR_NOT_ARCHIVIST = _("You cannot file or hand over the archives of this region.")
ERROR_CASE_OPEN = _("This case is still open; only a decided case can be filed.")
ERROR_FILED = _("This case is already filed in volume %(number)s.")
ERROR_NO_DOCUMENTS = _("This case has no documents to file.")
ERROR_NO_RULE = _("No retention period is set for this kind of case.")
ERROR_MATERIAL = _("Unknown material type: %(code)s")
ERROR_NO_VOLUMES = _("Choose at least one volume.")
ERROR_VOLUME_TAKEN = _("Volume %(number)s is already on a hand-over list or handed over.")
ERROR_ONE_AGENCY = _("A hand-over list carries the volumes of one agency only.")
ERROR_RECEIVER = _("Name the archive that receives the volumes.")
ERROR_HANDED_OVER = _("This volume has been handed over; it cannot be changed any more.")


def may_archive(user: StaffUser, region_code: str) -> bool:
    """Whether ``user`` may file and hand over the archives of ``region_code``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_superuser or user.has_role(*ARCHIVIST_ROLES)):
        return False
    return region_allows(user, region_code, "prepare", model=Volume)


def _check_archivist(actor: StaffUser, region_code: str) -> None:
    if not may_archive(actor, region_code):
        raise NotPermitted(ERROR_NOT_ARCHIVIST, code="not_archivist")


def retention_for(case_kind: str) -> str:
    """The retention period of ``case_kind``: its own rule, else the default row's."""
    rules = dict(
        RetentionRule.objects.filter(case_kind__in=[case_kind, ""]).values_list(
            "case_kind", "retention"
        )
    )
    retention = rules.get(case_kind) or rules.get("")
    if retention is None:
        raise InvalidInput(ERROR_NO_RULE, code="no_retention_rule")
    return retention


def retain_until(retention: str, year: int) -> date | None:
    """The last day a volume of filing ``year`` is kept: counted from 1 January of the
    next year, ``year + N`` ends it on 31 December; None when kept for ever."""
    years = RETENTION_YEARS[RetentionPeriod(retention)]
    return None if years is None else date(year + years, 12, 31)


def _material_types(codes) -> dict[str, MaterialType]:
    found = MaterialType.objects.in_bulk(set(codes), field_name="code")
    for code in codes:
        if code not in found:
            raise InvalidInput(
                ERROR_MATERIAL, code="unknown_material", params={"code": code},
                details={"field": "material_type"},
            )  # fmt: skip
    return found


def _next_sequence(model, region_id: str, year: int) -> int:
    top = model.objects.filter(region_id=region_id, year=year).aggregate(m=Max("sequence"))["m"]
    return (top or 0) + 1


@transaction.atomic
def volume_file(
    *, actor: StaffUser, case_id: int, material_types: dict[int, str] | None = None
) -> Volume:
    """File a decided case into a volume of its own with all its documents (立卷);
    ``material_types`` gives an attachment's type by its id (default: the digitised
    copy)."""
    try:
        case = (
            ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("agency")
            .get(pk=case_id)
        )
    except (ApprovalRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such case.")) from None
    region_id = case.agency.region_id
    _check_archivist(actor, region_id)
    if case.status == ApprovalStatus.PENDING or case.decided_at is None:
        raise Conflict(ERROR_CASE_OPEN, code="case_open")
    filed = Volume.objects.filter(case=case).first()
    if filed is not None:
        raise Conflict(ERROR_FILED, code="already_filed", params={"number": filed.number})
    documents = list(attachments_of(case).order_by("uploaded_at", "id"))
    if not documents:
        raise InvalidInput(ERROR_NO_DOCUMENTS, code="no_documents")
    chosen = {int(k): v for k, v in (material_types or {}).items()}
    types = _material_types({chosen.get(d.pk, DEFAULT_MATERIAL) for d in documents})
    retention = retention_for(case.operation)
    year = timezone.localtime(case.decided_at).year
    # one numbering per region and year: the agency's row serialises it
    Agency.objects.select_for_update().filter(pk=case.agency_id).first()
    sequence = _next_sequence(Volume, region_id, year)
    volume = Volume(
        number=f"{region_id}-{year}-{sequence:05d}",
        case=case,
        case_kind=case.operation,
        title=case.summary[:200],
        agency_id=case.agency_id,
        region_id=region_id,
        year=year,
        sequence=sequence,
        retention=retention,
        retain_until=retain_until(retention, year),
        filed_by=actor,
    )
    volume.full_clean()
    volume.save()
    VolumeItem.objects.bulk_create(
        VolumeItem(
            volume=volume,
            position=position,
            attachment=document,
            material_type=types[chosen.get(document.pk, DEFAULT_MATERIAL)],
        )
        for position, document in enumerate(documents, start=1)
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=volume,
        after={**changelog.snapshot(volume), "items": [d.pk for d in documents]},
    )
    return volume


@transaction.atomic
def volume_item_classify(*, actor: StaffUser, item_id: int, material_type: str) -> VolumeItem:
    """Set the material type of a document in a volume not yet handed over."""
    try:
        item = (
            VolumeItem.objects.select_for_update(of=("self",))
            .select_related("volume", "material_type")
            .get(pk=item_id)
        )
    except (VolumeItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such document in a volume.")) from None
    _check_archivist(actor, item.volume.region_id)
    if item.volume.handed_over_at is not None:
        raise Conflict(ERROR_HANDED_OVER, code="handed_over")
    kind = _material_types([material_type])[material_type]
    before = {"material_type": item.material_type.code}
    item.material_type = kind
    item.save(update_fields=["material_type"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=item,
        before=before,
        after={"material_type": kind.code},
    )
    return item


def volumes_reserved() -> Any:
    """The volumes on a live hand-over list (awaiting confirmation or confirmed)."""
    return HandoverItem.objects.filter(handover__approval__status__in=LIVE).values("volume_id")


@transaction.atomic
def handover_create(*, actor: StaffUser, volume_ids, receiver: str, note: str = "") -> HandoverList:
    """Put filed volumes of one agency on a hand-over list to the archive (移交清单);
    it waits for a second person to confirm that the archive received them."""
    receiver = (receiver or "").strip()
    if not receiver:
        raise InvalidInput(ERROR_RECEIVER, code="receiver_needed", details={"field": "receiver"})
    ids = sorted({int(v) for v in volume_ids})
    if not ids:
        raise InvalidInput(ERROR_NO_VOLUMES, code="no_volumes", details={"field": "volumes"})
    volumes = list(
        Volume.objects.select_for_update().filter(pk__in=ids).order_by("year", "sequence")
    )
    if len(volumes) != len(ids):
        raise NotFound(_("No such volume."))
    for volume in volumes:
        _check_archivist(actor, volume.region_id)
    if len({v.agency_id for v in volumes}) != 1:
        raise InvalidInput(ERROR_ONE_AGENCY, code="one_agency", details={"field": "volumes"})
    reserved = set(volumes_reserved().filter(volume_id__in=ids).values_list("volume_id", flat=True))
    for volume in volumes:
        if volume.pk in reserved or volume.handed_over_at is not None:
            raise Conflict(
                ERROR_VOLUME_TAKEN, code="volume_taken", params={"number": volume.number}
            )
    agency = Agency.objects.select_for_update().get(pk=volumes[0].agency_id)
    year = timezone.localdate().year
    sequence = _next_sequence(HandoverList, agency.region_id, year)
    handover = HandoverList(
        number=f"YJ-{agency.region_id}-{year}-{sequence:04d}",
        agency=agency,
        region_id=agency.region_id,
        year=year,
        sequence=sequence,
        receiver=receiver[:200],
        note=(note or "").strip(),
        made_by=actor,
    )
    handover.full_clean()
    handover.save()
    HandoverItem.objects.bulk_create(
        HandoverItem(handover=handover, volume=volume, position=position)
        for position, volume in enumerate(volumes, start=1)
    )
    request = approvals.approval_request_create(
        actor=actor,
        operation=HANDOVER,
        agency=agency,
        summary=str(_("Hand-over list %(number)s: %(count)d volumes to %(receiver)s"))
        % {"number": handover.number, "count": len(volumes), "receiver": handover.receiver},
        payload={
            "handover": handover.pk,
            "receiver": handover.receiver,
            "volumes": [v.number for v in volumes],
        },
        target=handover,
        reason=handover.note,
    )
    handover.approval = request
    handover.save(update_fields=["approval"])
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=handover,
        after={**changelog.snapshot(handover), "volumes": [v.number for v in volumes]},
    )
    return handover


def handover_confirm(*, actor: StaffUser, handover: HandoverList) -> HandoverList:
    """The second person confirms the archive received the volumes (the kernel refuses
    the maker, another region and a role that may not check)."""
    if handover.approval_id is None:
        raise Conflict(_("This hand-over list has no request to confirm."), code="no_request")
    approvals.approval_request_approve(actor=actor, request_id=handover.approval_id)
    handover.refresh_from_db()
    return handover


def _apply_handover(request: ApprovalRequest, checker: StaffUser) -> dict:
    handover = HandoverList.objects.select_for_update().get(pk=request.payload["handover"])
    now = timezone.now()
    handover.confirmed_by = checker
    handover.confirmed_at = now
    handover.full_clean()
    handover.save(update_fields=["confirmed_by", "confirmed_at"])
    ids = list(handover.items.values_list("volume_id", flat=True))
    Volume.objects.filter(pk__in=ids).update(handed_over_at=now)
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=handover,
        before={"confirmed_by_id": None},
        after={"confirmed_by_id": checker.pk, "volumes": len(ids)},
        reason=str(_("Approval request #%(id)s")) % {"id": request.pk},
    )
    return {"handover": handover.number, "volumes": len(ids)}


def _handover_sections(request: ApprovalRequest) -> list[dict]:
    handover = HandoverList.objects.filter(pk=request.payload.get("handover")).first()
    if handover is None:
        return []
    rows = [
        [str(item.position), item.volume.number, item.volume.title, str(item.volume.year),
         str(RetentionPeriod(item.volume.retention).label)]
        for item in handover.items.select_related("volume")
    ]  # fmt: skip
    return [
        {
            "title": _("Volumes on the list"),
            "table": {
                "headers": [
                    _("No."),
                    _("Volume number"),
                    _("Title"),
                    _("Filing year"),
                    _("Retention period"),
                ],
                "rows": rows,
            },
        }
    ]


approvals.register_operation(
    HANDOVER,
    label=_("Hand-over of archive volumes"),
    apply=_apply_handover,
    checker_roles=CONFIRMING_ROLES,
    field_labels={
        "handover": _("Hand-over list"),
        "receiver": _("Receiving archive"),
        "volumes": _("Volumes"),
    },
    sections=_handover_sections,
)
