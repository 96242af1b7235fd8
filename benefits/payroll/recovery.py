"""A recovery of overpaid benefits (待遇追回) from the coming payrolls, whole or in
monthly instalments (分期扣回): the general case of what the survivors' claim does for
pension paid after a death (which keeps its own receivable and collection case,
``benefits.survivors``). Any finding of overpayment (an inspection's, DESIGN §5.7) is
proposed here with a monthly instalment (or a number of months), approved by a
reviewer (maker-checker), and becomes negative ``PayrollDue`` rows (item ``recovery``),
one per instalment, each with the month from which it is payable (``payable_from``)
and the case it belongs to (``case``).

The schedule: instalment = the amount proposed, or the amount ÷ months rounded up to
the fen; n = ⌈amount ÷ instalment⌉ instalments, each of the instalment but the last,
which is the rest (1 000.00 at 300.00: 300.00, 300.00, 300.00, 100.00). Without an
instalment the whole is one instalment. The first is payable from the month of the
next payroll (the later of the month of approval and the month after the one paid
through), each next one a month later. A payroll claims a due in the chunk's
transaction, with the chunk's done-mark, so a due is claimed once whatever a worker
retries; of a case it claims only the earliest open instalment, and none when another
run of the same month claimed one (``benefits.models.DUE_CLAIMABLE_SQL``): a month
skipped (suspension, no run) moves the rest on by a month, never doubles a deduction.

No published parameter limits the share of a pension that may be deducted; the
reviewer decides the instalment. What is refused: an instalment of 0 or less, or not
below the monthly pension (the determination's ``total``), so that no month's payment
comes to zero or below through the recovery. When the pension stops (death, stop)
with instalments open, they are not claimed: the outstanding balance stays listed as
owed (``recovery_schedule``) on the retiree's page and the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from benefits.choices import DeterminationStatus, PayrollItem, PayrollRunStatus
from benefits.models import PayrollDue, PensionDetermination
from enrollment.models import InsuredPerson
from pension import approvals, changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.periods import Period

OVERPAYMENT_RECOVERY = "benefits.overpayment_recovery"
# one due a month is written: a schedule beyond 50 years is a typing error, not a plan
MAX_INSTALMENTS = 600
PAID_STATUSES = (PayrollRunStatus.APPROVED, PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED)
FEN = Decimal("0.01")

ERROR_NO_DETERMINATION = _("%(name)s has no pension in payment to recover from.")
ERROR_RECOVERY_AMOUNT = _("The amount to recover must be more than 0.")
ERROR_RECOVERY_EXISTS = _("This overpayment is already being recovered.")
ERROR_INSTALMENT_AMOUNT = _("The monthly instalment must be more than 0, to the fen.")
ERROR_INSTALMENT_MONTHS = _("The number of months must be a whole number from 1 to %(max)s.")
ERROR_INSTALMENT_BOTH = _("Give either the monthly instalment or the number of months, not both.")
ERROR_INSTALMENT_TOO_LARGE = _(
    "The monthly instalment %(instalment)s is not below the monthly pension %(pension)s: the "
    "payment would come to zero or below. Recover it in smaller monthly instalments."
)
ERROR_TOO_MANY_INSTALMENTS = _(
    "%(count)s instalments are more than %(max)s; choose a larger monthly instalment."
)


def _current(person: InsuredPerson) -> PensionDetermination | None:
    return PensionDetermination.objects.filter(
        person=person, superseded_by__isnull=True, status=DeterminationStatus.IN_PAYMENT
    ).first()


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def instalment_amounts(amount: Decimal, instalment: Decimal) -> list[Decimal]:
    """The instalments of ``amount`` at ``instalment`` a month: each the instalment,
    the last the rest (1 000.00 at 300.00 → 300.00, 300.00, 300.00, 100.00)."""
    count, rest = divmod(amount, instalment)
    amounts = [instalment] * int(count)
    if rest:
        amounts.append(rest)
    return amounts


def plan_instalments(
    *,
    amount: Decimal | str,
    pension: Decimal,
    instalment: Decimal | str | None = None,
    months: int | str | None = None,
) -> list[Decimal]:
    """The instalments of a recovery of ``amount`` from a monthly ``pension``: at
    ``instalment`` a month, or over ``months`` (the amount ÷ months rounded up to the
    fen), or whole. Refused: an amount or instalment not above 0 or not to the fen, both
    given, months not from 1 to ``MAX_INSTALMENTS``, an instalment not below the
    pension (the payment would be zero or below), more than ``MAX_INSTALMENTS``."""
    total = _money(amount)
    if total is None or total <= 0 or total != total.quantize(FEN):
        raise InvalidInput(
            ERROR_RECOVERY_AMOUNT, code="recovery_amount", details={"field": "amount"}
        )
    given_instalment = instalment not in (None, "")
    given_months = months not in (None, "")
    if given_instalment and given_months:
        raise InvalidInput(
            ERROR_INSTALMENT_BOTH, code="instalment_both", details={"field": "instalment"}
        )
    if given_months:
        try:
            count = int(str(months).strip())
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_INSTALMENTS:
            raise InvalidInput(
                ERROR_INSTALMENT_MONTHS,
                code="instalment_months",
                params={"max": MAX_INSTALMENTS},
                details={"field": "months"},
            )
        each = (total / count).quantize(FEN, rounding=ROUND_CEILING)
    elif given_instalment:
        each = _money(instalment)
        if each is None or each <= 0 or each != each.quantize(FEN):
            raise InvalidInput(
                ERROR_INSTALMENT_AMOUNT, code="instalment_amount", details={"field": "instalment"}
            )
        each = min(each, total)
    else:
        each = total
    if each >= pension:
        raise InvalidInput(
            ERROR_INSTALMENT_TOO_LARGE,
            code="instalment_too_large",
            params={"instalment": each, "pension": pension},
            details={"field": "instalment"},
        )
    amounts = instalment_amounts(total, each)
    if len(amounts) > MAX_INSTALMENTS:
        raise InvalidInput(
            ERROR_TOO_MANY_INSTALMENTS,
            code="too_many_instalments",
            params={"count": len(amounts), "max": MAX_INSTALMENTS},
            details={"field": "instalment"},
        )
    return amounts


def _today():
    return timezone.localdate()


def first_month(determination: PensionDetermination) -> Period:
    """The month of the retiree's next payroll: the later of this month and the month
    after the one paid through (or the retirement month)."""
    this_month = Period.from_date(_today())
    paid = determination.paid_through or determination.retirement_month
    return max(this_month, paid.next())


def _source_exists(source: str, *, pending: bool = False) -> bool:
    """A recovery of ``source`` approved already (its dues), or, with ``pending``,
    waiting for a reviewer (a form sent twice, a finding referred twice)."""
    return (
        PayrollDue.objects.filter(source=source).exists()
        or PayrollDue.objects.filter(source__startswith=f"{source}#").exists()
        or (
            pending
            and ApprovalRequest.objects.filter(
                operation=OVERPAYMENT_RECOVERY,
                status=ApprovalStatus.PENDING,
                payload__source=source,
            ).exists()
        )
    )


@transaction.atomic
def overpayment_recovery_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    amount: Decimal | str,
    source: str,
    reason: str,
    instalment: Decimal | str | None = None,
    months: int | str | None = None,
) -> ApprovalRequest:
    """Propose recovering ``amount`` from the retiree's coming payrolls, at
    ``instalment`` a month or over ``months`` (whole when neither is given; see
    ``plan_instalments``). ``source`` names what found the overpayment
    (``inspection_finding:7``) and makes it recovered once. Refused: no pension in
    payment, a source already used, and what ``plan_instalments`` refuses."""
    determination = _current(person)
    if determination is None:
        raise Conflict(
            ERROR_NO_DETERMINATION, code="no_determination", params={"name": person.name}
        )
    amounts = plan_instalments(
        amount=amount, pension=determination.total, instalment=instalment, months=months
    )
    if _source_exists(source, pending=True):
        raise Conflict(ERROR_RECOVERY_EXISTS, code="recovery_exists")
    total = sum(amounts, Decimal("0.00"))
    return approvals.approval_request_create(
        actor=actor,
        operation=OVERPAYMENT_RECOVERY,
        agency=person.agency,
        summary=str(_("Recovery of %(amount)s overpaid to %(name)s"))
        % {"amount": total, "name": person.name},
        payload={
            "person_id": person.pk,
            "person": person.name,
            "determination_id": determination.pk,
            "amount": str(total),
            "instalment": str(amounts[0]),
            "instalments": len(amounts),
            "last_instalment": str(amounts[-1]),
            "monthly_pension": str(determination.total),
            "source": source,
        },
        target=person,
        amount=total,
        reason=reason,
    )


def _apply(request: ApprovalRequest, checker: StaffUser) -> dict[str, Any]:
    """The instalments as dues, from the month of the next payroll; the instalment is
    checked again against the pension in payment now."""
    payload = request.payload
    person = InsuredPerson.objects.get(pk=payload["person_id"])
    determination = _current(person)
    if determination is None:
        raise Conflict(
            ERROR_NO_DETERMINATION, code="no_determination", params={"name": person.name}
        )
    source = payload["source"]
    if _source_exists(source):
        raise Conflict(ERROR_RECOVERY_EXISTS, code="recovery_exists")
    amounts = plan_instalments(
        amount=payload["amount"],
        pension=determination.total,
        instalment=payload.get("instalment") or None,
    )
    start = first_month(determination)
    count = len(amounts)
    dues = []
    for number, value in enumerate(amounts, start=1):
        due = PayrollDue.objects.create(
            person=person,
            determination=determination,
            item=PayrollItem.RECOVERY,
            amount=-value,
            source=source if number == 1 else f"{source}#{number}",
            reason=str(_("Recovery #%(id)s, instalment %(number)s of %(count)s"))
            % {"id": request.pk, "number": number, "count": count},
            details={
                "case": request.pk,
                "reason": request.maker_reason,
                "instalment": number,
                "instalments": count,
            },
            payable_from=start + (number - 1),
            case=request,
            created_by=checker,
        )
        changelog.record(
            actor=checker,
            action=ChangeAction.CREATE,
            instance=due,
            after={
                "item": due.item,
                "amount": str(due.amount),
                "source": due.source,
                "payable_from": str(due.payable_from),
            },
        )
        dues.append(due)
    return {
        "dues": [due.pk for due in dues],
        "amount": str(-sum(amounts)),
        "first_month": str(start),
        "instalments": count,
    }


# --- the schedule (reads) ---------------------------------------------------------------------


@dataclass
class Instalment:
    number: int
    payable_from: Period | None
    amount: Decimal  # positive: what is deducted
    run_id: int | None
    run_period: Period | None
    state: str  # "recovered", "in_payroll" (claimed by a run not approved yet), "open"


@dataclass
class Schedule:
    """A recovery case's schedule: the total, what approved payrolls recovered, what is
    outstanding, the next instalment, and whether the pension still pays it."""

    case_id: int
    total: Decimal
    recovered: Decimal
    in_payroll: Decimal
    outstanding: Decimal
    next_month: Period | None
    next_amount: Decimal | None
    in_payment: bool
    instalments: list[Instalment] = field(default_factory=list)

    @property
    def receivable(self) -> bool:
        """Instalments open but no pension in payment to deduct them from."""
        return self.outstanding > 0 and not self.in_payment


def _schedule(case_id: int, dues: list[PayrollDue], in_payment: bool) -> Schedule:
    rows = []
    recovered = in_payroll = total = Decimal("0.00")
    for number, due in enumerate(dues, start=1):
        value = -due.amount
        total += value
        if due.run_id is None:
            state = "open"
        elif due.run.status in PAID_STATUSES:
            state = "recovered"
            recovered += value
        else:
            state = "in_payroll"
            in_payroll += value
        rows.append(
            Instalment(
                number=number,
                payable_from=due.payable_from,
                amount=value,
                run_id=due.run_id,
                run_period=due.run.period if due.run_id else None,
                state=state,
            )
        )
    nxt = next((r for r in rows if r.state == "open"), None)
    next_month = None
    if nxt is not None:
        next_month = nxt.payable_from
        if next_month is not None:
            next_month = max(next_month, Period.from_date(_today()))
    return Schedule(
        case_id=case_id,
        total=total,
        recovered=recovered,
        in_payroll=in_payroll,
        outstanding=total - recovered,
        next_month=next_month if in_payment else None,
        next_amount=nxt.amount if nxt is not None and in_payment else None,
        in_payment=in_payment,
        instalments=rows,
    )


def _recovery_dues(**filters) -> QuerySet[PayrollDue]:
    return (
        PayrollDue.objects.filter(item=PayrollItem.RECOVERY, case__isnull=False, **filters)
        .select_related("run")
        .order_by("case_id", "payable_from", "pk")
    )


def recovery_schedule(request: ApprovalRequest | int) -> Schedule | None:
    """The schedule of one recovery case (None before it is approved)."""
    pk = request.pk if isinstance(request, ApprovalRequest) else request
    dues = list(_recovery_dues(case_id=pk))
    if not dues:
        return None
    in_payment = _current(dues[0].person) is not None
    return _schedule(pk, dues, in_payment)


def person_recoveries(person: InsuredPerson) -> list[Schedule]:
    """The retiree's recovery cases with their schedules, newest first."""
    by_case: dict[int, list[PayrollDue]] = {}
    for due in _recovery_dues(person=person):
        by_case.setdefault(due.case_id, []).append(due)
    in_payment = _current(person) is not None
    return [_schedule(pk, dues, in_payment) for pk, dues in sorted(by_case.items(), reverse=True)]


def pending_recoveries(person: InsuredPerson) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(
        operation=OVERPAYMENT_RECOVERY,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(person),
        object_id=str(person.pk),
    )


# --- how the reviewer's page shows the case ---------------------------------------------------

STATE_LABELS = {
    "recovered": _("Recovered"),
    "in_payroll": _("In a payroll not yet approved"),
    "open": _("To recover"),
}


def source_label(source: str) -> str:
    """What found the overpayment, for a page: an inspection's finding by its number,
    the hall."""
    kind, _sep, number = source.partition(":")
    if kind == "inspection_finding" and number.isdigit():
        return str(_("Inspection finding #%(id)s")) % {"id": number}
    if kind == "hall":
        return str(_("Proposed at the service hall"))
    return source


def _show(field: str, value: Any) -> str:
    return source_label(str(value)) if field == "source" else str(value)


def _sections(request: ApprovalRequest) -> list[dict]:
    payload = request.payload
    facts = [
        (_("Insured person"), payload.get("person", "")),
        (_("Amount to recover"), payload.get("amount", "")),
        (_("Monthly instalment"), payload.get("instalment", payload.get("amount", ""))),
        (_("Instalments"), str(payload.get("instalments", 1))),
        (_("Last instalment"), payload.get("last_instalment", payload.get("amount", ""))),
        (_("Monthly pension"), payload.get("monthly_pension", "—")),
        (_("Found by"), source_label(payload.get("source", ""))),
    ]
    sections: list[dict] = [{"title": _("The case"), "facts": facts}]
    schedule = recovery_schedule(request)
    if schedule is not None:
        sections.append(
            {
                "title": _("Recovery schedule"),
                "facts": [
                    (_("Recovered so far"), str(schedule.recovered)),
                    (_("In a payroll not yet approved"), str(schedule.in_payroll)),
                    (_("Still to recover"), str(schedule.outstanding)),
                    (
                        _("Next instalment"),
                        f"{schedule.next_month}：{schedule.next_amount}"
                        if schedule.next_month is not None
                        else "—",
                    ),
                    *([(_("Receivable"), str(_NO_PENSION_NOTE))] if schedule.receivable else []),
                ],
                "table": {
                    "headers": [
                        _("No."),
                        _("Payable from"),
                        _("Amount"),
                        _("Status"),
                        _("Pay month"),
                    ],
                    "rows": [
                        [
                            str(row.number),
                            str(row.payable_from or "—"),
                            str(row.amount),
                            str(STATE_LABELS[row.state]),
                            str(row.run_period or "—"),
                        ]
                        for row in schedule.instalments
                    ],
                },
            }
        )
    return sections


_NO_PENSION_NOTE = _(
    "No pension in payment: the outstanding balance stays owed as a receivable and is not deducted."
)


approvals.register_operation(
    OVERPAYMENT_RECOVERY,
    label=_("Recovery of overpaid benefits"),
    apply=_apply,
    field_labels={
        "person_id": _("Insured person (id)"),
        "person": _("Insured person"),
        "determination_id": _("Determination (id)"),
        "amount": _("Amount to recover"),
        "instalment": _("Monthly instalment"),
        "instalments": _("Instalments"),
        "last_instalment": _("Last instalment"),
        "monthly_pension": _("Monthly pension"),
        "source": _("Found by"),
    },
    display=_show,
    sections=_sections,
)
