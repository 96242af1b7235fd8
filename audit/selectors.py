"""Reads of audit and internal control (稽核与内控): region-scoped querysets and figures."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet

from pension.models import ChangeLogEntry
from pension.scope import user_prefix


def change_log(user) -> QuerySet[ChangeLogEntry]:
    """The change-log entries ``user`` may read (变更日志): those written for an agency
    within the user's region; entries without an agency (external systems, the
    system itself, failed sign-ins) only for province-level users."""
    from pension.models import Region

    queryset = ChangeLogEntry.objects.select_related("actor", "agency", "api_client")
    prefix = user_prefix(user, Region, "view")
    if prefix is None:
        return queryset.none()
    if prefix == "" or len(prefix) <= 2:
        return queryset.filter(Q(agency__region__code__startswith=prefix) | Q(agency__isnull=True))
    return queryset.filter(agency__region__code__startswith=prefix)


def object_type_label(object_type: str) -> str:
    """``enrollment.insuredperson`` → the model's name (参保人), the code when unknown."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def object_type_choices() -> list[tuple[str, str]]:
    """Every model that can appear in the change log, by its name."""
    choices = [
        (f"{m._meta.app_label}.{m._meta.model_name}", str(m._meta.verbose_name))
        for m in apps.get_models()
        if m._meta.app_label
        in {
            "pension",
            "enrollment",
            "contributions",
            "accounts",
            "benefits",
            "funds",
            "budget",
            "audit",
            "otp_totp",
        }
    ]
    # a library's model without a Chinese name (django-otp's TOTP device) is left out
    choices = [(code, label) for code, label in choices if not label.isascii()]
    return sorted(choices, key=lambda c: c[1])


# --- alerts and inspections --------------------------------------------------------------


def _audit_prefix(user, model) -> str | None:
    """The region prefix of an audit-section user for ``model``; None: nothing."""
    from pension.navigation import SECTION_BY_DOMAIN

    if not getattr(user, "is_authenticated", False):
        return None
    if not (user.is_superuser or user.has_role(*SECTION_BY_DOMAIN["audit"].roles)):
        return None
    return user_prefix(user, model, "view")


def alerts(user) -> QuerySet:
    """The alerts ``user`` may see and work (预警): the audit section's staff, alerts
    lying in their region; ``age_days`` since raised."""
    from django.db.models import ExpressionWrapper, F, IntegerField
    from django.db.models.functions import Extract, Now

    from audit.models import Alert

    prefix = _audit_prefix(user, Alert)
    queryset = Alert.objects.select_related("region", "owner", "person", "employer")
    if prefix is None:
        return queryset.none()
    if prefix:
        queryset = queryset.filter(region__code__startswith=prefix)
    return queryset.annotate(
        age_days=ExpressionWrapper(
            Extract(Now() - F("created_at"), "day"), output_field=IntegerField()
        )
    )


def alert_owners(user, region_code: str) -> QuerySet:
    """Who may own an alert of ``region_code``: active audit-section staff whose region
    covers it."""
    from pension.models import StaffUser
    from pension.navigation import SECTION_BY_DOMAIN

    roles = list(SECTION_BY_DOMAIN["audit"].roles)
    users = StaffUser.objects.filter(is_active=True, roles__overlap=roles).select_related(
        "agency__region"
    )
    return users.filter(pk__in=[u.pk for u in users if _covers(u, region_code)]).order_by(
        "username"
    )


def _covers(user, region_code: str) -> bool:
    from audit.risk import may_audit

    return may_audit(user, region_code)


def inspections(user) -> QuerySet:
    from audit.models import Inspection

    prefix = _audit_prefix(user, Inspection)
    queryset = Inspection.objects.select_related(
        "employer", "person", "region", "inspector", "plan", "alert"
    )
    if prefix is None:
        return queryset.none()
    return queryset.filter(region__code__startswith=prefix) if prefix else queryset


def inspection_plans(user) -> QuerySet:
    from audit.models import InspectionPlan

    prefix = _audit_prefix(user, InspectionPlan)
    queryset = InspectionPlan.objects.select_related("region")
    if prefix is None:
        return queryset.none()
    return queryset.filter(region__code__startswith=prefix) if prefix else queryset


def risk_ranking(*, kind: str, prefix: str) -> list[dict]:
    """The subjects by risk score (风险评分: the number of active alerts about them),
    highest first, then by id; employers for an employer inspection, people for a
    benefit claim; subjects already under an open inspection are left out."""
    from django.db.models import Count

    from audit.choices import ALERT_ACTIVE, InspectionKind, InspectionStatus
    from audit.models import Alert, Inspection

    field = "employer_id" if kind == InspectionKind.EMPLOYER else "person_id"
    region = "employer__region_id" if kind == InspectionKind.EMPLOYER else "person__region_id"
    busy = Inspection.objects.filter(status=InspectionStatus.OPEN).values(field)
    rows = (
        Alert.objects.filter(status__in=ALERT_ACTIVE, **{f"{field}__isnull": False})
        .filter(**{f"{region.replace('_id', '')}__code__startswith": prefix})
        .exclude(**{f"{field}__in": busy.exclude(**{f"{field}__isnull": True})})
        .values(field, region)
        .annotate(score=Count("id"))
        .order_by("-score", field)
    )
    return [{field: row[field], "region_id": row[region], "score": row["score"]} for row in rows]


def inspection_evidence(inspection) -> dict:
    """What the records say about the inspected subject, to set against the evidence
    found on site: for an employer the headcount on record this month and the declared
    bases of the latest year (count and sum); for a benefit claim the current pension,
    the last life certification and the last months paid."""
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from audit.choices import InspectionKind
    from benefits.models import LifeCertification, PayrollLine, PensionDetermination
    from contributions.models import ContributionBase
    from enrollment.models import Employment
    from pension.periods import Period

    if inspection.kind == InspectionKind.EMPLOYER:
        month = Period.from_date(timezone.localdate())
        headcount = Employment.objects.filter(
            Q(stop_period__isnull=True) | Q(stop_period__gt=month),
            employer_id=inspection.employer_id,
            start_period__lte=month,
        ).count()
        bases = ContributionBase.objects.filter(
            employer_id=inspection.employer_id, superseded_by__isnull=True
        )
        year = bases.order_by("-year").values_list("year", flat=True).first()
        figures = bases.filter(year=year).aggregate(count=Count("id"), total=Sum("base"))
        return {
            "month": month,
            "headcount": headcount,
            "base_year": year,
            "base_count": figures["count"],
            "base_total": figures["total"],
        }
    determination = PensionDetermination.objects.filter(
        person_id=inspection.person_id, superseded_by__isnull=True
    ).first()
    certified = (
        LifeCertification.objects.filter(person_id=inspection.person_id)
        .order_by("-certified_on")
        .values_list("certified_on", flat=True)
        .first()
    )
    paid = list(
        PayrollLine.objects.filter(person_id=inspection.person_id, posted=True)
        .values("period")
        .annotate(amount=Sum("amount"))
        .order_by("-period")[:6]
    )
    return {"determination": determination, "last_certified": certified, "paid": paid}


# --- data-quality checks (数据质量检查) ----------------------------------------------------


def data_quality_runs(user) -> QuerySet:
    """The data-quality checks ``user`` may read: those of their region, of a region
    within it, or of a region above it (a county reads its own part of the province's)."""
    from audit.models import DataQualityRun

    prefix = _audit_prefix(user, DataQualityRun)
    queryset = DataQualityRun.objects.select_related("region", "started_by")
    if prefix is None:
        return queryset.none()
    if not prefix:
        return queryset
    above = [prefix[:n].ljust(6, "0") for n in (2, 4, 6) if n <= len(prefix)]
    return queryset.filter(Q(region__code__startswith=prefix) | Q(region__code__in=above))


def data_quality_table(user, run, *, region: str = "") -> tuple[list[dict], dict]:
    """The run's counts by region (rows: region, counts in the order of the checks,
    total) within ``user``'s region and ``region`` (a code prefix), and the totals by
    check."""
    from audit.choices import DataCheck
    from audit.models import DataQualityCount

    prefix = _audit_prefix(user, DataQualityCount) or ""
    counts = DataQualityCount.objects.filter(run=run, region__code__startswith=prefix)
    if region:
        counts = counts.filter(region__code__startswith=region)
    by_region: dict[str, dict] = {}
    totals = dict.fromkeys(DataCheck.values, 0)
    for row in counts.select_related("region").order_by("region__code"):
        entry = by_region.setdefault(
            row.region_id, {"region": row.region, "counts": dict.fromkeys(DataCheck.values, 0)}
        )
        entry["counts"][row.check_code] = row.count
        totals[row.check_code] += row.count
    rows = []
    for entry in by_region.values():
        entry["cells"] = [entry["counts"][code] for code in DataCheck.values]
        entry["total"] = sum(entry["cells"])
        rows.append(entry)
    return rows, totals


def data_quality_trend(user, *, region: str = "", quarters: int = 8) -> list[dict]:
    """The last ``quarters`` quarters, oldest first: each quarter's latest posted check
    of the province (or the user's region), its counts by check summed over the regions
    ``user`` reads (and within ``region``)."""
    from django.db.models import Sum

    from audit.choices import DataCheck, ScanStatus
    from audit.models import DataQualityCount

    runs = data_quality_runs(user).filter(status=ScanStatus.POSTED).order_by("-quarter", "-id")
    latest: dict[str, int] = {}
    for run in runs.values("quarter", "id"):
        latest.setdefault(run["quarter"], run["id"])
        if len(latest) >= quarters:
            break
    prefix = _audit_prefix(user, DataQualityCount) or ""
    counts = DataQualityCount.objects.filter(
        run_id__in=latest.values(), region__code__startswith=prefix
    )
    if region:
        counts = counts.filter(region__code__startswith=region)
    sums = {
        (row["run_id"], row["check_code"]): row["n"]
        for row in counts.values("run_id", "check_code").annotate(n=Sum("count"))
    }
    out = []
    for quarter in sorted(latest):
        run_id = latest[quarter]
        cells = [sums.get((run_id, code), 0) for code in DataCheck.values]
        out.append({"quarter": quarter, "run_id": run_id, "cells": cells, "total": sum(cells)})
    return out


# --- internal-control reports (内控报告) ---------------------------------------------------


def _decisions(user, *, since=None, until=None, region: str = "") -> QuerySet:
    """The decided requests (approved or rejected) of agencies within ``user``'s
    region (and ``region``), decided between ``since`` and ``until`` (dates)."""
    from pension.models import ApprovalRequest

    prefix = _audit_prefix(user, ApprovalRequest)
    queryset = ApprovalRequest.objects.filter(
        status__in=["approved", "rejected"], checker__isnull=False
    ).select_related("agency__region", "checker__agency", "maker")
    if prefix is None:
        return queryset.none()
    queryset = queryset.filter(agency__region__code__startswith=prefix)
    if region:
        queryset = queryset.filter(agency__region__code__startswith=region)
    if since:
        queryset = queryset.filter(decided_at__date__gte=since)
    if until:
        queryset = queryset.filter(decided_at__date__lte=until)
    return queryset


def approvals_by_user(user, **filters) -> QuerySet:
    """Per checker: requests approved, rejected, and decided for an agency other than
    their own (from above), within the filters."""
    from django.db.models import Count, F

    return (
        _decisions(user, **filters)
        .values("checker_id", "checker__username", "checker__full_name", "checker__agency__name")
        .annotate(
            approved=Count("id", filter=Q(status="approved")),
            rejected=Count("id", filter=Q(status="rejected")),
            above=Count("id", filter=~Q(checker__agency_id=F("agency_id"))),
        )
        .order_by("-approved", "checker__username")
    )


def decided_above(user, **filters) -> QuerySet:
    """Requests decided by a checker of another agency than the owning one (an agency
    above it deciding in its place: 上级代为复核)."""
    from django.db.models import F

    return _decisions(user, **filters).exclude(checker__agency_id=F("agency_id"))


def refused_requests(user, **filters) -> QuerySet:
    return _decisions(user, **filters).filter(status="rejected")


def out_of_hours_changes(user, *, since=None, until=None, region: str = "") -> QuerySet:
    """Writes by staff (not reads, not sign-in failures) out of office hours, local
    time: before or after them on a working day, or on a Saturday or Sunday (the risk
    scan's working values ``risk.office_hours``)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

    from audit.risk import WORKING_VALUES
    from pension.models import ChangeAction

    open_hour, close_hour = WORKING_VALUES["risk.office_hours"]
    tz = ZoneInfo(settings.TIME_ZONE)
    queryset = (
        change_log(user)
        .filter(actor__isnull=False)
        .exclude(action__in=[ChangeAction.READ, ChangeAction.LOGIN_FAILED, ChangeAction.LOCKOUT])
        .annotate(
            local_hour=ExtractHour("occurred_at", tzinfo=tz),
            local_weekday=ExtractIsoWeekDay("occurred_at", tzinfo=tz),
        )
        .filter(
            Q(local_weekday__gt=5) | Q(local_hour__lt=open_hour) | Q(local_hour__gte=close_hour)
        )
    )
    if region:
        queryset = queryset.filter(agency__region__code__startswith=region)
    if since:
        queryset = queryset.filter(occurred_at__date__gte=since)
    if until:
        queryset = queryset.filter(occurred_at__date__lte=until)
    return queryset


def chain_verifications(user) -> QuerySet:
    """The change log's chain verifications: the audit section's staff (the chain is
    the province's, one for every region)."""
    from audit.models import ChainVerification

    if _audit_prefix(user, ChainVerification) is None:
        return ChainVerification.objects.none()
    return ChainVerification.objects.select_related("started_by")


# --- what an external system reads (the API, scope audit.read) ---------------------------


def inspections_for_prefix(prefix: str) -> QuerySet:
    """The inspections (稽核案件) lying within a system's region, with their findings."""
    from audit.models import Inspection

    return (
        Inspection.objects.filter(region__code__startswith=prefix)
        .select_related("employer", "region", "plan")
        .prefetch_related("findings")
    )


# --- the acceptance checklist (验收清单) -----------------------------------------------------


def checklist_region(user, code: str = ""):
    """The region whose checklist ``user`` reads: the one of ``code`` when it lies in
    their region (None otherwise: another region is refused); without a code their
    own region, the province for a user without one."""
    from audit.models import ChecklistAssessment
    from pension.choices import RegionLevel
    from pension.models import Region

    prefix = _audit_prefix(user, ChecklistAssessment)
    if prefix is None:
        return None
    if not code:
        if user.region is not None:
            return user.region
        return Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first()
    region = Region.objects.filter(code=code).first()
    if region is None or not region.code.startswith(prefix):
        return None
    return region


def checklist(region, today) -> list[dict]:
    """The 29 items for ``region``: the seed's text, how it is checked, its standard,
    the auditor's assessment (status, note, who and when), the evidence attached and
    the live figures measured from the data (``audit.checklist.measure``)."""
    from django.contrib.contenttypes.models import ContentType

    from audit.checklist import DOMAINS, ITEMS, measure
    from audit.choices import ChecklistStatus
    from audit.models import ChecklistAssessment
    from pension.models import Attachment

    assessments = {
        a.item: a
        for a in ChecklistAssessment.objects.filter(region=region).select_related("assessed_by")
    }
    evidence: dict[str, list] = {}
    if assessments:
        for attachment in Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(ChecklistAssessment),
            object_id__in=[str(a.pk) for a in assessments.values()],
        ).select_related("uploaded_by"):
            evidence.setdefault(attachment.object_id, []).append(attachment)
    figures = measure(region, today).figures
    rows = []
    for item in ITEMS:
        assessment = assessments.get(item.number)
        rows.append(
            {
                "item": item,
                "domain": DOMAINS[item.domain],
                "first_of_domain": not rows or rows[-1]["item"].domain != item.domain,
                "assessment": assessment,
                "status": assessment.status if assessment else ChecklistStatus.NOT_ASSESSED,
                "status_label": ChecklistStatus(
                    assessment.status if assessment else ChecklistStatus.NOT_ASSESSED
                ).label,
                "evidence": evidence.get(str(assessment.pk), []) if assessment else [],
                "figures": figures.get(item.number, []),
            }
        )
    return rows


def checklist_summary(rows: list[dict]) -> list[tuple[str, object, int]]:
    """How many items stand in each status."""
    from audit.choices import ChecklistStatus

    return [
        (code, label, sum(1 for r in rows if r["status"] == code))
        for code, label in ChecklistStatus.choices
    ]


# --- business archives (业务档案) ----------------------------------------------------------


def _archive_prefix(user, model) -> str | None:
    """The region prefix of a user of the archives section for ``model``; None: nothing."""
    from pension.navigation import SECTION_BY_DOMAIN

    if not getattr(user, "is_authenticated", False):
        return None
    if not (user.is_superuser or user.has_role(*SECTION_BY_DOMAIN["archives"].roles)):
        return None
    return user_prefix(user, model, "view")


def volumes(user) -> QuerySet:
    """The filing volumes (案卷) lying within ``user``'s region, with their document
    count and whether they are on a hand-over list awaiting confirmation."""
    from django.db.models import Count, Exists, OuterRef

    from audit.models import HandoverItem, Volume
    from pension.models import ApprovalStatus

    prefix = _archive_prefix(user, Volume)
    queryset = Volume.objects.select_related("region", "agency", "filed_by", "case")
    if prefix is None:
        return queryset.none()
    if prefix:
        queryset = queryset.filter(region__code__startswith=prefix)
    pending = HandoverItem.objects.filter(
        volume_id=OuterRef("pk"), handover__approval__status=ApprovalStatus.PENDING
    )
    return queryset.annotate(item_count=Count("items"), listed=Exists(pending))


def volume_items(volume) -> QuerySet:
    """A volume's documents in order, with their attachment and material type."""
    return volume.items.select_related("attachment__uploaded_by", "material_type").order_by(
        "position"
    )


def cases_to_file(user) -> QuerySet:
    """Decided cases of ``user``'s region with documents and no volume yet, newest
    decided first, with their document count."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, Count, Exists, OuterRef, Subquery
    from django.db.models.functions import Cast

    from audit.models import Volume
    from pension.models import ApprovalRequest, ApprovalStatus, Attachment

    prefix = _archive_prefix(user, Volume)
    if prefix is None:
        return ApprovalRequest.objects.none()
    kind = ContentType.objects.get_for_model(ApprovalRequest)
    documents = (
        Attachment.objects.filter(content_type=kind, object_id=Cast(OuterRef("pk"), CharField()))
        .values("object_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        ApprovalRequest.objects.exclude(status=ApprovalStatus.PENDING)
        .filter(agency__region__code__startswith=prefix)
        .filter(Exists(documents))
        .exclude(Exists(Volume.objects.filter(case_id=OuterRef("pk"))))
        .select_related("agency__region", "maker")
        .annotate(document_count=Subquery(documents))
        .order_by("-decided_at", "-id")
    )


def handovers(user) -> QuerySet:
    """The hand-over lists (移交清单) of agencies within ``user``'s region, with their
    volume count and the status of their request."""
    from django.db.models import Count

    from audit.models import HandoverList

    prefix = _archive_prefix(user, HandoverList)
    queryset = HandoverList.objects.select_related(
        "agency", "region", "made_by", "confirmed_by", "approval"
    )
    if prefix is None:
        return queryset.none()
    if prefix:
        queryset = queryset.filter(region__code__startswith=prefix)
    return queryset.annotate(volume_count=Count("items")).order_by("-made_at", "-id")


def volumes_to_hand_over(user) -> QuerySet:
    """Volumes of ``user``'s region neither handed over nor on a live list."""
    from audit.archives import volumes_reserved

    return (
        volumes(user)
        .filter(handed_over_at__isnull=True)
        .exclude(pk__in=volumes_reserved())
        .order_by("agency_id", "year", "sequence")
    )


def latest_handover_of(volume):
    """The newest hand-over list a volume is on, with its request; None if none."""
    from audit.models import HandoverList

    return (
        HandoverList.objects.filter(items__volume=volume)
        .select_related("approval")
        .order_by("-made_at", "-id")
        .first()
    )


def handover_items(handover) -> list:
    """The volumes on a hand-over list in order, each with its ``document_count``."""
    from django.db.models import Count

    from audit.models import Volume

    items = list(handover.items.select_related("volume").order_by("position"))
    counts = dict(
        Volume.objects.filter(pk__in=[i.volume_id for i in items])
        .annotate(n=Count("items"))
        .values_list("pk", "n")
    )
    for item in items:
        item.document_count = counts.get(item.volume_id, 0)
    return items
