"""Read endpoints of the fund ledger (/api/v1/funds/accounts/, entries/): scope
funds.read, the calling system's region only."""

from decimal import Decimal

import pytest
from django.test import Client

from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem
from funds.ledger import Source, credit, debit
from pension.api import keys
from pension.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(staff):
    county = staff["county_accountant"].region
    tax = ledger.fund_account_for(
        region=county, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
    )
    income = ledger.fund_account_for(region=county, kind=AccountKind.INCOME)
    entry = ledger.post_entry(
        actor=staff["county_accountant"], period=202601,
        legs=[debit(income, Decimal("2500.10")), credit(tax, Decimal("2500.10"))],
        source=Source("test", "1", "HJ-9"), idempotency_key="k", item=FundItem.TAX_TRANSFER,
    )  # fmt: skip
    return county, income, tax, entry


def _key(staff, region, scopes):
    return keys.api_client_create(
        actor=staff["admin"], name=f"finance {region.code} {scopes}", kind="finance",
        region=region, scopes=scopes,
    )[1]  # fmt: skip


def _get(key, url):
    return Client().get(url, HTTP_AUTHORIZATION=f"Api-Key {key}")


def test_accounts_and_entries_in_the_region(staff, posted):
    county, income, tax, entry = posted
    key = _key(staff, Region.objects.get(code=county.parent_id), ["funds.read"])
    rows = _get(key, "/api/v1/funds/accounts/").json()["results"]
    assert {r["code"]: r["balance"] for r in rows} == {income.code: "2500.10", tax.code: "-2500.10"}
    rows = _get(key, "/api/v1/funds/entries/?period=2026-01").json()["results"]
    assert [(r["id"], r["item"], r["source_reference"]) for r in rows] == [
        (entry.pk, "tax_transfer", "HJ-9")
    ]
    assert sorted((leg["account"], leg["amount"]) for leg in rows[0]["legs"]) == sorted(
        [(income.code, "2500.10"), (tax.code, "-2500.10")]
    )


def test_other_region_no_scope_and_anonymous(staff, posted):
    other = staff["other_caseworker"].region
    key = _key(staff, other, ["funds.read"])
    assert _get(key, "/api/v1/funds/accounts/").json()["results"] == []
    assert _get(key, "/api/v1/funds/entries/").json()["results"] == []
    wrong = _key(staff, other, ["contributions.read"])
    response = _get(wrong, "/api/v1/funds/entries/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "scope_missing"
    assert Client().get("/api/v1/funds/entries/").status_code == 401
