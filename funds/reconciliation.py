"""Three-way reconciliation (三方对账, DESIGN §5.5, seed 000 item 10): what this system
booked (the fund ledger), what the bank or finance says happened on the account (the
account statements they post over REST) and what the tax bureau and finance recorded
(their transfers), each month and money account (income, expenditure and special).

- **Statements** (``statement_record``): a bank posts the month's statement of an
  income or expenditure account, finance that of the special account: opening and
  closing balance and the lines between (money in positive), once per account and
  month, idempotent by the statement number.
- **The run** (``ReconciliationRun``, a batch on the kernel engine, one account per
  chunk): the ledger's legs on the account in the month (less an entry and its
  reversal, which cancel) and the timing differences the previous month carried, are
  matched one to one, set-based, with the statement's lines (and the lines carried):
  first by reference and amount, then by amount within ``DATE_WINDOW_DAYS`` days.
  What stays is a break (未达账项): the same reference with another amount (amounts
  differ), a leg alone (in the ledger, not on the statement), a line alone (on the
  statement, not in the ledger). A carried break matched this month is resolved.
  Each account gets its balance adjustment (余额调节表) and the third way: the tax
  bureau's and finance's transfers for the account in the month against the ledger's
  entries from them.
- **Breaks** are assigned to a fund accountant, explained, carried to next month as a
  timing difference, or resolved by a correcting entry (the ledger entry reversed and
  reposted at the statement's amount, or a new entry for a line the ledger lacks)
  that a second person approves.
- **Sign-off** (maker-checker): only when every break is explained, carried or
  resolved; then the run is approved (signed off).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds import ledger
from funds.choices import (
    BREAK_SETTLED,
    MONEY_KINDS,
    AccountKind,
    BreakKind,
    BreakStatus,
    FundItem,
    ReconciliationStatus,
)
from funds.models import (
    AccountStatement,
    FundAccount,
    JournalEntry,
    ReconciliationAccount,
    ReconciliationBreak,
    ReconciliationRun,
    StatementLine,
)
from pension import approvals, batches, changelog
from pension.choices import RegionLevel, Role
from pension.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pension.models import ApiClient, ApprovalRequest, ApprovalStatus, ChangeAction, StaffUser
from pension.periods import Period
from pension.scope import region_allows, restrict, user_prefix
from pension.selectors import profile_for_region

BATCH = batches.register(
    batches.Batch(
        key="funds.reconciliation", model=ReconciliationRun, statuses=ReconciliationStatus
    )
)
STATEMENT_SCOPE = "funds.statement"
SIGN_OFF = "funds.reconciliation_sign_off"
CORRECTION = "funds.reconciliation_correction"
# a statement line and a ledger leg of the same amount match when booked this many
# days apart or fewer (a working value of this system, not a policy figure: a transfer
# booked by the bank the next working day after a weekend or a 3-day holiday)
DATE_WINDOW_DAYS = 3
# sources whose ledger entries are the tax bureau's and finance's records (the third way)
RECORD_SOURCES = ("funds.taxtransfer", "funds.financetransfer")

ERROR_NOT_MONEY_ACCOUNT = _(
    "Unknown account %(account)s: give the code of an income, expenditure or special account."
)
ERROR_ACCOUNT_OUTSIDE = _("The account %(account)s lies outside this system's region.")
ERROR_STATEMENT_EXISTS = _(
    "A statement of %(account)s for %(period)s is already recorded (number %(number)s); "
    "nothing was changed."
)
ERROR_NUMBER_USED = _(
    "The statement number %(number)s is already recorded for another account or month; "
    "nothing was changed."
)
ERROR_NOT_BALANCED = _(
    "The opening balance %(opening)s plus the lines (%(lines)s) is not the closing "
    "balance %(closing)s."
)
ERROR_LINE_OUTSIDE_MONTH = _("Line %(line)s is booked on %(date)s, outside %(period)s.")
ERROR_LINE_REPEATED = _("The line number %(line)s is given twice.")
ERROR_LINE_ZERO = _("Line %(line)s has an amount of zero.")
ERROR_MONTH_NOT_OVER = _("The month %(period)s is not over yet.")
ERROR_RUN_NOT_ALLOWED = _("Only a provincial fund accountant may run the reconciliation.")
ERROR_RUN_EXISTS = _("The reconciliation of %(period)s has already been run.")
ERROR_BREAK_NOT_ALLOWED = _("Only a fund accountant of the account's region or above may do this.")
ERROR_ASSIGNEE = _("Assign the break to a fund accountant of the account's region or above.")
ERROR_SIGNED_OFF = _("This reconciliation is signed off; its breaks no longer change.")
ERROR_BREAK_SETTLED = _("This break is already %(status)s.")
ERROR_EXPLANATION_REQUIRED = _("Give the explanation.")
ERROR_TIMING_KIND = _(
    "Only a break on one side can be a timing difference; amounts that differ are "
    "corrected or explained."
)
ERROR_CORRECTION_PENDING = _("A correction of this break is already waiting for the checker.")
ERROR_CORRECTION_TWO_LEGS = _(
    "The entry %(entry)s has more than two legs; correct it by hand with a reversal."
)
ERROR_CORRECTION_ITEM = _("Choose the revenue or expenditure item of the missing entry.")
ERROR_NOT_CALCULATED = _("The reconciliation is %(status)s; only a matched one can be signed off.")
ERROR_BREAKS_OPEN = _(
    "%(count)s break(s) are neither explained, carried nor resolved; the reconciliation "
    "cannot be signed off."
)
ERROR_SIGN_OFF_PENDING = _("The sign-off is already waiting for the checker.")


def _month_end(period: Period) -> date:
    return date(period.year, period.month, calendar.monthrange(period.year, period.month)[1])


def _month_start(period: Period) -> date:
    return date(period.year, period.month, 1)


# --- statements (对账单) ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLineIn:
    line_number: int
    booked_on: date
    amount: Decimal
    reference: str = ""
    memo: str = ""


@transaction.atomic
def statement_record(
    *,
    client: ApiClient,
    statement_number: str,
    account_code: str,
    period: Period | int | str,
    opening_balance: Decimal,
    closing_balance: Decimal,
    lines: Sequence[StatementLineIn],
) -> AccountStatement:
    """Record a bank's or finance's statement of a money account for a month. Refused
    with nothing written: an account that is not an income, expenditure or special
    account (400), one outside the system's region (403), a month not over, a line
    booked outside the month, a line number twice, a zero amount, opening + lines ≠
    closing (400), a statement of that account and month or that number already
    recorded (409)."""
    period = Period.parse(period)
    number = statement_number.strip()
    account = (
        FundAccount.objects.select_related("region")
        .filter(code=account_code.strip(), kind__in=list(MONEY_KINDS))
        .first()
    )
    if account is None or not account.is_active:
        raise InvalidInput(
            ERROR_NOT_MONEY_ACCOUNT, code="unknown_account", params={"account": account_code}
        )
    if not account.region_id.startswith(client.region.scope_prefix):
        raise NotPermitted(
            ERROR_ACCOUNT_OUTSIDE, code="outside_region", params={"account": account_code}
        )
    if _month_end(period) >= timezone.localdate():
        raise InvalidInput(ERROR_MONTH_NOT_OVER, code="month_not_over", params={"period": period})
    first, last = _month_start(period), _month_end(period)
    seen: set[int] = set()
    total = Decimal("0.00")
    for line in lines:
        if line.line_number in seen:
            raise InvalidInput(
                ERROR_LINE_REPEATED, code="line_repeated", params={"line": line.line_number}
            )
        seen.add(line.line_number)
        if line.amount == 0:
            raise InvalidInput(ERROR_LINE_ZERO, code="line_zero", params={"line": line.line_number})
        if not first <= line.booked_on <= last:
            raise InvalidInput(
                ERROR_LINE_OUTSIDE_MONTH,
                code="line_outside_month",
                params={"line": line.line_number, "date": line.booked_on, "period": period},
            )
        total += line.amount
    if opening_balance + total != closing_balance:
        raise InvalidInput(
            ERROR_NOT_BALANCED,
            code="statement_not_balanced",
            params={"opening": opening_balance, "lines": total, "closing": closing_balance},
        )
    with connection.cursor() as cursor:  # two senders of one account and month: one row
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"statement:{account.pk}:{period}"]
        )
    existing = AccountStatement.objects.filter(account=account, period=period).first()
    if existing is not None:
        raise Conflict(
            ERROR_STATEMENT_EXISTS,
            code="statement_exists",
            params={"account": account.code, "period": period, "number": existing.statement_number},
        )
    if AccountStatement.objects.filter(client=client, statement_number=number).exists():
        raise Conflict(ERROR_NUMBER_USED, code="statement_number_used", params={"number": number})
    statement = AccountStatement(
        client=client,
        statement_number=number,
        account=account,
        period=period,
        opening_balance=opening_balance,
        closing_balance=closing_balance,
        line_count=len(lines),
    )
    statement.full_clean()
    statement.save()
    StatementLine.objects.bulk_create(
        [
            StatementLine(
                statement=statement,
                line_number=line.line_number,
                booked_on=line.booked_on,
                amount=line.amount,
                reference=line.reference.strip()[:64],
                memo=line.memo.strip()[:200],
            )
            for line in lines
        ]
    )
    changelog.record(
        actor=None,
        action=ChangeAction.CREATE,
        instance=statement,
        after={
            "client": client.name,
            "statement_number": number,
            "account": account.code,
            "period": period.as_int,
            "opening_balance": opening_balance,
            "closing_balance": closing_balance,
            "lines": len(lines),
        },
    )
    return statement


# --- the run --------------------------------------------------------------------------------


def may_run(actor) -> bool:
    """A provincial fund accountant runs the reconciliation and proposes its sign-off."""
    region = getattr(actor, "region", None)
    return bool(
        actor.is_superuser
        or (
            actor.has_role(Role.FUND_ACCOUNTANT)
            and region is not None
            and region.level == RegionLevel.PROVINCE
        )
    )


def reconciliation_run_create(*, actor, period: Period | int | str) -> ReconciliationRun:
    """A provincial fund accountant (None: the beat) creates the month's run, once."""
    period = Period.parse(period)
    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    if starter is not None and not may_run(starter):
        raise NotPermitted(ERROR_RUN_NOT_ALLOWED, code="reconciliation_not_permitted")
    if _month_end(period) >= timezone.localdate():
        raise InvalidInput(ERROR_MONTH_NOT_OVER, code="month_not_over", params={"period": period})
    province = profile_for_region(getattr(starter, "region", None)).province
    with transaction.atomic():
        if ReconciliationRun.objects.filter(period=period, region=province, dry_run=False).exists():
            raise Conflict(
                ERROR_RUN_EXISTS, code="reconciliation_exists", params={"period": period}
            )
        run = ReconciliationRun(period=period, region=province, started_by=starter)
        run.full_clean()
        run.save()
        batches.log(starter, run, None, action=ChangeAction.CREATE)
    return run


def reconciliation_run(*, actor, period: Period | int | str) -> ReconciliationRun:
    """Create the month's run and execute it here (outside ``transaction.atomic``)."""
    run = reconciliation_run_create(actor=actor, period=period)
    return reconciliation_run_execute(run.pk)


def reconciliation_run_start(*, actor, period: Period | int | str) -> ReconciliationRun:
    """Create the month's run and queue it for the worker (on commit)."""
    from funds import tasks

    with transaction.atomic():
        run = reconciliation_run_create(actor=actor, period=period)
        return batches.start(BATCH, actor=actor, run=run, task=tasks.reconciliation_run_execute)


def reconciliation_run_execute(run_id: int) -> ReconciliationRun:
    """Execute (or resume) a run: one money account per chunk."""
    return batches.execute(BATCH, run_id, plan=_plan, chunk=_chunk, totals=_totals)


def _previous_run(run: ReconciliationRun) -> ReconciliationRun | None:
    return (
        ReconciliationRun.objects.filter(
            region=run.region, period=Period.parse(run.period) - 1, dry_run=False
        )
        .exclude(status=ReconciliationStatus.FAILED)
        .first()
    )


_ACCOUNTS_SQL = """
SELECT a.id, a.code
  FROM funds_fundaccount a
 WHERE a.kind IN ('income', 'expenditure', 'special') AND a.region_id LIKE %(prefix)s
   AND (EXISTS (SELECT 1 FROM funds_journalleg l
                  JOIN funds_journalentry e ON e.id = l.entry_id
                  JOIN funds_accountingperiod p ON p.id = e.period_id
                 WHERE l.account_id = a.id AND p.period = %(period)s)
        OR EXISTS (SELECT 1 FROM funds_accountstatement s
                    WHERE s.account_id = a.id AND s.period = %(period)s)
        OR EXISTS (SELECT 1 FROM funds_reconciliationbreak b
                    WHERE b.account_id = a.id AND b.run_id = %(previous)s AND b.status = 'timing'))
 ORDER BY a.code
"""


def _plan(run: ReconciliationRun) -> list[list[Any]]:
    """The money accounts with a movement, a statement or a carried break in the
    month, one chunk each (key: the account's id)."""
    previous = _previous_run(run)
    run.parameters = {
        **run.parameters,
        "previous_run": previous.pk if previous else None,
        "date_window_days": DATE_WINDOW_DAYS,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            _ACCOUNTS_SQL,
            {
                "prefix": f"{run.region.scope_prefix}%",
                "period": Period.parse(run.period).as_int,
                "previous": previous.pk if previous else None,
            },
        )
        return [[str(account_id), 1] for account_id, _code in cursor.fetchall()]


# the month's legs on the account (its booking day: the transfer's or disbursement's day,
# the month's last day for the close's entries, else the day posted), less an entry and
# its reversal both there, and the legs the previous month carried as timing differences
_LEDGER_SQL = """
CREATE TEMP TABLE recon_ledger ON COMMIT DROP AS
SELECT l.id AS leg_id, l.amount, e.source_reference::varchar(120) AS reference,
       coalesce(t.transferred_on, f.transferred_on, d.paid_on,
                CASE WHEN e.source_type = 'funds.closerun' THEN %(month_end)s::date END,
                (e.posted_at AT TIME ZONE %(tz)s)::date) AS booked_on,
       %(period)s::integer AS first_period, NULL::bigint AS carried_from,
       e.id AS entry_id, e.reverses_id
  FROM funds_journalleg l
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
  LEFT JOIN funds_taxtransfer t ON t.entry_id = e.id
  LEFT JOIN funds_financetransfer f ON f.ledger_entry_id = e.id
  LEFT JOIN funds_disbursement d ON d.ledger_entry_id = e.id
 WHERE l.account_id = %(account)s AND p.period = %(period)s
UNION ALL
SELECT b.leg_id, b.ledger_amount, b.reference, b.booked_on, b.first_period, b.id,
       l.entry_id, NULL
  FROM funds_reconciliationbreak b
  JOIN funds_journalleg l ON l.id = b.leg_id
 WHERE b.run_id = %(previous)s AND b.account_id = %(account)s AND b.status = 'timing'
   AND b.kind = 'ledger_only';
DELETE FROM recon_ledger r
 WHERE EXISTS (SELECT 1 FROM recon_ledger x WHERE x.reverses_id = r.entry_id)
    OR EXISTS (SELECT 1 FROM recon_ledger x WHERE x.entry_id = r.reverses_id);
CREATE TEMP TABLE recon_bank ON COMMIT DROP AS
SELECT s.id AS line_id, s.amount, s.reference::varchar(120) AS reference, s.booked_on,
       %(period)s::integer AS first_period, NULL::bigint AS carried_from
  FROM funds_statementline s
  JOIN funds_accountstatement t ON t.id = s.statement_id
 WHERE t.account_id = %(account)s AND t.period = %(period)s
UNION ALL
SELECT b.line_id, b.bank_amount, b.reference, b.booked_on, b.first_period, b.id
  FROM funds_reconciliationbreak b
 WHERE b.run_id = %(previous)s AND b.account_id = %(account)s AND b.status = 'timing'
   AND b.kind = 'bank_only';
"""

_UNMATCHED = """
ul AS (SELECT r.* FROM recon_ledger r WHERE NOT EXISTS (
    SELECT 1 FROM funds_reconciliationmatch m WHERE m.run_id = %(run)s AND m.leg_id = r.leg_id)),
ub AS (SELECT r.* FROM recon_bank r WHERE NOT EXISTS (
    SELECT 1 FROM funds_reconciliationmatch m WHERE m.run_id = %(run)s AND m.line_id = r.line_id))
"""

# one to one: the n-th leg and the n-th line of the same key (ordered by day) pair up
_MATCH_SQL = """
WITH {unmatched},
l AS (SELECT ul.*, row_number() OVER (PARTITION BY {key} ORDER BY booked_on, leg_id) AS n
        FROM ul {where}),
b AS (SELECT ub.*, row_number() OVER (PARTITION BY {key} ORDER BY booked_on, line_id) AS n
        FROM ub {where})
INSERT INTO funds_reconciliationmatch (run_id, account_id, leg_id, line_id, amount, rule)
SELECT %(run)s, %(account)s, l.leg_id, b.line_id, l.amount, '{rule}'
  FROM l JOIN b ON {join} AND b.n = l.n
 WHERE {condition}
ON CONFLICT DO NOTHING
"""

_BREAK_COLUMNS = """INSERT INTO funds_reconciliationbreak (run_id, account_id, kind, leg_id,
    line_id, ledger_amount, bank_amount, booked_on, reference, first_period,
    carried_from_id, status, explanation, updated_at)"""

_BREAKS_SQL = f"""
WITH {_UNMATCHED},
l AS (SELECT ul.*, row_number() OVER (PARTITION BY reference ORDER BY booked_on, leg_id) AS n
        FROM ul WHERE reference <> ''),
b AS (SELECT ub.*, row_number() OVER (PARTITION BY reference ORDER BY booked_on, line_id) AS n
        FROM ub WHERE reference <> '')
{_BREAK_COLUMNS}
SELECT %(run)s, %(account)s, 'amount_differs', l.leg_id, b.line_id, l.amount, b.amount,
       b.booked_on, l.reference, least(l.first_period, b.first_period), NULL, 'open', '', now()
  FROM l JOIN b ON b.reference = l.reference AND b.n = l.n
ON CONFLICT DO NOTHING;
WITH {_UNMATCHED}
{_BREAK_COLUMNS}
SELECT %(run)s, %(account)s, 'ledger_only', ul.leg_id, NULL, ul.amount, NULL, ul.booked_on,
       ul.reference, ul.first_period, ul.carried_from, 'open', '', now()
  FROM ul
 WHERE NOT EXISTS (SELECT 1 FROM funds_reconciliationbreak x
                    WHERE x.run_id = %(run)s AND x.leg_id = ul.leg_id)
ON CONFLICT DO NOTHING;
WITH {_UNMATCHED}
{_BREAK_COLUMNS}
SELECT %(run)s, %(account)s, 'bank_only', NULL, ub.line_id, NULL, ub.amount, ub.booked_on,
       ub.reference, ub.first_period, ub.carried_from, 'open', '', now()
  FROM ub
 WHERE NOT EXISTS (SELECT 1 FROM funds_reconciliationbreak x
                    WHERE x.run_id = %(run)s AND x.line_id = ub.line_id)
ON CONFLICT DO NOTHING;
UPDATE funds_reconciliationbreak o
   SET status = 'resolved', cleared_by_id = %(run)s, resolved_at = now(), updated_at = now()
 WHERE o.status = 'timing' AND o.id IN (
    SELECT r.carried_from FROM recon_ledger r
      JOIN funds_reconciliationmatch m ON m.run_id = %(run)s AND m.leg_id = r.leg_id
     WHERE r.carried_from IS NOT NULL
    UNION ALL
    SELECT r.carried_from FROM recon_bank r
      JOIN funds_reconciliationmatch m ON m.run_id = %(run)s AND m.line_id = r.line_id
     WHERE r.carried_from IS NOT NULL);
"""

# the account's balance adjustment and its third way (the tax bureau's transfers to it,
# finance's transfers: to the provincial expenditure account, from the special account)
_ACCOUNT_SQL = """
WITH legs AS (
    SELECT l.amount, p.period, e.source_type
      FROM funds_journalleg l
      JOIN funds_journalentry e ON e.id = l.entry_id
      JOIN funds_accountingperiod p ON p.id = e.period_id
     WHERE l.account_id = %(account)s AND p.period <= %(period)s
), st AS (
    SELECT s.id, s.opening_balance, s.closing_balance,
           coalesce((SELECT sum(x.amount) FROM funds_statementline x
                      WHERE x.statement_id = s.id AND x.amount > 0), 0) AS money_in,
           coalesce((SELECT sum(x.amount) FROM funds_statementline x
                      WHERE x.statement_id = s.id AND x.amount < 0), 0) AS money_out
      FROM funds_accountstatement s
     WHERE s.account_id = %(account)s AND s.period = %(period)s
), records AS (
    SELECT coalesce(sum(t.amount), 0) AS amount FROM funds_taxtransfer t
     WHERE t.account_id = %(account)s AND t.transferred_on BETWEEN %(first)s AND %(month_end)s
    UNION ALL
    SELECT coalesce(sum(CASE WHEN a.kind = 'special' THEN -f.amount ELSE f.amount END), 0)
      FROM funds_financetransfer f
      JOIN funds_fundaccount a ON a.id = %(account)s
     WHERE a.region_id = %(province)s AND a.kind IN ('special', 'expenditure')
       AND f.transferred_on BETWEEN %(first)s AND %(month_end)s
), breaks AS (
    SELECT coalesce(sum(ledger_amount) FILTER (WHERE kind <> 'bank_only'), 0) AS ledger_only,
           coalesce(sum(bank_amount) FILTER (WHERE kind <> 'ledger_only'), 0) AS bank_only
      FROM funds_reconciliationbreak WHERE run_id = %(run)s AND account_id = %(account)s
)
INSERT INTO funds_reconciliationaccount (run_id, account_id, statement_id, ledger_opening,
    ledger_closing, ledger_in, ledger_out, bank_opening, bank_closing, bank_in, bank_out,
    records_total, records_ledger_total, ledger_only_total, bank_only_total)
SELECT %(run)s, %(account)s, st.id,
       coalesce((SELECT sum(amount) FROM legs WHERE period < %(period)s), 0),
       coalesce((SELECT sum(amount) FROM legs), 0),
       coalesce((SELECT sum(amount) FROM legs WHERE period = %(period)s AND amount > 0), 0),
       coalesce((SELECT sum(amount) FROM legs WHERE period = %(period)s AND amount < 0), 0),
       st.opening_balance, st.closing_balance,
       coalesce(st.money_in, 0), coalesce(st.money_out, 0),
       (SELECT sum(amount) FROM records),
       coalesce((SELECT sum(amount) FROM legs
                  WHERE period = %(period)s AND source_type IN %(record_sources)s), 0),
       breaks.ledger_only, breaks.bank_only
  FROM breaks LEFT JOIN st ON true
ON CONFLICT DO NOTHING
"""


def _params(run: ReconciliationRun, account_id: int) -> dict[str, Any]:
    period = Period.parse(run.period)
    return {
        "run": run.pk,
        "account": account_id,
        "period": period.as_int,
        "first": _month_start(period),
        "month_end": _month_end(period),
        "previous": run.parameters.get("previous_run"),
        "province": run.region_id,
        "window": DATE_WINDOW_DAYS,
        "tz": timezone.get_current_timezone_name(),
        "record_sources": RECORD_SOURCES,
    }


def _chunk(run: ReconciliationRun, key: str, weight: int) -> None:
    """One account: stage its legs and lines, match by reference and amount, then by
    amount and day, list the breaks, clear the carried ones matched, set its figures.
    Every insert is once per leg or line (``ON CONFLICT DO NOTHING``)."""
    params = _params(run, int(key))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS recon_ledger; DROP TABLE IF EXISTS recon_bank")
        cursor.execute(_LEDGER_SQL, params)
        cursor.execute(
            _MATCH_SQL.format(
                unmatched=_UNMATCHED,
                key="reference, amount",
                where="WHERE reference <> ''",
                join="b.reference = l.reference AND b.amount = l.amount",
                condition="true",
                rule="reference",
            ),
            params,
        )
        cursor.execute(
            _MATCH_SQL.format(
                unmatched=_UNMATCHED,
                key="amount",
                where="",
                join="b.amount = l.amount",
                condition="abs(b.booked_on - l.booked_on) <= %(window)s",
                rule="date",
            ),
            params,
        )
        cursor.execute(_BREAKS_SQL, params)
        cursor.execute(_ACCOUNT_SQL, params)


def _totals(run: ReconciliationRun) -> None:
    run.account_count = run.accounts.count()
    matches = run.matches.aggregate(n=Count("id"), total=Sum("amount"))
    run.matched_count = matches["n"]
    run.matched_total = matches["total"] or Decimal("0.00")
    run.break_count = run.breaks.count()


# --- the breaks' workflow ---------------------------------------------------------------------


def _may_work(actor, account: FundAccount) -> bool:
    return bool(
        actor.is_superuser
        or (
            actor.has_role(Role.FUND_ACCOUNTANT)
            and region_allows(actor, account.region_id, "prepare")
        )
    )


def _locked_break(brk: ReconciliationBreak | int) -> ReconciliationBreak:
    pk = brk if isinstance(brk, int) else brk.pk
    found = (
        ReconciliationBreak.objects.select_for_update(of=("self",))
        .select_related("run", "account", "correction")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(code="break_not_found")
    return found


def _check_workable(actor, brk: ReconciliationBreak) -> None:
    if not _may_work(actor, brk.account):
        raise NotPermitted(ERROR_BREAK_NOT_ALLOWED, code="break_not_permitted")
    if brk.run.status == ReconciliationStatus.APPROVED:
        raise Conflict(ERROR_SIGNED_OFF, code="signed_off")
    if brk.status == BreakStatus.RESOLVED:
        raise Conflict(
            ERROR_BREAK_SETTLED, code="break_settled", params={"status": brk.get_status_display()}
        )
    if brk.correction_id and brk.correction.status == ApprovalStatus.PENDING:
        raise Conflict(ERROR_CORRECTION_PENDING, code="correction_pending")


def _log(actor, brk: ReconciliationBreak, before: dict, reason: str = "") -> None:
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=brk,
        before=before,
        after={
            "status": brk.status,
            "assignee": brk.assignee_id,
            "explanation": brk.explanation,
        },
        reason=reason,
    )


@transaction.atomic
def break_assign(
    *, actor: StaffUser, brk: ReconciliationBreak | int, assignee: StaffUser
) -> ReconciliationBreak:
    """Assign a break to a fund accountant of the account's region or above."""
    brk = _locked_break(brk)
    _check_workable(actor, brk)
    if not _may_work(assignee, brk.account) or not assignee.is_active:
        raise InvalidInput(ERROR_ASSIGNEE, code="assignee_not_allowed")
    before = {"status": brk.status, "assignee": brk.assignee_id}
    brk.assignee = assignee
    if brk.status == BreakStatus.OPEN:
        brk.status = BreakStatus.ASSIGNED
    brk.save(update_fields=["assignee", "status", "updated_at"])
    _log(actor, brk, before)
    return brk


@transaction.atomic
def break_explain(
    *, actor: StaffUser, brk: ReconciliationBreak | int, explanation: str, timing: bool = False
) -> ReconciliationBreak:
    """Explain a break (说明), or mark it a timing difference carried to next month:
    the next month's run matches it again and resolves it when it matches."""
    brk = _locked_break(brk)
    _check_workable(actor, brk)
    explanation = (explanation or "").strip()
    if not explanation:
        raise InvalidInput(ERROR_EXPLANATION_REQUIRED, code="explanation_required")
    if timing and brk.kind == BreakKind.AMOUNT_DIFFERS:
        raise InvalidInput(ERROR_TIMING_KIND, code="timing_not_amount")
    before = {"status": brk.status, "explanation": brk.explanation}
    brk.explanation = explanation[:2000]
    brk.status = BreakStatus.TIMING if timing else BreakStatus.EXPLAINED
    if brk.assignee_id is None:
        brk.assignee = actor
    brk.save(update_fields=["explanation", "status", "assignee", "updated_at"])
    _log(actor, brk, before, reason=explanation)
    return brk


def _agency_of(actor: StaffUser):
    return actor.agency


@transaction.atomic
def break_correct(
    *,
    actor: StaffUser,
    brk: ReconciliationBreak | int,
    reason: str,
    item: str = "",
) -> ApprovalRequest:
    """Propose the correcting entry of a break (maker); a second person approves it
    (checker) and it is posted through the fund ledger:

    - amounts differ: the ledger entry reversed (红字冲销) and reposted at the
      statement's amount;
    - in the ledger, not on the statement: the entry reversed (it should not be there);
    - on the statement, not in the ledger: a new entry on the account against the
      region's revenue (money in) or expense account (money out), of ``item``.
    """
    brk = _locked_break(brk)
    _check_workable(actor, brk)
    if not (reason or "").strip():
        raise InvalidInput(ledger.REASON_REQUIRED, code="reason_required")
    payload: dict[str, Any] = {"break": brk.pk, "kind": brk.kind, "account": brk.account.code}
    if brk.leg_id is not None:
        entry = JournalEntry.objects.get(legs__id=brk.leg_id)
        if entry.legs.count() != 2:
            raise InvalidInput(
                ERROR_CORRECTION_TWO_LEGS,
                code="correction_not_two_legs",
                params={"entry": entry.pk},
            )
        payload["entry"] = entry.pk
    if brk.kind in (BreakKind.AMOUNT_DIFFERS, BreakKind.BANK_ONLY):
        payload["amount"] = str(brk.bank_amount)
    if brk.kind == BreakKind.BANK_ONLY:
        money_in = brk.bank_amount > 0
        allowed = _REVENUE_CORRECTION_ITEMS if money_in else _EXPENSE_CORRECTION_ITEMS
        if item not in allowed:
            raise InvalidInput(ERROR_CORRECTION_ITEM, code="correction_item")
        payload["item"] = item
    amount = abs(brk.bank_amount if brk.bank_amount is not None else brk.ledger_amount)
    request = approvals.approval_request_create(
        actor=actor,
        operation=CORRECTION,
        agency=_agency_of(actor),
        summary=gettext("Correct the reconciliation break %(break)s of %(account)s")
        % {"break": brk.pk, "account": brk.account.code},
        payload=payload,
        target=brk,
        before={"status": brk.status},
        amount=amount,
        reason=reason,
    )
    brk.correction = request
    brk.save(update_fields=["correction", "updated_at"])
    return request


_REVENUE_CORRECTION_ITEMS = (FundItem.INTEREST, FundItem.OTHER_REVENUE, FundItem.ADJUSTMENT)
_EXPENSE_CORRECTION_ITEMS = (FundItem.OTHER_EXPENDITURE, FundItem.ADJUSTMENT)


def _correction_period(brk: ReconciliationBreak) -> Period:
    """The run's month while it is open, else the current month."""
    period = Period.parse(brk.run.period)
    row = ledger.accounting_period_for(period)
    return period if row.is_open else Period.from_date(timezone.localdate())


def _apply_correction(request: ApprovalRequest, checker: StaffUser) -> dict:
    brk = _locked_break(int(request.object_id))
    if brk.run.status == ReconciliationStatus.APPROVED:
        raise Conflict(ERROR_SIGNED_OFF, code="signed_off")
    if brk.status == BreakStatus.RESOLVED:
        raise Conflict(
            ERROR_BREAK_SETTLED, code="break_settled", params={"status": brk.get_status_display()}
        )
    payload = request.payload
    period = _correction_period(brk)
    reversal = correcting = None
    reason = request.maker_reason or gettext("Reconciliation correction")
    if "entry" in payload:
        original = JournalEntry.objects.get(pk=payload["entry"])
        reversal = ledger.reverse_entry(
            actor=checker,
            entry=original,
            reason=reason,
            period=period,
            idempotency_key=f"reconciliation:{brk.pk}:reverse",
        )
        if brk.kind == BreakKind.AMOUNT_DIFFERS:
            new = Decimal(payload["amount"])
            legs = list(original.legs.order_by("id"))
            sign = {leg.pk: (1 if leg.account_id == brk.account_id else -1) for leg in legs}
            # the account's leg becomes the statement's amount, the other its opposite
            correcting = ledger.post_entry(
                actor=checker,
                period=period,
                legs=[ledger.Leg(leg.account_id, new * sign[leg.pk]) for leg in legs],
                source=ledger.Source(
                    "funds.reconciliationbreak", str(brk.pk), original.source_reference
                ),
                memo=reason,
                idempotency_key=f"reconciliation:{brk.pk}:repost",
                item=original.item,
            )
    else:
        amount = Decimal(payload["amount"])
        nominal = ledger.fund_account_for(
            region=brk.account.region,
            kind=AccountKind.REVENUE if amount > 0 else AccountKind.EXPENSE,
            actor=checker,
        )
        correcting = ledger.post_entry(
            actor=checker,
            period=period,
            legs=[ledger.Leg(brk.account_id, amount), ledger.Leg(nominal.pk, -amount)],
            source=ledger.Source("funds.reconciliationbreak", str(brk.pk), brk.reference),
            memo=reason,
            idempotency_key=f"reconciliation:{brk.pk}:post",
            item=payload["item"],
        )
    before = {"status": brk.status}
    brk.status = BreakStatus.RESOLVED
    brk.reversal_entry = reversal
    brk.correcting_entry = correcting
    brk.resolved_by = checker
    brk.resolved_at = timezone.now()
    brk.save(
        update_fields=[
            "status", "reversal_entry", "correcting_entry", "resolved_by", "resolved_at",
            "updated_at",
        ]
    )  # fmt: skip
    _log(checker, brk, before, reason=reason)
    return {
        "status": brk.status,
        "reversal_entry": reversal.pk if reversal else None,
        "correcting_entry": correcting.pk if correcting else None,
    }


approvals.register_operation(
    CORRECTION,
    label=_("Correct a reconciliation break"),
    apply=_apply_correction,
    checker_roles=(Role.REVIEWER, Role.FUND_ACCOUNTANT, Role.AGENCY_HEAD),
    field_labels={
        "break": _("Break"),
        "kind": _("Kind"),
        "account": _("Account"),
        "entry": _("Journal entry"),
        "amount": _("Amount"),
        "item": _("Item"),
        "status": _("Status"),
    },
    display=lambda field, value: _show(field, value),
)


def _show(field: str, value: Any) -> str:
    if field == "kind" and value in BreakKind.values:
        return str(BreakKind(value).label)
    if field == "status" and value in BreakStatus.values:
        return str(BreakStatus(value).label)
    if field == "status" and value in ReconciliationStatus.values:
        return str(ReconciliationStatus(value).label)
    if field == "item" and value in FundItem.values:
        return str(FundItem(value).label)
    return str(value)


# --- sign-off (maker-checker) ------------------------------------------------------------------


def open_breaks(run: ReconciliationRun) -> QuerySet[ReconciliationBreak]:
    return run.breaks.exclude(status__in=list(BREAK_SETTLED))


@transaction.atomic
def reconciliation_sign_off(
    *, actor: StaffUser, run: ReconciliationRun | int, reason: str = ""
) -> ApprovalRequest:
    """Propose the sign-off of a matched reconciliation (maker): refused while a break
    is neither explained, carried nor resolved. A second person approves it."""
    run = batches.locked(BATCH, run)
    if not may_run(actor) or actor.agency is None:
        raise NotPermitted(ERROR_RUN_NOT_ALLOWED, code="reconciliation_not_permitted")
    if run.status != ReconciliationStatus.CALCULATED:
        raise Conflict(
            ERROR_NOT_CALCULATED, code="wrong_status", params={"status": run.get_status_display()}
        )
    count = open_breaks(run).count()
    if count:
        raise Conflict(ERROR_BREAKS_OPEN, code="breaks_open", params={"count": count})
    if run.sign_off_id and run.sign_off.status == ApprovalStatus.PENDING:
        raise Conflict(ERROR_SIGN_OFF_PENDING, code="sign_off_pending")
    request = approvals.approval_request_create(
        actor=actor,
        operation=SIGN_OFF,
        agency=actor.agency,
        summary=gettext("Sign off the reconciliation of %(period)s") % {"period": run.period},
        payload={"run": run.pk, "period": Period.parse(run.period).as_int, **_figures(run)},
        target=run,
        before={"status": run.status},
        reason=reason,
    )
    run.sign_off = request
    run.save(update_fields=["sign_off"])
    return request


def _figures(run: ReconciliationRun) -> dict:
    return {
        "account_count": run.account_count,
        "matched_count": run.matched_count,
        "break_count": run.break_count,
    }


def _apply_sign_off(request: ApprovalRequest, checker: StaffUser) -> dict:
    run = batches.locked(BATCH, int(request.object_id))
    if run.status != ReconciliationStatus.CALCULATED:
        raise batches.wrong_status(BATCH, run, "approved")
    count = open_breaks(run).count()
    if count:
        raise Conflict(ERROR_BREAKS_OPEN, code="breaks_open", params={"count": count})
    if checker.pk == run.started_by_id:
        raise NotPermitted(batches.ERROR_SELF_APPROVAL, code="self_approval")
    before = run.status
    run.status = ReconciliationStatus.APPROVED
    run.approved_by = checker
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    batches.log(checker, run, before, action=ChangeAction.APPROVE)
    return {"status": run.status}


approvals.register_operation(
    SIGN_OFF,
    label=_("Sign off a reconciliation"),
    apply=_apply_sign_off,
    checker_roles=(Role.REVIEWER, Role.FUND_ACCOUNTANT, Role.AGENCY_HEAD),
    field_labels={
        "run": _("Reconciliation"),
        "period": _("Month"),
        "account_count": _("Accounts"),
        "matched_count": _("Matched pairs"),
        "break_count": _("Breaks"),
        "status": _("Status"),
    },
    display=lambda field, value: _show(field, value),
)


# --- reads ------------------------------------------------------------------------------------


def runs_for(user) -> QuerySet[ReconciliationRun]:
    """Reconciliations the user may see (the province's: every fund user sees them, as
    they cover every county's accounts; a user sees the breaks of their region)."""
    if user_prefix(user, FundAccount, "view") is None:
        return ReconciliationRun.objects.none()
    return ReconciliationRun.objects.select_related("region", "started_by", "approved_by")


def breaks_for(user) -> QuerySet[ReconciliationBreak]:
    """Breaks on accounts of the user's region and below."""
    return restrict(
        ReconciliationBreak.objects.select_related(
            "run", "account__region", "assignee", "line__statement", "leg__entry", "correction"
        ),
        user,
        "view",
    )


def adjustments_for(user, run: ReconciliationRun) -> QuerySet[ReconciliationAccount]:
    """The run's balance adjustments of the user's region's accounts."""
    prefix = user_prefix(user, FundAccount, "view")
    if prefix is None:
        return ReconciliationAccount.objects.none()
    return (
        ReconciliationAccount.objects.filter(run=run, account__region__code__startswith=prefix)
        .select_related("account__region", "statement")
        .order_by("account__code")
    )


def statements_for(user) -> QuerySet[AccountStatement]:
    return restrict(
        AccountStatement.objects.select_related("account__region", "client"), user, "view"
    )


def statements_for_prefix(prefix: str) -> QuerySet[AccountStatement]:
    return AccountStatement.objects.select_related("account").filter(
        account__region__code__startswith=prefix
    )


def breaks_for_prefix(prefix: str) -> QuerySet[ReconciliationBreak]:
    return ReconciliationBreak.objects.select_related("run", "account").filter(
        account__region__code__startswith=prefix
    )


def break_age_days(brk: ReconciliationBreak, today: date) -> int:
    """Days since the break's booking day (its age)."""
    return max((today - brk.booked_on).days, 0)


def break_summary(run: ReconciliationRun, user) -> list[dict]:
    """The run's breaks by kind and status (counts and amounts) in the user's region."""
    rows = (
        breaks_for(user)
        .filter(run=run)
        .values("kind", "status")
        .annotate(n=Count("id"), ledger=Sum("ledger_amount"), bank=Sum("bank_amount"))
        .order_by("kind", "status")
    )
    return [
        {
            **row,
            "kind_label": BreakKind(row["kind"]).label,
            "status_label": BreakStatus(row["status"]).label,
        }
        for row in rows
    ]


def correction_items(brk: ReconciliationBreak) -> list[tuple[str, Any]]:
    """The items a correction of a line missing in the ledger may take."""
    if brk.kind != BreakKind.BANK_ONLY:
        return []
    items = _REVENUE_CORRECTION_ITEMS if brk.bank_amount > 0 else _EXPENSE_CORRECTION_ITEMS
    return [(item.value, item.label) for item in items]


def assignees_for(brk: ReconciliationBreak) -> QuerySet[StaffUser]:
    """The fund accountants a break may be assigned to: active, of the account's region
    or a region above it."""
    codes = [region.code for region in brk.account.region.ancestors()]
    return StaffUser.objects.filter(
        is_active=True, roles__contains=[Role.FUND_ACCOUNTANT], agency__region__in=codes
    ).order_by("agency__region__code", "username")


def break_detail(*, user, pk: int) -> ReconciliationBreak | None:
    """One break the user may see, or None."""
    return breaks_for(user).filter(pk=pk).first()


def may_work(actor, brk: ReconciliationBreak) -> bool:
    """Whether the user may assign, explain or correct the break now."""
    return (
        _may_work(actor, brk.account)
        and brk.run.status != ReconciliationStatus.APPROVED
        and brk.status != BreakStatus.RESOLVED
        and not (brk.correction_id and brk.correction.status == ApprovalStatus.PENDING)
    )


def approval_visible(user, request: ApprovalRequest | None) -> bool:
    """Whether the user may open the approval request (its page answers 404 outside
    the request's region, as the approvals' list does): a sign-off or correction
    made at the province is shown to a county's staff without a link."""
    if request is None:
        return False
    if request.maker_id == user.pk:
        return True
    return restrict(ApprovalRequest.objects.filter(pk=request.pk), user, "view").exists()


def statement_lines(statement: AccountStatement) -> QuerySet[StatementLine]:
    return statement.lines.order_by("line_number")
