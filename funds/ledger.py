"""The fund ledger's writes (基金会计账, DESIGN §5.5): post an entry, reverse it, open the
accounts a region needs, close a period (maker-checker).

Every movement of money goes through ``post_entry`` (or, for a batch, its set-based
``INSERT … SELECT`` under the same database rules): at least two legs, debits positive
and credits negative, summing to zero, in an open period, from a source document, by an
actor, posted once per idempotency key. The database refuses what breaks these rules
whoever writes (funds/migrations/0001); this module says why in Chinese first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds.choices import BREAK_SETTLED, AccountKind, Counterparty, FundItem, PeriodStatus
from funds.models import (
    AccountingPeriod,
    FundAccount,
    JournalEntry,
    JournalLeg,
    ReconciliationBreak,
)
from pension import approvals, changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pension.models import (
    ApiClient,
    ApprovalRequest,
    ApprovalStatus,
    ChangeAction,
    Region,
    StaffUser,
)
from pension.periods import Period

PERIOD_CLOSE = "funds.period_close"

UNBALANCED = _("The entry does not balance: its debits and credits differ by %(difference)s.")
TOO_FEW_LEGS = _("A journal entry needs at least two legs.")
ZERO_LEG = _("A leg's amount cannot be zero.")
BAD_AMOUNT = _("A leg's amount must be an amount in yuan with at most two decimals.")
UNKNOWN_ACCOUNT = _("Unknown or inactive fund account: %(account)s.")
PERIOD_CLOSED = _("The accounting period %(period)s is closed; nothing can be posted into it.")
KEY_REQUIRED = _("An idempotency key is required.")
KEY_REUSED = _(
    "The idempotency key %(key)s was already used for a different posting; nothing was changed."
)
UNKNOWN_ITEM = _("Unknown revenue or expenditure item: %(item)s.")
SOURCE_REQUIRED = _("A journal entry needs its source document.")
ALREADY_REVERSED = _("Journal entry %(entry)s has already been reversed.")
REASON_REQUIRED = _("A reversal needs a reason.")
CLOSE_NOT_ALLOWED = _("Only a provincial fund accountant may close an accounting period.")
EARLIER_OPEN = _("The earlier period %(period)s is still open; close it first.")
CLOSE_PENDING = _("The close of %(period)s is already awaiting approval.")
PERIOD_NOT_OPEN = _("The accounting period %(period)s is not open.")
BREAKS_OPEN = _(
    "%(count)s reconciliation break(s) of %(period)s are neither resolved, explained nor "
    "carried as timing differences; a month closes only when every break is settled."
)


def _refuse_open_breaks(period: Period) -> None:
    """A month closes only when every reconciliation break of it is resolved or accepted
    (explained, or carried as a timing difference)."""
    count = (
        ReconciliationBreak.objects.filter(run__period=period)
        .exclude(status__in=list(BREAK_SETTLED))
        .count()
    )
    if count:
        raise Conflict(BREAKS_OPEN, code="breaks_open", params={"count": count, "period": period})


@dataclass(frozen=True)
class Leg:
    """One leg to post: a debit when ``amount`` is positive, a credit when negative."""

    account: FundAccount | int
    amount: Decimal

    @property
    def account_id(self) -> int:
        return self.account if isinstance(self.account, int) else self.account.pk


def debit(account: FundAccount | int, amount: Decimal) -> Leg:
    return Leg(account, amount)


def credit(account: FundAccount | int, amount: Decimal) -> Leg:
    return Leg(account, -amount)


@dataclass(frozen=True)
class Source:
    """The source document of an entry: its type (``app_label.model`` or a name such
    as ``tax_transfer``), its id and a reference (a number the counterparty gave)."""

    type: str
    id: str = ""
    reference: str = ""


# ---------------------------------------------------------------------------- accounts

_CODE_PART = {
    AccountKind.INCOME: "SR",
    AccountKind.EXPENDITURE: "ZC",
    AccountKind.SPECIAL: "ZH",
    AccountKind.RECEIVABLE: "YS",
    AccountKind.CLEARING: "WL",
    AccountKind.REVENUE: "JJSR",
    AccountKind.EXPENSE: "JJZC",
}


def _account_name(region: Region, kind: str, counterparty: str, bank: str) -> str:
    with translation.override("zh-hans"):
        label = str(AccountKind(kind).label)
        if kind == AccountKind.CLEARING:
            label = bank or str(Counterparty(counterparty).label)
            label = gettext("%(counterparty)s clearing") % {"counterparty": label}
    return f"{region.name}{label}"[:120]


def fund_account_for(
    *, region: Region, kind: str, counterparty: str = "", bank: str = "", actor=None
) -> FundAccount:
    """The region's account of ``kind`` (with that counterparty and bank), opened on first
    use with a change-log row. Codes read ``<division>-<kind>[-<counterparty>[-<bank>]]``."""
    account = FundAccount.objects.filter(
        region=region, kind=kind, counterparty=counterparty, bank=bank
    ).first()
    if account is not None:
        return account
    with transaction.atomic():
        code = "-".join(p for p in (region.code, _CODE_PART[kind], counterparty.upper()) if p)
        if bank:
            code = f"{code}-{hashlib.sha1(bank.encode()).hexdigest()[:8].upper()}"
        account = FundAccount(
            code=code,
            name=_account_name(region, kind, counterparty, bank),
            kind=kind,
            region=region,
            counterparty=counterparty,
            bank=bank,
        )
        account.full_clean()
        with connection.cursor() as cursor:  # two openers at once: one row
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"fundaccount:{code}"])
        existing = FundAccount.objects.filter(code=code).first()
        if existing is not None:
            return existing
        account.save()
        changelog.record(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=account,
            after=changelog.snapshot(account, ["code", "name", "kind", "region", "bank"]),
        )
    return account


STANDARD_ACCOUNTS = {
    # a county collects (tax clearing → income account), pays (expenditure account) and
    # records revenue and expenditure by item (nominal accounts)
    RegionLevel.COUNTY: [
        (AccountKind.INCOME, ""),
        (AccountKind.EXPENDITURE, ""),
        (AccountKind.RECEIVABLE, ""),
        (AccountKind.CLEARING, Counterparty.TAX),
        (AccountKind.REVENUE, ""),
        (AccountKind.EXPENSE, ""),
    ],
    RegionLevel.CITY: [
        (AccountKind.INCOME, ""),
        (AccountKind.EXPENDITURE, ""),
        (AccountKind.RECEIVABLE, ""),
        (AccountKind.CLEARING, Counterparty.TAX),
        (AccountKind.REVENUE, ""),
        (AccountKind.EXPENSE, ""),
    ],
    RegionLevel.PROVINCE: [
        (AccountKind.INCOME, ""),
        (AccountKind.EXPENDITURE, ""),
        (AccountKind.SPECIAL, ""),
        (AccountKind.RECEIVABLE, ""),
        (AccountKind.CLEARING, Counterparty.TAX),
        (AccountKind.CLEARING, Counterparty.FINANCE),
        (AccountKind.REVENUE, ""),
        (AccountKind.EXPENSE, ""),
    ],
}


def fund_accounts_open(*, actor=None, regions: Sequence[Region] | None = None) -> int:
    """Open the standard accounts of every region (or of ``regions``) that lacks them;
    returns how many were opened."""
    regions = list(regions) if regions is not None else list(Region.objects.all())
    # what is there already, in one query (every close opens them: a query or three per
    # account of the province would cost seconds a close)
    have = set(FundAccount.objects.filter(bank="").values_list("region_id", "kind", "counterparty"))
    missing = [
        (region, kind, counterparty)
        for region in regions
        for kind, counterparty in STANDARD_ACCOUNTS[region.level]
        if (region.code, kind, counterparty) not in have
    ]
    if not missing:
        return 0
    before = FundAccount.objects.count()
    for region, kind, counterparty in missing:
        fund_account_for(region=region, kind=kind, counterparty=counterparty, actor=actor)
    return FundAccount.objects.count() - before


# ----------------------------------------------------------------------------- periods


def accounting_period_for(period: Period | int | str, *, lock: bool = False) -> AccountingPeriod:
    """The accounting period of a month, opened on first use."""
    period = Period.parse(period)
    row, _created = AccountingPeriod.objects.get_or_create(period=period)
    if lock:
        row = AccountingPeriod.objects.select_for_update().get(pk=row.pk)
    return row


# ----------------------------------------------------------------------------- posting


def _amount(value) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise InvalidInput(BAD_AMOUNT, code="bad_amount")
    value = Decimal(value)
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(BAD_AMOUNT, code="bad_amount")
    if value == 0:
        raise InvalidInput(ZERO_LEG, code="zero_leg")
    return value.quantize(Decimal("0.01"))


def _content_hash(*, period: Period, item: str, legs, source: Source, reverses_id) -> str:
    content = {
        "period": period.as_int,
        "item": item,
        "legs": sorted([leg_account, str(amount)] for leg_account, amount in legs),
        "source": [source.type, source.id, source.reference],
        "reverses": reverses_id,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(key: str, content_hash: str) -> JournalEntry | None:
    """The entry already posted under ``key`` (same content), or a 409 (other content)."""
    entry = JournalEntry.objects.filter(idempotency_key=key).first()
    if entry is None:
        return None
    if entry.content_hash != content_hash:
        raise Conflict(KEY_REUSED, code="idempotency_key_reused", params={"key": key})
    entry.replayed = True
    return entry


@transaction.atomic
def post_entry(
    *,
    actor: StaffUser | None,
    period: Period | int | str,
    legs: Sequence[Leg],
    source: Source,
    memo: str = "",
    idempotency_key: str,
    item: str,
    api_client: ApiClient | None = None,
    _reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one journal entry, once per ``idempotency_key``.

    A replay with the same content returns the first entry (``entry.replayed`` is True);
    the same key with other content is refused (``Conflict`` idempotency_key_reused).
    Refused with nothing written: fewer than two legs, a zero or malformed amount, legs
    that do not sum to zero, an unknown or inactive account, an unknown item, no source,
    a closed period. The actor is a staff user, or None with ``api_client``."""
    key = (idempotency_key or "").strip()
    if not key:
        raise InvalidInput(KEY_REQUIRED, code="idempotency_key_required")
    if item not in FundItem.values:
        raise InvalidInput(UNKNOWN_ITEM, code="unknown_item", params={"item": item})
    if not source.type:
        raise InvalidInput(SOURCE_REQUIRED, code="source_required")
    period = Period.parse(period)
    if len(legs) < 2:
        raise InvalidInput(TOO_FEW_LEGS, code="too_few_legs")
    pairs = [(leg.account_id, _amount(leg.amount)) for leg in legs]
    total = sum((amount for _account, amount in pairs), Decimal("0.00"))
    if total != 0:
        raise InvalidInput(UNBALANCED, code="unbalanced", params={"difference": total})
    content_hash = _content_hash(
        period=period,
        item=item,
        legs=pairs,
        source=source,
        reverses_id=_reverses.pk if _reverses else None,
    )
    # one poster per key at a time: the second waits, then finds the first's entry
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"journalentry:{key}"])
    replayed = _replay(key, content_hash)
    if replayed is not None:
        return replayed
    accounts = FundAccount.objects.in_bulk({account for account, _amount in pairs})
    for account_id, _value in pairs:
        account = accounts.get(account_id)
        if account is None or not account.is_active:
            raise InvalidInput(
                UNKNOWN_ACCOUNT, code="unknown_account", params={"account": account_id}
            )
    period_row = accounting_period_for(period)
    # share lock: a close being approved waits for this posting, or this one sees it
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM funds_accountingperiod WHERE id = %s FOR SHARE", [period_row.pk]
        )
        status = cursor.fetchone()[0]
    if status != PeriodStatus.OPEN:
        raise Conflict(PERIOD_CLOSED, code="period_closed", params={"period": period})
    entry = JournalEntry(
        period=period_row,
        item=item,
        memo=memo[:200],
        source_type=source.type[:60],
        source_id=str(source.id)[:60],
        source_reference=source.reference[:120],
        actor=actor if actor is not None and actor.pk else None,
        api_client=api_client,
        idempotency_key=key,
        content_hash=content_hash,
        reverses=_reverses,
    )
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save(force_insert=True)
    JournalLeg.objects.bulk_create(
        [JournalLeg(entry=entry, account_id=account, amount=amount) for account, amount in pairs]
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=entry,
        after={
            "period": period.as_int,
            "item": item,
            "legs": [[accounts[a].code, amount] for a, amount in pairs],
            "source": [source.type, source.id, source.reference],
            "idempotency_key": key,
            "reverses": _reverses.pk if _reverses else None,
        },
        reason=memo,
    )
    entry.replayed = False
    return entry


@transaction.atomic
def reverse_entry(
    *,
    actor: StaffUser | None,
    entry: JournalEntry | int,
    reason: str,
    period: Period | int | str | None = None,
    idempotency_key: str | None = None,
    api_client: ApiClient | None = None,
) -> JournalEntry:
    """Correct an entry by its reversal (红字冲销): the same legs with opposite signs, in
    ``period`` (default: the entry's own when still open, else the current month).
    An entry is reversed once (``journalentry_reversed_once``); a replay of the same
    key returns the reversal."""
    if not (reason or "").strip():
        raise InvalidInput(REASON_REQUIRED, code="reason_required")
    entry_id = entry if isinstance(entry, int) else entry.pk
    original = JournalEntry.objects.select_related("period").filter(pk=entry_id).first()
    if original is None:
        raise NotFound(code="entry_not_found")
    key = idempotency_key or f"reverse:{original.pk}"
    if period is None:
        period = (
            original.period.period
            if original.period.is_open
            else Period.from_date(timezone.localdate())
        )
    legs = [Leg(leg.account_id, -leg.amount) for leg in original.legs.order_by("id")]
    existing = JournalEntry.objects.filter(reverses=original).first()
    if existing is not None and existing.idempotency_key != key:
        raise Conflict(ALREADY_REVERSED, code="already_reversed", params={"entry": original.pk})
    return post_entry(
        actor=actor,
        api_client=api_client,
        period=period,
        legs=legs,
        source=Source("funds.journalentry", str(original.pk), original.source_reference),
        memo=reason,
        idempotency_key=key,
        item=original.item,
        _reverses=original,
    )


# ------------------------------------------------------------------------ period close


def may_close(actor) -> bool:
    """Whether the user may propose a period close and run the month-end close."""
    region = getattr(actor, "region", None)
    return bool(
        actor.is_superuser
        or (
            actor.has_role(Role.FUND_ACCOUNTANT)
            and region is not None
            and region.level == RegionLevel.PROVINCE
        )
    )


@transaction.atomic
def period_close(
    *, actor: StaffUser, period: Period | int | str, reason: str = ""
) -> ApprovalRequest:
    """A provincial fund accountant proposes to close a month (maker); another provincial
    reviewer, fund accountant or agency head approves it (checker) and the period closes:
    no entry can be posted into it afterwards (database trigger). Earlier months close
    first."""
    if not may_close(actor) or actor.agency is None:
        raise NotPermitted(CLOSE_NOT_ALLOWED, code="close_not_permitted")
    period = Period.parse(period)
    row = accounting_period_for(period, lock=True)
    if row.status != PeriodStatus.OPEN:
        raise Conflict(PERIOD_NOT_OPEN, code="period_not_open", params={"period": period})
    earlier = (
        AccountingPeriod.objects.filter(period__lt=period, status=PeriodStatus.OPEN)
        .order_by("period")
        .first()
    )
    if earlier is not None:
        raise Conflict(EARLIER_OPEN, code="earlier_period_open", params={"period": earlier.period})
    _refuse_open_breaks(period)
    pending = ApprovalRequest.objects.filter(
        operation=PERIOD_CLOSE,
        object_id=str(row.pk),
        status=ApprovalStatus.PENDING,
    ).exists()
    if pending:
        raise Conflict(CLOSE_PENDING, code="close_pending", params={"period": period})
    return approvals.approval_request_create(
        actor=actor,
        operation=PERIOD_CLOSE,
        agency=actor.agency,
        summary=gettext("Close the accounting period %(period)s") % {"period": period},
        payload={"period": period.as_int},
        target=row,
        before={"status": row.status},
        reason=reason,
    )


def _apply_period_close(request: ApprovalRequest, checker: StaffUser) -> dict:
    row = AccountingPeriod.objects.select_for_update().get(pk=int(request.object_id))
    if row.status != PeriodStatus.OPEN:
        raise Conflict(PERIOD_NOT_OPEN, code="period_not_open", params={"period": row.period})
    _refuse_open_breaks(row.period)
    row.status = PeriodStatus.CLOSED
    row.closed_at = timezone.now()
    row.closed_by = checker
    row.full_clean()
    row.save(update_fields=["status", "closed_at", "closed_by"])
    changelog.record(
        actor=checker,
        action=ChangeAction.UPDATE,
        instance=row,
        before={"status": PeriodStatus.OPEN},
        after={"status": PeriodStatus.CLOSED},
    )
    return {"period": row.period.as_int, "status": row.status}


approvals.register_operation(
    PERIOD_CLOSE,
    label=_("Close an accounting period"),
    apply=_apply_period_close,
    checker_roles=(Role.REVIEWER, Role.FUND_ACCOUNTANT, Role.AGENCY_HEAD),
    field_labels={"status": _("Status"), "period": _("Period")},
)
