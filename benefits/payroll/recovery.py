"""A recovery of overpaid benefits (待遇追回) from the next payroll: the general case of
what the survivors' claim does for pension paid after a death (which keeps its own
receivable and collection case, ``benefits.survivors``). Any finding of overpayment
(an inspection's, DESIGN §5.7) is proposed here, approved by a reviewer (maker-checker),
and becomes a negative ``PayrollDue`` (item ``recovery``) that the next live payroll
of the retiree's region deducts.

Known limit: the payroll claims a due whole, so a recovery larger than the next month's
payment leaves that payment at or below zero (held); instalments over several payrolls
are not yet offered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from benefits.choices import PayrollItem
from benefits.models import PayrollDue, PensionDetermination
from enrollment.models import InsuredPerson
from pension import approvals, changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ChangeAction, StaffUser

OVERPAYMENT_RECOVERY = "benefits.overpayment_recovery"
ERROR_NO_DETERMINATION = _("%(name)s has no pension in payment to recover from.")
ERROR_RECOVERY_AMOUNT = _("The amount to recover must be more than 0.")
ERROR_RECOVERY_EXISTS = _("This overpayment is already being recovered.")


def _current(person: InsuredPerson) -> PensionDetermination | None:
    return PensionDetermination.objects.filter(
        person=person, superseded_by__isnull=True, status="in_payment"
    ).first()


@transaction.atomic
def overpayment_recovery_request(
    *, actor: StaffUser, person: InsuredPerson, amount: Decimal, source: str, reason: str
) -> ApprovalRequest:
    """Propose recovering ``amount`` from the retiree's next payroll. ``source`` names
    what found the overpayment (``inspection_finding:7``) and makes it recovered once.
    Refused: an amount not above 0, no pension in payment, a source already used."""
    amount = Decimal(amount)
    if amount <= 0:
        raise InvalidInput(
            ERROR_RECOVERY_AMOUNT, code="recovery_amount", details={"field": "amount"}
        )
    determination = _current(person)
    if determination is None:
        raise Conflict(
            ERROR_NO_DETERMINATION, code="no_determination", params={"name": person.name}
        )
    if PayrollDue.objects.filter(source=source).exists():
        raise Conflict(ERROR_RECOVERY_EXISTS, code="recovery_exists")
    return approvals.approval_request_create(
        actor=actor,
        operation=OVERPAYMENT_RECOVERY,
        agency=person.agency,
        summary=str(_("Recovery of %(amount)s overpaid to %(name)s"))
        % {"amount": amount, "name": person.name},
        payload={
            "person_id": person.pk,
            "person": person.name,
            "determination_id": determination.pk,
            "amount": str(amount),
            "source": source,
        },
        target=person,
        amount=amount,
        reason=reason,
    )


def _apply(request: ApprovalRequest, checker: StaffUser) -> dict[str, Any]:
    payload = request.payload
    person = InsuredPerson.objects.get(pk=payload["person_id"])
    determination = _current(person)
    if determination is None:
        raise Conflict(
            ERROR_NO_DETERMINATION, code="no_determination", params={"name": person.name}
        )
    if PayrollDue.objects.filter(source=payload["source"]).exists():
        raise Conflict(ERROR_RECOVERY_EXISTS, code="recovery_exists")
    due = PayrollDue.objects.create(
        person=person,
        determination=determination,
        item=PayrollItem.RECOVERY,
        amount=-Decimal(payload["amount"]),
        source=payload["source"],
        reason=str(_("Recovery #%(id)s")) % {"id": request.pk},
        details={"case": request.pk, "reason": request.maker_reason},
        created_by=checker,
    )
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=due,
        after={"item": due.item, "amount": str(due.amount), "source": due.source},
    )
    return {"due": due.pk, "amount": str(due.amount)}


approvals.register_operation(
    OVERPAYMENT_RECOVERY,
    label=_("Recovery of overpaid benefits"),
    apply=_apply,
    field_labels={
        "person_id": _("Insured person (id)"),
        "person": _("Insured person"),
        "determination_id": _("Determination (id)"),
        "amount": _("Amount to recover"),
        "source": _("Found by"),
    },
)
