"""Payment instructions (支付指令): money that goes out is never only booked.

A domain whose approved case pays money out (a refund of contributions, an account
settlement, a transfer to another province, survivor benefits of a person who was not
in payment) writes a ``PaymentInstruction`` with ``payment_instruction_create`` in the
approval's transaction. The next live payroll run of its region carries it
(``benefits.payroll.runs``: a ``PayrollPayment`` pointing at the instruction, in the bank
file of its bank, with the payroll's control totals), and the bank's result marks it
paid or failed (``benefits.payroll.bank``). A failed instruction is paid again only after a
caseworker gives a corrected account (``payment_instruction_reissue``): the account
came from the case, so paying it again unchanged would fail again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pension import changelog
from pension.choices import InstructionPurpose, InstructionStatus
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ChangeAction, PaymentInstruction, Region
from pension.money import FEN, to_decimal

ERROR_PAYEE = _("Give the payee's name, bank and bank account.")
ERROR_AMOUNT = _("The amount paid out must be more than zero and a whole number of fen.")
ERROR_NOT_FAILED = _("Only a failed payment instruction is issued again.")


def _payee(payee_name: str, bank_name: str, bank_account: str) -> tuple[str, str, str]:
    payee = tuple((value or "").strip() for value in (payee_name, bank_name, bank_account))
    if not all(payee):
        raise InvalidInput(ERROR_PAYEE, code="payee_required")
    return payee  # type: ignore[return-value]


@transaction.atomic
def payment_instruction_create(
    *,
    actor,
    purpose: str,
    source: str,
    region: Region | str,
    target: models.Model,
    payee_name: str,
    bank_name: str,
    bank_account: str,
    amount: Decimal,
    case: ApprovalRequest | None = None,
    details: dict[str, Any] | None = None,
) -> PaymentInstruction:
    """Write the instruction to pay ``amount`` to the payee (支付指令), for ``target``
    (the insured person concerned), once per ``source``: a second call with the same
    source returns the first instruction and writes nothing."""
    existing = PaymentInstruction.objects.filter(source=source).first()
    if existing is not None:
        return existing
    payee_name, bank_name, bank_account = _payee(payee_name, bank_name, bank_account)
    amount = to_decimal(amount)
    if amount <= 0 or amount != amount.quantize(FEN):
        raise InvalidInput(ERROR_AMOUNT, code="invalid_amount")
    instruction = PaymentInstruction(
        purpose=InstructionPurpose(purpose),
        source=source,
        region_id=region.pk if isinstance(region, Region) else region,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        payee_name=payee_name,
        bank_name=bank_name,
        bank_account=bank_account,
        amount=amount.quantize(FEN),
        details=changelog.json_safe(details or {}),
        case=case,
        created_by=actor,
    )
    instruction.full_clean(exclude=["region", "content_type", "case", "created_by"])
    instruction.save(force_insert=True)
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=instruction,
        after=changelog.snapshot(instruction),
        reason=source,
    )
    return instruction


@transaction.atomic
def payment_instruction_reissue(
    *, actor, instruction: PaymentInstruction, bank_name: str, bank_account: str, reason: str
) -> PaymentInstruction:
    """A failed instruction to the corrected account, open again for the next payroll."""
    instruction = PaymentInstruction.objects.select_for_update().get(pk=instruction.pk)
    if instruction.status != InstructionStatus.FAILED:
        raise Conflict(ERROR_NOT_FAILED, code="not_failed")
    _name, bank_name, bank_account = _payee(instruction.payee_name, bank_name, bank_account)
    before = {
        "status": instruction.status,
        "bank_name": instruction.bank_name,
        "bank_account": instruction.bank_account,
        "failure_reason": instruction.failure_reason,
    }
    instruction.bank_name, instruction.bank_account = bank_name, bank_account
    instruction.status, instruction.failure_reason = InstructionStatus.OPEN, ""
    instruction.save(update_fields=["bank_name", "bank_account", "status", "failure_reason"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=instruction,
        before=before,
        after={"status": instruction.status, "bank_name": bank_name, "bank_account": bank_account},
        reason=reason,
    )
    return instruction


def payment_instructions_of(target: models.Model) -> QuerySet[PaymentInstruction]:
    """The instructions for ``target`` (an insured person), newest first."""
    return PaymentInstruction.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    )
