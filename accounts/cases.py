"""Cases of personal accounts with maker-checker and attachments (DESIGN §5.3, §8.3,
§8.4): transfer out to another province, transfer in from one, settlement, and the
reversal of a wrong entry. A caseworker prepares the case with the figures computed
and shown line by line; a reviewer of the owning agency approves; the handler then
writes the entries in the approval's transaction.

Choices made here:

- **Figures are fixed when prepared and checked when approved.** The approval
  recomputes the amount; when the account moved in between (a credit arrived), the
  approval is refused (``figures_changed``) and the case is prepared again.
- **Transfer out** (国办发〔2009〕66号): interest to the month of the transfer, then the
  whole balance leaves the account (a transfer-out entry) and the account closes;
  the pooled-fund share (12 % of each year's actual bases from 1998, part years by
  month, ``accounts.calc.pooled_transfer``) is paid from the pooled fund, not from
  the account, and is kept on the ``AccountTransfer`` for the fund ledger. The
  holder's status becomes transferred out.
- **Transfer in**: the amount the other province's certificate states for the
  account is one transfer-in entry in the month received (it earns from then); the
  pooled amount is recorded on the transfer for the fund ledger. A certificate
  number is taken once per direction.
- **Settlement** (一次性支付, §8.4): interest to the month, the balance paid out to the
  payee named (the heirs on death), the account closed. A settlement chosen at
  retirement age is refused while the person has not reached the age or has the
  minimum months (``contributions.cases.contribution_shortfall``).
- **Money out is a payment instruction.** The approval of a transfer out (the account
  amount and the pooled share, to the receiving agency's fund account named on the
  case) and of a settlement (to the payee named) writes a ``pension.payments``
  instruction, which the next payroll run of the holder's region carries to the bank
  file of its bank; nothing is only booked. A settlement's bank, when not named, is
  the one on the holder's record.
- **Reversal**: a wrong entry is reversed by an entry of the opposite amount in the
  current month; an entry is reversed once and reversals are not reversed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts import calc
from accounts.choices import AccountStatus, EntryKind, SettlementReason, TransferDirection
from accounts.models import AccountEntry, AccountTransfer, PensionAccount
from accounts.services import (
    ZERO,
    _set_status,
    account_balance,
    account_interest_until,
    interest_due_until,
    locked_account,
    pension_account_open,
)
from contributions import transferred
from contributions.selectors import contribution_bases_by_year
from pension import approvals, changelog
from pension.choices import InstructionPurpose
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.money import round_fen, to_decimal
from pension.payments import payment_instruction_create
from pension.periods import Period
from pension.selectors import policy_value

TRANSFER_OUT = "accounts.transfer_out"
TRANSFER_IN = "accounts.transfer_in"
SETTLEMENT = "accounts.settlement"
REVERSAL = "accounts.entry_reversal"
RATIO_KEY = "accounts.transfer_pooled_ratio"
FROM_YEAR_KEY = "accounts.transfer_pooled_from_year"

ERROR_REASON = _("Give the reason for the case.")
ERROR_ACCOUNT_CLOSED = _("The account is closed; nothing was changed.")
ERROR_ACCOUNT_DRAWING = _(
    "The holder draws a pension; the account can no longer move or be settled."
)
ERROR_CERTIFICATE_TAKEN = _(
    "The transfer certificate %(number)s is recorded already (case %(case)s)."
)
ERROR_CERTIFICATE_MISSING = _("Give the number of the transfer certificate.")
ERROR_PROVINCE_MISSING = _("Give the other province.")
ERROR_FIGURES_CHANGED = _(
    "The account has changed since the case was prepared (%(was)s then, %(now)s now); "
    "prepare the case again."
)
ERROR_AMOUNT = _("The %(field)s must be a number of yuan with at most two decimals, not below 0.")
ERROR_NOTHING_TO_PAY = _("The account has no balance to pay out.")
ERROR_NOT_AT_AGE = _(
    "%(name)s reaches the statutory retirement age on %(date)s; the account cannot be "
    "settled for that reason before."
)
ERROR_HAS_MINIMUM = _(
    "%(name)s has the minimum contribution months; a settlement at retirement age is "
    "only for people without them."
)
ERROR_PAYEE = _("Give the payee's name and bank account.")
ERROR_PAYEE_BANK = _("Give the payee's name, bank and bank account.")
ERROR_REVERSE_REVERSAL = _("A reversal is not reversed; reverse the original entry.")
ERROR_ALREADY_REVERSED = _("This entry is reversed already.")

POOLED_LINE = _("%(year)s: %(months)s months, bases %(bases)s → %(amount)s")
INTEREST_LINE = _("%(year)s: %(months)s months at %(rate)s → %(to_post)s")
HISTORY_LINE = _("%(first)s–%(last)s: %(months)s months, base %(base)s, index %(index)s")

FIELD_LABELS = {
    "account_amount": _("Account amount"),
    "pooled_amount": _("Pooled-fund amount"),
    "total": _("Total transferred"),
    "balance": _("Balance"),
    "interest": _("Interest to the month"),
    "amount": _("Amount"),
    "other_province": _("Other province"),
    "certificate_number": _("Transfer certificate number"),
    "reason_kind": _("Reason"),
    "payee_name": _("Payee"),
    "payee_account": _("Payee's bank account"),
    "payee_bank": _("Payee's bank"),
    "pooled_lines": _("Pooled-fund share by year"),
    "interest_lines": _("Interest by year"),
    "entry": _("Entry reversed"),
    "period": _("Month"),
    "history": _("Months contributed there"),
    "history_months": _("Months transferred in"),
}


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(ERROR_REASON, code="reason_required")
    return reason.strip()


def _amount(value: Decimal | str | int, field: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount < 0 or amount != round_fen(amount):
        raise InvalidInput(
            ERROR_AMOUNT, code="invalid_amount", params={"field": FIELD_LABELS[field]}
        )
    return amount


def _movable(account: PensionAccount) -> None:
    if account.status == AccountStatus.CLOSED:
        raise Conflict(ERROR_ACCOUNT_CLOSED, code="account_closed")
    if account.status == AccountStatus.DRAWING:
        raise Conflict(ERROR_ACCOUNT_DRAWING, code="account_drawing")


def _certificate_free(direction: str, number: str) -> None:
    taken = AccountTransfer.objects.filter(direction=direction, certificate_number=number).first()
    if taken is not None:
        raise Conflict(
            ERROR_CERTIFICATE_TAKEN,
            code="certificate_taken",
            params={"number": number, "case": taken.case_id},
        )
    operation = TRANSFER_OUT if direction == TransferDirection.OUT else TRANSFER_IN
    pending = ApprovalRequest.objects.filter(
        operation=operation,
        status=ApprovalStatus.PENDING,
        payload__certificate_number=number,
    ).first()
    if pending is not None:
        raise Conflict(
            ERROR_CERTIFICATE_TAKEN,
            code="certificate_taken",
            params={"number": number, "case": pending.pk},
        )


def _interest_preview(account: PensionAccount, period: Period) -> tuple[Decimal, list[dict]]:
    due = interest_due_until(account, period)
    lines = [
        {
            "year": row["year"],
            "months": row["interest"].months,
            "opening": str(row["interest"].opening),
            "entries": str(row["interest"].credits),
            "weighted": str(row["interest"].weighted),
            "rate": str(row["rate"].rate),
            "provisional": row["rate"].provisional,
            "method": row["interest"].method,
            "interest": str(row["interest"].interest),
            "already": str(row["already"]),
            "to_post": str(row["to_post"]),
            "reference": row["rate"].reference,
        }
        for row in due
    ]
    return sum((row["to_post"] for row in due), ZERO), lines


def payout_figures(account: PensionAccount, period: Period) -> dict[str, Any]:
    """What paying the account out at ``period`` comes to: the balance, the interest up
    to that month (and its lines), and their sum (a case's payload; checked again at
    approval)."""
    balance = account_balance(account)
    interest, interest_lines = _interest_preview(account, period)
    return {
        "period": str(period),
        "balance": str(balance),
        "interest": str(interest),
        "interest_lines": interest_lines,
        "account_amount": str(balance + interest),
    }


def _check_figures(request: ApprovalRequest, figures: dict[str, Any]) -> None:
    was, now = request.payload["account_amount"], figures["account_amount"]
    if Decimal(was) != Decimal(now):
        raise Conflict(
            ERROR_FIGURES_CHANGED, code="figures_changed", params={"was": was, "now": now}
        )


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def account_pay_out(
    request: ApprovalRequest, checker: StaffUser, *, kind: str, status_reason: str
) -> tuple[PensionAccount, Decimal]:
    """Interest to the month, then the whole balance out of the account, closed: the
    approved ``request`` (its payload holds ``account_id``, ``period`` and the
    ``payout_figures``) is the authority, so downstream cases (a survivors' claim) call
    it from their own approval."""
    account = locked_account(request.payload["account_id"])
    _movable(account)
    period = Period.parse(request.payload["period"])
    _check_figures(request, payout_figures(account, period))
    account_interest_until(
        actor=checker, account=account, until=period, case=request, reason=request.maker_reason
    )
    balance = account_balance(account)
    if balance != 0:
        entry = AccountEntry(
            account=account,
            kind=kind,
            period=period,
            value_period=period,
            amount=-balance,
            case=request,
            rule=request.operation,
        )
        entry.full_clean(exclude=["account", "case", "contribution_line", "run", "reverses"])
        entry.save()
    _set_status(checker, account, AccountStatus.CLOSED, status_reason)
    return account, balance


# --- transfer out (跨省转出) ---------------------------------------------------------


def transfer_out_figures(account: PensionAccount, *, on: date) -> dict[str, Any]:
    """What a transfer out on ``on`` moves: the account amount (balance and interest to
    the month, year by year) and the pooled-fund share year by year."""
    period = Period.from_date(on)
    figures = payout_figures(account, period)
    region = account.person.region_id
    ratio = policy_value(RATIO_KEY, on=on, region=region)
    from_year = policy_value(FROM_YEAR_KEY, on=on, region=region)
    years = contribution_bases_by_year(
        account.person_id, from_year=int(from_year.value), until_period=period.as_int
    )
    pooled_lines, pooled = calc.pooled_transfer(
        years, ratio=ratio.value, from_year=int(from_year.value)
    )
    figures.update(
        {
            "pooled_lines": [
                {
                    "year": line.year,
                    "months": line.months,
                    "bases": str(line.bases),
                    "amount": str(line.amount),
                }
                for line in pooled_lines
            ],
            "pooled_amount": str(pooled),
            "pooled_ratio": str(ratio.value),
            "references": [ratio.reference, from_year.reference],
        }
    )
    figures["total"] = str(Decimal(figures["account_amount"]) + pooled)
    return figures


def transfer_out_request(
    *,
    actor: StaffUser,
    account: PensionAccount,
    other_province: str,
    certificate_number: str,
    reason: str,
    payee_name: str = "",
    payee_bank: str = "",
    payee_account: str = "",
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose the transfer of the account to another province (§8.3): the money (the
    account and the pooled share) is paid to the receiving agency's fund account named
    on its acceptance letter (``payee_*``, all required), by a payment instruction."""
    reason = _reason(reason)
    _movable(account)
    payee = _payee(payee_name, payee_bank, payee_account)
    other_province = (other_province or "").strip()
    certificate_number = (certificate_number or "").strip()
    if not other_province:
        raise InvalidInput(ERROR_PROVINCE_MISSING, code="province_required")
    if not certificate_number:
        raise InvalidInput(ERROR_CERTIFICATE_MISSING, code="certificate_required")
    _certificate_free(TransferDirection.OUT, certificate_number)
    figures = transfer_out_figures(account, on=_today(today))
    person = account.person
    return approvals.approval_request_create(
        actor=actor,
        operation=TRANSFER_OUT,
        agency=person.agency,
        summary=str(_("Transfer of %(name)s to %(province)s"))
        % {"name": person.name, "province": other_province},
        payload={
            "account_id": account.pk,
            "person_id": person.pk,
            "other_province": other_province,
            "certificate_number": certificate_number,
            **payee,
            **figures,
        },
        target=account,
        amount=Decimal(figures["total"]),
        reason=reason,
        attachments=attachments,
    )


def _apply_transfer_out(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    _certificate_free_at_approval(TransferDirection.OUT, payload["certificate_number"], request)
    account, moved = account_pay_out(
        request, checker, kind=EntryKind.TRANSFER_OUT, status_reason=gettext_noop("transferred out")
    )
    transfer = AccountTransfer(
        direction=TransferDirection.OUT,
        account=account,
        other_province=payload["other_province"],
        certificate_number=payload["certificate_number"],
        transfer_period=Period.parse(payload["period"]),
        account_amount=moved,
        pooled_amount=Decimal(payload["pooled_amount"]),
        total=moved + Decimal(payload["pooled_amount"]),
        lines={
            "interest": payload["interest_lines"],
            "pooled": payload["pooled_lines"],
        },
        case=request,
    )
    transfer.full_clean(exclude=["account", "case", "lines"])
    transfer.save()
    _person_status(checker, account, "transferred_out", request)
    instruction = _instruct(
        checker, request, account, purpose=InstructionPurpose.TRANSFER_OUT,
        amount=transfer.total,
        details={"transfer": transfer.pk, "account_amount": moved,
                 "pooled_amount": transfer.pooled_amount},
    )  # fmt: skip
    _record(
        checker, request, account,
        {"transfer": transfer.pk, "total": transfer.total, "instruction": instruction.pk},
    )  # fmt: skip
    return {
        "transfer": transfer.pk,
        "account_amount": moved,
        "total": transfer.total,
        "instruction": instruction.pk,
    }


def _certificate_free_at_approval(direction: str, number: str, request: ApprovalRequest) -> None:
    taken = AccountTransfer.objects.filter(direction=direction, certificate_number=number).first()
    if taken is not None:
        raise Conflict(
            ERROR_CERTIFICATE_TAKEN,
            code="certificate_taken",
            params={"number": number, "case": taken.case_id},
        )


def _person_status(checker, account: PensionAccount, status: str, request) -> None:
    from enrollment.services import person_status_change

    person_status_change(
        actor=checker,
        person=account.person,
        status=status,
        reason=str(_("Approval request #%(id)s")) % {"id": request.pk},
    )


def _payee(name: str, bank: str, account: str) -> dict[str, str]:
    payee = {
        "payee_name": (name or "").strip(),
        "payee_bank": (bank or "").strip(),
        "payee_account": (account or "").strip(),
    }
    if not all(payee.values()):
        raise InvalidInput(ERROR_PAYEE_BANK, code="payee_required")
    return payee


def _instruct(
    checker, request: ApprovalRequest, account: PensionAccount, *, purpose: str,
    amount: Decimal, details: dict,
):  # fmt: skip
    """The payment instruction of an approved case: the money goes out through the
    payroll's bank file (``pension.payments``), never only booked."""
    payload = request.payload
    if not payload.get("payee_bank"):
        raise InvalidInput(ERROR_PAYEE_BANK, code="payee_required")
    return payment_instruction_create(
        actor=checker,
        purpose=purpose,
        source=f"{request.operation}:{request.pk}",
        region=account.person.region_id,
        target=account.person,
        payee_name=payload["payee_name"],
        bank_name=payload["payee_bank"],
        bank_account=payload["payee_account"],
        amount=amount,
        case=request,
        details=details,
    )


def _record(checker, request: ApprovalRequest, account: PensionAccount, after: dict) -> None:
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=account,
        after={"case": request.pk, "operation": request.operation, **after},
        reason=str(_("Approval request #%(id)s: %(reason)s"))
        % {"id": request.pk, "reason": request.maker_reason},
    )


# --- transfer in (跨省转入) ----------------------------------------------------------


def transfer_in_request(
    *,
    actor: StaffUser,
    person,
    other_province: str,
    certificate_number: str,
    account_amount: Decimal | str | int,
    pooled_amount: Decimal | str | int,
    reason: str,
    attachments: Iterable = (),
    today: date | None = None,
    history: str | Iterable[dict[str, Any]] = (),
) -> ApprovalRequest:
    """Propose recording a transfer in from another province: the account amount its
    certificate states, the pooled amount for the fund, and the months contributed
    there (``history``: spans of months with their monthly base and the index that
    province recorded, as text lines "2015-01 2016-06 5000.00 0.9321" or dicts), which
    count in the months contributed and in N and Z once approved
    (``contributions.transferred``, 国办发〔2009〕66号)."""
    reason = _reason(reason)
    other_province = (other_province or "").strip()
    certificate_number = (certificate_number or "").strip()
    if not other_province:
        raise InvalidInput(ERROR_PROVINCE_MISSING, code="province_required")
    if not certificate_number:
        raise InvalidInput(ERROR_CERTIFICATE_MISSING, code="certificate_required")
    account_amount = _amount(account_amount, "account_amount")
    pooled_amount = _amount(pooled_amount, "pooled_amount")
    existing = PensionAccount.objects.filter(person=person).first()
    if existing is not None:
        _movable(existing)
    _certificate_free(TransferDirection.IN, certificate_number)
    if isinstance(history, str):
        history = transferred.parse_history_text(history)
    spans = transferred.history_check(person=person, spans=history)
    period = Period.from_date(_today(today))
    total = account_amount + pooled_amount
    return approvals.approval_request_create(
        actor=actor,
        operation=TRANSFER_IN,
        agency=person.agency,
        summary=str(_("Transfer of %(name)s from %(province)s"))
        % {"name": person.name, "province": other_province},
        payload={
            "person_id": person.pk,
            "other_province": other_province,
            "certificate_number": certificate_number,
            "period": str(period),
            "account_amount": str(account_amount),
            "pooled_amount": str(pooled_amount),
            "total": str(total),
            "history": spans,
            "history_months": sum(span["months"] for span in spans),
        },
        target=person,
        amount=total,
        reason=reason,
        attachments=attachments,
    )


def _apply_transfer_in(request: ApprovalRequest, checker: StaffUser) -> dict:
    from enrollment.models import InsuredPerson

    payload = request.payload
    _certificate_free_at_approval(TransferDirection.IN, payload["certificate_number"], request)
    person = InsuredPerson.objects.select_for_update().get(pk=payload["person_id"])
    period = Period.parse(payload["period"])
    account = pension_account_open(
        actor=checker, person=person, period=period, reason=gettext_noop("transfer in")
    )
    account = locked_account(account)
    _movable(account)
    amount = Decimal(payload["account_amount"])
    if amount:
        entry = AccountEntry(
            account=account,
            kind=EntryKind.TRANSFER_IN,
            period=period,
            value_period=period,
            amount=amount,
            case=request,
            rule=TRANSFER_IN,
        )
        entry.full_clean(exclude=["account", "case", "contribution_line", "run", "reverses"])
        entry.save()
    if account.status == AccountStatus.SEALED:
        _set_status(checker, account, AccountStatus.OPEN, "transfer in")
    transfer = AccountTransfer(
        direction=TransferDirection.IN,
        account=account,
        other_province=payload["other_province"],
        certificate_number=payload["certificate_number"],
        transfer_period=period,
        account_amount=amount,
        pooled_amount=Decimal(payload["pooled_amount"]),
        total=Decimal(payload["total"]),
        lines=[],
        case=request,
    )
    transfer.full_clean(exclude=["account", "case", "lines"])
    transfer.save()
    months = transferred.transferred_months_record(
        actor=checker,
        person=person,
        request=request,
        from_province=payload["other_province"],
        spans=payload.get("history", []),
    )
    _record(checker, request, account, {"transfer": transfer.pk, "total": transfer.total})
    return {
        "transfer": transfer.pk,
        "account": account.pk,
        "account_amount": amount,
        "history_months": months,
    }


# --- settlement (个人账户一次性支付) ---------------------------------------------------


def settlement_request(
    *,
    actor: StaffUser,
    account: PensionAccount,
    reason_kind: str,
    payee_name: str,
    payee_account: str,
    reason: str,
    payee_bank: str = "",
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose paying out the account (§8.4) to ``payee_name``, by a payment
    instruction to ``payee_account`` at ``payee_bank`` (when blank: the bank on the
    holder's record)."""
    reason = _reason(reason)
    _movable(account)
    if reason_kind not in SettlementReason.values:
        raise InvalidInput(
            _("Unknown settlement reason: %(reason)s"),
            code="unknown_reason",
            params={"reason": reason_kind},
        )
    payee_name, payee_account = (payee_name or "").strip(), (payee_account or "").strip()
    if not payee_name or not payee_account:
        raise InvalidInput(ERROR_PAYEE, code="payee_required")
    on = _today(today)
    person = account.person
    if reason_kind == SettlementReason.RETIREMENT_SHORTFALL:
        from contributions.cases import contribution_shortfall

        shortfall = contribution_shortfall(person, on=on)
        if not shortfall.reached:
            raise Conflict(
                ERROR_NOT_AT_AGE,
                code="retirement_age_not_reached",
                params={"name": person.name, "date": shortfall.retirement.day},
            )
        if shortfall.missing_months == 0:
            raise Conflict(ERROR_HAS_MINIMUM, code="minimum_met", params={"name": person.name})
    if not ((payee_bank or "").strip() or person.bank_name):
        raise InvalidInput(ERROR_PAYEE_BANK, code="payee_required")
    figures = payout_figures(account, Period.from_date(on))
    if Decimal(figures["account_amount"]) <= 0:
        raise Conflict(ERROR_NOTHING_TO_PAY, code="nothing_to_pay")
    return approvals.approval_request_create(
        actor=actor,
        operation=SETTLEMENT,
        agency=person.agency,
        summary=str(_("Settlement of the account of %(name)s: %(reason)s"))
        % {"name": person.name, "reason": SettlementReason(reason_kind).label},
        payload={
            "account_id": account.pk,
            "person_id": person.pk,
            "reason_kind": reason_kind,
            "payee_name": payee_name,
            "payee_bank": (payee_bank or "").strip() or person.bank_name,
            "payee_account": payee_account,
            **figures,
        },
        target=account,
        amount=Decimal(figures["account_amount"]),
        reason=reason,
        attachments=attachments,
    )


# why a settlement closed an account, by its reason (msgids, as earlier rows stored
# them: the account page translates them)
SETTLED_REASONS = {
    SettlementReason.DEATH: gettext_noop("settled: death"),
    SettlementReason.EMIGRATION: gettext_noop("settled: emigration"),
    SettlementReason.NATIONALITY_LOST: gettext_noop("settled: nationality_lost"),
    SettlementReason.DOUBLE_ENROLMENT: gettext_noop("settled: double_enrolment"),
    SettlementReason.RETIREMENT_SHORTFALL: gettext_noop("settled: retirement_shortfall"),
}


def _apply_settlement(request: ApprovalRequest, checker: StaffUser) -> dict:
    payload = request.payload
    account, paid = account_pay_out(
        request,
        checker,
        kind=EntryKind.SETTLEMENT,
        status_reason=SETTLED_REASONS.get(payload["reason_kind"], gettext_noop("settled")),
    )
    result: dict[str, Any] = {"account": account.pk, "paid": paid, "payee": payload["payee_name"]}
    if paid > 0:
        result["instruction"] = _instruct(
            checker, request, account, purpose=InstructionPurpose.ACCOUNT_SETTLEMENT,
            amount=paid, details={"reason_kind": payload["reason_kind"]},
        ).pk  # fmt: skip
    _record(checker, request, account, result)
    return result


# --- reversal (冲正) -------------------------------------------------------------------


def entry_reversal_request(
    *, actor: StaffUser, entry: AccountEntry, reason: str, attachments: Iterable = ()
) -> ApprovalRequest:
    """Propose reversing a wrong entry."""
    reason = _reason(reason)
    if entry.kind == EntryKind.REVERSAL:
        raise Conflict(ERROR_REVERSE_REVERSAL, code="reversal_of_reversal")
    if AccountEntry.objects.filter(reverses=entry).exists():
        raise Conflict(ERROR_ALREADY_REVERSED, code="already_reversed")
    account = entry.account
    _movable(account)
    person = account.person
    return approvals.approval_request_create(
        actor=actor,
        operation=REVERSAL,
        agency=person.agency,
        summary=str(_("Reversal of an account entry of %(name)s")) % {"name": person.name},
        payload={
            "account_id": account.pk,
            "entry": entry.pk,
            "kind": entry.kind,
            "period": str(entry.period),
            "amount": str(-entry.amount),
        },
        target=account,
        amount=abs(entry.amount),
        reason=reason,
        attachments=attachments,
    )


def _apply_reversal(request: ApprovalRequest, checker: StaffUser) -> dict:
    from accounts.runs import open_value_period

    account = locked_account(request.payload["account_id"])
    _movable(account)
    original = AccountEntry.objects.get(pk=request.payload["entry"], account=account)
    if AccountEntry.objects.filter(reverses=original).exists():
        raise Conflict(ERROR_ALREADY_REVERSED, code="already_reversed")
    period = Period.from_date(timezone.localdate())
    entry = AccountEntry(
        account=account,
        kind=EntryKind.REVERSAL,
        period=original.period,
        value_period=max(period, open_value_period()),
        amount=-original.amount,
        interest_year=original.interest_year,
        contribution_line=original.contribution_line,
        case=request,
        reverses=original,
        rule=REVERSAL,
    )
    entry.full_clean(exclude=["account", "case", "contribution_line", "run", "reverses"])
    entry.save()
    _record(checker, request, account, {"entry": entry.pk, "amount": entry.amount})
    return {"entry": entry.pk, "amount": entry.amount}


def _show(field: str, value: Any) -> str:
    if field == "reason_kind":
        return str(SettlementReason(value).label)
    if field == "pooled_lines":
        return "；".join(str(POOLED_LINE) % x for x in value)
    if field == "interest_lines":
        return "；".join(str(INTEREST_LINE) % x for x in value)
    if field == "history":
        return "；".join(str(HISTORY_LINE) % x for x in value) or "—"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


for _key, _label, _apply in (
    (TRANSFER_OUT, _("Transfer of an account to another province"), _apply_transfer_out),
    (TRANSFER_IN, _("Transfer of an account from another province"), _apply_transfer_in),
    (SETTLEMENT, _("Settlement of a personal account"), _apply_settlement),
    (REVERSAL, _("Reversal of an account entry"), _apply_reversal),
):
    approvals.register_operation(
        _key, label=_label, apply=_apply, field_labels=FIELD_LABELS, display=_show
    )
