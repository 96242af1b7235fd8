"""Contribution cases (§7.4): back-payments, base corrections, refunds, and the
retirement-age shortfall with its one-time top-up (DESIGN §5.2, §2.4).

Every case is maker-checker: the request computes the lines and keeps them, with the
inputs and the parameter versions, as its payload; nothing is written until a
reviewer of the owning agency approves. The approval then writes exactly the lines
of the payload (posted, pointing at the case) and the bills, after checking that the
months still stand as they did when the case was made. Cases never edit an earlier
line: they add lines of their own kind (``adjusts`` points at the month's line).

Sign and bills: a bill can only hold a non-negative total, so a case whose net
difference for a period is negative (a correction downwards, a refund) writes its
negative lines and no bill: the approved case is the order to pay the money back, and
its ``result`` lists the amounts owed back. An approved refund writes a payment
instruction (``pension.payments``) to the payer's account, so the money really goes
out with the next payroll of the payer's region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions import bases, calc
from contributions.choices import BaseBasis, BillStatus, LineKind
from contributions.models import Bill, ContributionLine, ExtendedContribution
from contributions.selectors import paid_months
from enrollment.models import Employer, InsuredPerson
from pension import approvals, changelog
from pension.choices import InstructionPurpose
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ChangeAction, StaffUser
from pension.money import round_fen
from pension.payments import payment_instruction_create
from pension.periods import Period
from pension.policy import StatutoryRetirement, minimum_contribution_months, statutory_retirement
from pension.selectors import policy_value

__all__ = [
    "BACK_PAYMENT",
    "BASE_CORRECTION",
    "EXTENDED_CONTRIBUTION",
    "REFUND",
    "TOP_UP",
    "TOP_UP_INSURED_BEFORE",
    "Shortfall",
    "back_payment_request",
    "base_correction_request",
    "contributed_months",
    "contribution_shortfall",
    "extended_contribution_request",
    "refund_request",
    "top_up_request",
]

BACK_PAYMENT = "contributions.back_payment"
BASE_CORRECTION = "contributions.base_correction"
REFUND = "contributions.refund"
TOP_UP = "contributions.top_up"

# a one-time top-up is open to people first insured before the Social Insurance Law
TOP_UP_INSURED_BEFORE = date(2011, 7, 1)
EXTENDED_CONTRIBUTION = "contributions.extended_contribution"
# §7.4.4: 社会保险法实施前参保、延长缴费5年后仍不足15年的，可以一次性缴费至满15年
EXTENSION_MONTHS_BEFORE_TOP_UP = 60
# kinds of line that make a month count as contributed
CONTRIBUTED_KINDS = (LineKind.REGULAR, LineKind.BACK_PAYMENT, LineKind.TOP_UP)
# kinds of line that are a month's original contribution, adjusted by later cases
ORIGINAL_KINDS = (LineKind.REGULAR, LineKind.BACK_PAYMENT)
ZERO = Decimal("0.00")


# --- shared helpers ----------------------------------------------------------------


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(_("Give the reason for the case."), code="reason_required")
    return reason.strip()


def _policy(key: str, *, on: date, region: Any) -> Any:
    try:
        return policy_value(key, on=on, region=region)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], code="parameter_missing") from None


def rates_for(region: Any) -> Callable[[Period], calc.Rates]:
    """The employee rates in force in a period (employer 20 % before 2019-05, 16 % from)."""

    def lookup(period: Period) -> calc.Rates:
        values = [
            _policy(key, on=period.first_day, region=region)
            for key in (
                "contribution.employer_rate",
                "contribution.individual_rate",
                "contribution.account_rate",
            )
        ]
        return calc.Rates(
            employer_rate=values[0].value,
            individual_rate=values[1].value,
            account_rate=values[2].value,
            sources=tuple(v.reference for v in values),
        )

    return lookup


def _line_json(
    period: Period,
    line: calc.ContributionLine,
    *,
    adjusts: int | None = None,
    sources: Sequence[str] = (),
    was: bases.MonthLine | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "period": str(period),
        "base": str(line.base),
        "employer_rate": str(line.employer_rate),
        "individual_rate": str(line.individual_rate),
        "account_rate": str(line.account_rate),
        "employer_amount": str(line.employer_amount),
        "individual_amount": str(line.individual_amount),
        "account_credit": str(line.account_credit),
    }
    if adjusts is not None:
        data["adjusts"] = adjusts
    if sources:
        data["sources"] = list(sources)
    if was is not None:
        # the month as it stood when the case was made: checked again on approval
        data["was"] = [
            str(was.base),
            str(was.employer_amount),
            str(was.individual_amount),
            str(was.account_credit),
        ]
    return data


def _totals(lines: Iterable[dict[str, Any]]) -> dict[str, str]:
    items = list(lines)
    employer = sum((Decimal(x["employer_amount"]) for x in items), ZERO)
    individual = sum((Decimal(x["individual_amount"]) for x in items), ZERO)
    account = sum((Decimal(x["account_credit"]) for x in items), ZERO)
    return {
        "employer_total": str(employer),
        "individual_total": str(individual),
        "account_total": str(account),
        "total": str(employer + individual),
    }


def _employer_text(employer: Employer | None) -> str:
    return str(employer) if employer is not None else str(_("(flexible contributor)"))


def _taken_periods(person_id: int, periods: Iterable[Period]) -> dict[Period, int | None]:
    """Periods (of ``periods``) that already count as contributed, with the payer."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    refunded = ContributionLine.objects.filter(
        person_id=person_id, posted=True, kind=LineKind.REFUND
    ).values("adjusts_id")
    return dict(
        ContributionLine.objects.filter(
            person_id=person_id,
            posted=True,
            kind__in=CONTRIBUTED_KINDS,
            period__in=wanted,
        )
        .exclude(pk__in=refunded)
        .values_list("period", "employer_id")
    )


def _months(
    person_id: int, employer_id: int | None, periods: Iterable[Period]
) -> dict[Period, bases.MonthLine]:
    """Each period's original line (regular or back-payment) as it stands now."""
    rows = ContributionLine.objects.filter(
        person_id=person_id,
        employer_id=employer_id,
        posted=True,
        kind__in=ORIGINAL_KINDS,
        period__in=sorted(set(periods)),
    ).values_list(*bases.LINE_FIELDS)
    months: dict[Period, bases.MonthLine] = {}
    for month in bases.effective_months(rows):
        if month.period in months:  # a month back-paid and assessed: keep the first
            continue
        months[month.period] = month
    return months


def _still_as_was(month: bases.MonthLine | None, was: list[str]) -> bool:
    if month is None or month.refunded:
        return False
    now = [month.base, month.employer_amount, month.individual_amount, month.account_credit]
    return [Decimal(v) for v in was] == now


def _write_lines(
    request: ApprovalRequest,
    *,
    kind: str,
    person_id: int,
    employer_id: int | None,
    lines: list[dict[str, Any]],
    base_record_id: int | None = None,
) -> list[ContributionLine]:
    objects = []
    for data in lines:
        line = ContributionLine(
            case=request,
            posted=True,
            period=Period.parse(data["period"]),
            person_id=person_id,
            employer_id=employer_id,
            kind=kind,
            base_record_id=base_record_id,
            base=Decimal(data["base"]),
            employer_rate=Decimal(data["employer_rate"]),
            individual_rate=Decimal(data["individual_rate"]),
            account_rate=Decimal(data["account_rate"]),
            employer_amount=Decimal(data["employer_amount"]),
            individual_amount=Decimal(data["individual_amount"]),
            account_credit=Decimal(data["account_credit"]),
            adjusts_id=data.get("adjusts"),
        )
        line.full_clean(exclude=["case", "person", "employer", "base_record", "adjusts"])
        objects.append(line)
    return ContributionLine.objects.bulk_create(objects)


def _write_bills(
    request: ApprovalRequest,
    *,
    kind: str,
    employer: Employer | None,
    person: InsuredPerson,
    lines: list[ContributionLine],
    due: date | Callable[[Period], date],
    period: Period | None = None,
) -> tuple[list[Bill], list[dict[str, str]]]:
    """A bill per period (or one bill for ``period``) with a positive net total, due on
    ``due`` (a day, or the day for each period), issued today; the negative ones are
    returned as amounts owed back."""
    today = timezone.localdate()
    groups: dict[Period, list[ContributionLine]] = {}
    for line in lines:
        groups.setdefault(period or line.period, []).append(line)
    bills: list[Bill] = []
    owed_back: list[dict[str, str]] = []
    for billed_period, group in sorted(groups.items()):
        employer_amount = sum((x.employer_amount for x in group), ZERO)
        individual_amount = sum((x.individual_amount for x in group), ZERO)
        total = employer_amount + individual_amount
        if total < 0:
            owed_back.append({"period": str(billed_period), "amount": str(total)})
            continue
        if total == 0:
            continue
        bill = Bill(
            case=request,
            posted=True,
            period=billed_period,
            kind=kind,
            employer=employer,
            person=None if employer is not None else person,
            line_count=len(group),
            employer_amount=employer_amount,
            individual_amount=individual_amount,
            total=total,
            due_date=due(billed_period) if callable(due) else due,
            issued_on=today,
            paid_amount=ZERO,
            status=BillStatus.OPEN,
            region_id=employer.region_id if employer is not None else person.region_id,
        )
        bill.full_clean(exclude=["case", "employer", "person", "region"])
        bills.append(bill)
    return Bill.objects.bulk_create(bills), owed_back


def original_due_date(region: Any) -> Callable[[Period], date]:
    """A period's own due date (the payment due day of the month after it): a
    back-payment or correction of an old month is owed from then, so its late fee
    runs from there (社会保险法 art. 86; DESIGN §5.2)."""

    def due(period: Period) -> date:
        return bases.due_date_after(period.first_day, region=region)

    return due


def _locked_person(person_id: int) -> InsuredPerson:
    """Cases of one person are applied one at a time."""
    return InsuredPerson.objects.select_for_update().get(pk=person_id)


def _employer_of(payload: dict[str, Any]) -> Employer | None:
    employer_id = payload.get("employer_id")
    return Employer.objects.get(pk=employer_id) if employer_id else None


def _record(
    checker: StaffUser, request: ApprovalRequest, person: InsuredPerson, after: dict
) -> None:
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=person,
        after={"case": request.pk, "operation": request.operation, **after},
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )


# --- back-payment (补缴) -------------------------------------------------------------


def _limits_on_record(year: int, region: Any) -> bases.YearLimits | None:
    """The year's own limits, when they are on record (not an earlier year's)."""
    try:
        limits = bases.year_limits(year, region=region)
    except InvalidInput:
        return None
    return None if limits.provisional else limits


def back_payment_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    employer: Employer,
    periods_and_bases: Iterable[tuple[Period | str | int, Decimal | str | int]],
    reason: str,
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose a back-payment (补缴, §7.4.1) for months an employer missed.

    Each month is computed with ``calc.back_payment`` at the rates in force in that
    month (``policy_value(..., on=period.first_day)``: employer 20 % up to 2019-04, 16 %
    from 2019-05). Refused: months not yet past, months that already count as
    contributed for the person (a posted regular, back-payment or top-up line, by any
    payer: one contributing employment at a time), and bases outside the limits of
    their year where those are on record. The request's amount is the total, so the
    approval thresholds apply.
    """
    reason = _reason(reason)
    today = today or timezone.localdate()
    items: list[tuple[Period, Decimal]] = []
    for period, base in periods_and_bases:
        try:
            parsed = Period.parse(period)
        except (TypeError, ValueError) as error:
            raise InvalidInput(str(error), code="invalid_period") from None
        items.append((parsed, bases.parse_amount(base, "base")))
    if not items:
        raise InvalidInput(_("Give the months to back-pay."), code="no_periods")
    periods = [p for p, _ in items]
    if len(set(periods)) != len(periods):
        raise InvalidInput(_("A month appears twice."), code="duplicate_period")
    current = Period.from_date(today)
    for period in periods:
        if period >= current:
            raise InvalidInput(
                _("A back-payment is for past months; %(period)s is not past."),
                code="period_not_past",
                params={"period": period},
            )
    taken = _taken_periods(person.pk, periods)
    if taken:
        first = min(taken)
        raise Conflict(
            _("%(period)s already counts as contributed for %(name)s; it cannot be back-paid."),
            code="period_already_contributed",
            params={"period": first, "name": person.name},
            details={"periods": [str(p) for p in sorted(taken)]},
        )
    limits_used: dict[str, str] = {}
    for period, base in items:
        limits = _limits_on_record(period.year, person.region)
        if limits is None:
            continue
        if not limits.floor_value <= base <= limits.ceiling_value:
            raise InvalidInput(
                _(
                    "The base %(base)s of %(period)s is outside the limits of %(year)s: "
                    "at least %(floor)s and at most %(ceiling)s."
                ),
                code="base_outside_limits",
                params={
                    "base": base,
                    "period": period,
                    "year": period.year,
                    "floor": limits.floor_value,
                    "ceiling": limits.ceiling_value,
                },
            )
        limits_used[str(period.year)] = f"{limits.floor.reference} {limits.ceiling.reference}"
    result = calc.back_payment(items, rates_for=rates_for(employer.region))
    lines = [
        _line_json(item.period, item.line, sources=item.rates.sources) for item in result.lines
    ]
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "employer_id": employer.pk,
        "employer": str(employer),
        "lines": lines,
        **_totals(lines),
        "limits": limits_used,
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=BACK_PAYMENT,
        agency=employer.agency,
        summary=str(_("Back-payment of %(name)s, %(first)s to %(last)s"))
        % {"name": person.name, "first": min(periods), "last": max(periods)},
        payload=payload,
        target=person,
        amount=result.total,
        reason=reason,
        attachments=attachments,
    )


def _apply_back_payment(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = _locked_person(payload["person_id"])
    employer = _employer_of(payload)
    periods = [Period.parse(x["period"]) for x in payload["lines"]]
    taken = _taken_periods(person.pk, periods)
    if taken:
        raise Conflict(
            _("%(period)s already counts as contributed for %(name)s; it cannot be back-paid."),
            code="period_already_contributed",
            params={"period": min(taken), "name": person.name},
        )
    lines = _write_lines(
        request,
        kind=LineKind.BACK_PAYMENT,
        person_id=person.pk,
        employer_id=employer.pk if employer else None,
        lines=payload["lines"],
    )
    bills, _owed = _write_bills(
        request,
        kind=LineKind.BACK_PAYMENT,
        employer=employer,
        person=person,
        lines=lines,
        due=original_due_date(employer.region if employer else person.region),
    )
    result = {
        "lines": [x.pk for x in lines],
        "bills": [x.pk for x in bills],
        "total": payload["total"],
    }
    _record(checker, request, person, result)
    return result


# --- base correction (缴费基数更正) ---------------------------------------------------


def base_correction_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    employer: Employer | None,
    year: int,
    wage: Decimal | str | int,
    reason: str,
    basis: str = BaseBasis.PRIOR_YEAR_AVERAGE,
    attachments: Iterable = (),
    as_of: date | None = None,
) -> ApprovalRequest:
    """Propose a corrected base for a year whose months are assessed (§7.4.2).

    The new base is the wage clamped to the year's limits (an employee), or a chosen
    base that must lie within them (``employer`` None: a flexible contributor). For each
    assessed month of the year (as it stands, with earlier adjustments; refunded months
    left alone) a BASE_CORRECTION line with the difference at the month's own rates,
    pointing at the month's line. On approval the base row is superseded by the
    corrected one and the lines are written; a bill per period with a positive
    difference, due on the month's own due date (its late fee runs from there).
    """
    reason = _reason(reason)
    year = bases.parse_year(year)
    wage = bases.parse_amount(wage, "wage")
    limits = bases.year_limits(year, region=person.region, as_of=as_of)
    if employer is None:
        bases.require_within_limits(wage, limits=limits, year=year)
        basis = BaseBasis.SELF_DECLARED
    determination = calc.clamp_base(
        wage,
        floor=limits.floor_value,
        ceiling=limits.ceiling_value,
        basis=calc.BaseBasis(str(basis)),
    )
    first, last = Period(year, 1), Period(year, 12)
    months = [
        m
        for m in _months(
            person.pk, employer.pk if employer else None, Period.range(first, last)
        ).values()
        if not m.refunded
    ]
    if not months:
        raise InvalidInput(
            _("No month of %(year)s is assessed for %(name)s; declare the base instead."),
            code="nothing_assessed",
            params={"year": year, "name": person.name},
        )
    lines = []
    for month in sorted(months, key=lambda m: m.period):
        diff = bases.difference_line(month, determination.base)
        if diff is not None:
            lines.append(_line_json(month.period, diff, adjusts=month.id, was=month))
    current = bases.current_base(person, year=year, employer=employer)
    if not lines and current is not None and current.base == determination.base:
        raise InvalidInput(_("Nothing would change."), code="no_change")
    values = bases.base_values(determination, limits)
    totals = _totals(lines)
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "employer_id": employer.pk if employer else None,
        "employer": _employer_text(employer),
        "year": year,
        "base": str(determination.base),
        "declared_wage": str(determination.wage),
        "basis": str(determination.basis),
        "base_values": changelog.json_safe(values),
        "replaces": current.pk if current else None,
        "lines": lines,
        **totals,
    }
    before = {
        "base": str(current.base) if current else None,
        "declared_wage": str(current.declared_wage) if current else None,
        "basis": current.basis if current else None,
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=BASE_CORRECTION,
        agency=employer.agency if employer else person.agency,
        summary=str(_("Base correction of %(name)s for %(year)s"))
        % {"name": person.name, "year": year},
        payload=payload,
        before=before,
        target=person,
        amount=abs(Decimal(totals["total"])),
        reason=reason,
        attachments=attachments,
    )


def _stored_values(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    for key in ("declared_wage", "base", "floor", "ceiling"):
        values[key] = Decimal(values[key])
    return values


def _apply_base_correction(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = _locked_person(payload["person_id"])
    employer = _employer_of(payload)
    employer_id = employer.pk if employer else None
    periods = [Period.parse(x["period"]) for x in payload["lines"]]
    months = _months(person.pk, employer_id, periods)
    for data in payload["lines"]:
        month = months.get(Period.parse(data["period"]))
        if month is None or month.id != data["adjusts"] or not _still_as_was(month, data["was"]):
            raise Conflict(
                _("%(period)s changed since the case was made; make a new request."),
                code="month_changed",
                params={"period": data["period"]},
            )
    row = bases.base_store(
        actor=checker,
        person=person,
        employer=employer,
        year=payload["year"],
        values=_stored_values(payload["base_values"]),
        replaces=payload["replaces"],
        correction=True,
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )
    lines = _write_lines(
        request,
        kind=LineKind.BASE_CORRECTION,
        person_id=person.pk,
        employer_id=employer_id,
        lines=payload["lines"],
        base_record_id=row.pk,
    )
    bills, owed_back = _write_bills(
        request,
        kind=LineKind.BASE_CORRECTION,
        employer=employer,
        person=person,
        lines=lines,
        due=original_due_date(employer.region if employer else person.region),
    )
    result = {
        "base_record": row.pk,
        "lines": [x.pk for x in lines],
        "bills": [x.pk for x in bills],
        "owed_back": owed_back,
        "total": payload["total"],
    }
    _record(checker, request, person, result)
    return result


# --- refund (退费) -------------------------------------------------------------------


def _original_bill(month_line: ContributionLine) -> Bill | None:
    """The bill that charged a month's original line."""
    if month_line.kind == LineKind.BACK_PAYMENT:
        return Bill.objects.filter(
            case_id=month_line.case_id, period=month_line.period, kind=LineKind.BACK_PAYMENT
        ).first()
    payer = (
        Q(employer_id=month_line.employer_id)
        if month_line.employer_id
        else Q(person_id=month_line.person_id, employer__isnull=True)
    )
    return Bill.objects.filter(
        payer, period=month_line.period, kind=LineKind.REGULAR, posted=True
    ).first()


ERROR_REFUND_PAYEE = _(
    "Give the payee's name, bank and bank account the refund is paid to (the employer's "
    "own account for an employer's contributions)."
)


def _refund_payee(
    person: InsuredPerson, employer: Employer | None, name: str, bank: str, account: str
) -> dict[str, str]:
    """Who the refund is paid to: the payer. An employer's refund goes to the account
    given on the case; a flexible worker's, by default, to the person's own account."""
    name, bank, account = ((value or "").strip() for value in (name, bank, account))
    if employer is None and not bank and not account:
        bank, account = person.bank_name.strip(), person.bank_account.strip()
    payee = {
        "payee_name": name or (employer.name if employer is not None else person.name),
        "payee_bank": bank,
        "payee_account": account,
    }
    if not all(payee.values()):
        raise InvalidInput(
            ERROR_REFUND_PAYEE, code="payee_required", details={"field": "payee_account"}
        )
    return payee


def refund_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    employer: Employer | None,
    periods: Iterable[Period | str | int],
    reason: str,
    attachments: Iterable = (),
    payee_name: str = "",
    payee_bank: str = "",
    payee_account: str = "",
) -> ApprovalRequest:
    """Propose a refund (退费, §7.4.3) of months paid wrongly.

    For each month, a REFUND line with the month's amounts as they stand (the original
    line plus its corrections and adjustments) negated, pointing at the month's line.
    Refused: a month with nothing contributed, already refunded, or whose bill shows
    nothing paid; no payee account (``_refund_payee``). The request's amount is the
    refund's size (the total, as a positive number); no bill is written: the approved
    case writes a payment instruction (``pension.payments``) to the payee, which the
    next payroll of the payer's region carries to the bank.
    """
    reason = _reason(reason)
    wanted = sorted({Period.parse(p) for p in periods})
    if not wanted:
        raise InvalidInput(_("Give the months to refund."), code="no_periods")
    employer_id = employer.pk if employer else None
    months = _months(person.pk, employer_id, wanted)
    lines = []
    for period in wanted:
        month = months.get(period)
        if month is None:
            raise InvalidInput(
                _("Nothing was contributed for %(name)s in %(period)s by this payer."),
                code="nothing_contributed",
                params={"name": person.name, "period": period},
            )
        if month.refunded:
            raise Conflict(
                _("%(period)s has already been refunded."),
                code="already_refunded",
                params={"period": period},
            )
        bill = _original_bill(ContributionLine.objects.get(pk=month.id))
        if bill is not None and bill.status == BillStatus.OPEN:
            raise InvalidInput(
                _("Nothing has been paid for %(period)s; an unpaid month is not refunded."),
                code="not_paid",
                params={"period": period},
            )
        negated = calc.ContributionLine(
            kind=calc.LineKind.EMPLOYEE,
            base=-month.base,
            employer_rate=month.employer_rate,
            individual_rate=month.individual_rate,
            account_rate=month.account_rate,
            employer_amount=-month.employer_amount,
            individual_amount=-month.individual_amount,
            account_credit=-month.account_credit,
        )
        lines.append(_line_json(period, negated, adjusts=month.id, was=month))
    payee = _refund_payee(person, employer, payee_name, payee_bank, payee_account)
    totals = _totals(lines)
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "employer_id": employer_id,
        "employer": _employer_text(employer),
        "lines": lines,
        **totals,
        **payee,
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=REFUND,
        agency=employer.agency if employer else person.agency,
        summary=str(_("Refund to %(payer)s for %(name)s, %(first)s to %(last)s"))
        % {
            "payer": employer.name if employer else person.name,
            "name": person.name,
            "first": wanted[0],
            "last": wanted[-1],
        },
        payload=payload,
        target=person,
        amount=abs(Decimal(totals["total"])),
        reason=reason,
        attachments=attachments,
    )


def _apply_refund(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = _locked_person(payload["person_id"])
    employer = _employer_of(payload)
    employer_id = employer.pk if employer else None
    months = _months(person.pk, employer_id, [Period.parse(x["period"]) for x in payload["lines"]])
    for data in payload["lines"]:
        month = months.get(Period.parse(data["period"]))
        if month is None or month.id != data["adjusts"] or not _still_as_was(month, data["was"]):
            raise Conflict(
                _("%(period)s changed since the case was made; make a new request."),
                code="month_changed",
                params={"period": data["period"]},
            )
    lines = _write_lines(
        request,
        kind=LineKind.REFUND,
        person_id=person.pk,
        employer_id=employer_id,
        lines=payload["lines"],
    )
    amount = -Decimal(payload["total"])
    instruction = payment_instruction_create(
        actor=checker,
        purpose=InstructionPurpose.REFUND,
        source=f"{REFUND}:{request.pk}",
        region=employer.region_id if employer is not None else person.region_id,
        target=person,
        payee_name=payload["payee_name"],
        bank_name=payload["payee_bank"],
        bank_account=payload["payee_account"],
        amount=amount,
        case=request,
        details={
            "periods": [x["period"] for x in payload["lines"]],
            "employer_amount": str(-Decimal(payload["employer_total"])),
            "individual_amount": str(-Decimal(payload["individual_total"])),
        },
    )
    result = {
        "lines": [x.pk for x in lines],
        "refund_total": payload["total"],
        "payment_instruction": instruction.pk,
    }
    _record(checker, request, person, result)
    return result


# --- the minimum contribution months (§7.4.4) -------------------------------------


def contributed_months(person: InsuredPerson | int, *, until: Period | None = None) -> int:
    """Months contributed and paid (实缴月数, ``selectors.paid_months``): distinct
    periods of paid regular, back-payment and top-up lines (any payer), refunded lines
    not counted, plus months transferred in from another province; deemed months are
    not included. Months assessed but not paid do not count (DESIGN §5.2)."""
    person_id = person if isinstance(person, int) else person.pk
    return paid_months(person_id, until=until.as_int if until is not None else None)


@dataclass(frozen=True)
class Shortfall:
    """How far a person is from the minimum contribution months (§7.4.4), and the
    one-time top-up that would close the gap, with every input kept."""

    person_id: int
    on: date
    retirement: StatutoryRetirement
    reached: bool  # statutory age reached on ``on``
    minimum_months: int
    contributed_months: int
    deemed_months: int
    missing_months: int
    first_insured_date: date | None
    top_up_allowed: bool
    top_up_base: Decimal | None  # the year's floor on ``on``
    top_up_rate: Decimal | None  # flexible rate, 20 %
    top_up_account_rate: Decimal | None
    top_up_monthly: Decimal | None  # round_fen(base × rate)
    top_up_monthly_credit: Decimal | None
    top_up_amount: Decimal | None  # monthly × missing months
    references: tuple[str, ...]
    # extended contribution (延长缴费): its first month, and the months paid since
    extended_from: Period | None = None
    extended_months: int = 0

    @property
    def total_months(self) -> int:
        return self.contributed_months + self.deemed_months


def contribution_shortfall(person: InsuredPerson, *, on: date) -> Shortfall:
    """The retirement-age shortfall of ``person`` as of ``on``.

    Months contributed and paid (``contributed_months``) + deemed months, against the
    minimum for the year the person reaches statutory age. A one-time top-up is open
    to people first insured before 2011-07-01; its amount is stated as the flexible
    rate (``contribution.flexible_rate``, 20 %) × the floor of ``on``'s year (the
    lowest base allowed, as published on ``on``) × the missing months, computed per
    month and rounded to the fen (``calc.flexible_line``), the account credited with
    ``contribution.flexible_account_rate`` (8 %) of the base.
    """
    age_table = _policy("benefits.retirement_age", on=on, region=person.region)
    retirement = statutory_retirement(
        person.birth_date,
        sex=person.sex,
        occupation_kind=person.occupation_kind,
        table=age_table.value,
    )
    minimum_table = _policy(
        "benefits.minimum_contribution_months",
        on=max(date(retirement.month.year, 1, 1), date(1998, 1, 1)),
        region=person.region,
    )
    minimum = minimum_contribution_months(retirement.month.year, minimum_table.value)
    contributed = contributed_months(person, until=Period.from_date(on))
    missing = max(0, minimum - contributed - person.deemed_months)
    references = [age_table.reference, minimum_table.reference]
    extension = ExtendedContribution.objects.filter(person_id=person.pk).first()
    extended_months = 0
    if extension is not None:
        extended_months = max(
            0, contributed - contributed_months(person, until=extension.start - 1)
        )
    allowed = (
        missing > 0
        and person.first_insured_date is not None
        and person.first_insured_date < TOP_UP_INSURED_BEFORE
        and extended_months >= EXTENSION_MONTHS_BEFORE_TOP_UP
    )
    base = rate = account_rate = monthly = credit = amount = None
    if missing > 0:
        try:
            limits = bases.year_limits(on.year, region=person.region, as_of=on)
        except InvalidInput:
            limits = None
        if limits is not None:
            rate_value = _policy("contribution.flexible_rate", on=on, region=person.region)
            account_value = _policy(
                "contribution.flexible_account_rate", on=on, region=person.region
            )
            base = round_fen(limits.floor_value)
            rate, account_rate = rate_value.value, account_value.value
            line = calc.flexible_line(base, rate=rate, account_rate=account_rate)
            monthly, credit = line.individual_amount, line.account_credit
            amount = monthly * missing
            references += [limits.floor.reference, rate_value.reference, account_value.reference]
    return Shortfall(
        person_id=person.pk,
        on=on,
        retirement=retirement,
        reached=retirement.day <= on,
        minimum_months=minimum,
        contributed_months=contributed,
        deemed_months=person.deemed_months,
        missing_months=missing,
        first_insured_date=person.first_insured_date,
        top_up_allowed=allowed,
        top_up_base=base,
        top_up_rate=rate,
        top_up_account_rate=account_rate,
        top_up_monthly=monthly,
        top_up_monthly_credit=credit,
        top_up_amount=amount,
        references=tuple(references),
        extended_from=extension.start if extension is not None else None,
        extended_months=extended_months,
    )


def _top_up_periods(person: InsuredPerson, count: int, *, before: Period) -> list[Period]:
    """``count`` months without a contribution, going back from the month before
    ``before``, not earlier than the month the person turned 16."""
    earliest = Period(person.birth_date.year + 16, person.birth_date.month)
    taken = set(
        ContributionLine.objects.filter(
            person=person, posted=True, kind__in=CONTRIBUTED_KINDS, period__lt=before
        ).values_list("period", flat=True)
    )
    found: list[Period] = []
    period = before - 1
    while len(found) < count and period >= earliest:
        if period not in taken:
            found.append(period)
        period = period - 1
    if len(found) < count:
        raise InvalidInput(
            _("There are not enough months without contributions to place the top-up."),
            code="no_room_for_top_up",
        )
    return sorted(found)


def top_up_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    reason: str,
    attachments: Iterable = (),
    on: date | None = None,
) -> ApprovalRequest:
    """Propose the one-time top-up (一次性补缴, §7.4.4) of the missing months.

    The amount and its inputs are those of ``contribution_shortfall`` on ``on`` (today).
    The months are placed on the latest months without contributions before the
    statutory retirement month (or before this month, when that is later); on approval
    a TOP_UP line per month (the whole amount the person's, as for flexible workers)
    and one bill for the total, due on the day of approval.
    """
    reason = _reason(reason)
    on = on or timezone.localdate()
    shortfall = contribution_shortfall(person, on=on)
    if shortfall.missing_months == 0:
        raise InvalidInput(
            _("%(name)s has the minimum contribution months; there is nothing to top up."),
            code="no_shortfall",
            params={"name": person.name},
        )
    insured_before = (
        person.first_insured_date is not None and person.first_insured_date < TOP_UP_INSURED_BEFORE
    )
    if insured_before and shortfall.extended_from is None:
        raise InvalidInput(
            _(
                "A one-time top-up follows 60 months of extended contribution; %(name)s has "
                "no extended contribution on record."
            ),
            code="no_extended_contribution",
            params={"name": person.name},
        )
    if insured_before and shortfall.extended_months < EXTENSION_MONTHS_BEFORE_TOP_UP:
        raise InvalidInput(
            _(
                "A one-time top-up follows 60 months of extended contribution; %(name)s has "
                "paid %(months)s since %(start)s."
            ),
            code="extension_too_short",
            params={
                "name": person.name,
                "months": shortfall.extended_months,
                "start": str(shortfall.extended_from),
            },
        )
    if not shortfall.top_up_allowed:
        raise InvalidInput(
            _(
                "A one-time top-up is open only to people first insured before 2011-07-01; "
                "%(name)s can contribute on until the minimum is reached."
            ),
            code="top_up_not_allowed",
            params={"name": person.name},
        )
    if shortfall.top_up_amount is None:
        raise InvalidInput(
            _("No contribution base limits are on record for %(year)s."),
            code="limits_missing",
            params={"year": on.year},
        )
    before = min(shortfall.retirement.month, Period.from_date(on))
    periods = _top_up_periods(person, shortfall.missing_months, before=before)
    line = calc.flexible_line(
        shortfall.top_up_base,  # type: ignore[arg-type]
        rate=shortfall.top_up_rate,  # type: ignore[arg-type]
        account_rate=shortfall.top_up_account_rate,  # type: ignore[arg-type]
    )
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "on": on.isoformat(),
        "statutory_retirement": shortfall.retirement.day.isoformat(),
        "minimum_months": shortfall.minimum_months,
        "contributed_months": shortfall.contributed_months,
        "deemed_months": shortfall.deemed_months,
        "missing_months": shortfall.missing_months,
        "base": str(shortfall.top_up_base),
        "rate": str(shortfall.top_up_rate),
        "account_rate": str(shortfall.top_up_account_rate),
        "monthly_amount": str(line.individual_amount),
        "monthly_account_credit": str(line.account_credit),
        "total": str(shortfall.top_up_amount),
        "periods": [str(p) for p in periods],
        "references": list(shortfall.references),
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=TOP_UP,
        agency=person.agency,
        summary=str(_("One-time top-up of %(name)s, %(months)d months"))
        % {"name": person.name, "months": shortfall.missing_months},
        payload=payload,
        target=person,
        amount=shortfall.top_up_amount,
        reason=reason,
        attachments=attachments,
    )


def _apply_top_up(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = _locked_person(payload["person_id"])
    periods = [Period.parse(p) for p in payload["periods"]]
    contributed = contributed_months(
        person, until=Period.from_date(date.fromisoformat(payload["on"]))
    )
    if contributed != payload["contributed_months"] or _taken_periods(person.pk, periods):
        raise Conflict(
            _("The contributions of %(name)s changed since the case was made; make a new request."),
            code="contributions_changed",
            params={"name": person.name},
        )
    zero = "0.00"
    month_line = {
        "base": payload["base"],
        "employer_rate": "0",
        "individual_rate": payload["rate"],
        "account_rate": payload["account_rate"],
        "employer_amount": zero,
        "individual_amount": payload["monthly_amount"],
        "account_credit": payload["monthly_account_credit"],
    }
    lines = _write_lines(
        request,
        kind=LineKind.TOP_UP,
        person_id=person.pk,
        employer_id=None,
        lines=[{"period": str(p), **month_line} for p in periods],
    )
    today = timezone.localdate()
    bills, _owed = _write_bills(
        request,
        kind=LineKind.TOP_UP,
        employer=None,
        person=person,
        lines=lines,
        due=today,
        period=Period.from_date(today),
    )
    result = {
        "lines": [x.pk for x in lines],
        "bills": [x.pk for x in bills],
        "total": payload["total"],
    }
    _record(checker, request, person, result)
    return result


# --- how the work queue shows a case -----------------------------------------------


def _show(field: str, value: Any) -> str:
    if field == "lines" and isinstance(value, list):
        return "; ".join(
            f"{x['period']}: {x['base']} → {x['employer_amount']} + {x['individual_amount']}"
            f" ({x['account_credit']})"
            for x in value
        )
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


FIELD_LABELS = {
    "person_id": _("Insured person (id)"),
    "person": _("Insured person"),
    "employer_id": _("Employer (id)"),
    "employer": _("Employer"),
    "lines": _("Lines: month: base → employer + individual (account)"),
    "employer_total": _("Employer amount"),
    "individual_total": _("Individual amount"),
    "account_total": _("Account credit"),
    "total": _("Total"),
    "limits": _("Limits applied"),
    "year": _("Year"),
    "base": _("Contribution base"),
    "declared_wage": _("Declared wage"),
    "basis": _("Basis"),
    "base_values": _("Base record"),
    "replaces": _("Replaces base record"),
    "on": _("As of"),
    "statutory_retirement": _("Statutory retirement date"),
    "start": _("Extended from"),
    "minimum_months": _("Minimum contribution months"),
    "contributed_months": _("Months contributed"),
    "deemed_months": _("Deemed contribution months"),
    "missing_months": _("Months missing"),
    "rate": _("Rate"),
    "account_rate": _("Account rate"),
    "monthly_amount": _("Amount a month"),
    "monthly_account_credit": _("Account credit a month"),
    "periods": _("Months"),
    "references": _("Parameters used"),
    "payee_name": _("Payee"),
    "payee_bank": _("Payee's bank"),
    "payee_account": _("Payee's bank account"),
}

# --- extended contribution (延长缴费, §7.4.4) ------------------------------------------


def extended_contribution_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    reason: str,
    attachments: Iterable = (),
    on: date | None = None,
) -> ApprovalRequest:
    """Propose that ``person``, at the statutory retirement age without the minimum
    months, contributes on (延长缴费, §7.4.4) from the month after the statutory
    retirement month (or this month, when later). Refused: the age not reached, no
    shortfall, an extension already on record or waiting."""
    reason = _reason(reason)
    on = on or timezone.localdate()
    shortfall = contribution_shortfall(person, on=on)
    if not shortfall.reached:
        raise InvalidInput(
            _(
                "%(name)s reaches the statutory retirement age on %(date)s; contributions "
                "are extended only after it."
            ),
            code="retirement_age_not_reached",
            params={"name": person.name, "date": shortfall.retirement.day.isoformat()},
        )
    if shortfall.missing_months == 0:
        raise InvalidInput(
            _("%(name)s has the minimum contribution months; there is nothing to extend."),
            code="no_shortfall",
            params={"name": person.name},
        )
    if (
        shortfall.extended_from is not None
        or ApprovalRequest.objects.filter(
            operation=EXTENDED_CONTRIBUTION,
            status="pending",
            object_type=changelog.object_type_of(person),
            object_id=str(person.pk),
        ).exists()
    ):
        raise Conflict(
            _("An extended contribution of %(name)s is already on record or waiting."),
            code="extension_exists",
            params={"name": person.name},
        )
    start = max(shortfall.retirement.month.next(), Period.from_date(on))
    return approvals.approval_request_create(
        actor=actor,
        operation=EXTENDED_CONTRIBUTION,
        agency=person.agency,
        summary=str(_("Extended contribution of %(name)s from %(start)s"))
        % {"name": person.name, "start": start},
        payload={
            "person_id": person.pk,
            "person": person.name,
            "on": on.isoformat(),
            "statutory_retirement": shortfall.retirement.day.isoformat(),
            "start": str(start),
            "minimum_months": shortfall.minimum_months,
            "contributed_months": shortfall.contributed_months,
            "deemed_months": shortfall.deemed_months,
            "missing_months": shortfall.missing_months,
            "references": list(shortfall.references),
        },
        target=person,
        reason=reason,
        attachments=attachments,
    )


def _apply_extended_contribution(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    person = _locked_person(payload["person_id"])
    if ExtendedContribution.objects.filter(person=person).exists():
        raise Conflict(
            _("An extended contribution of %(name)s is already on record or waiting."),
            code="extension_exists",
            params={"name": person.name},
        )
    extension = ExtendedContribution(
        person=person, start=Period.parse(payload["start"]), case=request
    )
    extension.full_clean(exclude=["person", "case"])
    extension.save()
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=extension,
        after={"person": person.pk, "start": payload["start"], "case": request.pk},
        reason=request.maker_reason,
    )
    return {"extended_contribution": extension.pk, "start": payload["start"]}


for _key, _label, _apply in (
    (
        EXTENDED_CONTRIBUTION,
        _("Extended contribution (past the retirement age)"),
        _apply_extended_contribution,
    ),
    (BACK_PAYMENT, _("Back-payment of contributions"), _apply_back_payment),
    (BASE_CORRECTION, _("Correction of a contribution base"), _apply_base_correction),
    (REFUND, _("Refund of contributions"), _apply_refund),
    (TOP_UP, _("One-time top-up to the minimum contribution months"), _apply_top_up),
):
    approvals.register_operation(
        _key, label=_label, apply=_apply, field_labels=FIELD_LABELS, display=_show
    )
