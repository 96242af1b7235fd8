"""Control totals through the chain (全链条控制数, DESIGN §5.5, seed 000 items 7–10):
for a month and a region, whether the money closes from one system's figure to the
next, to the fen: assessed = paid + outstanding; the paid personal shares = what the
personal accounts were credited; the payroll lines = the bank payments = paid + failed
+ awaiting the bank; the bank files' control totals = the payments they carry = the
banks' results; the ledger's revenue and expenditure posted by the month-end closes =
the source totals they were posted from.

Every figure is read from its own app through that app's SQL-fragment selectors
(``contributions.selectors``, ``accounts.selectors``, ``benefits.selectors``); this
module names only the fund ledger's tables.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import credited_shares_sql
from benefits.selectors import paid_payments_in_sql, payroll_control_sql
from contributions.selectors import (
    month_bill_control_sql,
    paid_account_shares_sql,
    paid_totals_sql,
)
from funds.models import FundAccount
from pension.models.regions import region_code_prefix
from pension.periods import Period
from pension.scope import user_prefix

ZERO = Decimal("0.00")
CLOSE_SOURCE = "funds.closerun"


@dataclass
class Check:
    """One line of the page: what should equal what, with the figures, green or red."""

    key: str
    label: Any
    left_label: Any
    left: Decimal
    right_label: Any
    parts: list[tuple[Any, Decimal]] = field(default_factory=list)

    @property
    def right(self) -> Decimal:
        return sum((amount for _label, amount in self.parts), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.left - self.right

    @property
    def ok(self) -> bool:
        return self.difference == 0


def _row(sql: str, params: dict) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


_LEDGER_SQL = """
SELECT coalesce(sum(-l.amount) FILTER (WHERE a.kind = 'revenue'), 0) AS revenue,
       coalesce(sum(l.amount) FILTER (WHERE a.kind = 'expense'), 0) AS expenditure
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.kind IN ('revenue', 'expense') AND a.region_id LIKE %(prefix)s
   AND e.source_type = %(source)s AND p.period <= %(period)s
"""


def region_prefix_for(user, region_code: str = "") -> str | None:
    """The prefix of the region asked for, if the user may see it, else the user's own
    region; None when the user sees no fund figures."""
    own = user_prefix(user, FundAccount, "view")
    if own is None:
        return None
    code = (region_code or "").strip()
    asked = region_code_prefix(code) if len(code) == 6 else code
    return asked if asked and asked.startswith(own) else own


def control_totals(*, period: Period | int | str, region_prefix: str) -> list[Check]:
    """The checks of ``period`` for the regions under ``region_prefix``."""
    period = Period.parse(period)
    month = period.as_int
    end = date(period.year, period.month, calendar.monthrange(period.year, period.month)[1])
    next_month = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))

    bills = _row(*month_bill_control_sql(period=month, region_prefix=region_prefix))
    shares = _row(*paid_account_shares_sql(period=month, region_prefix=region_prefix))
    credited = _row(*credited_shares_sql(period=month, region_prefix=region_prefix))
    payroll = _row(*payroll_control_sql(period=month, region_prefix=region_prefix))
    sources = _row(*paid_totals_sql(region_prefix=region_prefix, paid_by=end))
    paid_sql, paid_params = paid_payments_in_sql(
        region_prefix=region_prefix, paid_before=next_month
    )
    paid_out = _row(f"SELECT coalesce(sum(x.amount), 0) AS amount FROM ({paid_sql}) x", paid_params)
    ledger = _row(
        _LEDGER_SQL, {"prefix": f"{region_prefix}%", "source": CLOSE_SOURCE, "period": month}
    )
    return [
        Check(
            "assessment",
            _("Contributions assessed for the month"),
            _("Assessed (bills)"),
            bills["assessed"],
            _("Paid + outstanding"),
            [(_("Paid"), bills["paid"]), (_("Outstanding"), bills["outstanding"])],
        ),
        Check(
            "crediting",
            _("Personal accounts credited"),
            _("Personal shares of the paid lines"),
            shares["amount"],
            _("Credited to the personal accounts"),
            [(_("Credited"), credited["amount"])],
        ),
        Check(
            "payroll",
            _("Payroll to bank payments"),
            _("Payroll lines"),
            payroll["lines"],
            _("Bank payments of retirees"),
            [(_("Bank payments"), payroll["payments"])],
        ),
        Check(
            "payments",
            _("Bank payments by result"),
            _("Bank payments"),
            payroll["all_payments"],
            _("Paid + failed + awaiting the bank"),
            [
                (_("Paid"), payroll["paid"]),
                (_("Failed"), payroll["failed"]),
                (_("Awaiting the bank"), payroll["pending"]),
            ],
        ),
        Check(
            "bank_files",
            _("Bank files' control totals"),
            _("Bank files' control totals"),
            payroll["bank_files"],
            _("Payments the files carry"),
            [(_("Payments sent to the banks"), payroll["run_payments"])],
        ),
        Check(
            "bank_results",
            _("Bank results"),
            _("Bank files' control totals"),
            payroll["bank_files"],
            _("Results paid + failed + awaiting"),
            [
                (_("Results paid"), payroll["results_paid"]),
                (_("Results failed"), payroll["results_failed"]),
                (_("Awaiting the bank"), payroll["run_pending"]),
            ],
        ),
        Check(
            "revenue",
            _("Ledger revenue to its sources"),
            _("Revenue posted by the month-end closes"),
            ledger["revenue"],
            _("Contributions paid and late fees collected by month end"),
            [
                (_("Contributions paid"), sources["contributions"]),
                (_("Late fees collected"), sources["late_fees"]),
            ],
        ),
        Check(
            "expenditure",
            _("Ledger expenditure to its sources"),
            _("Expenditure posted by the month-end closes"),
            ledger["expenditure"],
            _("Bank payments paid out by month end"),
            [(_("Paid out"), paid_out["amount"])],
        ),
    ]
