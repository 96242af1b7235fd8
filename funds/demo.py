"""Demo step "funds": closed months of the fund ledger from the demo's own chain, revenue
recorded by cases, and one spending-plan cycle, so the funds pages show figures.

After the "benefits" step (twelve months of payroll, all but last month paid by the
banks), as staff would do it:

1. **Month-end closes** (``funds.close.close_run``) of the months from January of last
   year (the province scale: the last ``PROVINCE_CLOSED_MONTHS``) to the month before
   last (the last month's bank results are not in yet), each month then closed by the
   provincial fund accountant and a provincial reviewer (``funds.ledger.period_close``,
   maker-checker). The close posts revenue from the contributions paid and expenditure
   from the bank results (the demo's bank results are dated the 15th of their payroll
   month); the first closed month carries everything paid before it, as a ledger
   opened that month would.
2. Each closed month, before its period close:

   - the tax bureau's transfers (税务划转) of the month's collections, tax clearing →
     each county's income account (posted as ``funds.ledger.post_entry`` from the demo,
     source ``demo``: the demo has no tax bureau system calling the API);
   - the money each county paid out, disbursed down the chain (special account →
     province → city → county expenditure accounts, item disbursement, source
     ``demo``), plus in the first month ``funds.reserve_months`` months of it as the
     opening revolving reserve;
   - in the last three months, revenue recorded by a case and approved by a second
     person (``funds.other_revenue``): central adjustment funds to the special
     account (1 % of the province's expenditure of the month), a fiscal subsidy to the
     capital city (0.5 %), interest on a county's income account (0.01 %). Synthetic
     amounts, no published figure.
   - in the last ``RECONCILED_MONTHS`` (3) months, **the three-way reconciliation**
     (``funds.reconciliation``): finance's statement of the special account and the
     banks' of the income and expenditure accounts that moved (the demo's systems
     省财政厅/中国建设银行/中国工商银行对账接口, posted through ``statement_record``, the
     API's service), their lines the ledger's legs with the transfer vouchers'
     numbers (``_voucher``); the month's run, and its sign-off by the provincial fund
     accountant and a reviewer, before the period close. The last closed month is closed first and
     then reconciled with one planted break: a bank fee of 12.50 (``BANK_FEE``) on the
     expenditure account of the capital's first county, on the statement and not in
     the ledger, assigned to that county's fund accountant and left open (the
     statement line's memo says what it is), so the fund accountants have a break to
     work; its run is not signed off.
3. **One spending-plan cycle** for this month (``funds.plans``): every county with a
   fund accountant and a checker prepares its plan from the payroll projection and
   submits it, the cities and the province consolidate and submit, finance (the demo
   user ``finance``) approves and transfers, the province disburses to the cities and
   the cities to their counties, each step approved by a second person.

``ctx.history_years`` = 0 (the tests' tiny province) loads nothing. Work already there
is skipped: a month with a close run (and its reconciliation), a cycle when the province
has this month's plan.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from time import monotonic

from django.db import connection
from django.utils import timezone

from funds import close, ledger, other_revenue, plans, reconciliation
from funds.choices import AccountKind, Counterparty, FundItem, PlanStatus
from funds.models import AccountingPeriod, CloseRun, ReconciliationRun, SpendingPlan
from funds.reconciliation import StatementLineIn
from pension.api import keys
from pension.approvals import approval_request_approve
from pension.choices import RegionLevel, Role
from pension.demo import DemoContext, register
from pension.models import ApiClient, Region, StaffUser
from pension.periods import Period
from pension.selectors import policy_value

ACCOUNTANT, CHECKER, FINANCE = "province_accountant", "province_reviewer", "finance"
# the province scale closes its last three paid months; the others every month from
# January of last year (the contribution history's last year, so the statements have
# last year's figures), to the month before last
PROVINCE_CLOSED_MONTHS = 3
CASE_MONTHS = 3  # the last closed months with revenue recorded by cases
RECONCILED_MONTHS = 3  # the last closed months with statements and a reconciliation
CENT = Decimal("0.01")
# the break planted in the last closed month: a bank fee the ledger does not have, on
# the expenditure account of the capital's first county (a synthetic amount)
BANK_FEE = Decimal("-12.50")
BANK_FEE_MEMO = "账户管理费（银行扣收，待核实）"
# the systems that post the demo's statements: (name, kind, bank, number prefix, the
# account kinds whose statements they post)
STATEMENT_SENDERS = (
    ("省财政厅对账接口（演示）", "finance", "", "CZ", (AccountKind.SPECIAL,)),
    ("中国建设银行对账接口（演示）", "bank", "中国建设银行", "JH", (AccountKind.INCOME,)),
    ("中国工商银行对账接口（演示）", "bank", "中国工商银行", "GH", (AccountKind.EXPENDITURE,)),
)

# a county's figures of a close run: revenue credited, expenditure debited, by county
_RUN_FIGURES_SQL = """
SELECT a.region_id,
       coalesce(sum(-l.amount) FILTER (WHERE a.kind = 'revenue'), 0),
       coalesce(sum(l.amount) FILTER (WHERE a.kind = 'expense'), 0)
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
 WHERE e.source_type = %s AND e.source_id = %s AND a.kind IN ('revenue', 'expense')
 GROUP BY a.region_id
 ORDER BY a.region_id
"""


# the month's legs on the province's money accounts as their statement lines (money in
# positive), booked on the ledger's booking day kept within the month, and each
# account's balance before the month
_STATEMENT_LINES_SQL = """
SELECT a.code, a.kind, l.amount, e.source_reference, e.item,
       least(greatest(coalesce(t.transferred_on, f.transferred_on, d.paid_on,
                               CASE WHEN e.source_type = 'funds.closerun' THEN %(last)s END,
                               (e.posted_at AT TIME ZONE %(tz)s)::date),
                      %(first)s), %(last)s) AS booked_on
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
  LEFT JOIN funds_taxtransfer t ON t.entry_id = e.id
  LEFT JOIN funds_financetransfer f ON f.ledger_entry_id = e.id
  LEFT JOIN funds_disbursement d ON d.ledger_entry_id = e.id
 WHERE a.kind IN ('income', 'expenditure', 'special') AND a.region_id LIKE %(prefix)s
   AND p.period = %(period)s AND l.amount <> 0
 ORDER BY a.code, booked_on, l.id
"""
_OPENING_SQL = """
SELECT a.code, coalesce(sum(l.amount), 0)
  FROM funds_journalleg l
  JOIN funds_fundaccount a ON a.id = l.account_id
  JOIN funds_journalentry e ON e.id = l.entry_id
  JOIN funds_accountingperiod p ON p.id = e.period_id
 WHERE a.code = ANY(%(codes)s) AND p.period < %(period)s
 GROUP BY a.code
"""
_LINE_MEMO = {
    FundItem.TAX_TRANSFER: "税款划入",
    FundItem.DISBURSEMENT: "基金拨付",
    FundItem.CENTRAL_ADJUSTMENT: "中央调剂资金",
    FundItem.FISCAL_SUBSIDY: "财政补助",
    FundItem.INTEREST: "利息",
}


def _user(region: Region, role: str, *, besides: StaffUser | None = None) -> StaffUser | None:
    users = StaffUser.objects.filter(agency__region=region, roles__contains=[role], is_active=True)
    if besides is not None:
        users = users.exclude(pk=besides.pk)
    return users.order_by("username").first()


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# the transfer voucher's number (which the bank's statement line carries too) of a
# demo posting's key "month:kind:region": 税务划转 SW, 拨付 BF, 财政拨入 CZ
_VOUCHER_PREFIX = {"tax": "SW", "disburse": "BF", "finance": "CZ"}


def _voucher(key: str) -> str:
    month, kind, region = key.split(":")
    return f"{_VOUCHER_PREFIX[kind]}{month.replace('-', '')}-{region}"


def _post(actor, month: Period, item: str, debit_account, credit_account, amount, key: str):
    if amount <= 0:
        return
    ledger.post_entry(
        actor=actor,
        period=month,
        legs=[ledger.debit(debit_account, amount), ledger.credit(credit_account, amount)],
        source=ledger.Source("demo", key, _voucher(key)),
        memo="演示数据",
        idempotency_key=f"demo:{key}",
        item=item,
    )


def _money_movements(run: CloseRun, *, first: bool, actor: StaffUser, reserve: Decimal) -> None:
    """The month's tax transfers into the county income accounts and the disbursements
    down to the county expenditure accounts (see the module docstring)."""
    month = Period.parse(run.period)
    with connection.cursor() as cursor:
        cursor.execute(_RUN_FIGURES_SQL, [close.SOURCE, str(run.pk)])
        figures = cursor.fetchall()
    counties = Region.objects.in_bulk([code for code, _r, _e in figures])
    by_city: dict[str, Decimal] = {}
    account = ledger.fund_account_for
    for code, revenue, expenditure in figures:
        county = counties[code]
        tax = account(region=county, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX)
        income = account(region=county, kind=AccountKind.INCOME)
        _post(actor, month, FundItem.TAX_TRANSFER, income, tax, revenue, f"{month}:tax:{code}")
        funding = _round(expenditure * (1 + reserve)) if first else expenditure
        if funding > 0:
            city = county.parent
            _post(
                actor, month, FundItem.DISBURSEMENT,
                account(region=county, kind=AccountKind.EXPENDITURE),
                account(region=city, kind=AccountKind.EXPENDITURE),
                funding, f"{month}:disburse:{code}",
            )  # fmt: skip
            by_city[city.code] = by_city.get(city.code, Decimal("0")) + funding
    province = run.region
    special = account(region=province, kind=AccountKind.SPECIAL)
    province_expenditure = account(region=province, kind=AccountKind.EXPENDITURE)
    for city_code, amount in sorted(by_city.items()):
        city = Region.objects.get(pk=city_code)
        _post(
            actor, month, FundItem.DISBURSEMENT,
            account(region=city, kind=AccountKind.EXPENDITURE), province_expenditure,
            amount, f"{month}:disburse:{city_code}",
        )  # fmt: skip
    total = sum(by_city.values(), Decimal("0"))
    _post(
        actor, month, FundItem.DISBURSEMENT, province_expenditure, special, total,
        f"{month}:finance:{province.code}",
    )  # fmt: skip


def _revenue_cases(run: CloseRun, *, ctx: DemoContext) -> None:
    """Revenue recorded by cases in a closed month (see the module docstring)."""
    month = Period.parse(run.period)
    province = run.region
    spent = run.expenditure_total
    accountant = StaffUser.objects.get(username=ACCOUNTANT)
    checker = StaffUser.objects.get(username=CHECKER)
    cases = [
        (accountant, checker, province, FundItem.CENTRAL_ADJUSTMENT, spent / 100,
         AccountKind.SPECIAL, f"财社〔{month.year}〕{month.month}号", "财政部"),
    ]  # fmt: skip
    capital = Region.objects.filter(parent=province).order_by("code").first()
    maker = _user(capital, Role.FUND_ACCOUNTANT) if capital else None
    city_checker = _user(capital, Role.REVIEWER) if capital else None
    if maker and city_checker:
        cases.append(
            (maker, city_checker, capital, FundItem.FISCAL_SUBSIDY, spent / 200,
             AccountKind.INCOME, f"市财社〔{month.year}〕{month.month}号", f"{capital.name}财政局"),
        )  # fmt: skip
    county = Region.objects.filter(parent=capital).order_by("code").first() if capital else None
    county_maker = _user(county, Role.FUND_ACCOUNTANT) if county else None
    county_checker = _user(county, Role.REVIEWER) if county else None
    if county_maker and county_checker:
        cases.append(
            (county_maker, county_checker, county, FundItem.INTEREST, spent / 10000,
             AccountKind.INCOME, f"利息通知{month}", "中国工商银行"),
        )  # fmt: skip
    for maker, checker_user, region, item, amount, kind, reference, payer in cases:
        amount = _round(amount)
        if amount <= 0:
            continue
        record = other_revenue.other_revenue_request(
            actor=maker, region=region, item=item, amount=amount, received_on=month.last_day,
            document_reference=reference, payer=payer, account_kind=kind,
            memo="演示数据", reason="演示数据",
        )  # fmt: skip
        approval_request_approve(actor=checker_user, request_id=record.approval_id)


def _senders(province: Region) -> dict[str, tuple[ApiClient, str]]:
    """The finance and bank systems posting the statements, by account kind (created
    once, their keys not kept: the demo posts through the service itself)."""
    senders: dict[str, tuple[ApiClient, str]] = {}
    for name, kind, bank, prefix, account_kinds in STATEMENT_SENDERS:
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            client, _key = keys.api_client_create(
                actor=None, name=name, kind=kind, region=province, bank_name=bank,
                scopes=[reconciliation.STATEMENT_SCOPE],
            )  # fmt: skip
        for account_kind in account_kinds:
            senders[account_kind] = (client, prefix)
    return senders


def _statements(province: Region, month: Period, senders: dict, *, fee_account: str | None) -> None:
    """Finance's and the banks' statements of the month, one per money account that
    moved, through ``reconciliation.statement_record`` (the API's service: validated,
    once per account and month): the ledger's legs as lines; ``fee_account`` (a code)
    also carries the bank fee the ledger does not have."""
    first, last = month.first_day, month.last_day
    with connection.cursor() as cursor:
        cursor.execute(
            _STATEMENT_LINES_SQL,
            {
                "prefix": f"{province.scope_prefix}%", "period": month.as_int, "first": first,
                "last": last, "tz": timezone.get_current_timezone_name(),
            },
        )  # fmt: skip
        rows = cursor.fetchall()
        accounts: dict[str, tuple[str, list[StatementLineIn]]] = {}
        for code, kind, amount, reference, item, booked_on in rows:
            lines = accounts.setdefault(code, (kind, []))[1]
            lines.append(
                StatementLineIn(
                    len(lines) + 1, booked_on, amount, reference, _LINE_MEMO.get(item, "")
                )
            )
        if fee_account is not None:  # its statement even if the ledger has no leg on it
            lines = accounts.setdefault(fee_account, (AccountKind.EXPENDITURE, []))[1]
            lines.append(StatementLineIn(len(lines) + 1, last, BANK_FEE, "", BANK_FEE_MEMO))
        cursor.execute(_OPENING_SQL, {"codes": list(accounts), "period": month.as_int})
        opening = dict(cursor.fetchall())
    for code, (kind, lines) in accounts.items():
        client, prefix = senders[kind]
        balance = opening.get(code, Decimal("0.00"))
        reconciliation.statement_record(
            client=client, statement_number=f"{prefix}{month.as_int}-{code}",
            account_code=code, period=month, opening_balance=balance,
            closing_balance=balance + sum((line.amount for line in lines), Decimal("0.00")),
            lines=lines,
        )  # fmt: skip


def _fee_county(province: Region) -> Region | None:
    capital = Region.objects.filter(parent=province).order_by("code").first()
    return Region.objects.filter(parent=capital).order_by("code").first() if capital else None


def _reconcile(
    ctx: DemoContext, province: Region, month: Period, senders: dict, *, plant: bool
) -> None:
    """The month's statements, its three-way reconciliation and, without a planted
    break, its sign-off by the provincial fund accountant and a reviewer. ``plant``:
    the bank fee on the fee county's expenditure account, a break (on the statement,
    not in the ledger) assigned to the county's fund accountant and left open."""
    if ReconciliationRun.objects.filter(period=month, region=province, dry_run=False).exists():
        return
    t = monotonic()
    accountant = StaffUser.objects.get(username=ACCOUNTANT)
    checker = StaffUser.objects.get(username=CHECKER)
    county = _fee_county(province) if plant else None
    fee_account = (
        ledger.fund_account_for(region=county, kind=AccountKind.EXPENDITURE).code
        if county is not None
        else None
    )
    _statements(province, month, senders, fee_account=fee_account)
    run = reconciliation.reconciliation_run(actor=accountant, period=month)
    breaks = list(reconciliation.open_breaks(run))
    if not breaks:
        request = reconciliation.reconciliation_sign_off(
            actor=accountant, run=run, reason="演示数据：月度三方对账"
        )
        approval_request_approve(actor=checker, request_id=request.pk)
    elif county is not None:
        assignee = _user(county, Role.FUND_ACCOUNTANT) or accountant
        for brk in breaks:
            reconciliation.break_assign(actor=accountant, brk=brk, assignee=assignee)
    ctx.log(
        f"demo: reconciliation {month}, {run.account_count} accounts, {run.matched_count} "
        f"pairs, {run.break_count} breaks ({monotonic() - t:.1f} s)"
    )


def _plan_cycle(ctx: DemoContext, province: Region, month: Period) -> None:
    """One spending-plan cycle for ``month`` (see the module docstring)."""
    if SpendingPlan.objects.filter(region=province, period=month).exists():
        return
    accountant = StaffUser.objects.get(username=ACCOUNTANT)
    checker = StaffUser.objects.get(username=CHECKER)
    cities = list(Region.objects.filter(parent=province).order_by("code"))
    makers: dict[str, tuple[StaffUser, StaffUser]] = {}
    for city in cities:
        for county in [city, *Region.objects.filter(parent=city).order_by("code")]:
            maker = _user(county, Role.FUND_ACCOUNTANT)
            check = _user(county, Role.REVIEWER, besides=maker) if maker else None
            if maker and check:
                makers[county.code] = (maker, check)
    for maker, check in makers.values():
        if maker.region.level != RegionLevel.COUNTY:
            continue
        plan = plans.plan_prepare(actor=maker, period=month)
        if plan.total_amount <= 0:
            continue
        request = plans.plan_submit(actor=maker, plan=plan, reason="演示数据")
        approval_request_approve(actor=check, request_id=request.pk)
    for city in cities:
        if city.code not in makers:
            continue
        if not SpendingPlan.objects.filter(
            region__parent=city, period=month, status=PlanStatus.SUBMITTED
        ).exists():
            continue
        maker, check = makers[city.code]
        plan = plans.plan_consolidate(actor=maker, period=month)
        request = plans.plan_submit(actor=maker, plan=plan, reason="演示数据")
        approval_request_approve(actor=check, request_id=request.pk)
    if not SpendingPlan.objects.filter(
        region__parent=province, period=month, status=PlanStatus.SUBMITTED
    ).exists():
        return
    plan = plans.plan_consolidate(actor=accountant, period=month)
    request = plans.plan_submit(actor=accountant, plan=plan, reason="演示数据")
    approval_request_approve(actor=checker, request_id=request.pk)
    finance = StaffUser.objects.get(username=FINANCE)
    reference = f"晋财社〔{month.year}〕{month.month:02d}01号"
    result = plans.plan_finance_decide(
        plan=SpendingPlan.objects.get(pk=plan.pk), approve=True, reference=reference,
        actor=finance,
    )  # fmt: skip
    plans.finance_transfer_record(
        plan=result.plan, reference=f"{reference}-拨", amount=result.plan.allocated_amount,
        transferred_on=ctx.today, actor=finance,
    )  # fmt: skip
    for city_plan in SpendingPlan.objects.filter(
        region__parent=province, period=month, status=PlanStatus.APPROVED
    ).order_by("region_id"):
        paid = plans.disbursement_request(actor=accountant, plan=city_plan)
        approval_request_approve(actor=checker, request_id=paid.approval_id)
        city = city_plan.region
        maker, check = makers[city.code]
        for county_plan in SpendingPlan.objects.filter(
            region__parent=city, period=month, status=PlanStatus.APPROVED
        ).order_by("region_id"):
            paid = plans.disbursement_request(actor=maker, plan=county_plan)
            approval_request_approve(actor=check, request_id=paid.approval_id)


def load(ctx: DemoContext) -> None:
    """The demo step (see the module docstring)."""
    if ctx.history_years <= 0:
        return
    province = Region.objects.get(code=ctx.province_code)
    this_month = Period.from_date(ctx.today)
    last = this_month - 2
    if ctx.scale == "province":
        months = list(Period.range(last - (PROVINCE_CLOSED_MONTHS - 1), last))
    else:
        months = list(Period.range(Period(ctx.today.year - 1, 1), last))
    accountant = StaffUser.objects.get(username=ACCOUNTANT)
    checker = StaffUser.objects.get(username=CHECKER)
    try:
        reserve = Decimal(str(policy_value(
            close.RESERVE_MONTHS, on=months[0].last_day, region=province
        ).value))  # fmt: skip
    except Exception:  # no value in force: no opening reserve
        reserve = Decimal("0")
    senders = _senders(province)
    for index, month in enumerate(months):
        if CloseRun.objects.filter(period=month, dry_run=False).exists():
            continue
        t = monotonic()
        run = close.close_run(actor=accountant, period=month)
        _money_movements(run, first=index == 0, actor=accountant, reserve=reserve)
        if index >= len(months) - CASE_MONTHS:
            _revenue_cases(run, ctx=ctx)
        last_month = index == len(months) - 1
        reconciled = index >= len(months) - RECONCILED_MONTHS
        if reconciled and not last_month:  # signed off before the close, as staff do
            _reconcile(ctx, province, month, senders, plant=False)
        row = AccountingPeriod.objects.get(period=month)
        if row.is_open:
            request = ledger.period_close(
                actor=accountant, period=month, reason="演示数据：月末结账"
            )
            approval_request_approve(actor=checker, request_id=request.pk)
        if last_month:  # closed first: the planted break stays open (9bf4393)
            _reconcile(ctx, province, month, senders, plant=True)
        ctx.log(
            f"demo: close {month}, revenue {run.revenue_total}, expenditure "
            f"{run.expenditure_total} ({monotonic() - t:.1f} s)"
        )
    t = monotonic()
    _plan_cycle(ctx, province, this_month)
    ctx.log(f"demo: spending plans {this_month} ({monotonic() - t:.1f} s)")


register("funds", load)
