"""The monthly revenue and expenditure statement (基金收支月报) on a small ledger worked
by hand: a county, its city and the province consolidated; the month, the year to date,
last year's same month and year to date, the change in per cent; a reversal nets out;
entries after the month and internal transfers count nowhere; the regions below; the
Excel workbook; the page and the API within the user's region only."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from funds import ledger, statements
from funds.choices import AccountKind, Counterparty, FundItem
from funds.ledger import Source, credit, debit
from pension.api import keys
from pension.periods import Period

pytestmark = pytest.mark.django_db
MARCH = Period(2026, 3)
KINDS = {
    "tax": (AccountKind.CLEARING, Counterparty.TAX),
    "revenue": (AccountKind.REVENUE, ""),
    "expense": (AccountKind.EXPENSE, ""),
    "income": (AccountKind.INCOME, ""),
    "expenditure": (AccountKind.EXPENDITURE, ""),
    "special": (AccountKind.SPECIAL, ""),
}
_keys = iter(range(1, 10_000))


def post(region, item, debit_kind, credit_kind, amount, period, credit_region=None):
    def account(kind, where):
        k, counterparty = KINDS[kind]
        return ledger.fund_account_for(region=where, kind=k, counterparty=counterparty)

    return ledger.post_entry(
        actor=None,
        period=period,
        legs=[
            debit(account(debit_kind, region), D(amount)),
            credit(account(credit_kind, credit_region or region), D(amount)),
        ],
        source=Source("funds.closerun", "test"),
        idempotency_key=f"test:{next(_keys)}",
        item=item,
    )


@pytest.fixture
def small_ledger(staff):
    county = staff["county_accountant"].region
    city = county.parent
    province = city.parent
    other_county = staff["other_reviewer"].region
    I = FundItem  # noqa: E741
    # the county: contributions (tax clearing → revenue), pensions (expense → expenditure)
    post(county, I.CONTRIBUTION_EMPLOYER, "tax", "revenue", "10000.00", 202601)
    post(county, I.CONTRIBUTION_EMPLOYER, "tax", "revenue", "12000.00", 202603)
    post(county, I.CONTRIBUTION_INDIVIDUAL, "tax", "revenue", "4800.00", 202603)
    post(county, I.PENSION, "expense", "expenditure", "9000.00", 202603)
    post(county, I.CONTRIBUTION_EMPLOYER, "tax", "revenue", "99999.00", 202604)  # after March
    post(county, I.CONTRIBUTION_EMPLOYER, "tax", "revenue", "11000.00", 202503)
    post(county, I.PENSION, "expense", "expenditure", "8000.00", 202503)
    post(county, I.PENSION, "expense", "expenditure", "7500.00", 202502)
    post(county, I.PENSION, "expense", "expenditure", "6666.00", 202504)  # after last March
    funeral = post(county, I.FUNERAL_SURVIVOR, "expense", "expenditure", "1500.00", 202602)
    ledger.reverse_entry(actor=staff["province_accountant"], entry=funeral, reason="错付")
    # money only: a tax transfer into the county's income account, a disbursement from
    # the city to the county, a sweep county → city: no revenue, no expenditure
    post(county, I.TAX_TRANSFER, "income", "tax", "16000.00", 202603)
    post(county, I.DISBURSEMENT, "expenditure", "expenditure", "40000.00", 202501, city)
    post(city, I.SWEEP, "income", "income", "16000.00", 202603, county)
    # another city's county: interest; the province: central adjustment funds
    post(other_county, I.INTEREST, "income", "revenue", "300.00", 202603)
    post(province, I.CENTRAL_ADJUSTMENT, "special", "revenue", "50000.00", 202603)
    return {"county": county, "city": city, "province": province, "other": other_county}


def _figures(row):
    return (row.month, row.year_to_date, row.prior_month, row.prior_year_to_date, row.change)


def test_county_statement_by_hand(small_ledger):
    s = statements.revenue_expenditure_statement(region=small_ledger["county"], period=MARCH)
    # employer: March 12 000; Jan–Mar 10 000 + 12 000; March 2025 11 000 (also its YTD);
    # change (22 000 − 11 000) ÷ 11 000 = 100.00 %
    assert _figures(s.row("contribution_employer")) == (
        D("12000.00"), D("22000.00"), D("11000.00"), D("11000.00"), D("100.00"),
    )  # fmt: skip
    assert _figures(s.row("contribution_individual")) == (
        D("4800.00"), D("4800.00"), D("0.00"), D("0.00"), None,
    )  # fmt: skip
    # revenue 16 800 / 26 800 against 11 000 / 11 000: +143.636… → 143.64 %
    assert _figures(s.row("total_revenue")) == (
        D("16800.00"), D("26800.00"), D("11000.00"), D("11000.00"), D("143.64"),
    )  # fmt: skip
    # pensions: 9 000 / 9 000 against 8 000 / 7 500 + 8 000 = 15 500: −41.935… → −41.94 %
    assert _figures(s.row("pension")) == (
        D("9000.00"), D("9000.00"), D("8000.00"), D("15500.00"), D("-41.94"),
    )  # fmt: skip
    # the funeral grant and its reversal net out
    assert _figures(s.row("funeral_survivor"))[:4] == (D("0.00"),) * 4
    assert _figures(s.row("surplus"))[:4] == (
        D("7800.00"), D("17800.00"), D("3000.00"), D("-4500.00"),
    )  # fmt: skip
    # bank balance: income +16 000 − 16 000 swept; expenditure +40 000 − 7 500 − 8 000
    # − 6 666 (April 2025) − 9 000 (− 1 500 + 1 500) = 8 834; a year before: 40 000
    # − 7 500 − 8 000 = 24 500
    assert (s.bank_balance, s.prior_bank_balance) == (D("8834.00"), D("24500.00"))
    assert s.regions == []
    assert [r.key for r in s.rows][-3:] == ["other_expenditure", "total_expenditure", "surplus"]


def test_city_and_province_consolidate(small_ledger):
    city = statements.revenue_expenditure_statement(region=small_ledger["city"], period=MARCH)
    county = statements.revenue_expenditure_statement(region=small_ledger["county"], period=MARCH)
    assert [_figures(r) for r in city.rows] == [_figures(r) for r in county.rows]
    # the city's bank balance: the county's 8 834, the city's −40 000 + 16 000
    assert city.bank_balance == D("-15166.00")
    below = {t.region.code: t for t in city.regions}
    assert (below[small_ledger["county"].code].revenue_month, below[small_ledger["county"].code]
            .expenditure_ytd) == (D("16800.00"), D("9000.00"))  # fmt: skip
    assert below[small_ledger["city"].code].own_level

    province = statements.revenue_expenditure_statement(
        region=small_ledger["province"], period=MARCH
    )
    # 16 800 + interest 300 + central adjustment funds 50 000
    assert province.row("total_revenue").month == D("67100.00")
    assert province.row("interest").month == D("300.00")
    assert province.row("central_adjustment").year_to_date == D("50000.00")
    assert province.row("total_expenditure").month == D("9000.00")
    by_region = {(t.region.code, t.own_level): t.revenue_month for t in province.regions}
    assert by_region[(small_ledger["city"].code, False)] == D("16800.00")
    assert by_region[(small_ledger["other"].parent_id, False)] == D("300.00")
    assert by_region[(small_ledger["province"].code, True)] == D("50000.00")
    assert sum(t.revenue_month for t in province.regions) == D("67100.00")


def test_workbook(small_ledger):
    s = statements.revenue_expenditure_statement(region=small_ledger["county"], period=MARCH)
    book = load_workbook(io.BytesIO(statements.statement_workbook(s)))
    sheet = book["基金收支月报"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "基金收支月报"
    assert rows[3][:6] == [
        "项目",
        "本月数",
        "本年累计",
        "上年同月",
        "上年同期累计",
        "累计同比增减（%）",
    ]
    employer = next(r for r in rows if r[0] == "单位缴费收入")
    assert employer[1:6] == [12000, 22000, 11000, 11000, 100]
    assert rows[-1][0] == "月末银行存款余额" and rows[-1][1] == 8834


def test_page_export_and_scope(client, staff, small_ledger, demo_password):
    client.login(username="city_accountant", password=demo_password)
    url = reverse("funds:statement")
    page = client.get(url, {"region": small_ledger["city"].code, "period": "2026-03"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "基金收支月报" in text and "16,800.00" in text and "143.64" in text
    assert small_ledger["county"].name in text  # the counties below
    xlsx = client.get(
        reverse("funds:statement_export"),
        {"region": small_ledger["county"].code, "period": "2026-03"},
    )
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content))["基金收支月报"]["B2"].value == (
        small_ledger["county"].name
    )
    # the province's statement and another city's county lie outside the city
    assert client.get(url, {"region": small_ledger["province"].code}).status_code == 403
    assert client.get(url, {"region": small_ledger["other"].code}).status_code == 403
    assert client.get(url, {"region": "999999"}).status_code == 403


def _key(staff, region):
    return keys.api_client_create(
        actor=staff["admin"], name=f"finance {region.code}", kind="finance", region=region,
        scopes=["funds.read"],
    )[1]  # fmt: skip


def test_api_statement(staff, small_ledger):
    url = "/api/v1/funds/statement/"
    query = {"region": small_ledger["city"].code, "period": "2026-03"}
    key = _key(staff, small_ledger["province"])
    response = Client().get(url, query, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200, response.content
    body = response.json()
    employer = next(r for r in body["rows"] if r["item"] == "contribution_employer")
    assert employer == {
        "item": "contribution_employer",
        "kind": "revenue",
        "month": "12000.00",
        "year_to_date": "22000.00",
        "prior_month": "11000.00",
        "prior_year_to_date": "11000.00",
        "change": "100.00",
    }
    assert (body["region"], body["period"], body["bank_balance"]) == (
        small_ledger["city"].code, "2026-03", "-15166.00",
    )  # fmt: skip
    assert {r["region"] for r in body["regions"]} >= {small_ledger["county"].code}
    outside = _key(staff, small_ledger["other"])
    response = Client().get(url, query, HTTP_AUTHORIZATION=f"Api-Key {outside}")
    assert response.status_code == 403
    assert (
        Client().get(url, {"period": "2026-13"}, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code
        == 400
    )
