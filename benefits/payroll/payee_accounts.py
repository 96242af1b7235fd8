"""Payees' bank accounts in a payroll run (发放账户核查): the accounts that changed
since last month (the variance report flags them) and the payments to an account
changed in the last N days, which the reviewer confirms explicitly when approving the
run (§6.2.2.3; the account itself changes only through an approved case,
``enrollment.services.person_bank_account_change_request``).

N is the policy parameter ``payroll.recent_account_change_days``; the run keeps the
count confirmed and the parameter's reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from benefits.choices import PayrollRunStatus
from benefits.models import PayrollRun
from enrollment.services import BANK_ACCOUNT_CHANGE
from pension.errors import Conflict
from pension.models import ApprovalStatus
from pension.selectors import policy_value

RECENT_CHANGE_DAYS = "payroll.recent_account_change_days"
_PAID = (PayrollRunStatus.APPROVED, PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED)

ERROR_UNCONFIRMED = _(
    "%(count)s payments go to a bank account changed in the last %(days)s days; "
    "check them and confirm before approving."
)


@dataclass(frozen=True)
class AccountChange:
    """A payee paid to another account than last month."""

    person_id: int
    payee_name: str
    before: str  # bank and the account's last 4 digits last month
    after: str  # the same in this run


@dataclass(frozen=True)
class RecentPayment:
    """A payment in the run to an account changed by a case approved recently."""

    person_id: int
    payee_name: str
    bank_name: str
    bank_account: str
    amount: Decimal
    changed_at: datetime
    request_id: int


@dataclass
class RecentChanges:
    """The payments to recently changed accounts: all of them counted (``count``, what
    the reviewer confirms), the first ``limit`` listed (``rows``)."""

    days: int
    reference: str
    rows: list[RecentPayment] = field(default_factory=list)
    total: int | None = None

    @property
    def count(self) -> int:
        return len(self.rows) if self.total is None else self.total


def accounts_changed_since_last_month(
    run: PayrollRun, *, limit: int | None = None
) -> list[AccountChange]:
    """Every payee of ``run`` whose bank or account differs from the posted payment of
    the previous period (approved runs of the same kind in the run's region); the first
    ``limit`` of them by person when a limit is given (the page)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (c.person_id) c.person_id, c.payee_name,
                   p.bank_name || ' ···' || right(p.bank_account, 4),
                   c.bank_name || ' ···' || right(c.bank_account, 4)
              FROM benefits_payrollpayment c
              JOIN benefits_payrollpayment p ON p.person_id = c.person_id
              JOIN benefits_payrollrun r ON r.id = p.run_id
             WHERE c.run_id = %(run)s AND p.period = %(previous)s AND p.posted
               AND r.kind = %(kind)s AND r.status IN %(paid)s AND p.region_id LIKE %(prefix)s
               AND (p.bank_name, p.bank_account) <> (c.bank_name, c.bank_account)
             ORDER BY c.person_id, p.id DESC
             LIMIT %(limit)s
            """,
            {
                "limit": limit,
                "run": run.pk,
                "previous": run.period.prev().as_int,
                "kind": run.kind,
                "paid": tuple(str(s) for s in _PAID),
                "prefix": run.region.scope_prefix + "%",
            },
        )
        return [AccountChange(*row) for row in cursor.fetchall()]


def recent_account_changes(
    run: PayrollRun, *, now: datetime | None = None, limit: int | None = None
) -> RecentChanges:
    """The payments of ``run`` to payees whose bank account change was approved in the
    last N days (N = ``payroll.recent_account_change_days`` in the run's region)."""
    now = now or timezone.now()
    parameter = policy_value(RECENT_CHANGE_DAYS, on=timezone.localdate(now), region=run.region)
    days = int(parameter.value)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (pay.id) pay.person_id, pay.payee_name, pay.bank_name,
                   pay.bank_account, pay.amount, a.decided_at, a.id
              FROM benefits_payrollpayment pay
              JOIN pension_approvalrequest a
                ON a.object_type = 'enrollment.insuredperson'
               AND a.object_id = pay.person_id::text
             WHERE pay.run_id = %(run)s AND a.operation = %(operation)s
               AND a.status = %(approved)s AND a.decided_at >= %(since)s
             ORDER BY pay.id, a.decided_at DESC
            """,
            {
                "run": run.pk,
                "operation": BANK_ACCOUNT_CHANGE,
                "approved": str(ApprovalStatus.APPROVED),
                "since": now - timedelta(days=days),
            },
        )
        rows = [RecentPayment(*row) for row in cursor.fetchall()]
    total = len(rows)
    if limit is not None:
        rows = rows[:limit]
    return RecentChanges(days=days, reference=parameter.reference, rows=rows, total=total)


def confirm_recent_changes(run: PayrollRun, confirmed: int | None) -> dict[str, Any]:
    """Refuse the approval unless the reviewer confirmed exactly the payments to
    recently changed accounts that the run holds now; what the run keeps of it."""
    recent = recent_account_changes(run)
    if recent.count and confirmed != recent.count:
        raise Conflict(
            ERROR_UNCONFIRMED,
            code="account_changes_unconfirmed",
            params={"count": recent.count, "days": recent.days},
        )
    return {"recent_account_changes": recent.count, "recent_account_days": recent.reference}
