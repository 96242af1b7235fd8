"""The acceptance checklist (规范省级统筹考核验收表, seed 000, DESIGN §5.7): the 29 items
of the "seven unifications" (七统一) with how each is checked and its standard, and the
live figures the system measures from its own data, set-based, within a region.

Measured (each figure says its goal and whether the data meets it):

- item 10, reconciliation between HR/SS, finance and tax: of the last twelve closed
  months, those with a signed-off three-way reconciliation (``funds``
  ``ReconciliationRun`` approved) of the region or of a region above it;
- item 11, historical surpluses swept to the special account: the regions of the
  region whose sweep (``SurplusSweep``) is done, their amount, those awaiting the
  checker (no goal: how many places had a surplus is not in the data);
- item 13, the budget drawn up by the province: this year's budget has a version the
  government approved; last year's final accounts can be drawn (its twelve accounting
  periods closed in the fund ledger);
- item 14, funds allocated on time: the disbursements to the region falling due in the
  last twelve months, and those paid on or before their due day (goal: all); the
  spending plans of the region falling due then, and those submitted by their due day
  (goal: all);
- item 20, social security cards: the insured (contributing, interrupted, retired)
  with a card number (goal 95 %); of the retirees paid in the last approved monthly
  payroll, those paid into their card's account (a card number on record and the
  payment made to the account on record, which the card doubles as), split into new
  retirees (retired in the twelve months up to the pay month; goal 95 %) and the
  others (goal 50 %);
- item 22, systems interconnected: the tax bureau's and the finance department's
  systems with an active API key, and when they last called;
- item 25, real-time monitoring: the last risk scan of the region (or above) and its
  date (goal: within two days, the scan is nightly);
- item 27, no manual or cash payments: of the payments of the last twelve pay months,
  those without a bank account (held, for lack of an account; the system has no cash
  or manual way to pay: every payment goes in a bank file). Goal: none.

The other items are documents, mechanisms and procedures: the auditor assesses them
with evidence attached (``ChecklistAssessment``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from pension.money import format_money
from pension.periods import Period


@dataclass(frozen=True)
class Item:
    number: int
    domain: int
    text: Any
    method: Any
    standard: Any


# the seed's table (附表), item by item
DOMAINS: dict[int, Any] = {
    1: _("Unified pension insurance policy"),
    2: _("Unified management of fund revenue and expenditure"),
    3: _("Unified fund budget management"),
    4: _("Unified responsibility-sharing mechanism"),
    5: _("Unified centralised information system"),
    6: _("Unified administration and services"),
    7: _("Unified incentive and accountability mechanism"),
}
_METHODS: dict[str, Any] = {
    "a": _("Read the documents, check the information system, interviews."),
    "b": _("Read the documents, financial statements and accounting records, interviews."),
    "c": _(
        "Read the documents and the fund collection flow chart, check the provincial finance "
        "system, interviews."
    ),
    "d": _(
        "Read the documents and the fund payment flow chart, check the provincial finance "
        "system, interviews."
    ),
    "e": _("Read the documents, check the departments' reconciliation records, interviews."),
    "f": _("Read the documents and financial statements, interviews."),
    "g": _("Read the documents, interviews."),
    "h": _("Read the documents and the fund's budget and final-accounts statements, interviews."),
    "i": _("Read the documents and written explanations, interviews."),
    "j": _("Read the documents, check the information system."),
    "k": _("Check the information system."),
    "l": _("Check the information system and the procedures."),
    "m": _("Check the information system, interviews."),
    "n": _("Read the documents, check the information system and the procedures, interviews."),
}
_STANDARDS: dict[str, Any] = {
    "1": _("Issued by the provincial government or a department, and implemented."),
    "2": _("Issued by the provincial government or a department."),
    "3": _("Implemented."),
    "4": _("Implementation started."),
    "5": _(
        "Cards issued to 95 % of the insured; benefits of new retirees paid to the card for "
        "95 %, of existing retirees for 50 %."
    ),
    "6": _("Online services opened."),
    "7": _("System interfaces or a data-exchange mechanism established."),
}
ITEMS: tuple[Item, ...] = (
    Item(
        1,
        1,
        _(
            "Scope and conditions of insurance for employers of every kind and their "
            "employees, individual businesses without employees and flexible workers."
        ),
        _METHODS["a"],
        _STANDARDS["1"],
    ),
    Item(
        2,
        1,
        _("Contribution rates of employers and individuals."),
        _METHODS["a"],
        _STANDARDS["2"],
    ),
    Item(
        3,
        1,
        _("Upper and lower limits of the individual contribution base."),
        _METHODS["a"],
        _STANDARDS["2"],
    ),
    Item(
        4,
        1,
        _("How the employer's contribution base is determined."),
        _METHODS["a"],
        _STANDARDS["1"],
    ),
    Item(
        5,
        1,
        _("Pension benefit items and standards."),
        _METHODS["a"],
        _STANDARDS["1"],
    ),
    Item(
        6,
        1,
        _("How the basic pension is calculated."),
        _METHODS["a"],
        _STANDARDS["2"],
    ),
    Item(
        7,
        2,
        _(
            "The fund managed centrally by the province, revenue and expenditure on two "
            "separate lines with full remittance and allocation."
        ),
        _METHODS["b"],
        _STANDARDS["3"],
    ),
    Item(
        8,
        2,
        _("The fund's collection managed uniformly by the province."),
        _METHODS["c"],
        _STANDARDS["3"],
    ),
    Item(
        9,
        2,
        _("The fund's payments managed uniformly by the province."),
        _METHODS["d"],
        _STANDARDS["3"],
    ),
    Item(
        10,
        2,
        _(
            "A reconciliation mechanism between the HR and social security, finance and tax "
            "departments."
        ),
        _METHODS["e"],
        _STANDARDS["3"],
    ),
    Item(
        11,
        2,
        _(
            "The accumulated fund surpluses of every place in the province all swept to the "
            "provincial fiscal special account by the deadline."
        ),
        _METHODS["f"],
        _STANDARDS["2"],
    ),
    Item(
        12,
        3,
        _(
            "A sound budget management system; governments at every level held to their "
            "responsibility through budget performance assessment."
        ),
        _METHODS["g"],
        _STANDARDS["3"],
    ),
    Item(
        13,
        3,
        _(
            "The fund budget drawn up uniformly by the province, with budget supervision "
            "throughout."
        ),
        _METHODS["h"],
        _STANDARDS["3"],
    ),
    Item(
        14,
        3,
        _("The provincially pooled fund allocated on time and in full."),
        _METHODS["f"],
        _STANDARDS["3"],
    ),
    Item(
        15,
        4,
        _(
            "The provincial government bears the main responsibility for paying the basic "
            "pensions of the province's enterprise retirees on time and in full."
        ),
        _METHODS["g"],
        _STANDARDS["2"],
    ),
    Item(
        16,
        4,
        _("A mechanism sharing the responsibility for pension insurance work."),
        _METHODS["i"],
        _STANDARDS["2"],
    ),
    Item(
        17,
        4,
        _("Rules for governments at every level and place to share the fund's gap."),
        _METHODS["i"],
        _STANDARDS["2"],
    ),
    Item(
        18,
        5,
        _(
            "A social insurance information system centralised at the province, or pension "
            "data centralised at the province in real time (or near real time)."
        ),
        _METHODS["j"],
        _STANDARDS["3"],
    ),
    Item(
        19,
        5,
        _(
            "Real-time networked handling across the province, with supervision of the fund's"
            " finances and of the administration."
        ),
        _METHODS["a"],
        _STANDARDS["4"],
    ),
    Item(
        20,
        5,
        _("Social security cards issued to essentially all insured people."),
        _METHODS["k"],
        _STANDARDS["5"],
    ),
    Item(
        21,
        5,
        _("Pension business applied for and queried online; pension business handled online."),
        _METHODS["l"],
        _STANDARDS["6"],
    ),
    Item(
        22,
        5,
        _(
            "The systems of HR and social security, finance, tax and other departments "
            "interconnected, directly or by regular data exchange."
        ),
        _METHODS["m"],
        _STANDARDS["7"],
    ),
    Item(
        23,
        6,
        _(
            "Registration, rights records, transfers and benefit claims on uniform standards "
            "and procedures across the province."
        ),
        _METHODS["n"],
        _STANDARDS["3"],
    ),
    Item(
        24,
        6,
        _(
            "Registration, rights records, transfers and benefit claims handled anywhere in "
            "the province; transfers within the province move neither money nor records."
        ),
        _METHODS["n"],
        _STANDARDS["4"],
    ),
    Item(
        25,
        6,
        _("A real-time monitoring system of how provincial pooling runs."),
        _METHODS["a"],
        _STANDARDS["2"],
    ),
    Item(
        26,
        6,
        _("A new credit-based model of administration and services."),
        _METHODS["i"],
        _STANDARDS["2"],
    ),
    Item(
        27,
        6,
        _(
            "A fund risk-control system uniting policy, administration, information and "
            "supervision; manual handling, manual bank file delivery and cash business "
            "abolished."
        ),
        _METHODS["i"],
        _STANDARDS["2"],
    ),
    Item(
        28,
        7,
        _("A sound incentive and accountability mechanism for pension insurance work."),
        _METHODS["i"],
        _STANDARDS["3"],
    ),
    Item(
        29,
        7,
        _("Rules to supervise, reward and hold accountable the work of places and departments."),
        _METHODS["i"],
        _STANDARDS["2"],
    ),
)
ITEM_BY_NUMBER = {item.number: item for item in ITEMS}

# the statuses of a payroll run whose payments went to the bank (or will)
PAID_RUN_STATUSES = ("approved", "exported", "closed")
CARD_GOAL = Decimal("95")
NEW_RETIREE_GOAL = Decimal("95")
EXISTING_RETIREE_GOAL = Decimal("50")


@dataclass
class Figure:
    """One live figure of an item: what is measured, the value shown, the numerator and
    denominator when it is a share, the goal and whether it is met (None: no goal, or
    nothing to measure yet)."""

    key: str
    label: str
    value: str
    goal: str = ""
    met: bool | None = None
    numerator: int | None = None
    denominator: int | None = None
    percent: Decimal | None = None
    detail: str = ""


@dataclass
class Measures:
    region_code: str
    today: date
    figures: dict[int, list[Figure]] = field(default_factory=dict)

    def add(self, item: int, figure: Figure) -> None:
        self.figures.setdefault(item, []).append(figure)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``numerator ÷ denominator`` as a percentage to 2 places, half-up."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _share(key: str, label: str, numerator: int, denominator: int, goal: Decimal | None) -> Figure:
    pct = percent(numerator, denominator)
    return Figure(
        key=key,
        label=label,
        value=f"{pct}%" if pct is not None else _g("No data yet"),
        goal=f"≥ {goal}%" if goal is not None else "",
        met=None if pct is None or goal is None else pct >= goal,
        numerator=numerator,
        denominator=denominator,
        percent=pct,
        detail=_g("%(n)s of %(d)s") % {"n": numerator, "d": denominator} if denominator else "",
    )


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def measure(region, today: date) -> Measures:
    """Every live figure of the checklist for ``region`` (a ``pension.Region``) as of
    ``today``."""
    result = Measures(region_code=region.code, today=today)
    params = {
        "prefix": region.scope_prefix + "%",
        "covering": [r.code for r in region.ancestors()],
        "today": today,
    }
    _cards(result, params)
    _paid_by_card(result, params)
    _reconciliation(result, params)
    _disbursements(result, params)
    _budget(result, region, today)
    _final_accounts(result, today)
    _surplus(result, params)
    _interconnection(result)
    _monitoring(result, params)
    return result


def _cards(result: Measures, params: dict) -> None:
    [(with_card, insured)] = _rows(
        """
        SELECT count(*) FILTER (WHERE card_number <> ''), count(*)
          FROM enrollment_insuredperson
         WHERE region_id LIKE %(prefix)s
           AND status IN ('contributing', 'interrupted', 'retired')
        """,
        params,
    )
    result.add(
        20, _share("card_coverage", _g("Insured people with a social security card"),
                   with_card, insured, CARD_GOAL),
    )  # fmt: skip


def _paid_runs(params: dict, since: Period, until: Period, *, regular: bool) -> list[int]:
    kinds = "AND kind = 'regular'" if regular else ""
    return [
        row[0]
        for row in _rows(
            f"""
            SELECT id FROM benefits_payrollrun
             WHERE NOT dry_run AND status = ANY(%(statuses)s) {kinds}
               AND period BETWEEN %(since)s AND %(until)s
               AND (region_id LIKE %(prefix)s OR region_id = ANY(%(covering)s))
            """,
            {
                **params,
                "statuses": list(PAID_RUN_STATUSES),
                "since": since.as_int,
                "until": until.as_int,
            },
        )
    ]


def _last_pay_month(params: dict) -> Period | None:
    [(period,)] = _rows(
        """
        SELECT max(period) FROM benefits_payrollrun
         WHERE NOT dry_run AND status = ANY(%(statuses)s) AND kind = 'regular'
           AND (region_id LIKE %(prefix)s OR region_id = ANY(%(covering)s))
        """,
        {**params, "statuses": list(PAID_RUN_STATUSES)},
    )
    return Period.parse(period) if period else None


def _paid_by_card(result: Measures, params: dict) -> None:
    month = _last_pay_month(params)
    new_label = _g("New retirees paid to their social security card")
    old_label = _g("Existing retirees paid to their social security card")
    no_account_label = _g("Payments without a bank account (manual or cash)")
    if month is None:
        for item, key, label in (
            (20, "new_retirees_by_card", new_label),
            (20, "existing_retirees_by_card", old_label),
            (27, "payments_without_account", no_account_label),
        ):
            result.add(item, Figure(key=key, label=label, value=_g("No payroll paid yet")))
        return
    runs = _paid_runs(params, month, month, regular=True)
    since = month - 11
    counts = {
        new: (paid, by_card)
        for new, paid, by_card in _rows(
            """
            WITH paid AS (
                SELECT pay.person_id,
                       bool_or(p.card_number <> '' AND p.bank_account <> ''
                               AND pay.bank_account = p.bank_account) AS by_card
                  FROM benefits_payrollpayment pay
                  JOIN enrollment_insuredperson p ON p.id = pay.person_id
                 WHERE pay.run_id = ANY(%(runs)s) AND pay.posted
                   AND pay.instruction_id IS NULL AND pay.region_id LIKE %(prefix)s
                 GROUP BY pay.person_id
            ), retired AS (
                SELECT d.person_id, max(d.retirement_date) AS retirement_date
                  FROM benefits_pensiondetermination d
                 WHERE d.superseded_by_id IS NULL
                   AND d.person_id IN (SELECT person_id FROM paid)
                 GROUP BY d.person_id
            )
            SELECT coalesce(r.retirement_date >= %(since)s, false) AS new,
                   count(*), count(*) FILTER (WHERE paid.by_card)
              FROM paid LEFT JOIN retired r ON r.person_id = paid.person_id
             GROUP BY 1
            """,
            {**params, "runs": runs, "since": since.first_day},
        )
    }
    note = _g("Monthly payroll of %(month)s") % {"month": month}
    for key, label, new, goal in (
        ("new_retirees_by_card", new_label, True, NEW_RETIREE_GOAL),
        ("existing_retirees_by_card", old_label, False, EXISTING_RETIREE_GOAL),
    ):
        paid, by_card = counts.get(new, (0, 0))
        figure = _share(key, label, by_card, paid, goal)
        figure.detail = " · ".join(filter(None, [figure.detail, note]))
        result.add(20, figure)
    # item 27: every payment of the twelve pay months to a bank account
    runs = _paid_runs(params, since, month, regular=False)
    [(payments, without)] = _rows(
        """
        SELECT count(*), count(*) FILTER (WHERE bank_account = '')
          FROM benefits_payrollpayment
         WHERE run_id = ANY(%(runs)s) AND posted AND region_id LIKE %(prefix)s
        """,
        {**params, "runs": runs},
    )
    result.add(
        27,
        Figure(
            key="payments_without_account",
            label=no_account_label,
            value=str(without),
            goal=_g("none"),
            met=without == 0 and payments > 0,
            numerator=without,
            denominator=payments,
            detail=_g("%(n)s of %(d)s payments, pay months %(since)s to %(until)s")
            % {"n": without, "d": payments, "since": since, "until": month},
        ),
    )


def _reconciliation(result: Measures, params: dict) -> None:
    until = Period.from_date(params["today"]).prev()
    since = until - 11
    [(signed, matched)] = _rows(
        """
        SELECT count(DISTINCT period) FILTER (WHERE status = 'approved'),
               count(DISTINCT period) FILTER (WHERE status = 'calculated')
          FROM funds_reconciliationrun
         WHERE NOT dry_run AND region_id = ANY(%(covering)s)
           AND period BETWEEN %(since)s AND %(until)s
        """,
        {**params, "since": since.as_int, "until": until.as_int},
    )
    result.add(
        10,
        Figure(
            key="reconciled_months",
            label=_g("Months reconciled and signed off"),
            value=f"{signed} / 12",
            goal="12 / 12",
            met=signed == 12,
            numerator=signed,
            denominator=12,
            detail=_g("%(since)s to %(until)s; %(matched)s more matched, awaiting sign-off")
            % {"since": since, "until": until, "matched": matched},
        ),
    )


def _disbursements(result: Measures, params: dict) -> None:
    [(due, on_time)] = _rows(
        """
        SELECT count(*),
               count(*) FILTER (WHERE status = 'paid' AND paid_on <= due_on)
          FROM funds_disbursement
         WHERE region_id LIKE %(prefix)s AND due_on IS NOT NULL
           AND due_on > %(year_ago)s AND due_on <= %(today)s
        """,
        {**params, "year_ago": params["today"] - timedelta(days=365)},
    )
    figure = _share(
        "disbursed_on_time", _g("Disbursements paid by their due day"), on_time, due, Decimal(100)
    )
    figure.detail = " · ".join(filter(None, [figure.detail, _g("due in the last twelve months")]))
    result.add(14, figure)
    # the spending plans (用款计划) of the region that the money follows, submitted to
    # the level above by their due day (seed 001 §3(2), seed 004: by the 25th)
    [(due, on_time)] = _rows(
        """
        SELECT count(*),
               count(*) FILTER (WHERE (submitted_at AT TIME ZONE %(tz)s)::date <= due_on)
          FROM funds_spendingplan
         WHERE region_id LIKE %(prefix)s AND due_on IS NOT NULL
           AND due_on > %(year_ago)s AND due_on <= %(today)s
        """,
        {
            **params,
            "year_ago": params["today"] - timedelta(days=365),
            "tz": settings.TIME_ZONE,
        },
    )
    figure = _share(
        "plans_on_time", _g("Spending plans submitted by their due day"), on_time, due,
        Decimal(100),
    )  # fmt: skip
    figure.detail = " · ".join(filter(None, [figure.detail, _g("due in the last twelve months")]))
    result.add(14, figure)


def _budget(result: Measures, region, today: date) -> None:
    [(approved, versions)] = _rows(
        """
        SELECT count(*) FILTER (WHERE v.status = 'approved'), count(v.id)
          FROM budget_budget b LEFT JOIN budget_budgetversion v ON v.budget_id = b.id
         WHERE b.year = %(year)s AND b.region_id = %(province)s
        """,
        {"year": today.year, "province": region.province_code},
    )
    if approved:
        value = _g("Approved by the government")
    elif versions:
        value = _g("Being drawn up or reviewed")
    else:
        value = _g("Not drawn up")
    result.add(
        13,
        Figure(
            key="budget_approved",
            label=_g("Fund budget of %(year)s") % {"year": today.year},
            value=value,
            goal=_g("approved by the government"),
            met=bool(approved),
        ),
    )


def _final_accounts(result: Measures, today: date) -> None:
    """Last year's final accounts (决算) come from the fund ledger once its twelve
    accounting periods are closed."""
    year = today.year - 1
    [(closed,)] = _rows(
        """
        SELECT count(*) FROM funds_accountingperiod
         WHERE status = 'closed' AND period BETWEEN %(first)s AND %(last)s
        """,
        {"first": year * 100 + 1, "last": year * 100 + 12},
    )
    result.add(
        13,
        Figure(
            key="final_accounts_closed",
            label=_g("Months of %(year)s closed for the final accounts") % {"year": year},
            value=f"{closed} / 12",
            goal="12 / 12",
            met=closed == 12,
            numerator=closed,
            denominator=12,
        ),
    )


def _surplus(result: Measures, params: dict) -> None:
    [(swept, amount, pending)] = _rows(
        """
        SELECT count(*) FILTER (WHERE status = 'swept'),
               coalesce(sum(amount) FILTER (WHERE status = 'swept'), 0),
               count(*) FILTER (WHERE status = 'pending')
          FROM funds_surplussweep WHERE region_id LIKE %(prefix)s
        """,
        params,
    )
    result.add(
        11,
        Figure(
            key="surplus_swept",
            label=_g("Historical surpluses swept to the special account"),
            value=_g("%(n)s regions, %(amount)s yuan")
            % {"n": swept, "amount": format_money(amount)},
            numerator=swept,
            detail=_g("%(n)s awaiting the checker") % {"n": pending},
        ),
    )


def _interconnection(result: Measures) -> None:
    rows = {
        kind: (count, last)
        for kind, count, last in _rows(
            """
            SELECT kind, count(*), max(last_used_at) FROM pension_apiclient
             WHERE is_active AND revoked_at IS NULL AND kind IN ('tax', 'finance')
             GROUP BY kind
            """,
            {},
        )
    }
    tax, tax_last = rows.get("tax", (0, None))
    finance, finance_last = rows.get("finance", (0, None))

    def last(moment) -> str:
        return moment.date().isoformat() if moment else _g("never")

    result.add(
        22,
        Figure(
            key="systems_connected",
            label=_g("Tax and finance systems connected"),
            value=_g("tax %(tax)s, finance %(finance)s") % {"tax": tax, "finance": finance},
            goal=_g("both connected"),
            met=tax > 0 and finance > 0,
            detail=_g("last call: tax %(tax)s, finance %(finance)s")
            % {"tax": last(tax_last), "finance": last(finance_last)},
        ),
    )


def _monitoring(result: Measures, params: dict) -> None:
    rows = _rows(
        """
        SELECT scan_date, alert_count FROM audit_riskscanrun
         WHERE status = 'posted' AND (region_id LIKE %(prefix)s OR region_id = ANY(%(covering)s))
         ORDER BY scan_date DESC, id DESC LIMIT 1
        """,
        params,
    )
    label = _g("Last risk scan")
    if not rows:
        result.add(25, Figure(key="last_risk_scan", label=label, value=_g("never"),
                              goal=_g("nightly"), met=False))  # fmt: skip
        return
    scan_date, alerts = rows[0]
    result.add(
        25,
        Figure(
            key="last_risk_scan",
            label=label,
            value=scan_date.isoformat(),
            goal=_g("nightly"),
            met=scan_date >= params["today"] - timedelta(days=2),
            detail=_g("%(n)s new alerts") % {"n": alerts},
        ),
    )
