"""The read API of the revenue recorded by a case (/api/v1/funds/other-revenue/):
scope ``funds.read``, the calling system's region only (a record of another region is
404 and a region filter outside it 403), cursor pages, filters by region and month;
the fields of a hand-built case.

The cases, by hand: the county's fiscal subsidy of 1 250 000.00 received 2026-03-20
into its income account, approved by the county's reviewer and posted; the county's
interest of 88.50 received 2026-04-02, waiting for the checker; a central adjustment
of 30 000.00 of the other city's county, recorded by the province's fund accountant
on 2026-03-25 and waiting. A key of the capital city sees the county's two cases, not
the other county's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client

from funds import ledger, other_revenue
from funds.choices import AccountKind, FundItem
from pension.api import keys
from pension.approvals import approval_request_approve
from pension.models import Region

pytestmark = pytest.mark.django_db
URL = "/api/v1/funds/other-revenue/"


@pytest.fixture
def cases(staff):
    county = staff["county_accountant"].region
    other = staff["other_reviewer"].region

    def record(user, region, item, amount, day, ref, payer):
        return other_revenue.other_revenue_request(
            actor=staff[user], region=region, item=item, amount=D(amount), received_on=day,
            document_reference=ref, payer=payer, memo="",
        )  # fmt: skip

    subsidy = record("county_accountant", county, FundItem.FISCAL_SUBSIDY, "1250000.00",
                     date(2026, 3, 20), "晋财社〔2026〕12号", "县财政局")  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=subsidy.approval_id)
    subsidy.refresh_from_db()
    interest = record("county_accountant", county, FundItem.INTEREST, "88.50",
                      date(2026, 4, 2), "利息单2026Q1", "工商银行")  # fmt: skip
    central = record("province_accountant", other, FundItem.CENTRAL_ADJUSTMENT, "30000.00",
                     date(2026, 3, 25), "财社〔2026〕5号", "省财政厅")  # fmt: skip
    return {"county": county, "other": other, "subsidy": subsidy, "interest": interest,
            "central": central}  # fmt: skip


def _key(staff, region, scopes=("funds.read",)):
    return keys.api_client_create(
        actor=staff["admin"], name=f"监管系统 {region.code} {scopes}", kind="finance",
        region=region, scopes=list(scopes),
    )[1]  # fmt: skip


def _get(key, url, **query):
    return Client().get(url, query, HTTP_AUTHORIZATION=f"Api-Key {key}")


def test_the_fields_of_a_posted_case(staff, cases):
    county, subsidy = cases["county"], cases["subsidy"]
    key = _key(staff, Region.objects.get(code=county.parent_id))  # the capital city
    response = _get(key, f"{URL}{subsidy.pk}/")
    assert response.status_code == 200
    income = ledger.fund_account_for(region=county, kind=AccountKind.INCOME)
    body = response.json()
    assert body.pop("created_at")
    assert body == {
        "id": subsidy.pk,
        "region": county.code,
        "region_name": county.name,
        "item": "fiscal_subsidy",
        "amount": "1250000.00",
        "received_on": "2026-03-20",
        "period": "2026-03",
        "account": income.code,
        "account_kind": "income",
        "document_reference": "晋财社〔2026〕12号",
        "payer": "县财政局",
        "memo": "",
        "status": "posted",
        "approval": subsidy.approval_id,
        "ledger_entry": subsidy.ledger_entry_id,
    }


def test_listed_in_the_region_paged_and_filtered(staff, cases):
    county, other = cases["county"], cases["other"]
    city_key = _key(staff, Region.objects.get(code=county.parent_id))

    def listed(**query):
        response = _get(city_key, URL, **query)
        assert response.status_code == 200, response.content
        return [(r["id"], r["amount"]) for r in response.json()["results"]]

    subsidy, interest = cases["subsidy"].pk, cases["interest"].pk
    assert listed() == [(subsidy, "1250000.00"), (interest, "88.50")]  # by id
    assert listed(period="2026-03") == [(subsidy, "1250000.00")]
    assert listed(period="202604") == [(interest, "88.50")]
    assert listed(period="2026-05") == []
    assert listed(region=county.code, status="pending") == [(interest, "88.50")]
    assert listed(item="interest") == [(interest, "88.50")]
    first = _get(city_key, URL, page_size=1).json()
    assert [r["id"] for r in first["results"]] == [subsidy] and first["next"]
    second = Client().get(first["next"], HTTP_AUTHORIZATION=f"Api-Key {city_key}").json()
    assert [r["id"] for r in second["results"]] == [interest] and second["next"] is None
    # the province sees the other city's county too
    province_key = _key(staff, staff["province_accountant"].region)
    rows = _get(province_key, URL, region=other.code).json()["results"]
    assert [(r["id"], r["item"], r["amount"]) for r in rows] == [
        (cases["central"].pk, "central_adjustment", "30000.00")
    ]
    assert _get(province_key, URL, period="bad").status_code == 400


def test_another_region_and_the_scope_are_refused(client, staff, cases, demo_password):
    county, other, central = cases["county"], cases["other"], cases["central"]
    city_key = _key(staff, Region.objects.get(code=county.parent_id))
    missing = _get(city_key, f"{URL}{central.pk}/")  # the other city's county
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    outside = _get(city_key, URL, region=other.code)
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "outside_region")
    wrong = _key(staff, county, scopes=("finance.plans.read",))
    refused = _get(wrong, URL)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "scope_missing")
    assert Client().get(URL).status_code == 401
    client.login(username="county_accountant", password=demo_password)
    staff_session = client.get(URL)
    assert (staff_session.status_code, staff_session.json()["error"]["code"]) == (
        403, "api_key_required",
    )  # fmt: skip
    # a county's key sees its own cases only
    own = _get(_key(staff, county), URL).json()["results"]
    assert {r["id"] for r in own} == {cases["subsidy"].pk, cases["interest"].pk}
