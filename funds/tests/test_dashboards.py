"""The funds dashboards on the small ledger of test_statements, worked by hand: revenue
and expenditure by month, the balances, the months of reserve (funds.reserve_months:
2), plan against actual, by region for the province; a county sees its own only."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from funds import statements
from funds.tests.test_statements import small_ledger  # noqa: F401
from pension.periods import Period

pytestmark = pytest.mark.django_db
MARCH = Period(2026, 3)


def test_monthly_figures_and_reserve(small_ledger):  # noqa: F811
    county = small_ledger["county"]
    months = {str(m.period): m for m in statements.monthly_figures(region=county, until=MARCH)}
    assert len(months) == 12 and min(months) == "2025-04"
    march = months["2026-03"]
    assert (march.revenue, march.expenditure) == (D("16800.00"), D("9000.00"))
    # the funeral grant and its reversal: nothing in February
    assert (months["2026-02"].revenue, months["2026-02"].expenditure) == (D("0.00"), D("0.00"))
    assert months["2026-01"].revenue == D("10000.00")
    # the balance at March's end: 40 000 − 7 500 − 8 000 − 6 666 − 9 000 = 8 834 (income 0)
    assert (march.bank_balance, march.expenditure_account) == (D("8834.00"), D("8834.00"))
    assert months["2025-04"].expenditure_account == D("40000.00") - D("15500.00") - D("6666.00")

    (reserve,) = statements.reserve_of(regions=[county], at=MARCH, parent=county)
    # spent January–March 2026: 9 000 → 3 000.00 a month; 8 834 ÷ 3 000 = 2.944… → 2.94
    assert (reserve.balance, reserve.monthly_expenditure, reserve.months) == (
        D("8834.00"), D("3000.00"), D("2.94"),
    )  # fmt: skip
    assert (reserve.required, reserve.short) == (D("2"), False)
    assert reserve.reference.startswith("funds.reserve_months#")


def test_province_by_region(small_ledger):  # noqa: F811
    province, city = small_ledger["province"], small_ledger["city"]
    cities = statements.children_of(province)
    reserves = {r.region.code: r for r in statements.reserve_of(regions=cities, at=MARCH,
                                                                parent=province)}  # fmt: skip
    # the capital: its expenditure account −40 000 + its county's 8 834 = −31 166;
    # 3 000.00 a month → −10.39 months: below 2
    assert (reserves[city.code].balance, reserves[city.code].months) == (
        D("-31166.00"), D("-10.39"),
    )  # fmt: skip
    assert reserves[city.code].short
    # the other city spent nothing: no months, no alert
    other_city = small_ledger["other"].parent_id
    assert (reserves[other_city].months, reserves[other_city].short) == (None, False)
    rows = {r.region.code: r for r in statements.plan_vs_actual_by_region(regions=cities,
                                                                         period=MARCH)}  # fmt: skip
    assert (rows[city.code].planned, rows[city.code].spent) == (D("0.00"), D("9000.00"))


def _charts(response):
    return {c.element_id: c.figures for c in response.context["charts"]}


def test_pages(client, staff, small_ledger, demo_password):  # noqa: F811
    url = reverse("funds:dashboard")
    client.login(username="province_head", password=demo_password)
    response = client.get(url, {"period": "2026-03"})
    assert response.status_code == 200
    charts = _charts(response)
    assert set(charts) == {
        "revenue-expenditure", "balances", "plan-actual", "by-region", "reserve-by-region",
    }  # fmt: skip
    revenue, expenditure = charts["revenue-expenditure"]["series"]
    # the province in March: 16 800 + 300 + 50 000 of revenue; 9 000 spent
    assert (revenue["values"][-1], expenditure["values"][-1]) == ("67100.00", "9000.00")
    by_region = dict(
        zip(
            charts["by-region"]["categories"],
            charts["by-region"]["series"][0]["values"],
            strict=True,
        )
    )
    assert by_region[small_ledger["city"].name] == "26800.00"
    text = response.content.decode()
    assert "基金监控" in text and "周转金可支付月数" in text and "低于规定" in text

    client.login(username="county_accountant", password=demo_password)
    response = client.get(url, {"period": "2026-03"})
    assert set(_charts(response)) == {"revenue-expenditure", "balances", "plan-actual"}
    assert response.context["reserve"].months == D("2.94")
    assert client.get(url, {"region": small_ledger["province"].code}).status_code == 403
    # the province's own reserve counts every region below it: 8 834 − 40 000 = −31 166
    client.login(username="province_head", password=demo_password)
    province_reserve = client.get(url, {"period": "2026-03"}).context["reserve"]
    assert (province_reserve.balance, province_reserve.months) == (D("-31166.00"), D("-10.39"))
