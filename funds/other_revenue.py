"""Revenue recorded by a case (其他基金收入登记, DESIGN §5.5, operations standard §10.2):
fiscal subsidies (财政补贴), central adjustment funds (中央调剂金), interest income,
transfers in and other revenue. No system of this project sends them, so a fund
accountant records each one from its document; a second person approves
(maker-checker, ``pension.approvals``) and the approval posts it with
``funds.ledger.post_entry``: debit the receiving account (the region's income account,
expenditure account or, for the province, the special account), credit the region's
revenue account, in the month it was received, once per record.

A document (region, item, document number) is recorded once; when the checker rejected
it, or the maker withdrew it, it may be recorded again (the old record is marked
rejected). Services (writes) and selectors (reads).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds import ledger
from funds.choices import (
    MONEY_KINDS,
    OTHER_REVENUE_ITEMS,
    AccountKind,
    FundItem,
    OtherRevenueStatus,
)
from funds.models import AccountingPeriod, FundAccount, OtherRevenue
from pension import approvals, changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import Agency, ApprovalRequest, ApprovalStatus, ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.scope import region_allows, restrict, user_prefix

OP_OTHER_REVENUE = "funds.other_revenue"
MAKER_ROLES = (Role.FUND_ACCOUNTANT,)
CHECKER_ROLES = (Role.REVIEWER, Role.AGENCY_HEAD)

ERROR_NOT_MAKER = _("Only a fund accountant records fund revenue.")
ERROR_OUTSIDE = _("You cannot record revenue of this region.")
ERROR_ITEM = _("%(item)s is not revenue recorded by a case.")
ERROR_ACCOUNT = _(
    "The receiving account must be an income account, an expenditure account or the special "
    "account of the region."
)
ERROR_AMOUNT = _("The amount must be greater than zero.")
ERROR_FUTURE = _("The date received cannot be in the future.")
ERROR_DOCUMENT = _("Give the document number.")
ERROR_PAYER = _("Give who paid the money.")
ERROR_RECORDED = _(
    "The document %(reference)s is already recorded for %(item)s in %(region)s; nothing was "
    "changed."
)
ERROR_PERIOD_CLOSED = _(
    "The accounting period %(period)s is closed; nothing can be posted into it."
)
ERROR_NOT_PENDING = _("This revenue record is no longer waiting for the checker.")
ERROR_NO_AGENCY = _("%(region)s has no agency of its own.")


def may_record(user) -> bool:
    """Whether the user records revenue (a fund accountant)."""
    return bool(user.is_superuser or user.has_role(*MAKER_ROLES))


def receiving_accounts(region: Region) -> QuerySet[FundAccount]:
    """The accounts of ``region`` that receive money: income, expenditure, special."""
    return FundAccount.objects.filter(
        region=region, kind__in=sorted(MONEY_KINDS), counterparty="", is_active=True
    ).order_by("kind")


def _agency_of(region: Region) -> Agency:
    agency = Agency.objects.filter(region=region, is_active=True).order_by("code").first()
    if agency is None:
        raise InvalidInput(ERROR_NO_AGENCY, code="no_agency", params={"region": region.name})
    return agency


def _period_open(period: Period) -> bool:
    row = AccountingPeriod.objects.filter(period=period).first()
    return row is None or row.is_open


def _item_label(item: str) -> str:
    return str(FundItem(item).label)


@transaction.atomic
def other_revenue_request(
    *,
    actor: StaffUser,
    region: Region,
    item: str,
    amount: Decimal,
    received_on: date,
    document_reference: str,
    payer: str,
    account: FundAccount | None = None,
    account_kind: str = AccountKind.INCOME,
    memo: str = "",
    reason: str = "",
) -> OtherRevenue:
    """A fund accountant records revenue of ``region`` (theirs or below) for a checker.
    ``account`` defaults to the region's account of ``account_kind`` (income,
    expenditure, or special for the province; opened on first use).
    Refused with nothing written: not a fund accountant or a region outside theirs
    (NotPermitted), an item that is not case-recorded revenue, an account of another
    region or kind, an amount not above zero, a date in the future, no document number
    or payer (InvalidInput), the document already recorded or the month closed
    (Conflict)."""
    if not may_record(actor):
        raise NotPermitted(ERROR_NOT_MAKER, code="not_fund_accountant")
    if not region_allows(actor, region.code, "prepare", model=OtherRevenue):
        raise NotPermitted(ERROR_OUTSIDE, code="outside_region")
    if item not in OTHER_REVENUE_ITEMS:
        raise InvalidInput(ERROR_ITEM, code="unknown_item", params={"item": item})
    if amount is None or amount <= 0:
        raise InvalidInput(ERROR_AMOUNT, code="amount_not_positive")
    if received_on > timezone.localdate():
        raise InvalidInput(ERROR_FUTURE, code="received_on_in_future")
    reference = (document_reference or "").strip()
    if not reference:
        raise InvalidInput(ERROR_DOCUMENT, code="document_required")
    if not (payer or "").strip():
        raise InvalidInput(ERROR_PAYER, code="payer_required")
    if account is None:
        special_elsewhere = (
            account_kind == AccountKind.SPECIAL and region.level != RegionLevel.PROVINCE
        )
        if account_kind not in MONEY_KINDS or special_elsewhere:
            raise InvalidInput(ERROR_ACCOUNT, code="bad_account")
        account = ledger.fund_account_for(region=region, kind=account_kind, actor=actor)
    if account.region_id != region.code or account.kind not in MONEY_KINDS:
        raise InvalidInput(ERROR_ACCOUNT, code="bad_account")
    period = Period.from_date(received_on)
    if not _period_open(period):
        raise Conflict(ERROR_PERIOD_CLOSED, code="period_closed", params={"period": period})
    existing = (
        OtherRevenue.objects.select_for_update(of=("self",))
        .select_related("approval")
        .filter(region=region, item=item, document_reference=reference)
        .exclude(status=OtherRevenueStatus.REJECTED)
        .first()
    )
    if existing is not None:
        stale = (
            existing.status == OtherRevenueStatus.PENDING
            and existing.approval is not None
            and existing.approval.status in (ApprovalStatus.REJECTED, ApprovalStatus.WITHDRAWN)
        )
        if not stale:
            raise Conflict(
                ERROR_RECORDED,
                code="already_recorded",
                params={"reference": reference, "item": _item_label(item), "region": region.name},
            )
        existing.status = OtherRevenueStatus.REJECTED
        existing.save(update_fields=["status"])
        changelog.record(
            actor=actor, action=ChangeAction.UPDATE, instance=existing,
            before={"status": OtherRevenueStatus.PENDING},
            after={"status": OtherRevenueStatus.REJECTED},
        )  # fmt: skip
    agency = _agency_of(region)
    record = OtherRevenue(
        region=region, agency=agency, item=item, amount=amount, received_on=received_on,
        account=account, document_reference=reference, payer=payer.strip(),
        memo=(memo or "").strip(), prepared_by=actor,
    )  # fmt: skip
    record.full_clean()
    record.save()
    request = approvals.approval_request_create(
        actor=actor,
        operation=OP_OTHER_REVENUE,
        agency=agency,
        summary=gettext("%(item)s of %(region)s: %(amount)s (%(reference)s)")
        % {
            "item": _item_label(item),
            "region": region.name,
            "amount": amount,
            "reference": reference,
        },
        payload={
            "record_id": record.pk,
            "region": region.name,
            "item": item,
            "amount": amount,
            "received_on": received_on,
            "account": account.code,
            "document_reference": reference,
            "payer": record.payer,
        },
        target=record,
        before={"status": OtherRevenueStatus.PENDING},
        amount=amount,
        reason=reason,
        # fund-level sums: the thresholds of batches and sweeps, not of a person's case
        threshold_key="approvals.batch_amount_thresholds",
    )
    record.approval = request
    record.save(update_fields=["approval"])
    changelog.record(
        actor=actor, action=ChangeAction.CREATE, instance=record,
        after=changelog.snapshot(record),
    )  # fmt: skip
    return record


def _apply_other_revenue(request: ApprovalRequest, checker: StaffUser) -> dict:
    record = (
        OtherRevenue.objects.select_for_update()
        .select_related("region", "account")
        .get(pk=request.payload["record_id"])
    )
    if record.status != OtherRevenueStatus.PENDING:
        raise Conflict(ERROR_NOT_PENDING, code="not_pending")
    revenue_account = ledger.fund_account_for(
        region=record.region, kind=AccountKind.REVENUE, actor=checker
    )
    entry = ledger.post_entry(
        actor=checker,
        period=Period.from_date(record.received_on),
        legs=[
            ledger.debit(record.account, record.amount),
            ledger.credit(revenue_account, record.amount),
        ],
        source=ledger.Source("funds.otherrevenue", str(record.pk), record.document_reference),
        memo=f"{record.payer} {record.document_reference}",
        idempotency_key=f"other_revenue:{record.pk}",
        item=record.item,
    )
    record.status = OtherRevenueStatus.POSTED
    record.ledger_entry = entry
    record.save(update_fields=["status", "ledger_entry"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=record,
        before={"status": OtherRevenueStatus.PENDING},
        after={"status": record.status, "ledger_entry": entry.pk},
    )
    return {"record_id": record.pk, "ledger_entry": entry.pk}


# --- reads ----------------------------------------------------------------------------


def other_revenue_list(*, user, filters: dict | None = None) -> QuerySet[OtherRevenue]:
    """Revenue records of the user's region and below, newest first."""
    queryset = OtherRevenue.objects.select_related(
        "region", "account", "prepared_by", "approval", "ledger_entry"
    )
    return restrict(queryset, user, "view").filter(**(filters or {}))


def other_revenue_for_prefix(prefix: str) -> QuerySet[OtherRevenue]:
    """Revenue records of the regions under ``prefix`` (an API client's region; "-"
    matches none), with their region, account and approval."""
    return OtherRevenue.objects.select_related("region", "account", "approval").filter(
        region__code__startswith=prefix
    )


def recordable_regions(user) -> list[Region]:
    """The regions whose revenue the user may record: theirs and those below."""
    if not may_record(user):
        return []
    prefix = user_prefix(user, OtherRevenue, "prepare")
    if prefix is None:
        return []
    return list(Region.objects.filter(code__startswith=prefix).order_by("code"))


# --- how the work queue shows it ---------------------------------------------------------

FIELD_LABELS = {
    "record_id": _("Revenue record (id)"),
    "region": _("Region"),
    "item": _("Revenue item"),
    "amount": _("Amount"),
    "received_on": _("Received on"),
    "account": _("Receiving account"),
    "document_reference": _("Document number"),
    "payer": _("Remitted by"),
    "status": _("Status"),
}


def _show(field: str, value) -> str:
    if field == "item" and value in FundItem.values:
        return _item_label(value)
    if field == "status" and value in OtherRevenueStatus.values:
        return str(OtherRevenueStatus(value).label)
    return str(value)


approvals.register_operation(
    OP_OTHER_REVENUE,
    label=_("Recording of fund revenue"),
    apply=_apply_other_revenue,
    checker_roles=CHECKER_ROLES,
    field_labels=FIELD_LABELS,
    display=_show,
)
