"""Survivors' benefits (遗属待遇, operations standard §9.5; DESIGN §4, §5.4): the claim
after a retiree's or insured person's death, the recovery of the pension paid after
death (死亡后多发待遇追回) and the receivable with its collection case (应收待追回, 追缴).

* ``survivor_claim_request`` computes, at request time, the funeral grant (丧葬补助金),
  the survivors' pension (抚恤金), the account balance to the heirs (个人账户余额继承)
  and the pension paid after death (多发待遇), and puts every figure and input in a
  maker-checker request ("benefits.survivor_claim"). Nothing else is written.
* On approval (``_apply_survivor_claim``) the death is recorded when it was not
  (``benefits.suspension.suspensions.record_death``: the determination stops from the month after
  the death), the figures are computed again and must be those of the request, and
  the claim is written: ``SurvivorClaim``; what is payable is a ``PayrollDue`` (item
  survivor_benefit, to the claimant's bank account) that the next payroll pays; what
  the benefits did not cover of the overpayment is a ``Receivable``. The personal
  account is closed: a retiree's (drawing) account is closed without an entry, the
  heirs' balance being on the claim; an insured person's account posts its interest to
  the month of death and pays the balance out (a settlement entry) as
  ``accounts.cases`` does for a settlement.
* ``receivable_collection_record`` records an amount collected (追缴到账);
  ``receivable_write_off_request`` proposes writing the rest off (核销), maker-checker.

Figures (人社部发〔2021〕18号):

* base = the province's urban per-capita monthly disposable income of the year before
  the death (``survivors.disposable_income``, the value in force on the day of death);
* funeral grant = ``survivors.funeral_grant_months`` (2) × base;
* survivors' pension = base × months by contribution months, actual + deemed
  (``survivors.pension_months``: 9 up to 15 years, one more per further whole year, at
  most 24; ``calc.survivors_pension_months``);
* a retiree's balance to the heirs = the balance at retirement − account pension ×
  months paid (from the first payable month to the earlier of ``paid_through`` and the
  month of death), never below zero; an insured person's = the account balance with
  the interest up to the month of death;
* overpayment = ``benefits.suspension.suspensions.overpayment_after_death`` (posted pension and
  adjustment lines for months from the stop month); recovered = min(overpayment,
  funeral grant + survivors' pension + balance to heirs); net payable = the rest of the
  benefits; receivable = overpayment − recovered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.choices import AccountStatus, EntryKind
from accounts.models import PensionAccount
from accounts.selectors import account_of_person
from benefits.choices import PayrollItem, ReceivableStatus
from benefits.determination import calc
from benefits.models import PayrollDue, PensionDetermination, Receivable, SurvivorClaim
from benefits.selectors import current_determination
from contributions.cases import contributed_months
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from pension import approvals, changelog
from pension.choices import InstructionPurpose
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.money import round_fen, to_decimal
from pension.payments import payment_instruction_create
from pension.periods import Period
from pension.scope import region_allows, restrict
from pension.selectors import policy_value
from pension.validators import parse_citizen_id

__all__ = [
    "RECEIVABLE_WRITE_OFF",
    "SURVIVOR_CLAIM",
    "receivable_collection_record",
    "receivable_write_off_request",
    "receivables",
    "survivor_claim_figures",
    "survivor_claim_of",
    "survivor_claim_request",
    "survivor_claims",
]

SURVIVOR_CLAIM = "benefits.survivor_claim"
RECEIVABLE_WRITE_OFF = "benefits.receivable_write_off"
ZERO = Decimal("0.00")
INCOME_KEY = "survivors.disposable_income"
GRANT_MONTHS_KEY = "survivors.funeral_grant_months"
MONTHS_TABLE_KEY = "survivors.pension_months"
# the deceased may be insured, interrupted, retired or already recorded as deceased
CLAIMABLE_STATUSES = (
    PersonStatus.CONTRIBUTING,
    PersonStatus.INTERRUPTED,
    PersonStatus.RETIRED,
    PersonStatus.DECEASED,
)
# the figures the approval computes again and compares with the request's
CHECKED_FIGURES = (
    "funeral_grant",
    "survivors_pension",
    "heirs_balance",
    "overpayment",
    "recovered",
    "net_payable",
    "receivable",
)
RECEIVABLE_REASON = gettext_noop("Pension paid after death")

ERROR_REASON = _("Give the reason for the case.")
ERROR_STATUS = _("%(name)s is %(status)s; survivors' benefits cannot be claimed.")
ERROR_CLAIMED = _("The survivors' benefits of %(name)s were claimed already (claim #%(id)s).")
ERROR_PENDING = _("A survivors' claim for %(name)s is already waiting for a reviewer (#%(id)s).")
ERROR_DEATH_FUTURE = _("The date of death %(date)s is after today.")
ERROR_DEATH_BEFORE_RETIREMENT = _(
    "The date of death %(date)s is before the retirement of %(name)s on %(retired)s."
)
ERROR_DEATH_BEFORE_BIRTH = _("The date of death %(date)s is before the birth of %(name)s.")
ERROR_DEATH_RECORDED = _(
    "The death of %(name)s is recorded already with payment stopped from %(stop)s; the "
    "date of death %(date)s does not match it."
)
ERROR_CLAIMANT_NAME = _("Give the claimant's name.")
ERROR_CLAIMANT_ID = _("The claimant's citizen ID number is not valid: %(error)s")
ERROR_CLAIMANT_IS_DECEASED = _("The claimant cannot be the deceased person.")
ERROR_RELATIONSHIP = _("Give the claimant's relationship to the deceased.")
ERROR_BANK = _("Give the bank and the bank account the benefits are paid to.")
ERROR_PARAMETER = _("The survivors' benefits cannot be computed: %(error)s")
ERROR_INCOME_YEAR = _(
    "The survivors' benefits cannot be computed: the urban per-capita disposable income of "
    "%(year)s (%(key)s) is not on record; the latest on record is of %(had)s."
)
ERROR_FIGURES_CHANGED = _(
    "The figures changed since the claim was prepared (%(field)s: %(was)s then, %(now)s "
    "now); prepare the claim again."
)
ERROR_NOT_OPEN = _("The receivable is %(status)s; nothing can be collected or written off.")
ERROR_COLLECT_AMOUNT = _("The amount collected must be more than 0 yuan, to the fen.")
ERROR_COLLECT_TOO_MUCH = _(
    "%(amount)s is more than the %(outstanding)s still owed; nothing was recorded."
)
ERROR_COLLECT_DATE = _("The collection date %(date)s is after today.")
ERROR_OUTSIDE_REGION = _("This receivable belongs to a region outside yours.")
ERROR_WRITE_OFF_PENDING = _(
    "A write-off of this receivable is already waiting for a reviewer (#%(id)s)."
)
ERROR_RECEIVABLE_CHANGED = _(
    "The receivable changed since the write-off was proposed (%(was)s owed then, %(now)s "
    "now); propose it again."
)

# explanation lines of a claim (msgids; calc.Line renders them in the active language)
LINE_BASE = gettext_noop(
    "Urban per-capita monthly disposable income of the year before the death: %(income)s "
    "(%(reference)s)."
)
LINE_CONTRIBUTION = gettext_noop(
    "Contribution months: %(actual)s contributed + %(deemed)s deemed = %(total)s."
)
LINE_MONTHS_PAID = gettext_noop(
    "Months of pension paid up to the month of death: %(first)s to %(last)s = %(months)s; "
    "account pension paid = %(account_pension)s × %(months)s = %(paid)s."
)
LINE_NO_MONTHS_PAID = gettext_noop("No month of pension was paid up to the month of death.")
LINE_ACCOUNT = gettext_noop(
    "Account balance to the heirs = the balance %(balance)s + interest to %(period)s "
    "%(interest)s = %(amount)s."
)
LINE_NO_ACCOUNT = gettext_noop("No personal account balance to the heirs.")
LINE_OVERPAYMENT = gettext_noop(
    "Pension paid for months after the death (%(months)s) = %(amount)s."
)
LINE_NO_OVERPAYMENT = gettext_noop("No pension was paid for months after the death.")
LINE_RECOVERED = gettext_noop(
    "Recovered from the benefits = the lesser of %(overpayment)s and %(benefits)s = %(recovered)s."
)
LINE_NET = gettext_noop(
    "Net payable = %(funeral)s + %(pension)s + %(heirs)s − %(recovered)s = %(net)s."
)
INTEREST_LINE = _("%(year)s: %(months)s months at %(rate)s → %(to_post)s")
LINE_RECEIVABLE = gettext_noop(
    "Still to recover (receivable) = %(overpayment)s − %(recovered)s = %(receivable)s."
)


# --- reads ---------------------------------------------------------------------------


def survivor_claims(user, action: str = "view") -> QuerySet[SurvivorClaim]:
    """Survivor claims ``user`` may ``action``, by the deceased's region."""
    queryset = SurvivorClaim.objects.select_related("person__region", "determination", "case")
    return restrict(queryset, user, action)


def survivor_claim_of(person: InsuredPerson) -> SurvivorClaim | None:
    """The person's survivor claim (one at most: ``survivor_claim_once``)."""
    return SurvivorClaim.objects.filter(person=person).first()


def receivables(user, action: str = "view") -> QuerySet[Receivable]:
    """Receivables (应收待追回) ``user`` may ``action``, by the person's region."""
    queryset = Receivable.objects.select_related("person__region", "claim", "created_by")
    return restrict(queryset, user, action)


def pending_survivor_claim(person: InsuredPerson) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        operation=SURVIVOR_CLAIM,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(person),
        object_id=str(person.pk),
    ).first()


# --- figures -------------------------------------------------------------------------


def _policy(key: str, *, on: date, region: Any):
    try:
        return policy_value(key, on=on, region=region)
    except ValidationError as error:
        raise InvalidInput(
            ERROR_PARAMETER, code="parameter_missing", params={"error": error.messages[0]}
        ) from None


def _overpayment(determination: PensionDetermination, death_date: date) -> dict[str, Any]:
    """``benefits.suspension.suspensions.overpayment_after_death`` of the determination; before the
    death is recorded, of an unsaved copy stopped from the month after the death (what
    recording it will set), so the request shows what the approval will find."""
    from benefits.suspension.suspensions import overpayment_after_death

    stop = Period.from_date(death_date).next()
    if determination.stop_month is None:
        copy = PensionDetermination.objects.get(pk=determination.pk)
        copy.stop_month = stop
        determination = copy
    result = overpayment_after_death(determination)
    return {
        "months": [str(m) for m in result.get("months", [])],
        "amount": round_fen(result.get("amount") or ZERO),
        "lines": list(result.get("lines", [])),
    }


def _months_paid(determination: PensionDetermination, death_month: Period) -> tuple[int, Any]:
    """Months of pension paid from the first payable month up to the earlier of
    ``paid_through`` and the month of death, and the last of them."""
    if determination.paid_through is None:
        return 0, None
    last = min(determination.paid_through, death_month)
    months = last - determination.first_payable_month + 1
    return (months, last) if months > 0 else (0, None)


def _account_figures(account: PensionAccount | None, death_month: Period) -> dict[str, Any]:
    """An insured person's account: the balance with interest to the month of death
    (the figures ``accounts.cases`` pays a settlement with)."""
    if account is None or account.status in (AccountStatus.CLOSED, AccountStatus.DRAWING):
        return {"account_id": account.pk if account is not None else None, "settle": False}
    from accounts.cases import payout_figures

    return {"account_id": account.pk, "settle": True, **payout_figures(account, death_month)}


def survivor_claim_figures(person: InsuredPerson, death_date: date) -> dict[str, Any]:
    """Every figure of a survivors' claim on the death of ``person`` on ``death_date``,
    with its inputs and the explanation line by line, JSON-safe (see the module
    docstring for the formulas). Nothing is written."""
    region = person.region
    death_month = Period.from_date(death_date)
    determination = current_determination(person)
    income = _policy(INCOME_KEY, on=death_date, region=region)
    if income.reference_year is not None and income.reference_year != death_date.year - 1:
        # the income of the year before the death, never an older year's standing in
        raise InvalidInput(
            ERROR_INCOME_YEAR,
            code="parameter_missing",
            params={"year": death_date.year - 1, "key": INCOME_KEY, "had": income.reference_year},
        )
    grant_months = _policy(GRANT_MONTHS_KEY, on=death_date, region=region)
    table = _policy(MONTHS_TABLE_KEY, on=death_date, region=region)
    references = [income.reference, grant_months.reference, table.reference]
    account = account_of_person(person)
    figures: dict[str, Any] = {
        "retired": determination is not None,
        "determination_id": determination.pk if determination is not None else None,
        "death_month": str(death_month),
        "disposable_income": str(income.value),
        "disposable_income_from": income.effective_from.isoformat(),
        "funeral_grant_months": str(grant_months.value),
        "pension_months_table": table.value,
        "references": references,
    }
    if determination is not None:
        actual, deemed = determination.actual_months, determination.deemed_months
        months_paid, last_paid = _months_paid(determination, death_month)
        account_paid = round_fen(determination.account_pension * months_paid)
        figures.update(
            {
                "retirement_month": str(determination.retirement_month),
                "first_payable_month": str(determination.first_payable_month),
                "paid_through": str(determination.paid_through)
                if determination.paid_through is not None
                else None,
                "months_paid": months_paid,
                "last_month_paid": str(last_paid) if last_paid is not None else None,
                "account_pension": str(determination.account_pension),
                "account_pension_paid": str(account_paid),
                "balance_at_retirement": str(determination.account_balance),
                "account_id": account.pk if account is not None else None,
                "settle": False,
            }
        )
        overpayment = _overpayment(determination, death_date)
    else:
        actual = contributed_months(person, until=death_month)
        deemed = person.deemed_months
        account_paid = None
        figures.update(_account_figures(account, death_month))
        overpayment = {"months": [], "amount": ZERO, "lines": []}
    try:
        benefits = calc.survivor_benefits(
            death_date=death_date,
            disposable_income=income.value,
            contribution_months=actual + deemed,
            funeral_grant_months=grant_months.value,
            pension_months_table=table.value,
            balance_at_retirement=determination.account_balance if determination else None,
            account_pension_paid=account_paid,
            sources=references,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(
            ERROR_PARAMETER, code="parameter_invalid", params={"error": str(error)}
        ) from None
    lines = [
        calc.Line(LINE_BASE, {"income": str(income.value), "reference": income.reference}),
        calc.Line(
            LINE_CONTRIBUTION,
            {"actual": str(actual), "deemed": str(deemed), "total": str(actual + deemed)},
        ),
    ]
    lines += list(benefits.explanation[:2])  # funeral grant, survivors' pension
    if determination is not None:
        heirs = benefits.account_to_heirs or ZERO
        if figures["months_paid"]:
            lines.append(
                calc.Line(
                    LINE_MONTHS_PAID,
                    {
                        "first": figures["first_payable_month"],
                        "last": figures["last_month_paid"],
                        "months": str(figures["months_paid"]),
                        "account_pension": figures["account_pension"],
                        "paid": figures["account_pension_paid"],
                    },
                )
            )
        else:
            lines.append(calc.Line(LINE_NO_MONTHS_PAID))
        lines += list(benefits.explanation[2:])  # balance to the heirs
    elif figures.get("settle"):
        heirs = Decimal(figures["account_amount"])
        lines.append(
            calc.Line(
                LINE_ACCOUNT,
                {
                    "balance": figures["balance"],
                    "period": figures["period"],
                    "interest": figures["interest"],
                    "amount": str(heirs),
                },
            )
        )
    else:
        heirs = ZERO
        lines.append(calc.Line(LINE_NO_ACCOUNT))
    over = overpayment["amount"]
    total = benefits.funeral_grant + benefits.survivors_pension + heirs
    recovered = min(over, total)
    net = total - recovered
    receivable = over - recovered
    if over:
        lines.append(
            calc.Line(
                LINE_OVERPAYMENT,
                {"months": "、".join(overpayment["months"]), "amount": str(over)},
            )
        )
        lines.append(
            calc.Line(
                LINE_RECOVERED,
                {"overpayment": str(over), "benefits": str(total), "recovered": str(recovered)},
            )
        )
    else:
        lines.append(calc.Line(LINE_NO_OVERPAYMENT))
    lines.append(
        calc.Line(
            LINE_NET,
            {
                "funeral": str(benefits.funeral_grant),
                "pension": str(benefits.survivors_pension),
                "heirs": str(heirs),
                "recovered": str(recovered),
                "net": str(net),
            },
        )
    )
    if receivable:
        lines.append(
            calc.Line(
                LINE_RECEIVABLE,
                {
                    "overpayment": str(over),
                    "recovered": str(recovered),
                    "receivable": str(receivable),
                },
            )
        )
    figures.update(
        {
            "actual_months": actual,
            "deemed_months": deemed,
            "contribution_months": actual + deemed,
            "pension_months": benefits.pension_months,
            "overpaid_months": overpayment["months"],
            "overpaid_lines": overpayment["lines"],
            "funeral_grant": str(benefits.funeral_grant),
            "survivors_pension": str(benefits.survivors_pension),
            "heirs_balance": str(heirs),
            "benefits_total": str(total),
            "overpayment": str(over),
            "recovered": str(recovered),
            "net_payable": str(net),
            "receivable": str(receivable),
            "explanation": [line.as_json() for line in lines],
        }
    )
    return figures


# --- the claim (maker-checker) --------------------------------------------------------


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(ERROR_REASON, code="reason_required", details={"field": "reason"})
    return reason.strip()


def _check_deceased(
    person: InsuredPerson, death_date: date, today: date, *, pending_ok: int | None = None
) -> None:
    if person.status not in CLAIMABLE_STATUSES:
        raise Conflict(
            ERROR_STATUS,
            code="not_claimable",
            params={"name": person.name, "status": PersonStatus(person.status).label},
        )
    claim = survivor_claim_of(person)
    if claim is not None:
        raise Conflict(
            ERROR_CLAIMED, code="already_claimed", params={"name": person.name, "id": claim.pk}
        )
    pending = pending_survivor_claim(person)
    if pending is not None and pending.pk != pending_ok:
        raise Conflict(
            ERROR_PENDING, code="claim_pending", params={"name": person.name, "id": pending.pk}
        )
    if death_date > today:
        raise InvalidInput(
            ERROR_DEATH_FUTURE,
            code="death_in_future",
            params={"date": death_date.isoformat()},
            details={"field": "death_date"},
        )
    if death_date < person.birth_date:
        raise InvalidInput(
            ERROR_DEATH_BEFORE_BIRTH,
            code="death_before_birth",
            params={"date": death_date.isoformat(), "name": person.name},
            details={"field": "death_date"},
        )
    determination = current_determination(person)
    if determination is None:
        return
    if death_date < determination.retirement_date:
        raise InvalidInput(
            ERROR_DEATH_BEFORE_RETIREMENT,
            code="death_before_retirement",
            params={
                "date": death_date.isoformat(),
                "name": person.name,
                "retired": determination.retirement_date.isoformat(),
            },
            details={"field": "death_date"},
        )
    stop = Period.from_date(death_date).next()
    if determination.stop_month is not None and determination.stop_month != stop:
        raise Conflict(
            ERROR_DEATH_RECORDED,
            code="death_recorded_differently",
            params={
                "name": person.name,
                "stop": str(determination.stop_month),
                "date": death_date.isoformat(),
            },
            details={"field": "death_date"},
        )


def _check_claimant(
    person: InsuredPerson,
    *,
    claimant_name: str,
    claimant_id_number: str,
    relationship: str,
    bank_name: str,
    bank_account: str,
    today: date,
) -> dict[str, str]:
    name = (claimant_name or "").strip()
    if not name:
        raise InvalidInput(
            ERROR_CLAIMANT_NAME, code="claimant_required", details={"field": "claimant_name"}
        )
    try:
        number = parse_citizen_id(claimant_id_number or "", today=today).number
    except ValidationError as error:
        raise InvalidInput(
            ERROR_CLAIMANT_ID,
            code="claimant_id_invalid",
            params={"error": error.messages[0]},
            details={"field": "claimant_id_number"},
        ) from None
    if number == person.id_number.upper():
        raise InvalidInput(
            ERROR_CLAIMANT_IS_DECEASED,
            code="claimant_is_deceased",
            details={"field": "claimant_id_number"},
        )
    relationship = (relationship or "").strip()
    if not relationship:
        raise InvalidInput(
            ERROR_RELATIONSHIP, code="relationship_required", details={"field": "relationship"}
        )
    bank_name, bank_account = (bank_name or "").strip(), (bank_account or "").strip()
    if not bank_name or not bank_account:
        raise InvalidInput(
            ERROR_BANK,
            code="bank_required",
            details={"field": "bank_account" if bank_name else "bank_name"},
        )
    return {
        "claimant_name": name,
        "claimant_id_number": number,
        "relationship": relationship,
        "bank_name": bank_name,
        "bank_account": bank_account,
    }


@transaction.atomic
def survivor_claim_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    death_date: date,
    claimant_name: str,
    claimant_id_number: str,
    relationship: str,
    bank_name: str,
    bank_account: str,
    reason: str,
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose the survivors' claim (遗属待遇申领, §9.5) on the death of ``person``, with
    every figure (``survivor_claim_figures``) in the request, for a reviewer.

    Refused, with nothing written: no reason; a person transferred out or terminated;
    a claim already made or waiting; a date of death after today, before the birth or
    before the retirement, or other than the death already recorded; a claimant
    without a name, a valid citizen ID number (not the deceased's), a relationship, a
    bank and a bank account; a missing parameter. The request's amount is the net
    payable.
    """
    reason = _reason(reason)
    today = today or timezone.localdate()
    person = InsuredPerson.objects.select_related("region", "agency").get(pk=person.pk)
    _check_deceased(person, death_date, today)
    claimant = _check_claimant(
        person,
        claimant_name=claimant_name,
        claimant_id_number=claimant_id_number,
        relationship=relationship,
        bank_name=bank_name,
        bank_account=bank_account,
        today=today,
    )
    figures = survivor_claim_figures(person, death_date)
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "death_date": death_date.isoformat(),
        **claimant,
        **figures,
        "as_of": today.isoformat(),
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=SURVIVOR_CLAIM,
        agency=person.agency,
        summary=str(_("Survivors' benefits of %(name)s (died %(date)s), %(net)s payable"))
        % {"name": person.name, "date": death_date.isoformat(), "net": figures["net_payable"]},
        payload=payload,
        target=person,
        amount=Decimal(figures["net_payable"]),
        reason=reason,
        attachments=attachments,
    )


def _check_figures(payload: dict[str, Any], figures: dict[str, Any]) -> None:
    for field in CHECKED_FIGURES:
        was, now = Decimal(payload[field]), Decimal(figures[field])
        if was != now:
            raise Conflict(
                ERROR_FIGURES_CHANGED,
                code="figures_changed",
                params={"field": FIELD_LABELS[field], "was": was, "now": now},
            )


def _record_death(checker: StaffUser, person: InsuredPerson, death_date: date, request) -> None:
    from benefits.suspension.suspensions import record_death

    record_death(
        actor=checker,
        person=person,
        death_date=death_date,
        source=f"survivor_claim_request:{request.pk}",
        reason=str(_("Survivors' claim #%(id)s")) % {"id": request.pk},
    )


def _close_account(checker: StaffUser, request: ApprovalRequest, figures: dict) -> dict | None:
    """Close the deceased's personal account: an insured person's is paid out to the
    heirs (interest to the month of death, a settlement entry, closed:
    ``accounts.cases.account_pay_out``); a retiree's drawing account is closed
    without an entry (the heirs' balance is the claim's)."""
    from accounts.cases import account_pay_out
    from accounts.services import pension_account_close

    account_id = figures.get("account_id")
    if account_id is None:
        return None
    reason = str(_("Deceased: balance to the heirs in the survivors' claim #%(id)s")) % {
        "id": request.pk
    }
    if figures.get("settle"):
        account, paid = account_pay_out(
            request, checker, kind=EntryKind.SETTLEMENT, status_reason=reason
        )
        return {"account": account.pk, "paid_out": str(paid)}
    account = pension_account_close(actor=checker, account=account_id, reason=reason)
    return {"account": account.pk, "paid_out": None}


def _apply_survivor_claim(request: ApprovalRequest, checker: StaffUser) -> dict:
    """The approved claim: the death recorded, the figures again, the claim, the
    payroll due (paid in the next payroll to the claimant), the receivable, the
    account closed.

    A person who never retired has no determination, so no payroll due can carry the
    benefits: the net payable is a payment instruction (``pension.payments``) to the
    claimant, which the next payroll run of the region carries to the bank like a
    payroll payment (``inputs["paid_by_instruction"] = True``)."""
    payload = request.payload
    person = (
        InsuredPerson.objects.select_for_update()
        .select_related("region", "agency")
        .get(pk=payload["person_id"])
    )
    death_date = date.fromisoformat(payload["death_date"])
    _check_deceased(person, death_date, timezone.localdate(), pending_ok=request.pk)
    _record_death(checker, person, death_date, request)
    person.refresh_from_db()
    figures = survivor_claim_figures(person, death_date)
    _check_figures(payload, figures)
    determination = (
        PensionDetermination.objects.get(pk=figures["determination_id"])
        if figures["determination_id"] is not None
        else None
    )
    net = Decimal(figures["net_payable"])
    inputs = {
        key: value
        for key, value in figures.items()
        if key not in ("funeral_grant", "survivors_pension", "heirs_balance", "net_payable")
    }
    # a person not in payment has no payroll due: the net is a payment instruction
    inputs["paid_by_instruction"] = determination is None and net > 0
    claim = SurvivorClaim(
        person=person,
        determination=determination,
        death_date=death_date,
        claimant_name=payload["claimant_name"],
        claimant_id_number=payload["claimant_id_number"],
        relationship=payload["relationship"],
        bank_name=payload["bank_name"],
        bank_account=payload["bank_account"],
        funeral_grant=Decimal(figures["funeral_grant"]),
        survivors_pension=Decimal(figures["survivors_pension"]),
        heirs_balance=Decimal(figures["heirs_balance"]),
        overpayment=Decimal(figures["overpayment"]),
        recovered=Decimal(figures["recovered"]),
        net_payable=net,
        inputs=inputs,
        case=request,
    )
    claim.full_clean(exclude=["person", "determination", "case"])
    claim.save()
    reason = str(_("Survivors' claim #%(id)s")) % {"id": request.pk}
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=claim,
        after={field: figures[field] for field in CHECKED_FIGURES},
        reason=reason,
    )
    result: dict[str, Any] = {"claim": claim.pk, "net_payable": str(net), "due": None}
    if determination is not None and net > 0:
        due = PayrollDue(
            person=person,
            determination=determination,
            item=PayrollItem.SURVIVOR_BENEFIT,
            amount=net,
            source=f"survivor_claim:{claim.pk}",
            reason=str(_("Survivors' benefits, claim #%(id)s")) % {"id": claim.pk},
            details={
                "claim": claim.pk,
                "funeral_grant": figures["funeral_grant"],
                "survivors_pension": figures["survivors_pension"],
                "heirs_balance": figures["heirs_balance"],
                "recovered": figures["recovered"],
                "net_payable": figures["net_payable"],
            },
            payee_name=claim.claimant_name,
            bank_name=claim.bank_name,
            bank_account=claim.bank_account,
            created_by=checker,
        )
        due.full_clean(exclude=["person", "determination", "run", "created_by"])
        due.save()
        changelog.record(
            actor=checker,
            action=ChangeAction.CREATE,
            instance=due,
            after={"item": due.item, "amount": due.amount, "source": due.source},
            reason=reason,
        )
        result["due"] = due.pk
    if determination is None and net > 0:
        instruction = payment_instruction_create(
            actor=checker,
            purpose=InstructionPurpose.SURVIVOR_BENEFIT,
            source=f"survivor_claim:{claim.pk}",
            region=person.region_id,
            target=person,
            payee_name=claim.claimant_name,
            bank_name=claim.bank_name,
            bank_account=claim.bank_account,
            amount=net,
            case=request,
            details={"claim": claim.pk, "net_payable": figures["net_payable"]},
        )
        result["instruction"] = instruction.pk
    owed = Decimal(figures["receivable"])
    if owed > 0:
        receivable = Receivable(
            person=person,
            claim=claim,
            reason=RECEIVABLE_REASON,
            amount=owed,
            details={
                "overpayment": figures["overpayment"],
                "recovered": figures["recovered"],
                "months": figures["overpaid_months"],
                "source": f"survivor_claim:{claim.pk}",
            },
            created_by=checker,
        )
        receivable.full_clean(exclude=["person", "claim", "created_by"])
        receivable.save()
        changelog.record(
            actor=checker,
            action=ChangeAction.CREATE,
            instance=receivable,
            after={"amount": receivable.amount, "reason": receivable.reason},
            reason=reason,
        )
        result["receivable"] = receivable.pk
    result["account"] = _close_account(checker, request, figures)
    return result


# --- the receivable's collection case (追缴) ------------------------------------------


def _locked_receivable(receivable: Receivable | int) -> Receivable:
    pk = receivable.pk if isinstance(receivable, Receivable) else receivable
    return Receivable.objects.select_for_update().select_related("person").get(pk=pk)


def _check_open(receivable: Receivable) -> None:
    if receivable.status != ReceivableStatus.OPEN:
        raise Conflict(
            ERROR_NOT_OPEN,
            code="receivable_not_open",
            params={"status": ReceivableStatus(receivable.status).label},
        )


def _check_region(actor: StaffUser, receivable: Receivable) -> None:
    if not region_allows(actor, receivable.person.region_id, "prepare", model=Receivable):
        raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")


@transaction.atomic
def receivable_collection_record(
    *,
    actor: StaffUser,
    receivable: Receivable,
    amount: Decimal | str,
    collected_on: date,
    note: str = "",
    today: date | None = None,
) -> Receivable:
    """Record an amount collected on a receivable (追缴到账): appended to
    ``collections``, added to ``collected``; settled when all of it is collected.
    Refused: a receivable settled or written off, an amount not above zero or not to
    the fen, more than is still owed, a date after today, outside the actor's region."""
    receivable = _locked_receivable(receivable)
    _check_region(actor, receivable)
    _check_open(receivable)
    try:
        value = to_decimal(amount)
    except (TypeError, ValueError, ArithmeticError):
        value = None
    if value is None or value <= 0 or value != round_fen(value):
        raise InvalidInput(ERROR_COLLECT_AMOUNT, code="invalid_amount", details={"field": "amount"})
    outstanding = receivable.amount - receivable.collected
    if value > outstanding:
        raise InvalidInput(
            ERROR_COLLECT_TOO_MUCH,
            code="more_than_owed",
            params={"amount": value, "outstanding": outstanding},
            details={"field": "amount"},
        )
    today = today or timezone.localdate()
    if collected_on > today:
        raise InvalidInput(
            ERROR_COLLECT_DATE,
            code="collected_in_future",
            params={"date": collected_on.isoformat()},
            details={"field": "collected_on"},
        )
    before = {"collected": receivable.collected, "status": receivable.status}
    receivable.collections = [
        *receivable.collections,
        {
            "amount": str(value),
            "collected_on": collected_on.isoformat(),
            "note": (note or "").strip(),
            "by": actor.pk,
            "by_name": str(actor),
            "at": timezone.now().isoformat(),
        },
    ]
    receivable.collected = receivable.collected + value
    if receivable.collected == receivable.amount:
        receivable.status = ReceivableStatus.SETTLED
    receivable.full_clean(exclude=["person", "claim", "created_by"])
    receivable.save(update_fields=["collections", "collected", "status"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=receivable,
        before=before,
        after={"collected": receivable.collected, "status": receivable.status, "amount": value},
        reason=(note or "").strip()
        or str(_("Collection of %(date)s")) % {"date": collected_on.isoformat()},
    )
    return receivable


def pending_write_off(receivable: Receivable) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        operation=RECEIVABLE_WRITE_OFF,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(receivable),
        object_id=str(receivable.pk),
    ).first()


@transaction.atomic
def receivable_write_off_request(
    *, actor: StaffUser, receivable: Receivable, reason: str, attachments: Iterable = ()
) -> ApprovalRequest:
    """Propose writing off what is still owed on a receivable (核销), for a reviewer.
    Refused: no reason, a receivable settled or written off, a write-off waiting,
    outside the actor's region."""
    reason = _reason(reason)
    receivable = _locked_receivable(receivable)
    _check_region(actor, receivable)
    _check_open(receivable)
    pending = pending_write_off(receivable)
    if pending is not None:
        raise Conflict(ERROR_WRITE_OFF_PENDING, code="write_off_pending", params={"id": pending.pk})
    outstanding = receivable.amount - receivable.collected
    person = receivable.person
    return approvals.approval_request_create(
        actor=actor,
        operation=RECEIVABLE_WRITE_OFF,
        agency=person.agency,
        summary=str(_("Write-off of %(amount)s owed by %(name)s"))
        % {"amount": outstanding, "name": person.name},
        payload={
            "receivable_id": receivable.pk,
            "person": person.name,
            "amount": str(receivable.amount),
            "collected": str(receivable.collected),
            "outstanding": str(outstanding),
        },
        target=receivable,
        amount=outstanding,
        reason=reason,
        attachments=attachments,
    )


def _apply_write_off(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    receivable = _locked_receivable(payload["receivable_id"])
    _check_open(receivable)
    outstanding = receivable.amount - receivable.collected
    if outstanding != Decimal(payload["outstanding"]):
        raise Conflict(
            ERROR_RECEIVABLE_CHANGED,
            code="receivable_changed",
            params={"was": payload["outstanding"], "now": outstanding},
        )
    before = {"status": receivable.status}
    receivable.status = ReceivableStatus.WRITTEN_OFF
    receivable.details = {
        **receivable.details,
        "write_off": {
            "case": request.pk,
            "amount": str(outstanding),
            "approved_by": checker.pk,
            "reason": request.maker_reason,
        },
    }
    receivable.save(update_fields=["status", "details"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=receivable,
        before=before,
        after={"status": receivable.status, "written_off": outstanding},
        reason=str(_("Write-off #%(id)s")) % {"id": request.pk},
    )
    return {"receivable": receivable.pk, "written_off": str(outstanding)}


# --- how the work queue shows a case -------------------------------------------------


def _show(field: str, value: Any) -> str:
    if field == "explanation" and isinstance(value, list):
        return " ".join(calc.Line(msgid, params).render() for msgid, params in value)
    if field == "interest_lines" and isinstance(value, list):
        return "; ".join(
            str(INTEREST_LINE) % {k: row.get(k) for k in ("year", "months", "rate", "to_post")}
            for row in value
        )
    if field == "overpaid_lines" and isinstance(value, list):
        return "; ".join(
            f"{row.get('month')} {row.get('item')} {row.get('amount')}" for row in value
        )
    if field == "pension_months_table" and isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


FIELD_LABELS = {
    "person_id": _("Deceased (id)"),
    "person": _("Deceased"),
    "death_date": _("Date of death"),
    "death_month": _("Month of death"),
    "claimant_name": _("Claimant"),
    "claimant_id_number": _("Claimant's citizen ID"),
    "relationship": _("Relationship"),
    "bank_name": _("Bank"),
    "bank_account": _("Bank account"),
    "retired": _("Retired"),
    "determination_id": _("Determination (id)"),
    "disposable_income": _("Urban per-capita monthly disposable income"),
    "disposable_income_from": _("Income value in force from"),
    "funeral_grant_months": _("Funeral grant months"),
    "pension_months_table": _("Survivors' pension months"),
    "references": _("Parameters used"),
    "retirement_month": _("Retirement month"),
    "first_payable_month": _("First payable month"),
    "paid_through": _("Paid through"),
    "months_paid": _("Months paid up to the death"),
    "last_month_paid": _("Last month paid up to the death"),
    "account_pension": _("Personal account pension"),
    "account_pension_paid": _("Account pension paid"),
    "balance_at_retirement": _("Account balance at retirement"),
    "account_id": _("Personal pension account (id)"),
    "settle": _("Account paid out to the heirs"),
    "period": _("Month of the account settlement"),
    "balance": _("Account balance"),
    "interest": _("Interest to the month of death"),
    "interest_lines": _("Interest by year"),
    "account_amount": _("Account amount"),
    "actual_months": _("Months contributed"),
    "deemed_months": _("Deemed contribution months"),
    "contribution_months": _("Contribution months"),
    "pension_months": _("Months of survivors' pension"),
    "overpaid_months": _("Months paid after the death"),
    "overpaid_lines": _("Payroll lines paid after the death: month, item, amount"),
    "funeral_grant": _("Funeral grant"),
    "survivors_pension": _("Survivors' pension"),
    "heirs_balance": _("Account balance to heirs"),
    "benefits_total": _("Benefits in total"),
    "overpayment": _("Paid after death"),
    "recovered": _("Recovered from these benefits"),
    "net_payable": _("Net payable"),
    "receivable": _("Still to recover"),
    "explanation": _("Calculation"),
    "as_of": _("As of"),
    "receivable_id": _("Receivable (id)"),
    "amount": _("Amount"),
    "collected": _("Collected"),
    "outstanding": _("Still owed"),
}

approvals.register_operation(
    SURVIVOR_CLAIM,
    label=_("Survivors' benefits"),
    apply=_apply_survivor_claim,
    field_labels=FIELD_LABELS,
    display=_show,
)
approvals.register_operation(
    RECEIVABLE_WRITE_OFF,
    label=_("Write-off of a receivable"),
    apply=_apply_write_off,
    field_labels=FIELD_LABELS,
    display=_show,
)
