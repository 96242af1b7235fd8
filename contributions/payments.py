"""Tax exchange, payments, arrears and statements of contributions (到账、欠费与对账单).

DESIGN §5.2 and §2.5: the tax bureau pulls the assessments of released runs, posts
payment results keyed by receipt number, and pulls arrears; staff read an employer's
statement. Services (writes) and selectors (reads) of that part live here; the pure
arithmetic is ``contributions.calc`` (``allocate_payment``, ``late_fee``).

Choices made here:

- **What leaves for the tax bureau, and what a payment can pay.** A bill is *payable*
  when it is posted and either comes from an assessment run released to the tax
  bureau (status released or closed; never a dry run) or from a case (no run:
  back-payments and corrections, posted when approved). Bills of runs not yet
  released are neither exported, nor paid, nor counted as arrears.
- **Allocation order.** Open payable bills (unpaid or partly paid) of the payer,
  oldest period first (``calc.allocate_payment``); two bills of one period (a regular
  bill and a back-payment) in id order. When the tax bureau names ``periods``, the
  bills of those periods are paid first, oldest first, then the rest, oldest first.
  A named period with no open bill names nothing: its money goes on to the rest.
- **Late fee (滞纳金) on top, employers only** (社会保险法 art. 86 charges the employer
  that does not pay on time; a flexible worker's or a top-up bill never bears one).
  For every allocation to an employer's bill paid after its due date, ``calc.late_fee``
  on the amount allocated, from the day after the due date up to and including the
  paid-on date, at the daily rates of ``contribution.late_fee_daily_rate`` in force on
  each day (every dated row, so 0.2 % before 2011-07-01, 0.05 % from then on). A
  back-payment or base correction of an old month is due on that month's own due date
  (``contributions.cases``), so its fee runs from there. **A paid-on date before the
  bill's issue date** (``Bill.issued_on``: the run's release, the case's approval)
  does not shorten the fee: the days are counted up to the issue date instead
  (clamped, not refused: the money is real and the contributions are credited; only
  the fee cannot be waived by an early date). The fee is recorded on the allocation
  (``PaymentAllocation.late_fee``, summed on ``TaxPayment.late_fee``) and **billed**
  as a ``LateFeeCharge`` owed apart from the contributions; it is never deducted from
  the amount, which goes to contributions first. The fee on what is still unpaid is
  computed when arrears or a statement are viewed, never stored.
- **Late-fee money.** What is left of a payment after the payer's open contribution
  bills pays the payer's open late-fee charges (those just billed included), oldest
  due date first; each amount is a ``LateFeeCollection`` row (summed on
  ``TaxPayment.late_fee_paid``), the collected late-fee money that the fund ledger
  posts as its own revenue item, apart from contributions
  (``contributions.selectors.late_fee_collected``).
- **Credit.** What is left after every open bill and late-fee charge is held as credit
  (``TaxPayment.unallocated``); it is not applied to later bills by itself.
- **Receipt numbers.** A receipt number is recorded once, whatever its case and
  surrounding spaces: it is stored trimmed and upper-case (``fza-1`` is ``FZA-1``) and
  a unique index on ``upper(btrim(receipt_number))`` backs it. A second payment with
  a recorded receipt number is refused with 409 and nothing is written:
  ``receipt_number_reused`` when it says something else (payer, amount, date or
  periods), ``payment_already_recorded`` when it repeats the first one under another
  Idempotency-Key (a repeat under the *same* key is answered by the idempotency layer
  with the first response).
- **Concurrency.** The payer's open bills are locked (``select_for_update``) in
  primary-key order, so two payments of one payer allocate one after the other and
  two payers never deadlock on a shared order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Trim, Upper
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contributions import calc
from contributions.choices import BillStatus, RunStatus
from contributions.models import (
    Bill,
    ContributionLine,
    LateFeeCharge,
    LateFeeCollection,
    PaymentAllocation,
    TaxPayment,
)
from enrollment.models import Employer, InsuredPerson
from pension import changelog, context
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApiClient, ChangeAction, PolicyParameter
from pension.money import FEN, to_decimal
from pension.periods import Period
from pension.selectors import policy_value

LATE_FEE_KEY = "contribution.late_fee_daily_rate"
RELEASED_RUN_STATUSES = (RunStatus.RELEASED, RunStatus.CLOSED)
OPEN_STATUSES = (BillStatus.OPEN, BillStatus.PARTIALLY_PAID)
ZERO = Decimal("0.00")

ERROR_PAYER_MISSING = _("Give either the credit code of an employer or the ID number of a person.")
ERROR_UNKNOWN_EMPLOYER = _("No employer is registered with the credit code %(code)s.")
ERROR_UNKNOWN_PERSON = _("No insured person is registered with the ID number %(number)s.")
ERROR_PAYER_OUTSIDE = _(
    "The payer is registered outside this system's region; nothing was changed."
)
ERROR_AMOUNT = _("The amount must be more than zero and a whole number of fen.")
ERROR_PAID_IN_FUTURE = _("The payment date %(date)s lies in the future.")
ERROR_RECEIPT_REUSED = _(
    "The receipt number %(receipt)s was recorded with another payment; nothing was changed."
)
ERROR_ALREADY_RECORDED = _(
    "The payment with receipt number %(receipt)s is recorded already; nothing was changed."
)
ERROR_NO_LATE_FEE_RATE = _("No daily late-fee rate is in force on %(date)s.")


# --- reads: what the tax bureau sees -----------------------------------------------------


def _released_run() -> Q:
    return Q(run__dry_run=False, run__status__in=RELEASED_RUN_STATUSES)


def payable_q() -> Q:
    """Bills that count: posted, from a released run or from a case (no run)."""
    return Q(posted=True) & (Q(run__isnull=True) | _released_run())


def _in_region(prefix: str) -> Q:
    return Q(region__code__startswith=prefix) if prefix else Q()


def assessment_bills(*, region_prefix: str) -> QuerySet[Bill]:
    """Bills of released assessment runs (核定单) in the region, for the tax bureau.

    Dry runs and runs not released (draft … approved, failed) never leave.
    """
    return (
        Bill.objects.filter(_released_run(), _in_region(region_prefix), posted=True)
        .select_related("employer", "person", "run")
        .order_by("id")
    )


def _payer_in_region(prefix: str) -> Q:
    """Lines whose payer (the employer, else the flexible contributor) lies in the region."""
    if not prefix:
        return Q()
    return Q(employer__region__code__startswith=prefix) | Q(
        employer__isnull=True, person__region__code__startswith=prefix
    )


def assessment_lines(*, region_prefix: str) -> QuerySet[ContributionLine]:
    """Lines (缴费明细) of released assessment runs whose payer lies in the region."""
    return (
        ContributionLine.objects.filter(
            _released_run(), _payer_in_region(region_prefix), posted=True
        )
        .select_related("employer", "person")
        .order_by("id")
    )


def bill_outstanding(bill: Bill) -> Decimal:
    return bill.total - bill.paid_amount


# --- late-fee rates ----------------------------------------------------------------------


class LateFeeRates:
    """The daily late-fee rates in force in a region, as ``calc.late_fee`` takes them.

    Every dated row of ``contribution.late_fee_daily_rate`` is looked up through
    ``policy_value`` on its effective date, so the most specific scope and the highest
    version win as everywhere else; the list is kept per region for the life of the
    object (one request, one payment, one statement).
    """

    def __init__(self) -> None:
        self._by_region: dict[str, tuple[tuple[date, Decimal], ...]] = {}
        self.references: set[str] = set()

    def __call__(self, region_code: str) -> tuple[tuple[date, Decimal], ...]:
        if region_code not in self._by_region:
            self._by_region[region_code] = self._load(region_code)
        return self._by_region[region_code]

    def _load(self, region_code: str) -> tuple[tuple[date, Decimal], ...]:
        days = (
            PolicyParameter.objects.filter(key=LATE_FEE_KEY)
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .distinct()
        )
        found: dict[date, Decimal] = {}
        for day in days:
            try:
                value = policy_value(LATE_FEE_KEY, on=day, region=region_code)
            except ValidationError:  # a row of another scope, before any row of this one
                continue
            found[value.effective_from] = value.value
            self.references.add(value.reference)
        return tuple(sorted(found.items()))

    def fee(
        self, principal: Decimal, *, due: date, paid_on: date, region_code: str
    ) -> calc.LateFee:
        try:
            return calc.late_fee(principal, due=due, paid_on=paid_on, daily_rates=self(region_code))
        except ValueError:
            raise InvalidInput(
                ERROR_NO_LATE_FEE_RATE,
                code="late_fee_rate_missing",
                params={"date": due.isoformat()},
            ) from None

    def bill_fee(self, bill: Bill, principal: Decimal, *, paid_on: date) -> calc.LateFee:
        """The late fee on ``principal`` of ``bill`` paid on ``paid_on`` (see the module
        docstring): none for a bill without an employer; counted at least up to the
        bill's issue date."""
        if bill.employer_id is None:  # flexible workers and top-ups: never a late fee
            return calc.late_fee(principal, due=bill.due_date, paid_on=bill.due_date,
                                 daily_rates=())  # fmt: skip
        return self.fee(
            principal,
            due=bill.due_date,
            paid_on=fee_counted_to(bill, paid_on),
            region_code=bill.region_id,
        )


def fee_counted_to(bill: Bill, paid_on: date) -> date:
    """The last day a late fee counts: the paid-on date, or the bill's issue date when
    the payment claims a date before the bill existed (a fee cannot be waived so)."""
    if bill.issued_on is not None and paid_on < bill.issued_on:
        return bill.issued_on
    return paid_on


# --- recording a payment -----------------------------------------------------------------


def _find_payer(
    *, credit_code: str | None, id_number: str | None
) -> tuple[Employer | None, InsuredPerson | None]:
    credit_code = (credit_code or "").strip().upper()
    id_number = (id_number or "").strip().upper()
    if bool(credit_code) == bool(id_number):
        raise InvalidInput(ERROR_PAYER_MISSING, code="payer_missing")
    if credit_code:
        employer = Employer.objects.select_related("region").filter(credit_code=credit_code).first()
        if employer is None:
            raise InvalidInput(
                ERROR_UNKNOWN_EMPLOYER,
                code="unknown_payer",
                params={"code": credit_code},
                details={"field": "credit_code"},
            )
        return employer, None
    person = InsuredPerson.objects.select_related("region").filter(id_number=id_number).first()
    if person is None:
        raise InvalidInput(
            ERROR_UNKNOWN_PERSON,
            code="unknown_payer",
            params={"number": id_number},
            details={"field": "id_number"},
        )
    return None, person


def _checked_amount(value: Decimal | str | int) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            ERROR_AMOUNT, code="invalid_amount", details={"field": "amount"}
        ) from None
    if amount <= 0 or amount != amount.quantize(FEN):
        raise InvalidInput(ERROR_AMOUNT, code="invalid_amount", details={"field": "amount"})
    return amount.quantize(FEN)


def _checked_periods(periods: Iterable[Period | str | int] | None) -> list[Period]:
    out: list[Period] = []
    for value in periods or ():
        try:
            period = Period.parse(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                Period._invalid(value).messages[0],
                code="invalid_period",
                details={"field": "periods"},
            ) from None
        if period not in out:
            out.append(period)
    return sorted(out)


def _same_payment(
    existing: TaxPayment,
    *,
    employer: Employer | None,
    person: InsuredPerson | None,
    amount: Decimal,
    paid_on: date,
    periods: list[str],
) -> bool:
    return (
        existing.employer_id == (employer.pk if employer else None)
        and existing.person_id == (person.pk if person else None)
        and existing.amount == amount
        and existing.paid_on == paid_on
        and sorted(existing.periods) == periods
    )


def _refuse_recorded_receipt(
    receipt_number: str, *, same: bool, existing_id: int | None
) -> Conflict:
    if same:
        return Conflict(
            ERROR_ALREADY_RECORDED,
            code="payment_already_recorded",
            params={"receipt": receipt_number},
            details={"payment_id": existing_id},
        )
    return Conflict(
        ERROR_RECEIPT_REUSED,
        code="receipt_number_reused",
        params={"receipt": receipt_number},
        details={"field": "receipt_number"},
    )


def _segments(bills: Sequence[Bill]) -> Iterator[list[Bill]]:
    """Bills in (period, id) order, cut so that no piece names a period twice.

    ``calc.allocate_payment`` refuses two bills of one period; pieces taken in order
    keep the oldest-first order across them, ties by id.
    """
    piece: list[Bill] = []
    seen: set[Period] = set()
    for bill in bills:
        if bill.period in seen:
            yield piece
            piece, seen = [], set()
        piece.append(bill)
        seen.add(bill.period)
    if piece:
        yield piece


def _allocate(amount: Decimal, bills: Sequence[Bill]) -> tuple[list[tuple[Bill, Decimal]], Decimal]:
    """``calc.allocate_payment`` over ``bills`` (already in the order to pay them)."""
    remaining = amount
    out: list[tuple[Bill, Decimal]] = []
    for piece in _segments(bills):
        by_period = {bill.period: bill for bill in piece}
        allocation = calc.allocate_payment(
            remaining,
            open_bills=[calc.OpenBill(bill.period, bill_outstanding(bill)) for bill in piece],
        )
        out += [(by_period[line.period], line.allocated) for line in allocation.lines]
        remaining = allocation.overpayment
    return out, remaining


@dataclass(frozen=True)
class _Share:
    bill: Bill
    amount: Decimal
    fee: calc.LateFee


def normalise_receipt_number(receipt_number: str | None) -> str:
    """A tax receipt number (税票号码) as stored and compared: trimmed, upper-case
    (``fza-1`` and `` FZA-1 `` are the receipt ``FZA-1``)."""
    return (receipt_number or "").strip().upper()


def _with_receipt_number(receipt_number: str) -> QuerySet[TaxPayment]:
    """Payments with this receipt number whatever its case, by the unique index's
    expression (``upper(btrim(receipt_number))``)."""
    return TaxPayment.objects.annotate(receipt_key=Upper(Trim("receipt_number"))).filter(
        receipt_key=normalise_receipt_number(receipt_number)
    )


@transaction.atomic
def tax_payment_record(
    *,
    client: ApiClient,
    receipt_number: str,
    amount: Decimal | str,
    paid_on: date,
    credit_code: str | None = None,
    id_number: str | None = None,
    periods: Iterable[Period | str | int] | None = None,
) -> TaxPayment:
    """Record a payment result of the tax bureau (税务缴款) and allocate it.

    The payer is the employer with ``credit_code`` or the person with ``id_number``
    (one of them); a payer outside the client's region is refused (403
    ``outside_region``). The amount pays the payer's open payable bills, the named
    ``periods`` first, each oldest first; late fees are recorded on top; what is
    left is held as credit. See the module docstring for every choice.
    """
    receipt_number = normalise_receipt_number(receipt_number)
    if not receipt_number:
        raise InvalidInput(code="receipt_number_missing", details={"field": "receipt_number"})
    amount = _checked_amount(amount)
    if paid_on > timezone.localdate():
        raise InvalidInput(
            ERROR_PAID_IN_FUTURE,
            code="paid_on_in_future",
            params={"date": paid_on.isoformat()},
            details={"field": "paid_on"},
        )
    named = _checked_periods(periods)
    named_text = [str(period) for period in named]
    employer, person = _find_payer(credit_code=credit_code, id_number=id_number)
    payer = employer or person
    assert payer is not None
    if not payer.region_id.startswith(client.region.scope_prefix):
        raise NotPermitted(ERROR_PAYER_OUTSIDE, code="outside_region")

    existing = _with_receipt_number(receipt_number).first()
    if existing is not None:
        same = _same_payment(
            existing,
            employer=employer,
            person=person,
            amount=amount,
            paid_on=paid_on,
            periods=named_text,
        )
        raise _refuse_recorded_receipt(receipt_number, same=same, existing_id=existing.pk)

    # lock the payer's open bills, primary-key order (of=self: the run is outer-joined)
    payer_q = Q(employer=employer) if employer else Q(person=person)
    bills = list(
        Bill.objects.select_for_update(of=("self",))
        .filter(payer_q, payable_q(), status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    bills.sort(key=lambda bill: (bill.period, bill.pk))
    first = [bill for bill in bills if bill.period in named]
    rest = [bill for bill in bills if bill.period not in named]
    shares, remaining = _allocate(amount, first)
    more, remaining = _allocate(remaining, rest)
    rates = LateFeeRates()
    kept = [
        _Share(bill, allocated, rates.bill_fee(bill, allocated, paid_on=paid_on))
        for bill, allocated in [*shares, *more]
        if allocated > 0
    ]
    # late fees: the ones billed now and the payer's open ones, oldest due date first
    open_charges = (
        list(
            LateFeeCharge.objects.select_for_update()
            .filter(employer=employer, status__in=OPEN_STATUSES)
            .order_by("pk")
        )
        if employer is not None
        else []
    )
    new_charges = [share for share in kept if share.fee.fee > 0]
    owed: list[tuple[tuple[date, int, int], object, Decimal]] = [
        ((c.due_date, 0, c.pk), c, c.amount - c.paid_amount) for c in open_charges
    ] + [((s.bill.due_date, 1, s.bill.pk), s, s.fee.fee) for s in new_charges]
    owed.sort(key=lambda item: item[0])
    collected: dict[int, Decimal] = {}  # id(charge or share) → amount collected
    for _order, item, outstanding in owed:
        take = min(outstanding, remaining)
        if take <= 0:
            break
        collected[id(item)] = take
        remaining -= take

    payment = TaxPayment(
        receipt_number=receipt_number,
        employer=employer,
        person=person,
        amount=amount,
        paid_on=paid_on,
        periods=named_text,
        unallocated=remaining,
        late_fee=sum((share.fee.fee for share in kept), ZERO),
        late_fee_paid=sum(collected.values(), ZERO),
        api_client=client,
        region_id=payer.region_id,
    )
    # "no periods named" is an empty list, which the field's blank=False would refuse
    payment.full_clean(exclude=["periods"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():  # a twin that committed first: its receipt wins
            payment.save(force_insert=True)
    except IntegrityError:
        twin = _with_receipt_number(receipt_number).first()
        same = twin is not None and _same_payment(
            twin, employer=employer, person=person, amount=amount, paid_on=paid_on,
            periods=named_text,
        )  # fmt: skip
        raise _refuse_recorded_receipt(
            receipt_number, same=same, existing_id=twin.pk if twin else None
        ) from None

    logged = []
    for share in kept:
        bill = share.bill
        before = bill.paid_amount
        bill.paid_amount = before + share.amount
        bill.status = (
            BillStatus.PAID if bill.paid_amount == bill.total else BillStatus.PARTIALLY_PAID
        )
        bill.full_clean(validate_unique=False, validate_constraints=False)
        bill.save(update_fields=["paid_amount", "status"])
        logged.append(
            {
                "bill": bill.pk,
                "period": str(bill.period),
                "amount": share.amount,
                "due_date": bill.due_date,
                "days_late": share.fee.days,
                "late_fee": share.fee.fee,
                "paid_before": before,
                "paid_after": bill.paid_amount,
                "status": bill.status,
            }
        )
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(
                payment=payment, bill=share.bill, amount=share.amount, late_fee=share.fee.fee
            )
            for share in kept
        ]
    )
    fees_logged = _bill_and_collect_late_fees(
        payment, new_charges=new_charges, open_charges=open_charges, collected=collected
    )
    with context.acting(api_client_id=client.pk):
        changelog.record(
            actor=None,
            action=ChangeAction.CREATE,
            instance=payment,
            after={
                **changelog.snapshot(payment),
                "allocations": logged,
                "late_fees": fees_logged,
                "late_fee_parameters": sorted(rates.references),
            },
            reason=f"tax receipt {receipt_number}",
        )
    return payment


def _settle(charge: LateFeeCharge) -> None:
    charge.status = (
        BillStatus.PAID
        if charge.paid_amount == charge.amount
        else BillStatus.PARTIALLY_PAID
        if charge.paid_amount > 0
        else BillStatus.OPEN
    )


def _bill_and_collect_late_fees(
    payment: TaxPayment,
    *,
    new_charges: Sequence[_Share],
    open_charges: Sequence[LateFeeCharge],
    collected: dict[int, Decimal],
) -> list[dict]:
    """Bill the late fees of ``new_charges`` (one ``LateFeeCharge`` per late allocation)
    and record what the payment collected of them and of ``open_charges``."""
    logged: list[dict] = []
    collections: list[LateFeeCollection] = []
    for share in new_charges:
        fee = share.fee
        charge = LateFeeCharge(
            bill=share.bill,
            payment=payment,
            employer_id=share.bill.employer_id,
            principal=share.amount,
            due_date=share.bill.due_date,
            counted_to=fee.paid_on,
            days=fee.days,
            amount=fee.fee,
            paid_amount=collected.get(id(share), ZERO),
            inputs={
                "paid_on": payment.paid_on.isoformat(),
                "issued_on": share.bill.issued_on.isoformat() if share.bill.issued_on else None,
                "segments": [
                    {
                        "from": seg.first_day.isoformat(),
                        "to": seg.last_day.isoformat(),
                        "days": seg.days,
                        "rate": str(seg.rate),
                    }
                    for seg in fee.segments
                ],
            },
            region_id=share.bill.region_id,
        )
        _settle(charge)
        charge.full_clean(exclude=["bill", "payment", "employer", "region"])
        charge.save(force_insert=True)
        if charge.paid_amount > 0:
            collections.append(
                LateFeeCollection(
                    payment=payment,
                    charge=charge,
                    amount=charge.paid_amount,
                    region_id=charge.region_id,
                )
            )
        logged.append(
            {"charge": charge.pk, "bill": share.bill.pk, "amount": charge.amount,
             "collected": charge.paid_amount, "counted_to": charge.counted_to}
        )  # fmt: skip
    for charge in open_charges:
        take = collected.get(id(charge), ZERO)
        if take <= 0:
            continue
        charge.paid_amount += take
        _settle(charge)
        charge.save(update_fields=["paid_amount", "status"])
        collections.append(
            LateFeeCollection(
                payment=payment, charge=charge, amount=take, region_id=charge.region_id
            )
        )
        logged.append({"charge": charge.pk, "bill": charge.bill_id, "collected": take})
    LateFeeCollection.objects.bulk_create(collections)
    return logged


def payment_allocations(payment: TaxPayment) -> QuerySet[PaymentAllocation]:
    """A payment's allocations, oldest period first, with their bills."""
    return payment.allocations.select_related("bill").order_by("bill__period", "bill_id")


# --- arrears -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsItem:
    """An unpaid (part of a) bill after its due date (欠费), with the late fee so far."""

    bill: Bill
    outstanding: Decimal
    days_late: int
    late_fee: Decimal  # computed as of ``as_of``, never stored
    as_of: date


def arrears_bills(
    *,
    region_prefix: str,
    as_of: date,
    employer: Employer | None = None,
    person: InsuredPerson | None = None,
) -> QuerySet[Bill]:
    """Open payable bills of the region whose due date is before ``as_of``, oldest first."""
    bills = Bill.objects.filter(
        payable_q(), _in_region(region_prefix), status__in=OPEN_STATUSES, due_date__lt=as_of
    )
    if employer is not None:
        bills = bills.filter(employer=employer)
    if person is not None:
        bills = bills.filter(person=person)
    return (
        bills.annotate(outstanding=F("total") - F("paid_amount"))
        .select_related("employer", "person")
        .order_by("period", "id")
    )


def with_late_fees(
    bills: Iterable[Bill], *, as_of: date, rates: LateFeeRates | None = None
) -> Iterator[ArrearsItem]:
    """Each bill with what it still owes and the late fee on that as of ``as_of``."""
    rates = rates or LateFeeRates()
    for bill in bills:
        outstanding = bill_outstanding(bill)
        fee = rates.bill_fee(bill, outstanding, paid_on=as_of)
        yield ArrearsItem(bill, outstanding, fee.days, fee.fee, as_of)


def arrears(
    *,
    region_prefix: str,
    as_of: date,
    employer: Employer | None = None,
    person: InsuredPerson | None = None,
) -> Iterator[ArrearsItem]:
    """Arrears (欠费) as of ``as_of``, oldest first, read in chunks (constant memory)."""
    bills = arrears_bills(
        region_prefix=region_prefix, as_of=as_of, employer=employer, person=person
    )
    return with_late_fees(bills.iterator(chunk_size=2000), as_of=as_of)


# --- the employer's statement ----------------------------------------------------------------


@dataclass(frozen=True)
class StatementMonth:
    """One period of the statement: the sums of its payable bills."""

    period: Period
    due_date: date  # the earliest of the period's bills
    assessed: Decimal
    paid: Decimal
    outstanding: Decimal
    days_late: int  # of the oldest unpaid bill of the period, as of the statement date
    late_fee_due: Decimal  # on what is still unpaid, as of the statement date
    late_fee_charged: Decimal  # recorded on the payments made for the period


@dataclass(frozen=True)
class StatementAllocation:
    period: Period
    amount: Decimal
    late_fee: Decimal


@dataclass(frozen=True)
class StatementPayment:
    payment: TaxPayment
    allocations: tuple[StatementAllocation, ...]

    @property
    def allocated(self) -> Decimal:
        return self.payment.amount - self.payment.unallocated - self.payment.late_fee_paid


@dataclass(frozen=True)
class Statement:
    """An employer's statement (单位缴费对账单) as of a day."""

    employer: Employer
    as_of: date
    months: tuple[StatementMonth, ...]
    payments: tuple[StatementPayment, ...]
    assessed: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    arrears: Decimal = ZERO  # outstanding whose due date has passed
    late_fee_due: Decimal = ZERO
    late_fee_charged: Decimal = ZERO
    late_fee_collected: Decimal = ZERO  # late-fee money collected, apart from contributions
    credit: Decimal = ZERO  # overpayments held
    late_fee_parameters: tuple[str, ...] = field(default=())


def employer_statement(employer: Employer, *, as_of: date) -> Statement:
    """Month by month: assessed, paid, outstanding, late fee as of ``as_of``; payments.

    Only payable bills count (released runs and cases). Late fees due are computed on
    what is still unpaid after the due date, as of ``as_of``; late fees charged are
    those recorded on the payments.
    """
    rates = LateFeeRates()
    bills = list(Bill.objects.filter(payable_q(), employer=employer).order_by("period", "id"))
    charged: dict[int, Decimal] = {}
    for bill_id, fee in PaymentAllocation.objects.filter(
        bill__in=[b.pk for b in bills]
    ).values_list("bill_id", "late_fee"):
        charged[bill_id] = charged.get(bill_id, ZERO) + fee

    months: list[StatementMonth] = []
    arrears_total = ZERO
    by_period: dict[Period, list[Bill]] = {}
    for bill in bills:
        by_period.setdefault(bill.period, []).append(bill)
    for period, group in by_period.items():
        fee_due, days = ZERO, 0
        for bill in group:
            outstanding = bill_outstanding(bill)
            if outstanding > 0 and bill.due_date < as_of:
                arrears_total += outstanding
                fee = rates.bill_fee(bill, outstanding, paid_on=as_of)
                fee_due += fee.fee
                days = max(days, fee.days)
        months.append(
            StatementMonth(
                period=period,
                due_date=min(bill.due_date for bill in group),
                assessed=sum((bill.total for bill in group), ZERO),
                paid=sum((bill.paid_amount for bill in group), ZERO),
                outstanding=sum((bill_outstanding(bill) for bill in group), ZERO),
                days_late=days,
                late_fee_due=fee_due,
                late_fee_charged=sum((charged.get(bill.pk, ZERO) for bill in group), ZERO),
            )
        )

    allocations = Prefetch(
        "allocations",
        queryset=PaymentAllocation.objects.select_related("bill").order_by(
            "bill__period", "bill_id"
        ),
    )
    payments = tuple(
        StatementPayment(
            payment,
            tuple(
                StatementAllocation(a.bill.period, a.amount, a.late_fee)
                for a in payment.allocations.all()
            ),
        )
        for payment in employer.tax_payments.prefetch_related(allocations).order_by("paid_on", "id")
    )
    return Statement(
        employer=employer,
        as_of=as_of,
        months=tuple(months),
        payments=payments,
        assessed=sum((m.assessed for m in months), ZERO),
        paid=sum((m.paid for m in months), ZERO),
        outstanding=sum((m.outstanding for m in months), ZERO),
        arrears=arrears_total,
        late_fee_due=sum((m.late_fee_due for m in months), ZERO),
        late_fee_charged=sum((p.payment.late_fee for p in payments), ZERO),
        late_fee_collected=sum((p.payment.late_fee_paid for p in payments), ZERO),
        credit=sum((p.payment.unallocated for p in payments), ZERO),
        late_fee_parameters=tuple(sorted(rates.references)),
    )


def statement_export_record(*, actor, employer: Employer, as_of: date) -> None:
    """Log that ``actor`` exported the employer's statement (DESIGN §2.4)."""
    changelog.record(
        actor=actor,
        action=ChangeAction.EXPORT,
        instance=employer,
        after={"export": gettext("Employer contribution statement"), "as_of": as_of},
    )
