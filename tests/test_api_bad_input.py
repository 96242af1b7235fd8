"""Bad input to the API is a 4xx in the error envelope, never a 500, and changes
nothing (issue 14): tampered cursors, ids that are not ids, NUL, time-zone offsets out
of range, deeply nested or oversized bodies, money that is not plain digits, receipt
numbers in another case, a signed-in browser on an API list."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.test import Client

from benefits.models import BankResultBatch
from contributions.models import Bill, PaymentAllocation, TaxPayment
from contributions.tests import test_payments as data
from enrollment.models import Employer
from pension.api import keys
from pension.models import ApiCallLog, ChangeLogEntry, IdempotencyRecord, Region

pytestmark = pytest.mark.django_db
receipt_migration = importlib.import_module(
    "contributions.migrations.0006_receipt_number_case_insensitive"
)

SCOPES = [
    "enrollment.read",
    "enrollment.employer_push",
    "contributions.read",
    "contributions.pay",
    "accounts.read",
    "payroll.read",
    "payroll.bank_results",
    "funds.read",
    "funds.tax_transfer",
    "funds.statement",
    "finance.plans.read",
    "finance.plans.write",
    "budget.read",
    "audit.read",
]
LISTS = [
    "/api/v1/enrollment/persons/",
    "/api/v1/enrollment/employers/",
    "/api/v1/contributions/assessments/",
    "/api/v1/contributions/assessment-lines/",
    "/api/v1/contributions/arrears/",
    "/api/v1/benefits/payroll-runs/",
    "/api/v1/benefits/payment-instructions/",
    "/api/v1/funds/accounts/",
    "/api/v1/funds/entries/",
    "/api/v1/funds/spending-plans/",
    "/api/v1/funds/account-statements/",
    "/api/v1/funds/reconciliations/",
    "/api/v1/funds/reconciliation-breaks/",
    "/api/v1/funds/other-revenue/",
    "/api/v1/budget/versions/",
    "/api/v1/budget/lines/",
    "/api/v1/budget/targets/",
    "/api/v1/budget/gap-payments/",
    "/api/v1/audit/inspections/",
]
POSTS = [
    "/api/v1/contributions/payments/",
    "/api/v1/benefits/bank-results/",
    "/api/v1/enrollment/employer-registrations/",
    "/api/v1/funds/account-statements/",
]
PAYMENTS = "/api/v1/contributions/payments/"
# base64 of "p=1.5", "p=abc", "p=<20 nines>", "o=-1", "202503:abc" and "x=1": decodable,
# but no cursor this API wrote
BAD_CURSORS = [
    "abc",
    "1.5",
    "1e999",
    "\x00",
    "!!!",
    "cD0xLjU=",
    "cD1hYmM=",
    "cD05OTk5OTk5OTk5OTk5OTk5OTk5OQ==",
    "bz0tMQ==",
    "MjAyNTAzOmFiYw==",
    "eD0x",
    "%%%",
    "６",
]


@pytest.fixture
def system(staff) -> tuple:
    """A province-wide system with every scope."""
    return keys.api_client_create(
        actor=staff["admin"],
        name="Province exchange",
        kind="tax",
        region=Region.objects.get(code="140000"),
        scopes=SCOPES,
        bank_name="中国工商银行",  # payroll.bank_results needs the bank it reports for
    )


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _written() -> tuple:
    return (
        TaxPayment.objects.count(),
        PaymentAllocation.objects.count(),
        Employer.objects.count(),
        BankResultBatch.objects.count(),
        IdempotencyRecord.objects.count(),
        ChangeLogEntry.objects.count(),
        tuple(Bill.objects.order_by("id").values_list("paid_amount", "status")),
    )


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


# --- cursors ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_a_tampered_cursor_is_400_invalid_cursor_on_every_list(client, system, url):
    for cursor in BAD_CURSORS:
        response = client.get(url, {"cursor": cursor}, **_auth(system[1]))
        assert response.status_code == 400, (cursor, response.content[:200])
        error = _error(response)
        assert error["code"] == "invalid_cursor", cursor
        assert error["details"] == {"field": "cursor"}


@pytest.mark.parametrize("url", LISTS)
def test_an_empty_cursor_is_the_first_page(client, system, url):
    assert client.get(url, {"cursor": ""}, **_auth(system[1])).status_code == 200


def test_the_next_link_of_every_cursor_list_is_accepted(client, system):
    # three persons a page: the demo has more than three in the province
    first = client.get(LISTS[0], {"page_size": 3}, **_auth(system[1])).json()
    assert first["next"]
    second = client.get(first["next"], **_auth(system[1]))
    assert second.status_code == 200
    assert {p["id"] for p in second.json()["results"]}.isdisjoint(
        {p["id"] for p in first["results"]}
    )


def test_the_schema_documents_invalid_cursor_on_every_list(client, staff):
    client.force_login(staff["admin"])
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    lists = [
        (path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "cursor" for p in operation.get("parameters", []))
    ]
    assert {path for path, _ in lists} == set(LISTS)
    for path, operation in lists:
        refusal = operation["responses"]["400"]
        assert "invalid_cursor" in refusal["description"], path
        assert refusal["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]


# --- paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/benefits/payroll-runs/abc/",
        "/api/v1/benefits/payroll-runs/1.5/",
        "/api/v1/benefits/payroll-runs/%00/",
        "/api/v1/enrollment/persons/abc/",
        "/api/v1/enrollment/persons/-1/",
        "/api/v1/enrollment/persons/99999999999999999999999/",
        "/api/v1/enrollment/employers/%00/",
        "/api/v1/pension-accounts/statements/%00/",
        "/api/v1/pension-accounts/statements/abc/",
        "/api/v1/pension-accounts/statements/14010519800115%0012/",
        "/api/v1/benefits/bank-files/abc/content/",
        "/api/v1/benefits/bank-files/99999999999999999999/content/",
        "/api/v1/no-such-thing/",
        "/api/v1/benefits/payroll-runs/%0A/",  # a newline in the segment (schemathesis)
        "/api/v1/enrollment/employers/a%0Ab%C2%BD/",
    ],
)
def test_an_id_that_is_not_an_id_or_a_nul_in_the_path_is_404(client, system, url):
    response = client.get(url, **_auth(system[1]))
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


# --- updated_since ------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS[:2])
@pytest.mark.parametrize(
    "value",
    [
        "2026-01-31T08:00:00+25:00",  # an offset of 25 hours does not exist
        "2026-01-31T08:00:00+22:01",  # Python reads it; PostgreSQL refused it (a 500)
        "0279-10-19T05:18:37.6087+22:01",  # what schemathesis found
        "2026-01-31T08:00:00+15:00",
        "0001-01-01T00:00:00+14:00",  # no such moment in UTC
        "0001-01-01T00:00:00",  # nor in Beijing time
        "2026-01-31T08:00:00+99:99",
        "2026-01-31T08:00:00-24:00",
        "2026-02-30T08:00:00+08:00",
        "garbage",
        "1e999",
        "\x00",
    ],
)
def test_updated_since_that_is_no_moment_is_400(client, system, url, value):
    response = client.get(url, {"updated_since": value}, **_auth(system[1]))
    assert response.status_code == 400
    assert "updated_since" in _error(response)["details"]


@pytest.mark.parametrize("url", LISTS[:2])
def test_updated_since_at_the_ends_of_time_is_no_500(client, system, url):
    for value in ("9999-12-31T23:59:59-12:00", "0001-01-02T00:00:00+14:00"):
        response = client.get(url, {"updated_since": value}, **_auth(system[1]))
        assert response.status_code in (200, 400), value


# --- bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", POSTS)
def test_a_body_nested_100000_deep_is_400_before_parsing(client, system, url):
    before = _written()
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(
        url, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep-1",
        **_auth(system[1]),
    )  # fmt: skip
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "too_deep"
    assert "32" in error["message"]
    assert _written() == before


@pytest.mark.parametrize("url", POSTS)
def test_a_body_over_the_size_limit_is_413(client, system, url, settings):
    settings.API_MAX_BODY_BYTES = 1000
    before = _written()
    body = json.dumps({"pad": "x" * 2000})
    response = client.post(
        url, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big-1",
        **_auth(system[1]),
    )  # fmt: skip
    assert response.status_code == 413
    assert _error(response)["code"] == "body_too_large"
    assert _written() == before


@pytest.mark.parametrize("body", ['{"amount": NaN}', "{", "\xff\xfe", '{"a": Infinity}'])
def test_a_body_that_is_not_json_is_400(client, system, body):
    before = _written()
    response = client.post(
        POSTS[1], data=body.encode("latin-1"), content_type="application/json",
        **_auth(system[1]),
    )  # fmt: skip
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"
    assert _written() == before


def test_a_nul_or_a_control_character_in_the_idempotency_key_is_400(client, system):
    before = _written()
    response = client.post(
        PAYMENTS, data="{}", content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="a\x00b", **_auth(system[1]),
    )  # fmt: skip
    assert response.status_code == 400
    assert _error(response)["code"] == "idempotency_key_invalid"
    assert _written() == before
    assert ApiCallLog.objects.filter(client=system[0]).latest("id").idempotency_key == "ab"


# --- money ------------------------------------------------------------------------------


@pytest.fixture
def bills(staff):
    employer = data.find_employer()
    return employer, data.make_bills(staff, employer, data.find_people())


def _pay(client, key, employer, *, receipt="SW-9001", amount="15000.00", idem=None):
    body = {
        "receipt_number": receipt,
        "credit_code": employer.credit_code,
        "amount": amount,
        "paid_on": "2025-03-05",
    }
    return client.post(
        PAYMENTS, data=json.dumps(body), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=idem or f"{receipt}-{amount}".encode("ascii", "replace").decode(),
        **_auth(key),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1_000.00", "invalid"),  # Python's Decimal reads this as 1000.00
        ("１０００.00", "invalid"),  # full-width digits
        ("٣٠٠٠.00", "invalid"),  # Arabic-Indic digits
        ("1e3", "invalid"),
        ("1E3", "invalid"),
        ("+1000.00", "invalid"),
        ("NaN", "invalid"),
        ("sNaN", "invalid"),
        ("Infinity", "invalid"),
        ("1,000.00", "invalid"),
        ("", "invalid"),
        ("1000.005", "max_decimal_places"),
        ("1234567890123.00", "max_digits"),
        ("-5.00", "negative"),
        ("0.00", "min_value"),
    ],
)
def test_money_that_is_not_plain_digits_is_refused_and_nothing_changes(
    client, system, bills, amount, code
):
    employer, _ = bills
    before = _written()
    response = _english(client) and _pay(client, system[1], employer, amount=amount)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == code
    assert "amount" in error["details"]
    assert _written() == before


def test_plain_money_is_read_exactly(client, system, bills):
    employer, _ = bills
    response = _pay(client, system[1], employer, amount=" 9600.5 ")
    assert response.status_code == 201, response.content
    # surrounding spaces ignored, one decimal read as 9600.50; it pays 2025-01 in full
    assert response.json()["amount"] == "9600.50"
    assert TaxPayment.objects.get().amount == Decimal("9600.50")


# --- receipt numbers --------------------------------------------------------------------


def test_a_receipt_number_in_another_case_is_the_same_receipt(client, system, bills):
    employer, _ = bills
    first = _pay(client, system[1], employer, receipt="FZA-1", idem="k-1")
    assert first.status_code == 201
    before = _written()
    # the same payment again, lower case, under another key: recorded already
    again = _pay(client, system[1], employer, receipt="fza-1", idem="k-2")
    assert again.status_code == 409
    assert _error(again)["code"] == "payment_already_recorded"
    # another amount under the same receipt, with spaces: a reused receipt number
    other = _pay(client, system[1], employer, receipt="  Fza-1 ", amount="100.00", idem="k-3")
    assert other.status_code == 409
    assert _error(other)["code"] == "receipt_number_reused"
    assert _written() == before
    assert list(TaxPayment.objects.values_list("receipt_number", flat=True)) == ["FZA-1"]


@pytest.mark.parametrize("receipt", ["FZA 1", "FZA-\x001", "税票1", "", " "])
def test_a_receipt_number_with_spaces_inside_or_other_characters_is_400(
    client, system, bills, receipt
):
    employer, _ = bills
    before = _written()
    response = _pay(client, system[1], employer, receipt=receipt, idem="k-bad")
    assert response.status_code == 400
    assert "receipt_number" in _error(response)["details"]
    assert _written() == before


def test_the_database_refuses_a_receipt_number_in_another_case(system, bills):
    employer, _ = bills
    TaxPayment.objects.create(
        receipt_number="FZA-2", employer=employer, amount="1.00",
        paid_on="2025-03-05", region=employer.region,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxPayment.objects.create(
            receipt_number=" fza-2", employer=employer, amount="1.00",
            paid_on="2025-03-05", region=employer.region,
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_existing_payment_and_marks_the_duplicates(system, bills):
    # a migration's DDL runs as the tables' owner (pension/dbroles.py), not the app's role
    from pension import dbroles

    with dbroles.as_owner():
        _migration_keeps_every_payment(bills)


def _migration_keeps_every_payment(bills):
    employer, _ = bills
    table = TaxPayment._meta.db_table
    constraint = next(
        c for c in TaxPayment._meta.constraints if c.name == "taxpayment_receipt_unique"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(TaxPayment, constraint)
    rows = ["FZA-1", "fza-1", " Fza-1 ", "sw-7", "SW-8"]
    for receipt in rows:
        TaxPayment.objects.create(
            receipt_number=receipt, employer=employer, amount="1.00",
            paid_on="2025-03-05", region=employer.region,
        )  # fmt: skip
    ids = list(TaxPayment.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(receipt_migration.MARK_DUPLICATES)
        cursor.execute(receipt_migration.NORMALISE)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the inserts' key checks
    with connection.schema_editor() as editor:
        editor.add_constraint(TaxPayment, constraint)  # fits now
    stored = list(TaxPayment.objects.order_by("id").values_list("receipt_number", flat=True))
    assert stored == ["FZA-1", f"FZA-1#DUP{ids[1]}", f"FZA-1#DUP{ids[2]}", "SW-7", "SW-8"]
    assert table == "contributions_taxpayment"


# --- a browser signed in ----------------------------------------------------------------


@pytest.mark.parametrize("url", [*LISTS, *POSTS])
def test_a_signed_in_browser_on_an_api_address_gets_a_json_403(client, staff, url):
    client.force_login(staff["admin"])
    response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 403
    assert _error(response)["code"] == "api_key_required"


# --- page sizes and empty filters -------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_a_page_size_that_is_no_whole_number_from_1_is_400(client, system, url):
    for size in ("null", "0", "-3", "1.5", "", "1e3", "１"):
        response = client.get(url, {"page_size": size}, **_auth(system[1]))
        assert response.status_code == 400, size
        error = _error(response)
        assert error["code"] == "invalid_page_size"
        assert error["details"] == {"field": "page_size"}
    # a larger one than allowed is cut to the maximum
    assert client.get(url, {"page_size": "999999999"}, **_auth(system[1])).status_code == 200


def test_an_empty_filter_is_no_filter_and_a_month_13_is_400(client, system):
    url = "/api/v1/contributions/assessments/"
    assert client.get(url, {"period": "", "region": ""}, **_auth(system[1])).status_code == 200
    response = client.get(url, {"period": "2025-13"}, **_auth(system[1]))
    assert response.status_code == 400
    assert "period" in _error(response)["details"]


def test_a_statements_entries_flag_that_is_no_boolean_is_400(client, system):
    url = "/api/v1/pension-accounts/statements/140105198001151236/"
    response = client.get(url, {"entries": "maybe"}, **_auth(system[1]))
    assert response.status_code == 400
    assert "entries" in _error(response)["details"]
    # a boolean is read, and then the person (not registered) is 404
    assert client.get(url, {"entries": "true"}, **_auth(system[1])).status_code == 404
