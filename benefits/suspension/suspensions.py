"""Suspension and resumption of payment, and the recording of a death (暂停发放、恢复发放、
死亡停发; operations standard §9.3.2–9.3.4).

* ``suspension_request`` (暂停发放申请) proposes to suspend a determination in payment
  from a month, for a reason of ``SuspensionReason``; on approval a ``Suspension`` is
  written and the determination becomes suspended (the payroll skips it).
* ``resumption_request`` (恢复发放申请) proposes to resume a suspension from a month; on
  approval the determination is in payment again, ``paid_through`` is raised to the
  month before the resumption (so the regular payroll does not pay the suspended
  months) and, when the reason allows it (``SUSPENSION_BACK_PAY``), the suspended
  months that were not paid become one ``PayrollDue`` (补发).
* ``record_death`` (死亡停发) is the underlying write of a death: the person becomes
  deceased, the current determination stops from the month after the death, an open
  suspension is closed. A death reported at the hall goes through maker-checker
  (``death_report_request``); a data-match death file applies it directly (the file
  is the evidence). ``overpayment_after_death`` (死亡后多发) is what the approved
  payrolls paid for months from the stop month.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from benefits.choices import (
    SUSPENSION_BACK_PAY,
    DeterminationStatus,
    PayrollItem,
    PayrollRunStatus,
    SuspensionReason,
)
from benefits.models import (
    PayrollDue,
    PayrollLine,
    PensionAdjustment,
    PensionDetermination,
    Suspension,
)
from benefits.selectors import current_determination
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from enrollment.services import person_status_change
from pension import approvals, changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.money import round_fen
from pension.periods import Period

__all__ = [
    "DEATH",
    "RESUMPTION",
    "SUSPENSION",
    "back_pay_months",
    "current_determination",
    "death_report_request",
    "open_suspension",
    "overpayment_after_death",
    "record_death",
    "resumption_request",
    "suspension_request",
]

SUSPENSION = "benefits.suspension"
RESUMPTION = "benefits.resumption"
DEATH = "benefits.death"
ZERO = Decimal("0.00")
# the runs whose lines were paid (a dry run is never approved)
PAID_RUN_STATUSES = (PayrollRunStatus.APPROVED, PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED)
MONTHLY_ITEMS = (PayrollItem.PENSION, PayrollItem.ADJUSTMENT)

ERROR_REASON = _("Give the reason for the case.")
ERROR_UNKNOWN_REASON = _("“%(reason)s” is not a reason for suspending payment.")
ERROR_DEATH_REASON = _(
    "A death is not a suspension: record it with a death report, which stops the payment."
)
ERROR_NOT_IN_PAYMENT = _(
    "The pension of %(name)s is %(status)s; only a pension in payment can be suspended."
)
ERROR_ALREADY_SUSPENDED = _("The pension of %(name)s is already suspended from %(month)s.")
ERROR_FROM_BEFORE_PAYABLE = _(
    "The pension of %(name)s is payable from %(first)s; it cannot be suspended from %(month)s."
)
ERROR_SUSPEND_FUTURE = _(
    "The payment cannot be suspended from %(month)s, a month still to come; suspend it from "
    "%(current)s at the latest."
)
ERROR_CASE_PENDING = _(
    "A case of %(name)s of this kind is already waiting for a reviewer (#%(id)s)."
)
ERROR_NOT_OPEN = _("This suspension of %(name)s is no longer open.")
ERROR_NOT_SUSPENDED = _("The pension of %(name)s is %(status)s, not suspended.")
ERROR_RESUME_NOT_AFTER = _(
    "The payment of %(name)s was suspended from %(from)s; it cannot be resumed from an "
    "earlier month."
)
ERROR_RESUME_FUTURE = _(
    "The payment cannot be resumed from %(month)s, a month still to come; resume it from "
    "%(current)s at the latest."
)
ERROR_DEATH_FUTURE = _("The date of death %(date)s is after today.")
ERROR_DEATH_BEFORE_BIRTH = _("The date of death %(date)s is before the birth date of %(name)s.")
ERROR_OTHER_DEATH = _(
    "%(name)s is already recorded as deceased on %(recorded)s, not on %(date)s; correct the "
    "record through a case."
)
ERROR_ALREADY_DECEASED = _("%(name)s is already recorded as deceased.")
ERROR_CHANGED = _("The pension of %(name)s changed since the case was made; make a new request.")


# --- selectors ---------------------------------------------------------------------------


def open_suspension(person: InsuredPerson) -> Suspension | None:
    """The person's open suspension: not resumed and not closed by a death."""
    return (
        Suspension.objects.filter(person=person, resumed_from__isnull=True)
        .exclude(details__has_key="closed_by_death")
        .first()
    )


def _pending(operation: str, target: Any) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        operation=operation,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(target),
        object_id=str(target.pk),
    ).first()


def _adjustments(person: InsuredPerson) -> list[tuple[Period, Decimal]]:
    """The person's adjustments in force: (effective from, monthly amount)."""
    return [
        (a.effective_from, a.monthly_amount)
        for a in PensionAdjustment.objects.filter(person=person, in_force=True)
    ]


def back_pay_months(
    determination: PensionDetermination,
    *,
    first: Period,
    last: Period,
    paid_through: Period | None,
) -> list[dict[str, Any]]:
    """The months ``first``..``last`` not yet paid (after ``paid_through``, from the first
    payable month, before the stop month), each with what it pays: the monthly pension
    plus every adjustment in force effective by that month (as the payroll pays it)."""
    adjustments = _adjustments(determination.person)
    start = max(first, determination.first_payable_month)
    if paid_through is not None:
        start = max(start, paid_through.next())
    months = []
    for month in Period.range(start, last):
        if determination.stop_month is not None and month >= determination.stop_month:
            break
        adjustment = sum((amount for since, amount in adjustments if month >= since), ZERO)
        months.append(
            {
                "month": str(month),
                "pension": str(determination.total),
                "adjustment": str(adjustment),
                "amount": str(round_fen(determination.total + adjustment)),
            }
        )
    return months


def overpayment_after_death(determination: PensionDetermination) -> dict[str, Any]:
    """What the approved payrolls paid for months from the stop month (死亡后多发).

    The posted lines of items pension and adjustment of runs approved, exported or
    closed: a line of period P with ``months`` k covers the k months P-k+1..P at
    ``amount / k`` each (exact: amount = monthly × months); only its months at or after
    ``stop_month`` count. ``{"months": ["2026-03", ...], "amount": Decimal, "lines":
    [{"line", "period", "item", "month", "amount"}, ...]}``. Nothing when the
    determination is not stopped.
    """
    result: dict[str, Any] = {"months": [], "amount": ZERO, "lines": []}
    stop = determination.stop_month
    if stop is None:
        return result
    lines = (
        PayrollLine.objects.filter(
            person_id=determination.person_id,
            posted=True,
            item__in=MONTHLY_ITEMS,
            period__gte=stop,
            run__status__in=PAID_RUN_STATUSES,
            run__dry_run=False,
        )
        .order_by("period", "item", "id")
        .only("id", "period", "item", "months", "amount")
    )
    months: set[Period] = set()
    total = ZERO
    for line in lines:
        k = max(line.months, 1)
        per_month = line.amount / k
        for i in range(k):
            month = line.period - (k - 1 - i)
            if month < stop:
                continue
            amount = round_fen(per_month)
            months.add(month)
            total += amount
            result["lines"].append(
                {
                    "line": line.pk,
                    "period": str(line.period),
                    "item": line.item,
                    "month": str(month),
                    "amount": str(amount),
                }
            )
    result["months"] = [str(m) for m in sorted(months)]
    result["amount"] = round_fen(total)
    return result


# --- suspension (暂停发放) -----------------------------------------------------------------


def suspension_request(
    *,
    actor: StaffUser,
    determination: PensionDetermination,
    reason: str,
    from_month: Period | str,
    note: str = "",
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose to suspend the payment of ``determination`` from ``from_month`` (the
    first month not paid) for ``reason`` (暂停发放申请), for a reviewer to approve.

    Refused, with nothing written: an unknown reason or death (a death is recorded by
    ``death_report_request``, which stops the payment); a determination superseded or
    not in payment; an open suspension of the person; a suspension case waiting; a
    month before the first payable month or after the current month (the payroll
    skips a suspended pension at once, so a suspension from a month to come would
    withhold the months before it). A month already paid may be given (the suspension
    then starts there; what was paid is not recovered here).
    """
    today = today or timezone.localdate()
    note = (note or "").strip()
    if reason not in SuspensionReason.values:
        raise InvalidInput(ERROR_UNKNOWN_REASON, code="unknown_reason", params={"reason": reason})
    if reason == SuspensionReason.DEATH:
        raise InvalidInput(ERROR_DEATH_REASON, code="death_not_suspension")
    if not note:
        raise InvalidInput(ERROR_REASON, code="reason_required")
    from_month = Period.parse(from_month)
    person = determination.person
    _check_suspendable(determination, from_month)
    current = Period.from_date(today)
    if from_month > current:
        raise InvalidInput(
            ERROR_SUSPEND_FUTURE,
            code="suspend_future",
            params={"month": from_month, "current": current},
        )
    pending = _pending(SUSPENSION, determination)
    if pending is not None:
        raise Conflict(
            ERROR_CASE_PENDING, code="case_pending", params={"name": person.name, "id": pending.pk}
        )
    back_pay = SUSPENSION_BACK_PAY[SuspensionReason(reason)]
    payload = {
        "determination_id": determination.pk,
        "person_id": person.pk,
        "person": person.name,
        "reason": reason,
        "from_month": str(from_month),
        "back_pay": back_pay,
        "monthly_pension": str(determination.total),
        "paid_through": str(determination.paid_through) if determination.paid_through else None,
        "note": note,
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=SUSPENSION,
        agency=person.agency,
        summary=str(_("Suspend the pension of %(name)s from %(month)s: %(reason)s"))
        % {"name": person.name, "month": from_month, "reason": SuspensionReason(reason).label},
        payload=payload,
        target=determination,
        before={"status": determination.status},
        reason=note,
        attachments=attachments,
    )


def _check_suspendable(determination: PensionDetermination, from_month: Period) -> None:
    person = determination.person
    if (
        determination.superseded_by_id is not None
        or determination.status != DeterminationStatus.IN_PAYMENT
    ):
        raise Conflict(
            ERROR_NOT_IN_PAYMENT,
            code="not_in_payment",
            params={
                "name": person.name,
                "status": DeterminationStatus(determination.status).label,
            },
        )
    existing = open_suspension(person)
    if existing is not None:
        raise Conflict(
            ERROR_ALREADY_SUSPENDED,
            code="already_suspended",
            params={"name": person.name, "month": existing.from_month},
        )
    if from_month < determination.first_payable_month:
        raise InvalidInput(
            ERROR_FROM_BEFORE_PAYABLE,
            code="before_payable",
            params={
                "name": person.name,
                "first": determination.first_payable_month,
                "month": from_month,
            },
        )


def _apply_suspension(request: ApprovalRequest, checker: StaffUser) -> dict:
    """The approved suspension: the ``Suspension`` row, the determination suspended."""
    payload = request.payload
    determination = (
        PensionDetermination.objects.select_for_update()
        .select_related("person")
        .get(pk=payload["determination_id"])
    )
    from_month = Period.parse(payload["from_month"])
    _check_suspendable(determination, from_month)
    reason = str(_("Suspension case #%(id)s")) % {"id": request.pk}
    suspension = Suspension.objects.create(
        person=determination.person,
        determination=determination,
        reason=payload["reason"],
        note=payload["note"][:200],
        from_month=from_month,
        back_pay=payload["back_pay"],
        case=request,
        created_by=request.maker,
        details={
            "paid_through_at_suspension": str(determination.paid_through)
            if determination.paid_through
            else None,
        },
    )
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=suspension,
        after={
            "reason": suspension.reason,
            "from_month": str(from_month),
            "back_pay": suspension.back_pay,
            "case": request.pk,
        },
        reason=reason,
    )
    before = {"status": determination.status}
    determination.status = DeterminationStatus.SUSPENDED
    determination.save(update_fields=["status"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=determination,
        before=before,
        after={"status": determination.status},
        reason=reason,
    )
    return {"suspension": suspension.pk, "from_month": str(from_month)}


# --- resumption (恢复发放) -----------------------------------------------------------------


def _check_resumable(
    suspension: Suspension, resumed_from: Period, today: date
) -> PensionDetermination:
    person = suspension.person
    if suspension.resumed_from is not None or "closed_by_death" in (suspension.details or {}):
        raise Conflict(ERROR_NOT_OPEN, code="not_open", params={"name": person.name})
    determination = current_determination(person)
    if determination is None or determination.status != DeterminationStatus.SUSPENDED:
        status = determination.status if determination else DeterminationStatus.STOPPED
        raise Conflict(
            ERROR_NOT_SUSPENDED,
            code="not_suspended",
            params={"name": person.name, "status": DeterminationStatus(status).label},
        )
    if resumed_from < suspension.from_month:
        raise InvalidInput(
            ERROR_RESUME_NOT_AFTER,
            code="resume_not_after",
            params={"name": person.name, "from": suspension.from_month},
        )
    current = Period.from_date(today)
    if resumed_from > current:
        raise InvalidInput(
            ERROR_RESUME_FUTURE,
            code="resume_future",
            params={"month": resumed_from, "current": current},
        )
    return determination


def resumption_request(
    *,
    actor: StaffUser,
    suspension: Suspension,
    resumed_from: Period | str,
    note: str = "",
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose to resume a suspension from ``resumed_from`` (恢复发放申请), the first
    month paid again, for a reviewer to approve.

    Rules: the suspension is open (not resumed, not closed by a death) and the
    person's current determination suspended; ``resumed_from`` is not before the month
    suspended from (the same month: nothing was suspended, e.g. a certification the
    month the sweep suspended) and not after the current month (a resumption is decided on facts:
    a release, a certification; a month still to come is not resumed in advance). An
    earlier month than the current one is allowed: the regular payroll then pays the
    months from it that it has not paid. The request shows the back pay the approval
    would write (computed again on approval). One resumption case at a time.
    """
    today = today or timezone.localdate()
    note = (note or "").strip()
    if not note:
        raise InvalidInput(ERROR_REASON, code="reason_required")
    resumed_from = Period.parse(resumed_from)
    determination = _check_resumable(suspension, resumed_from, today)
    person = suspension.person
    pending = _pending(RESUMPTION, suspension)
    if pending is not None:
        raise Conflict(
            ERROR_CASE_PENDING, code="case_pending", params={"name": person.name, "id": pending.pk}
        )
    months = _due_months(suspension, determination, resumed_from)
    amount = sum((Decimal(m["amount"]) for m in months), ZERO)
    payload = {
        "suspension_id": suspension.pk,
        "determination_id": determination.pk,
        "person_id": person.pk,
        "person": person.name,
        "reason": suspension.reason,
        "from_month": str(suspension.from_month),
        "resumed_from": str(resumed_from),
        "back_pay": suspension.back_pay,
        "back_pay_months": len(months),
        "back_pay_amount": str(amount),
        "note": note,
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=RESUMPTION,
        agency=person.agency,
        summary=str(_("Resume the pension of %(name)s from %(month)s"))
        % {"name": person.name, "month": resumed_from},
        payload=payload,
        target=suspension,
        before={"status": determination.status, "from_month": str(suspension.from_month)},
        amount=amount if months else None,
        reason=note,
        attachments=attachments,
    )


def _due_months(
    suspension: Suspension, determination: PensionDetermination, resumed_from: Period
) -> list[dict[str, Any]]:
    """The months to back-pay on resumption: every month up to ``resumed_from`` - 1 not
    yet paid, from the first payable month; of them, the suspended months (from
    ``from_month``) only when the reason allows back pay. Months before ``from_month``
    not yet paid (entitled, but skipped because the pension was suspended when their
    payroll ran) are always paid."""
    months = back_pay_months(
        determination,
        first=determination.first_payable_month,
        last=resumed_from.prev(),
        paid_through=determination.paid_through,
    )
    if not suspension.back_pay:
        months = [m for m in months if Period.parse(m["month"]) < suspension.from_month]
    return months


def _apply_resumption(request: ApprovalRequest, checker: StaffUser) -> dict:
    """The approved resumption: the suspension resumed, the determination in payment,
    ``paid_through`` raised (never lowered) to the month before the resumption, the
    back pay as one ``PayrollDue`` (source ``suspension:<id>``)."""
    payload = request.payload
    suspension = (
        Suspension.objects.select_for_update().select_related("person").get(
            pk=payload["suspension_id"]
        )
    )  # fmt: skip
    resumed_from = Period.parse(payload["resumed_from"])
    determination = _check_resumable(
        suspension, resumed_from, max(timezone.localdate(), resumed_from.first_day)
    )
    determination = PensionDetermination.objects.select_for_update().get(pk=determination.pk)
    reason = str(_("Resumption case #%(id)s")) % {"id": request.pk}
    months = _due_months(suspension, determination, resumed_from)
    amount = round_fen(sum((Decimal(m["amount"]) for m in months), ZERO))

    suspension.resumed_from = resumed_from
    suspension.resumption_case = request
    suspension.details = {**(suspension.details or {}), "resumed_by": checker.pk}
    suspension.save(update_fields=["resumed_from", "resumption_case", "details"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=suspension,
        before={"resumed_from": None},
        after={"resumed_from": str(resumed_from), "case": request.pk},
        reason=reason,
    )
    before = {
        "status": determination.status,
        "paid_through": str(determination.paid_through) if determination.paid_through else None,
    }
    determination.status = DeterminationStatus.IN_PAYMENT
    last_not_paid = resumed_from.prev()
    if determination.paid_through is None or determination.paid_through < last_not_paid:
        determination.paid_through = last_not_paid
    determination.save(update_fields=["status", "paid_through"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=determination,
        before=before,
        after={"status": determination.status, "paid_through": str(determination.paid_through)},
        reason=reason,
    )
    due = None
    if months and amount > 0:
        due = PayrollDue.objects.create(
            person=suspension.person,
            determination=determination,
            item=PayrollItem.BACK_PAY,
            amount=amount,
            from_month=Period.parse(months[0]["month"]),
            to_month=Period.parse(months[-1]["month"]),
            months=len(months),
            source=f"suspension:{suspension.pk}",
            reason=(
                str(_("Back pay of the months not paid, suspended from %(month)s"))
                % {"month": suspension.from_month}
            )[:200],
            details={
                "suspension": suspension.pk,
                "reason": suspension.reason,
                "from_month": str(suspension.from_month),
                "resumed_from": str(resumed_from),
                "back_pay": suspension.back_pay,
                "paid_through": before["paid_through"],
                "months": months,
                "amount": str(amount),
            },
            created_by=checker,
        )
        changelog.record(
            actor=checker,
            action=ChangeAction.CREATE,
            instance=due,
            after={"item": due.item, "amount": amount, "months": len(months)},
            reason=reason,
        )
    return {
        "suspension": suspension.pk,
        "resumed_from": str(resumed_from),
        "paid_through": str(determination.paid_through),
        "due": due.pk if due else None,
        "back_pay_amount": str(amount if due else ZERO),
    }


# --- death (死亡停发) -----------------------------------------------------------------------


@transaction.atomic
def record_death(
    *,
    actor: StaffUser | None,
    person: InsuredPerson,
    death_date: date,
    source: str,
    reason: str,
    today: date | None = None,
) -> PensionDetermination | None:
    """Record the death of ``person`` on ``death_date`` (死亡停发): the person becomes
    deceased; the current determination, if any, is stopped from the month after the
    death (``stop_month``; the month of death is paid); an open suspension is closed
    (``details["closed_by_death"]``, not resumed). ``source`` says where the death is
    known from (``case:12``, ``data_match:3``); the death is kept in the
    determination's ``inputs["death"]``. Returns the determination (None without one).

    Idempotent: the same death recorded again changes nothing. Refused: a date after
    today or before the birth date; a person already recorded as deceased on another
    date (or, without a determination, at all).
    """
    today = today or timezone.localdate()
    reason = (reason or "").strip() or str(_("Death on %(date)s")) % {"date": death_date}
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    if death_date > today:
        raise InvalidInput(
            ERROR_DEATH_FUTURE, code="death_future", params={"date": death_date.isoformat()}
        )
    if death_date < person.birth_date:
        raise InvalidInput(
            ERROR_DEATH_BEFORE_BIRTH,
            code="death_before_birth",
            params={"date": death_date.isoformat(), "name": person.name},
        )
    determination = (
        PensionDetermination.objects.select_for_update()
        .filter(person=person, superseded_by__isnull=True)
        .first()
    )
    stop_month = Period.from_date(death_date).next()
    if person.status == PersonStatus.DECEASED:
        recorded = (determination.inputs or {}).get("death") if determination else None
        if recorded is None:
            if determination is None:
                return None  # nothing to stop: the same death (or one recorded elsewhere)
            raise Conflict(
                ERROR_ALREADY_DECEASED, code="already_deceased", params={"name": person.name}
            )
        if recorded.get("date") == death_date.isoformat():
            return determination
        raise Conflict(
            ERROR_OTHER_DEATH,
            code="other_death_date",
            params={"name": person.name, "recorded": recorded.get("date"), "date": death_date},
        )
    death = {
        "date": death_date.isoformat(),
        "source": source,
        "reason": reason,
        "recorded_by": actor.pk if actor is not None and actor.pk else None,
        "recorded_on": today.isoformat(),
    }
    if determination is not None:
        before = {
            "status": determination.status,
            "stop_month": str(determination.stop_month) if determination.stop_month else None,
        }
        determination.status = DeterminationStatus.STOPPED
        determination.stop_month = stop_month
        determination.inputs = {**(determination.inputs or {}), "death": death}
        determination.save(update_fields=["status", "stop_month", "inputs"])
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=determination,
            before=before,
            after={"status": determination.status, "stop_month": str(stop_month), "death": death},
            reason=reason,
        )
    suspension = open_suspension(person)
    if suspension is not None:
        suspension.details = {
            **(suspension.details or {}),
            "closed_by_death": {"date": death_date.isoformat(), "source": source},
        }
        suspension.save(update_fields=["details"])
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=suspension,
            before={"open": True},
            after={"open": False, "closed_by_death": death_date.isoformat()},
            reason=reason,
        )
    # an employee is assessed up to the month of death, never after
    person_status_change(
        actor=actor,
        person=person,
        status=PersonStatus.DECEASED,
        reason=reason,
        stop=Period.from_date(death_date).next(),
    )
    return determination


def death_report_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    death_date: date,
    reason: str,
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose to record a death reported at the hall (死亡登记), with its evidence (the
    death certificate as an attachment), for a reviewer to approve; the approval calls
    ``record_death``. Refused: a date after today or before the birth date, a person
    already deceased, a death case waiting."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(ERROR_REASON, code="reason_required")
    if death_date > today:
        raise InvalidInput(
            ERROR_DEATH_FUTURE, code="death_future", params={"date": death_date.isoformat()}
        )
    if death_date < person.birth_date:
        raise InvalidInput(
            ERROR_DEATH_BEFORE_BIRTH,
            code="death_before_birth",
            params={"date": death_date.isoformat(), "name": person.name},
        )
    if person.status == PersonStatus.DECEASED:
        raise Conflict(
            ERROR_ALREADY_DECEASED, code="already_deceased", params={"name": person.name}
        )
    pending = _pending(DEATH, person)
    if pending is not None:
        raise Conflict(
            ERROR_CASE_PENDING, code="case_pending", params={"name": person.name, "id": pending.pk}
        )
    determination = current_determination(person)
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "death_date": death_date.isoformat(),
        "determination_id": determination.pk if determination else None,
        "stop_month": str(Period.from_date(death_date).next()),
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=DEATH,
        agency=person.agency,
        summary=str(_("Death of %(name)s on %(date)s"))
        % {"name": person.name, "date": death_date.isoformat()},
        payload=payload,
        target=person,
        before={"status": person.status},
        reason=reason,
        attachments=attachments,
    )


def _apply_death(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = InsuredPerson.objects.get(pk=payload["person_id"])
    death_date = date.fromisoformat(payload["death_date"])
    determination = record_death(
        actor=checker,
        person=person,
        death_date=death_date,
        source=f"case:{request.pk}",
        reason=str(_("Death case #%(id)s")) % {"id": request.pk},
        today=max(timezone.localdate(), death_date),
    )
    return {
        "determination": determination.pk if determination else None,
        "stop_month": str(determination.stop_month) if determination else None,
    }


FIELD_LABELS = {
    "determination_id": _("Determination"),
    "suspension_id": _("Suspension"),
    "person_id": _("Insured person"),
    "person": _("Full name"),
    "reason": _("Reason"),
    "from_month": _("Suspended from"),
    "resumed_from": _("Resumed from"),
    "back_pay": _("Suspended months back-paid"),
    "back_pay_months": _("Months back-paid"),
    "back_pay_amount": _("Back pay"),
    "monthly_pension": _("Monthly pension"),
    "paid_through": _("Paid through"),
    "note": _("Note"),
    "death_date": _("Date of death"),
    "stop_month": _("Stopped from"),
}


def _show(field: str, value: Any) -> str:
    if field == "reason" and value in SuspensionReason.values:
        return str(SuspensionReason(value).label)
    if field == "back_pay":
        return str(_("Yes") if value else _("No"))
    return str(value)


approvals.register_operation(
    SUSPENSION,
    label=_("Suspension of payment"),
    apply=_apply_suspension,
    field_labels=FIELD_LABELS,
    display=_show,
)
approvals.register_operation(
    RESUMPTION,
    label=_("Resumption of payment"),
    apply=_apply_resumption,
    field_labels=FIELD_LABELS,
    display=_show,
)
approvals.register_operation(
    DEATH,
    label=_("Death report"),
    apply=_apply_death,
    field_labels=FIELD_LABELS,
    display=_show,
)
