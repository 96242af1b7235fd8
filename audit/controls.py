"""Internal control (内控, DESIGN §5.7, operations standard §12): the daily verification of
the hash-chained change log with an alert to the auditors when it fails, and the
reports' reads (approvals by user, decisions above the owning agency, refused requests,
changes out of office hours), in ``audit.selectors``."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.choices import ALERT_ACTIVE, RiskRule
from audit.models import Alert, ChainVerification
from pension import changelog
from pension.errors import NotPermitted
from pension.models import ChangeAction
from pension.selectors import profile_for_region

ERROR_NOT_PROVINCE_AUDITOR = _("Only the province's audit staff may verify the change log.")


def chain_verify(*, actor=None) -> ChainVerification:
    """Verify the change log's chain, keep the result, and when it is broken raise an
    alert (rule ``chain_broken``, the province, the first entry that does not verify)
    unless one about that entry is still active."""
    from audit.risk import may_audit

    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    province = profile_for_region(None).province
    if starter is not None and not (
        may_audit(starter, province.code)
        and (starter.is_superuser or (starter.region and starter.region.code == province.code))
    ):
        raise NotPermitted(ERROR_NOT_PROVINCE_AUDITOR, code="not_auditor")
    report = changelog.verify_chain()
    with transaction.atomic():
        result = ChainVerification.objects.create(
            checked=report.checked,
            ok=report.ok,
            first_bad_id=report.first_bad_id,
            problem=report.problem,
            started_by=starter,
        )
        changelog.record(actor=starter, action=ChangeAction.CREATE, instance=result)
        if not report.ok:
            key = f"chain:{report.first_bad_id}"
            active = Alert.objects.filter(
                rule=RiskRule.CHAIN_BROKEN, subject_key=key, status__in=ALERT_ACTIVE
            )
            if not active.exists():
                alert = Alert.objects.create(
                    rule=RiskRule.CHAIN_BROKEN,
                    subject_key=key,
                    subject_label=f"#{report.first_bad_id}",
                    region=province,
                    details={
                        "first_bad_id": report.first_bad_id,
                        "checked": report.checked,
                        "verification": result.pk,
                    },
                )
                changelog.record(actor=starter, action=ChangeAction.CREATE, instance=alert)
    return result
