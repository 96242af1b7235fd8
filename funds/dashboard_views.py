"""The funds dashboards (基金监控, DESIGN §5.5) for the fund accountant and the agency head:
revenue against expenditure by month, the bank balance and the expenditure accounts'
balance, the months of revolving reserve (周转金, ``funds.reserve_months``), the
spending plans against what was disbursed and spent, and for a city or the province
the same by region. A county sees its own. The month is the last closed one unless
asked; the plans are those of the latest month planned. Thin: figures from ``funds.statements``,
charts from ``pension.charts``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from funds import statements
from funds.forms import StatementForm
from pension.charts import chart
from pension.views import section_required


@section_required("funds")
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    region = statements.statement_region_for(user, request.GET.get("region"))
    if region is None:
        raise PermissionDenied
    form = StatementForm(
        request.GET or None,
        regions=statements.statement_regions(user),
        initial={"region": region.code},
    )
    until = statements.latest_period(today=timezone.localdate())
    if form.is_valid() and form.cleaned_data.get("period"):
        until = form.cleaned_data["period"]
    months = statements.monthly_figures(region=region, until=until)
    below = statements.children_of(region)
    reserves = statements.reserve_of(regions=[region, *below], at=until, parent=region)
    own_reserve, reserves_below = reserves[0], reserves[1:]
    plan_period = statements.latest_plan_period(region) or until
    plan_rows = statements.plan_vs_actual_by_region(regions=[region, *below], period=plan_period)
    statement = statements.revenue_expenditure_statement(region=region, period=until)
    labels = [str(m.period) for m in months]
    charts = [
        chart(
            "revenue-expenditure",
            title=_("Revenue and expenditure by month"),
            categories=labels,
            series=[
                (_("Revenue"), [m.revenue for m in months]),
                (_("Expenditure"), [m.expenditure for m in months]),
            ],
            unit=_("yuan"),
            caption=_("The fund's revenue and expenditure of each month, from the ledger."),
        ),
        chart(
            "balances",
            title=_("Balances at each month's end"),
            categories=labels,
            series=[
                (_("Bank balance"), [m.bank_balance for m in months]),
                (_("Expenditure accounts"), [m.expenditure_account for m in months]),
            ],
            kind="line",
            unit=_("yuan"),
            caption=_(
                "Income, expenditure and special accounts together, and the expenditure "
                "accounts that hold the revolving reserve."
            ),
        ),
        chart(
            "plan-actual",
            title=_("Spending plan against actual, %(period)s") % {"period": plan_period},
            categories=[r.region.name for r in plan_rows],
            series=[
                (_("Planned"), [r.planned for r in plan_rows]),
                (_("Disbursed"), [r.disbursed for r in plan_rows]),
                (_("Spent"), [r.spent for r in plan_rows]),
            ],
            unit=_("yuan"),
            caption=_("The month's plan, what was disbursed to the region, what it spent."),
        ),
    ]
    if below:
        shown = [t for t in statement.regions if not t.own_level]
        charts.append(
            chart(
                "by-region",
                title=_("Revenue and expenditure by region, year to date"),
                categories=[t.region.name for t in shown],
                series=[
                    (_("Revenue"), [t.revenue_ytd for t in shown]),
                    (_("Expenditure"), [t.expenditure_ytd for t in shown]),
                ],
                unit=_("yuan"),
            )
        )
        charts.append(
            chart(
                "reserve-by-region",
                title=_("Months of revolving reserve by region"),
                categories=[r.region.name for r in reserves_below],
                series=[
                    (_("Months of reserve"), [r.months for r in reserves_below]),
                    (_("Required"), [r.required for r in reserves_below]),
                ],
                money=False,
                unit=_("months"),
                caption=_(
                    "Expenditure accounts' balance divided by the average expenditure of "
                    "the last three months."
                ),
            )
        )
    return render(
        request,
        "funds/statements/dashboard.html",
        {
            "form": form,
            "region": region,
            "until": until,
            "charts": charts,
            "months": months,
            "reserve": own_reserve,
            "reserves_below": reserves_below,
            "plan_rows": plan_rows,
            "plan_period": plan_period,
            "statement": statement,
        },
    )
