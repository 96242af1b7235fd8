"""The tax bureau's transfers (/api/v1/funds/tax-transfers/, DESIGN §5.5): posted tax
clearing → income account, idempotent, refusals change nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from funds import ledger
from funds.choices import AccountKind, Counterparty, FundItem
from funds.models import JournalEntry, JournalLeg, TaxTransfer, TaxTransferReceipt
from funds.selectors import account_balances
from pension.api import keys
from pension.models import ApiClient, Region

pytestmark = pytest.mark.django_db
URL = "/api/v1/funds/tax-transfers/"


def _system(staff, name, scopes, region) -> tuple[ApiClient, str]:
    return keys.api_client_create(
        actor=staff["admin"], name=name, kind="tax", region=region, scopes=scopes
    )


@pytest.fixture
def county(staff):
    return staff["county_accountant"].region


@pytest.fixture
def income(county):
    return ledger.fund_account_for(region=county, kind=AccountKind.INCOME)


@pytest.fixture
def tax(staff, county):
    city = Region.objects.get(code=county.parent_id)
    return _system(staff, "Tax of the city", ["funds.tax_transfer"], city)


def _post(key: str, body: dict, idempotency_key: str):
    return Client().post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_IDEMPOTENCY_KEY=idempotency_key,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


def _body(income, **changes) -> dict:
    return {
        "transfer_number": "HJ2026010001",
        "transferred_on": "2026-01-20",
        "account": income.code,
        "amount": "15000.50",
        "receipts": ["fza-1", "FZA-2"],
        **changes,
    }


def test_a_transfer_posts_tax_clearing_to_income_and_replays(tax, income, county):
    _client, key = tax
    response = _post(key, _body(income), "HJ2026010001")
    assert response.status_code == 201, response.content
    answer = response.json()
    clearing = ledger.fund_account_for(
        region=county, kind=AccountKind.CLEARING, counterparty=Counterparty.TAX
    )
    assert answer["account"] == income.code
    assert answer["clearing_account"] == clearing.code
    assert answer["amount"] == "15000.50"
    assert answer["receipts"] == 2
    assert answer["period"] == "2026-01"
    entry = JournalEntry.objects.get(pk=answer["entry_id"])
    assert entry.item == FundItem.TAX_TRANSFER and entry.api_client_id == _client.pk
    assert sorted(entry.legs.values_list("account_id", "amount")) == sorted(
        [(income.pk, Decimal("15000.50")), (clearing.pk, Decimal("-15000.50"))]
    )
    assert sorted(TaxTransferReceipt.objects.values_list("receipt_number", flat=True)) == [
        "FZA-1",
        "FZA-2",
    ]
    # a replay answers the same and writes nothing
    again = _post(key, _body(income), "HJ2026010001")
    assert again.status_code == 201 and again.json() == answer
    assert again.headers["Idempotent-Replayed"] == "true"
    # the same key with other content: 409, nothing written
    other = _post(key, _body(income, amount="15000.51"), "HJ2026010001")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # the same transfer number under another key: 409
    other = _post(key, _body(income), "another-key")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "transfer_already_recorded"
    # a receipt covered already: 409
    other = _post(key, _body(income, transfer_number="HJ2", receipts=["FZA-2", "X"]), "HJ2")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "receipt_already_covered"
    assert TaxTransfer.objects.count() == 1 and JournalEntry.objects.count() == 1
    assert account_balances()[income.pk] == Decimal("15000.50")


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"account": "nope"}, 400, "unknown_account"),
        ({"transferred_on": "2999-01-01"}, 400, "transferred_on_in_future"),
        ({"receipts": ["A", "a"]}, 400, "receipt_repeated"),
        ({"receipts": []}, 400, "min_length"),
        ({"amount": "0.00"}, 400, "min_value"),
        ({"amount": 15000.5}, 400, "not_text"),
    ],
)
def test_refusals_change_nothing(tax, income, changes, status, code):
    _client, key = tax
    response = _post(key, _body(income, **changes), "K1")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert JournalLeg.objects.count() == 0 and TaxTransfer.objects.count() == 0


def test_an_account_outside_the_region_and_a_missing_scope_are_refused(staff, tax, income):
    other_county = staff["other_caseworker"].region
    outside = ledger.fund_account_for(region=other_county, kind=AccountKind.INCOME)
    _client, key = tax
    if other_county.code.startswith(_client.region.scope_prefix):
        pytest.fail("the other county must lie outside the tax system's city")
    response = _post(key, _body(outside), "K1")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_region"
    assert response.json()["error"]["message"] == f"账户 {outside.code} 不在本系统的区域内。"
    _c, read_key = _system(staff, "Reader", ["contributions.read"], _client.region)
    response = _post(read_key, _body(income), "K2")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert TaxTransfer.objects.count() == 0 and JournalEntry.objects.count() == 0


def test_a_transfer_into_a_closed_month_is_refused(staff, tax, income):
    from pension.approvals import approval_request_approve

    request = ledger.period_close(actor=staff["province_accountant"], period=202601)
    approval_request_approve(actor=staff["province_reviewer"], request_id=request.pk)
    _client, key = tax
    response = _post(key, _body(income), "K1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "period_closed"
    assert TaxTransfer.objects.count() == 0 and JournalEntry.objects.count() == 0
