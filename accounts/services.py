"""Writes of personal pension accounts (个人账户): one function per business operation, in
a transaction, logged. The batches (crediting, interest) are ``accounts.runs``; the
cases with maker-checker (transfers, settlement, reversal) ``accounts.cases``.

Choices made here (DESIGN §5.3 leaves them open):

- **Opening.** An account is opened by the crediting batch when the first paid line
  of its holder is credited (§8.2.1), in the month of that line; a transfer in or a
  migrated balance opens one too.
- **Interest up to the month of leaving.** ``account_interest_until`` credits the
  interest of every year not yet posted for the account, a whole year for the years
  before and the months up to and including ``until`` for its year, each with the
  year's announced rate, or the latest announced one when the year has none yet
  (marked provisional in the entry's rule). It is what retirement, death, transfer
  out and settlement call before the balance is fixed or paid.
- **Sealing.** An account whose holder's contributions stop is sealed (封存) and keeps
  earning interest in the annual batch; the next credit reopens it (the same account,
  §8.2.3).
- **Retirement.** ``pension_account_start_drawing`` posts the interest to the month of
  retirement and fixes the balance the determination divides; a drawing account
  earns no more interest in the annual batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts import calc
from accounts.choices import AccountStatus, EntryKind, RunKind, RunStatus
from accounts.models import AccountEntry, InterestLine, PensionAccount
from pension import changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ChangeAction, Region
from pension.periods import Period
from pension.selectors import policy_value

RATE_KEY = "accounts.interest_rate"
METHOD_KEY = "accounts.interest_method"
ZERO = Decimal("0.00")

ERROR_CLOSED = _("The account of %(name)s is closed; nothing was changed.")
ERROR_NOT_OPEN = _("Only an open account can be sealed; this one is %(status)s.")
ERROR_NO_RATE = _(
    "No crediting interest rate has been announced for %(year)s or any year before it."
)
ERROR_DRAWING = _("The account of %(name)s is already drawing a pension since %(since)s.")


@dataclass(frozen=True)
class YearRate:
    """The rate a year's interest uses: its own when announced, else the last known."""

    year: int
    rate: Decimal
    provisional: bool
    parameter_id: int
    reference: str


def interest_rate_for(year: int, region: Region | str | None = None) -> YearRate:
    """The crediting rate of ``year`` (记账利率), or provisionally the latest one
    announced before it (DESIGN §4: trued up when the year's rate is entered)."""
    from django.core.exceptions import ValidationError

    try:
        value = policy_value(RATE_KEY, on=Period(year, 12).last_day, region=region)
    except ValidationError:
        raise InvalidInput(ERROR_NO_RATE, code="no_interest_rate", params={"year": year}) from None
    return YearRate(
        year=year,
        rate=value.value,
        provisional=value.effective_from.year != year,
        parameter_id=value.parameter_id,
        reference=value.reference,
    )


def interest_method_for(year: int, region: Region | str | None = None) -> str:
    return str(policy_value(METHOD_KEY, on=Period(year, 12).last_day, region=region).value)


def rate_rule(rate: YearRate, method: str) -> str:
    """What an interest entry keeps of its rule: method, rate, parameter version."""
    flag = " provisional" if rate.provisional else ""
    return f"{method} {rate.rate} {rate.reference}{flag}"[:80]


def _log(actor, account: PensionAccount, before: dict | None, after: dict, reason: str = ""):
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE if before is not None else ChangeAction.CREATE,
        instance=account,
        before=before,
        after=after,
        reason=reason,
    )


def locked_account(account: PensionAccount | int) -> PensionAccount:
    pk = account.pk if isinstance(account, PensionAccount) else account
    return PensionAccount.objects.select_for_update().select_related("person").get(pk=pk)


@transaction.atomic
def pension_account_open(*, actor, person, period: Period, reason: str = "") -> PensionAccount:
    """The holder's account, opened in ``period`` when there is none yet."""
    account, created = PensionAccount.objects.get_or_create(
        person=person,
        defaults={
            "opened_period": period,
            "status": AccountStatus.OPEN,
            "province_id": province_of(person.region_id),
        },
    )
    if created:
        _log(actor, account, None, {"status": account.status, "opened_period": str(period)}, reason)
    return account


def province_of(region_code: str) -> str:
    """The province code of a division code (GB/T 2260: its first two digits)."""
    return f"{region_code[:2]}0000"


def _set_status(actor, account: PensionAccount, status: str, reason: str) -> PensionAccount:
    before = {"status": account.status}
    account.status = status
    account.status_changed_at = timezone.now()
    account.status_reason = reason[:200]
    account.full_clean(exclude=["person"])
    account.save(update_fields=["status", "status_changed_at", "status_reason"])
    _log(actor, account, before, {"status": status}, reason)
    return account


@transaction.atomic
def pension_account_close(*, actor, account: PensionAccount | int, reason: str) -> PensionAccount:
    """Close (销户) an account whose holder's case decided it (a retiree's death: the
    heirs' balance is the survivors' claim's); no entry. Closing a closed one changes
    nothing."""
    account = locked_account(account)
    if account.status == AccountStatus.CLOSED:
        return account
    return _set_status(actor, account, AccountStatus.CLOSED, reason)


@transaction.atomic
def pension_account_seal(*, actor, account: PensionAccount, reason: str) -> PensionAccount:
    """Seal (封存) an open account whose contributions stopped; it keeps earning."""
    account = locked_account(account)
    if account.status != AccountStatus.OPEN:
        raise Conflict(
            ERROR_NOT_OPEN,
            code="account_not_open",
            params={"status": AccountStatus(account.status).label},
        )
    return _set_status(actor, account, AccountStatus.SEALED, reason)


@transaction.atomic
def pension_accounts_seal_interrupted(*, actor=None) -> int:
    """Seal every open account whose holder's status is interrupted (中断); returns
    how many. Set-based; one change-log entry for the batch."""
    from enrollment.choices import PersonStatus

    now = timezone.now()
    count = PensionAccount.objects.filter(
        status=AccountStatus.OPEN, person__status=PersonStatus.INTERRUPTED
    ).update(
        status=AccountStatus.SEALED,
        status_changed_at=now,
        status_reason=gettext_noop("contributions interrupted"),
    )
    if count:
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            object_type="accounts.pensionaccount",
            object_repr="sealing of interrupted accounts",
            after={"sealed": count},
            reason=gettext_noop("contributions interrupted"),
        )
    return count


# --- balances (the ledger is the truth) ----------------------------------------------


def _last_closing(account: PensionAccount, before_year: int) -> tuple[int, Decimal] | None:
    """(year, closing) of the latest posted interest run, before ``before_year``, that
    has a line for the account."""
    line = (
        InterestLine.objects.filter(
            account=account,
            run__kind=RunKind.INTEREST,
            run__dry_run=False,
            run__status=RunStatus.POSTED,
            run__year__lt=before_year,
        )
        .select_related("run")
        .order_by("-run__year", "-run__approved_at", "-run_id")
        .first()
    )
    return (line.run.year, line.closing) if line is not None else None


def _interest_years_posted(account: PensionAccount) -> dict[int, Decimal]:
    rows = (
        AccountEntry.objects.filter(account=account, kind=EntryKind.INTEREST)
        .values("interest_year")
        .annotate(total=Sum("amount"))
    )
    return {row["interest_year"]: row["total"] for row in rows}


def interest_due_until(account: PensionAccount, until: Period) -> list[dict]:
    """The interest still to post for the account up to ``until`` (inclusive), year by
    year: a dict per year with the ``YearInterest``, its rate, what is already posted
    for that year and the difference to post. Nothing is written."""
    closing = _last_closing(account, until.year)
    entries = list(
        AccountEntry.objects.filter(account=account, value_period__lte=until.as_int)
        .exclude(kind=EntryKind.INTEREST)
        .values_list("value_period", "amount")
    )
    posted = _interest_years_posted(account)
    if closing is not None:
        first_year, balance = closing[0] + 1, closing[1]
    else:
        years = [p.year for p, _ in entries]
        if not years:
            return []
        first_year, balance = min(years), ZERO
    result = []
    for year in range(first_year, until.year + 1):
        months = until.month if year == until.year else 12
        rate = interest_rate_for(year, account.person.region_id)
        method = interest_method_for(year, account.person.region_id)
        of_year = [(p.month, amount) for p, amount in entries if p.year == year]
        outcome = calc.year_interest(
            opening=balance, entries=of_year, rate=rate.rate, method=method, months=months
        )
        already = posted.get(year, ZERO)
        result.append(
            {
                "year": year,
                "interest": outcome,
                "rate": rate,
                "already": already,
                "to_post": outcome.interest - already,
                "period": Period(year, months),
            }
        )
        balance = outcome.closing
    return result


@transaction.atomic
def account_interest_until(
    *, actor, account: PensionAccount, until: Period, case=None, reason: str = ""
) -> list[AccountEntry]:
    """Post the interest due up to the month ``until`` (see the module docstring);
    returns the entries written (none when nothing is due)."""
    account = locked_account(account)
    written = []
    for year in interest_due_until(account, until):
        if year["to_post"] == 0:
            continue
        entry = AccountEntry(
            account=account,
            kind=EntryKind.INTEREST,
            period=year["period"],
            value_period=year["period"],
            amount=year["to_post"],
            interest_year=year["year"],
            case=case,
            rule=f"{rate_rule(year['rate'], year['interest'].method)} to {year['period']}"[:80],
        )
        entry.full_clean(exclude=["account", "case", "contribution_line", "run", "reverses"])
        entry.save()
        written.append(entry)
    if written:
        changelog.record(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=account,
            after={
                "interest": [
                    {"year": e.interest_year, "amount": e.amount, "rule": e.rule} for e in written
                ]
            },
            reason=reason or f"interest to {until}",
        )
    return written


def account_balance(account: PensionAccount) -> Decimal:
    """The balance: the sum of every entry."""
    return AccountEntry.objects.filter(account=account).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal("0.00")


@transaction.atomic
def pension_account_start_drawing(
    *, actor, account: PensionAccount, period: Period, reason: str = ""
) -> Decimal:
    """Retirement (§9): interest to the month of retirement, the account then draws a
    pension; returns the balance at retirement that the determination divides."""
    account = locked_account(account)
    if account.status == AccountStatus.CLOSED:
        raise Conflict(ERROR_CLOSED, code="account_closed", params={"name": account.person.name})
    if account.status == AccountStatus.DRAWING:
        raise Conflict(
            ERROR_DRAWING,
            code="account_drawing",
            params={"name": account.person.name, "since": account.status_changed_at},
        )
    account_interest_until(actor=actor, account=account, until=period, reason=reason)
    _set_status(actor, account, AccountStatus.DRAWING, reason or f"retired {period}")
    return account_balance(account)
