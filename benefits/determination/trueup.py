"""The account pension of a retiree redetermined after the interest true-up (DESIGN
§5.3, §5.4; 利息清算后个人账户养老金重新核定).

A person who retires mid-year has the interest of the year to the retirement month
posted at the rate known then (``accounts.services.pension_account_start_drawing``):
the last announced one while the year's rate is not yet announced. When the year's
rate is entered and the annual interest run posts, the run trues that interest up
(``accounts.runs``: a line per account that left during the year, the difference
posted to the ledger), so the balance at retirement changes by that difference, and
with it the personal account pension = balance at retirement ÷ months divisor.

That change of a determination is a maker-checker case, as every determination
change: ``account_true_up_requests`` prepares one request per retiree of the run with
a difference (``benefits.account_pension_redetermination``), in the name of whoever
started the interest run; a reviewer of the owning agency approves it, and
``_apply`` writes a NEW determination on the new balance (every other input as
stored) superseding the current one, and a ``PayrollDue`` settlement of new total −
old total for each month the payroll already paid since the retirement month (多退少补,
``retirement.determination_supersede``), paid or recovered once by the next payroll.
A request per retiree and run (``payload.source``), so preparing twice prepares once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.choices import AccountStatus
from accounts.runs import on_interest_posted, true_up_lines
from benefits.determination import calc, retirement
from benefits.models import PensionDetermination
from pension import approvals
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, StaffUser

ACCOUNT_REDETERMINATION = "benefits.account_pension_redetermination"

ERROR_CHANGED = _(
    "The determination of %(name)s changed since the case was made (%(was)s then, %(now)s "
    "now); make a new request."
)


def _current(person_id: int) -> PensionDetermination | None:
    return (
        PensionDetermination.objects.filter(person_id=person_id, superseded_by__isnull=True)
        .select_related("person", "region", "agency")
        .first()
    )


def _determine(old: PensionDetermination, balance: Decimal) -> calc.Determination:
    try:
        return calc.determine(
            **{**retirement._recalculation_inputs(old), "account_balance": balance},
            calculation_base=old.calculation_base,
            local_calculation_base=old.local_calculation_base,
        )
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            retirement.ERROR_PARAMETER, code="not_computable", params={"error": str(error)}
        ) from None


def _figures(old: PensionDetermination, difference: Decimal) -> dict[str, Any]:
    d = _determine(old, old.account_balance + difference)
    months = retirement._months_paid(old)
    monthly = d.total - old.total
    return {
        "determination_id": old.pk,
        "retirement_month": str(old.retirement_month),
        "old_balance": str(old.account_balance),
        "interest_difference": str(difference),
        "new_balance": str(d.account_balance),
        "divisor": str(d.divisor.value),
        "old_account_pension": str(old.account_pension),
        "new_account_pension": str(d.account_pension),
        "old_total": str(old.total),
        "new_total": str(d.total),
        "monthly_difference": str(monthly),
        "paid_through": str(old.paid_through) if old.paid_through else None,
        "months": months,
        "settlement": str(monthly * months),
    }


def account_true_up_requests(*, actor: StaffUser, run: Any) -> list[ApprovalRequest]:
    """One maker-checker request per retiree whose balance at retirement the posted
    interest run ``run`` changed (a drawing account with a true-up difference) and who
    has a current determination; a retiree with a request for this run already (any
    outcome) gets none again. Returns the requests made now."""
    made = []
    for line in true_up_lines(run, status=AccountStatus.DRAWING):
        source = f"interest_true_up:{line.run_id}:{line.account_id}"
        if ApprovalRequest.objects.filter(
            operation=ACCOUNT_REDETERMINATION, payload__source=source
        ).exists():
            continue
        old = _current(line.account.person_id)
        if old is None:
            continue
        with transaction.atomic():
            figures = _figures(old, line.posted_amount)
            person = old.person
            made.append(
                approvals.approval_request_create(
                    actor=actor,
                    operation=ACCOUNT_REDETERMINATION,
                    agency=old.agency,
                    summary=str(
                        _("Account pension of %(name)s after the %(year)s interest true-up")
                    )
                    % {"name": person.name, "year": line.run.year},
                    payload={
                        "person_id": person.pk,
                        "person": person.name,
                        "source": source,
                        "interest_run": line.run_id,
                        "year": line.run.year,
                        "rate": str(line.run.rate),
                        **figures,
                    },
                    target=person,
                    amount=abs(Decimal(figures["settlement"])),
                    reason=str(_("Interest of %(year)s trued up at the announced rate"))
                    % {"year": line.run.year},
                )
            )
    return made


def _apply(request: ApprovalRequest, checker: StaffUser) -> dict[str, Any]:
    payload = request.payload
    old = (
        PensionDetermination.objects.select_for_update(of=("self",))
        .filter(person_id=payload["person_id"], superseded_by__isnull=True)
        .select_related("person", "region", "agency")
        .first()
    )
    if old is None or old.pk != payload["determination_id"]:
        raise Conflict(
            ERROR_CHANGED,
            code="determination_changed",
            params={
                "name": payload["person"],
                "was": payload["determination_id"],
                "now": old.pk if old is not None else "—",
            },
        )
    difference = Decimal(payload["interest_difference"])
    d = _determine(old, old.account_balance + difference)
    reason = str(_("Account pension after the %(year)s interest true-up, case #%(id)s")) % {
        "year": payload["year"],
        "id": request.pk,
    }
    new = retirement.determination_supersede(
        old,
        d,
        actor=checker,
        reason=reason,
        calculation_base_year=old.calculation_base_year,
        provisional=old.provisional,
        references=list(old.parameters),
        inputs_extra={
            "account_true_up": {
                "interest_run": payload["interest_run"],
                "year": payload["year"],
                "rate": payload["rate"],
                "old_balance": str(old.account_balance),
                "interest_difference": str(difference),
            },
            "recalculated_from": old.pk,
        },
        changed={"account_balance": d.account_balance, "account_pension": d.account_pension},
        source="account_true_up",
        case=request,
    )
    return {
        "determination": new.pk,
        "account_balance": str(new.account_balance),
        "account_pension": str(new.account_pension),
        "total": str(new.total),
        "settlement": new.settlement.get("amount"),
    }


def _queue_requests(run: Any) -> None:
    """After an interest run posted: the requests are prepared on a worker, in the
    name of whoever started the run (a system-started run prepares none)."""
    from benefits import tasks

    if run.started_by_id is None or not run.parameters.get("true_up_lines"):
        return
    pk = run.pk
    transaction.on_commit(lambda: tasks.account_true_up_requests.delay(pk))


on_interest_posted(_queue_requests)

FIELD_LABELS = {
    "person_id": _("Insured person (id)"),
    "person": _("Insured person"),
    "source": _("Source"),
    "interest_run": _("Interest run"),
    "year": _("Year"),
    "rate": _("Interest rate"),
    "determination_id": _("Determination (id)"),
    "retirement_month": _("Retirement month"),
    "old_balance": _("Balance at retirement before"),
    "interest_difference": _("Interest true-up"),
    "new_balance": _("Balance at retirement now"),
    "divisor": _("Months divisor"),
    "old_account_pension": _("Personal account pension before"),
    "new_account_pension": _("Personal account pension now"),
    "old_total": _("Monthly pension before"),
    "new_total": _("Monthly pension now"),
    "monthly_difference": _("Monthly difference"),
    "paid_through": _("Paid through"),
    "months": _("Months paid"),
    "settlement": _("Settlement in the next payroll"),
}

approvals.register_operation(
    ACCOUNT_REDETERMINATION,
    label=_("Account pension redetermined after the interest true-up"),
    apply=_apply,
    field_labels=FIELD_LABELS,
)
