"""Fund revenue (基金收入, DESIGN §5.5): the tax bureau's transfers of what it collected
to the fund's income accounts (or the special account), posted tax clearing → account.

The tax bureau's system calls ``/api/v1/funds/tax-transfers/`` (scope
``funds.tax_transfer``) with the transfer number as the ``Idempotency-Key``; a transfer
number is recorded once per system, a receipt is covered by one transfer only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.payments import normalise_receipt_number
from funds.choices import AccountKind, Counterparty, FundItem
from funds.ledger import Source, credit, debit, fund_account_for, post_entry
from funds.models import FundAccount, TaxTransfer, TaxTransferReceipt
from pension import changelog
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApiClient, ChangeAction
from pension.periods import Period

TAX_TRANSFER_SCOPE = "funds.tax_transfer"

UNKNOWN_RECEIVING_ACCOUNT = _(
    "Unknown receiving account %(account)s: give the code of an income account or of "
    "the fiscal special account."
)
ACCOUNT_OUTSIDE = _("The account %(account)s lies outside this system's region.")
TRANSFER_IN_FUTURE = _("The transfer date cannot be in the future.")
AMOUNT_NOT_POSITIVE = _("The amount must be greater than zero.")
RECEIPTS_REPEATED = _("The receipt %(receipt)s is listed twice.")
RECEIPTS_TAKEN = _(
    "The receipts %(receipts)s are already covered by another transfer; nothing was changed."
)
TRANSFER_RECORDED = _(
    "The transfer %(number)s is already recorded under another request; nothing was changed."
)
NO_RECEIPTS = _("A transfer covers at least one receipt.")


@transaction.atomic
def tax_transfer_record(
    *,
    client: ApiClient,
    transfer_number: str,
    transferred_on: date,
    account_code: str,
    amount: Decimal,
    receipt_numbers: Sequence[str],
) -> TaxTransfer:
    """Record a tax bureau transfer and post it: debit the receiving account (an income
    account or the special account), credit the tax clearing account of its region,
    item tax transfer, in the month of ``transferred_on``. Refused with nothing
    changed: an unknown account or one of another kind (400), one outside the system's
    region (403), a date in the future, an amount not above zero, no receipt or one
    listed twice (400), a receipt already covered or the transfer number already
    recorded (409), a closed period (409 ``period_closed``)."""
    number = transfer_number.strip()
    account = (
        FundAccount.objects.select_related("region")
        .filter(code=account_code, kind__in=[AccountKind.INCOME, AccountKind.SPECIAL])
        .first()
    )
    if account is None or not account.is_active:
        raise InvalidInput(
            UNKNOWN_RECEIVING_ACCOUNT, code="unknown_account", params={"account": account_code}
        )
    if not account.region_id.startswith(client.region.scope_prefix):
        raise NotPermitted(ACCOUNT_OUTSIDE, code="outside_region", params={"account": account_code})
    if transferred_on > timezone.localdate():
        raise InvalidInput(TRANSFER_IN_FUTURE, code="transferred_on_in_future")
    if amount <= 0:
        raise InvalidInput(AMOUNT_NOT_POSITIVE, code="amount_not_positive")
    receipts = [normalise_receipt_number(r) for r in receipt_numbers]
    if not receipts:
        raise InvalidInput(NO_RECEIPTS, code="receipts_missing")
    seen: set[str] = set()
    for receipt in receipts:
        if receipt in seen:
            raise InvalidInput(
                RECEIPTS_REPEATED, code="receipt_repeated", params={"receipt": receipt}
            )
        seen.add(receipt)
    if TaxTransfer.objects.filter(client=client, transfer_number=number).exists():
        raise Conflict(
            TRANSFER_RECORDED, code="transfer_already_recorded", params={"number": number}
        )
    taken = sorted(
        TaxTransferReceipt.objects.filter(receipt_number__in=receipts).values_list(
            "receipt_number", flat=True
        )
    )
    if taken:
        raise Conflict(
            RECEIPTS_TAKEN,
            code="receipt_already_covered",
            params={"receipts": "、".join(taken[:10])},
            details={"receipts": taken},
        )
    clearing = fund_account_for(
        region=account.region, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
    )
    entry = post_entry(
        actor=None,
        api_client=client,
        period=Period.from_date(transferred_on),
        legs=[debit(account, amount), credit(clearing, amount)],
        source=Source("funds.taxtransfer", number, number),
        memo=f"{client.name} {number}",
        idempotency_key=f"tax_transfer:{client.pk}:{number}",
        item=FundItem.TAX_TRANSFER,
    )
    transfer = TaxTransfer(
        client=client,
        transfer_number=number,
        transferred_on=transferred_on,
        account=account,
        amount=amount,
        entry=entry,
    )
    transfer.full_clean(exclude=["entry"])
    transfer.save()
    TaxTransferReceipt.objects.bulk_create(
        [TaxTransferReceipt(transfer=transfer, receipt_number=r) for r in receipts]
    )
    changelog.record(
        actor=None,
        action=ChangeAction.CREATE,
        instance=transfer,
        after={
            "transfer_number": number,
            "transferred_on": transferred_on,
            "account": account.code,
            "amount": amount,
            "receipts": len(receipts),
            "entry": entry.pk,
        },
    )
    return transfer
