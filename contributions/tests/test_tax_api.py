"""The tax exchange API (/api/v1/contributions/, DESIGN §5.2, §2.5): assessments and
their lines by cursor, idempotent payment results, arrears with late fees.

Bills come from the fixtures of ``test_payments`` (three released months of a Taiyuan
employer of the tiny demo, 9 600.00 + 10 000.00 + 10 000.00, beside a run not released
and a dry run). Every expected amount is worked out by hand in a comment.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contributions.choices import BillStatus
from contributions.models import Bill, PaymentAllocation, TaxPayment
from contributions.tests import test_payments as data
from enrollment.models import Employer, InsuredPerson
from pension.api import keys
from pension.models import ApiClient, ChangeLogEntry, IdempotencyRecord, Region
from pension.validators import mask_citizen_id

pytestmark = pytest.mark.django_db

BASE = "/api/v1/contributions/"
ASSESSMENTS = BASE + "assessments/"
LINES = BASE + "assessment-lines/"
PAYMENTS = BASE + "payments/"
ARREARS = BASE + "arrears/"


def _system(staff, name: str, scopes: list[str], region: str = "140100") -> tuple[ApiClient, str]:
    return keys.api_client_create(
        actor=staff["admin"],
        name=name,
        kind="tax",
        region=Region.objects.get(code=region),
        scopes=scopes,
    )


@pytest.fixture
def employer(demo_tiny) -> Employer:
    return data.find_employer()


@pytest.fixture
def other_employer(demo_tiny) -> Employer:
    return data.find_other_employer()


@pytest.fixture
def people(demo_tiny) -> list[InsuredPerson]:
    return data.find_people()


@pytest.fixture
def bills(staff, employer, people) -> dict[str, Bill]:
    return data.make_bills(staff, employer, people)


@pytest.fixture
def tax(staff) -> tuple[ApiClient, str]:
    return _system(staff, "Taiyuan tax", ["contributions.read", "contributions.pay"])


@pytest.fixture
def full_tax(staff) -> tuple[ApiClient, str]:
    return _system(
        staff, "Taiyuan tax (ID numbers)", ["contributions.read", "contributions.read_id_numbers"]
    )


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _get(client: Client, key: str, url: str, **params):
    return client.get(url, data=params, **_auth(key))


def _all(client: Client, key: str, url: str, **params) -> list[dict]:
    response = _get(client, key, url, **params)
    assert response.status_code == 200, response.content
    page = response.json()
    rows = page["results"]
    while page["next"]:
        page = client.get(page["next"], **_auth(key)).json()
        rows += page["results"]
    return rows


def _post(client: Client, key: str, body: dict, idem: str | None):
    extra = _auth(key)
    if idem is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = idem
    return client.post(PAYMENTS, data=json.dumps(body), content_type="application/json", **extra)


def _body(employer: Employer, receipt: str = "SW-0001", **changes) -> dict:
    return {
        "receipt_number": receipt,
        "credit_code": employer.credit_code,
        "amount": "15000.00",
        "paid_on": "2025-03-05",
    } | changes


def _written() -> tuple:
    return (
        TaxPayment.objects.count(),
        PaymentAllocation.objects.count(),
        ChangeLogEntry.objects.filter(object_type="contributions.taxpayment").count(),
        IdempotencyRecord.objects.count(),
        tuple(Bill.objects.order_by("id").values_list("paid_amount", "status")),
    )


# --- assessments -----------------------------------------------------------------------------


def test_assessments_of_released_runs_only(client, tax, employer, bills):
    rows = _all(client, tax[1], ASSESSMENTS, employer=employer.credit_code)
    # 2025-01 (closed run), 2025-02 and 2025-03 (released); not 2025-04 (approved
    # only) nor the dry run's 2025-03
    assert [r["id"] for r in rows] == [
        bills["2025-01"].pk,
        bills["2025-02"].pk,
        bills["2025-03"].pk,
    ]
    first = rows[0]
    assert first == {
        "id": bills["2025-01"].pk,
        "run": bills["2025-01"].run_id,
        "period": "2025-01",
        "kind": "regular",
        "credit_code": employer.credit_code,
        "employer_name": employer.name,
        "id_number": None,
        "region": employer.region_id,
        "line_count": 2,
        "employer_amount": "6400.00",
        "individual_amount": "3200.00",
        "total": "9600.00",  # 6 400.00 + 3 200.00
        "due_date": "2025-02-15",
        "paid_amount": "0.00",
        "outstanding": "9600.00",
        "status": "open",
    }
    # filtered by period: YYYY-MM or YYYYMM
    assert [r["id"] for r in _all(client, tax[1], ASSESSMENTS, period="2025-03")] == [
        bills["2025-03"].pk
    ]
    assert [r["period"] for r in _all(client, tax[1], ASSESSMENTS, period="202502")] == ["2025-02"]
    assert _all(client, tax[1], ASSESSMENTS, period="2025-04") == []
    # by the payer's region
    assert len(_all(client, tax[1], ASSESSMENTS, region=employer.region_id)) == 3


def test_cursor_pagination_follows_next(client, tax, employer, bills):
    key = tax[1]
    page = _get(client, key, ASSESSMENTS, employer=employer.credit_code, page_size=2).json()
    assert set(page) == {"next", "previous", "results"}  # no count
    assert [r["period"] for r in page["results"]] == ["2025-01", "2025-02"]
    query = parse_qs(urlparse(page["next"]).query)
    assert query["employer"] == [employer.credit_code] and "cursor" in query
    second = client.get(page["next"], **_auth(key)).json()
    assert [r["period"] for r in second["results"]] == ["2025-03"]
    assert second["next"] is None


def test_a_page_reads_a_fixed_number_of_queries(client, tax, employer, bills):
    """No query per row: one page of 1 row costs what a page of 3 rows does."""
    counts = []
    _get(client, tax[1], ASSESSMENTS)  # the key's last use is written once a minute
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            response = _get(
                client, tax[1], ASSESSMENTS, employer=employer.credit_code, page_size=size
            )
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_lines_of_released_runs_with_masked_id_numbers(
    client, tax, full_tax, employer, people, bills
):
    zhang, li, _wang = people
    rows = _all(client, tax[1], LINES, employer=employer.credit_code)
    # the released 2025-03 run's two lines; not the approved run's, nor the dry run's
    assert [(r["period"], r["id_number"], r["base"]) for r in rows] == [
        ("2025-03", mask_citizen_id(zhang.id_number), "20000.00"),
        ("2025-03", mask_citizen_id(li.id_number), "21666.67"),
    ]
    assert rows[0]["id_number"] == zhang.id_number[:6] + "********" + zhang.id_number[-4:]
    # 21 666.67 × 0.16 = 3 466.6672 → 3 466.67; × 0.08 = 1 733.33336 → 1 733.33
    assert (rows[1]["employer_amount"], rows[1]["individual_amount"]) == ("3466.67", "1733.33")
    assert rows[1]["employer_rate"] == "0.160000" and rows[1]["name"] == li.name
    full = _all(client, full_tax[1], LINES, employer=employer.credit_code)
    assert [r["id_number"] for r in full] == [zhang.id_number, li.id_number]


# --- refusals of the reads -------------------------------------------------------------------


@pytest.mark.parametrize("url", [ASSESSMENTS, LINES, ARREARS])
def test_a_region_outside_the_systems_is_refused(client, tax, bills, url):
    response = _english(client).get(url, data={"region": "140200"}, **_auth(tax[1]))
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "outside_region",
            "message": "The region 140200 lies outside this system's region.",
            "details": {"field": "region"},
        }
    }
    # the province as a whole is wider than Taiyuan: refused too
    assert _get(client, tax[1], url, region="14").status_code == 403


def test_another_citys_system_does_not_see_these_bills(client, staff, employer, bills):
    _other, key = _system(staff, "Datong tax", ["contributions.read"], region="140200")
    assert _all(client, key, ASSESSMENTS, employer=employer.credit_code) == []
    assert _all(client, key, ARREARS, employer=employer.credit_code, as_of="2025-06-30") == []


@pytest.mark.parametrize("url", [ASSESSMENTS, LINES, ARREARS])
def test_the_read_scope_is_needed(client, staff, bills, url):
    _payer, key = _system(staff, "Payer only", ["contributions.pay"])
    response = _english(client).get(url, **_auth(key))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "scope_missing",
        "message": "This system's key lacks the scope contributions.read.",
        "details": {"missing_scopes": ["contributions.read"]},
    }


def test_staff_sessions_and_anonymous_calls_are_refused(client, staff, bills):
    assert client.get(ASSESSMENTS).status_code == 401
    client.force_login(staff["admin"])
    response = client.get(ASSESSMENTS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_required"


# --- payments --------------------------------------------------------------------------------


def test_a_payment_answers_with_its_allocation(client, tax, employer, bills):
    response = _post(client, tax[1], _body(employer), "SW-0001")
    assert response.status_code == 201, response.content
    payment = TaxPayment.objects.get(receipt_number="SW-0001")
    # 15 000.00 paid 2025-03-05: 9 600.00 to 2025-01 (due 02-15: 13 + 5 = 18 days,
    # 9 600.00 × 0.0005 × 18 = 86.40); 5 400.00 to 2025-02 (due 03-15: on time),
    # which still owes 10 000.00 − 5 400.00 = 4 600.00; nothing left to collect the
    # 86.40 billed
    assert response.json() == {
        "payment_id": payment.pk,
        "receipt_number": "SW-0001",
        "credit_code": employer.credit_code,
        "id_number": None,
        "amount": "15000.00",
        "paid_on": "2025-03-05",
        "periods": [],
        "allocated": "15000.00",
        "late_fee": "86.40",
        "late_fee_collected": "0.00",
        "credit_held": "0.00",
        "allocations": [
            {
                "bill_id": bills["2025-01"].pk,
                "period": "2025-01",
                "amount": "9600.00",
                "outstanding_after": "0.00",
                "status": "paid",
                "due_date": "2025-02-15",
                "days_late": 18,
                "late_fee": "86.40",
            },
            {
                "bill_id": bills["2025-02"].pk,
                "period": "2025-02",
                "amount": "5400.00",
                "outstanding_after": "4600.00",
                "status": "partially_paid",
                "due_date": "2025-03-15",
                "days_late": 0,
                "late_fee": "0.00",
            },
        ],
    }
    assert payment.api_client_id == tax[0].pk
    entry = ChangeLogEntry.objects.get(object_type="contributions.taxpayment")
    assert entry.api_client_id == tax[0].pk


def test_an_overpayment_naming_periods_answers_with_the_credit(client, tax, employer, bills):
    body = _body(employer, amount="35000.00", paid_on="2025-02-10", periods=["2025-03"])
    data = _post(client, tax[1], body, "SW-0001").json()
    # 2025-03 first (10 000.00), then 2025-01 (9 600.00) and 2025-02 (10 000.00);
    # 35 000.00 − 29 600.00 = 5 400.00 held as credit; all on time
    assert [(a["period"], a["amount"]) for a in data["allocations"]] == [
        ("2025-01", "9600.00"),
        ("2025-02", "10000.00"),
        ("2025-03", "10000.00"),
    ]
    assert (data["allocated"], data["credit_held"], data["late_fee"]) == (
        "29600.00",
        "5400.00",
        "0.00",
    )
    assert data["periods"] == ["2025-03"]


def test_a_replayed_payment_returns_the_first_answer_and_changes_nothing(
    client, tax, employer, bills
):
    first = _post(client, tax[1], _body(employer), "SW-0001")
    assert first.status_code == 201
    before = _written()
    again = _post(client, tax[1], _body(employer), "SW-0001")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _written() == before
    bill = Bill.objects.get(pk=bills["2025-02"].pk)
    assert (bill.paid_amount, bill.status) == (D("5400.00"), BillStatus.PARTIALLY_PAID)


def test_the_same_key_with_another_body_is_refused_with_409(client, tax, employer, bills):
    first = _post(client, tax[1], _body(employer), "SW-0001")
    before = _written()
    response = _post(_english(client), tax[1], _body(employer, amount="16000.00"), "SW-0001")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert _written() == before
    record = IdempotencyRecord.objects.get(client=tax[0], key="SW-0001")
    assert record.response_body == first.json()


def test_a_receipt_number_reused_under_another_key_is_refused_with_409(
    client, tax, employer, bills
):
    _post(client, tax[1], _body(employer), "SW-0001")
    before = _written()
    response = _post(_english(client), tax[1], _body(employer, amount="16000.00"), "KEY-2")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "receipt_number_reused",
        "message": "The receipt number SW-0001 was recorded with another payment; "
        "nothing was changed.",
        "details": {"field": "receipt_number"},
    }
    same = _post(client, tax[1], _body(employer), "KEY-3")  # the same payment, another key
    assert same.status_code == 409
    assert same.json()["error"]["code"] == "payment_already_recorded"
    # nothing written, not even the new keys' idempotency records
    assert _written() == before
    assert not IdempotencyRecord.objects.filter(key__in=["KEY-2", "KEY-3"]).exists()


def test_a_payer_outside_the_systems_region_is_refused(client, tax, other_employer, bills):
    before = _written()
    response = _post(_english(client), tax[1], _body(other_employer), "SW-0001")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_region"
    assert _written() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount": 15000.5}, "not_text", "amount"),  # a JSON number: may have been a float
        ({"amount": "15000.005"}, "max_decimal_places", "amount"),
        ({"amount": "0.00"}, "min_value", "amount"),
        ({"periods": ["2025-13"]}, "invalid", "periods"),
        ({"paid_on": "2025-02-30"}, "invalid", "paid_on"),
    ],
)
def test_invalid_bodies_are_refused_with_400(client, tax, employer, bills, changes, code, field):
    before = _written()
    response = _post(client, tax[1], _body(employer, **changes), "SW-0001")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and field in error["details"]
    assert _written() == before


def test_a_payer_must_be_named_once(client, tax, employer, people, bills):
    body = _body(employer, id_number=people[0].id_number)
    response = _post(client, tax[1], body, "SW-0001")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payer_missing"
    body.pop("credit_code")
    body.pop("id_number")
    assert _post(client, tax[1], body, "SW-0001").json()["error"]["code"] == "payer_missing"


def test_paying_needs_the_pay_scope_and_an_idempotency_key(client, staff, tax, employer, bills):
    _reader, key = _system(staff, "Reader", ["contributions.read"])
    before = _written()
    response = _post(client, key, _body(employer), "SW-0001")
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"missing_scopes": ["contributions.pay"]}
    response = _post(client, tax[1], _body(employer), None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert _written() == before


# --- arrears ---------------------------------------------------------------------------------


def test_arrears_with_late_fees_as_of_a_date(client, tax, employer, bills):
    _post(client, tax[1], _body(employer, paid_on="2025-02-10"), "SW-0001")  # 2025-02 owes 4 600
    rows = _all(client, tax[1], ARREARS, employer=employer.credit_code, as_of="2025-04-20")
    # 2025-02, due 03-15: 16 + 20 = 36 days, 4 600.00 × 0.0005 × 36 = 82.80
    # 2025-03, due 04-15: 5 days, 10 000.00 × 0.0005 × 5 = 25.00
    assert [
        (r["period"], r["total"], r["paid_amount"], r["outstanding"], r["days_late"], r["late_fee"])
        for r in rows
    ] == [
        ("2025-02", "10000.00", "5400.00", "4600.00", 36, "82.80"),
        ("2025-03", "10000.00", "0.00", "10000.00", 5, "25.00"),
    ]
    assert rows[0]["bill_id"] == bills["2025-02"].pk
    assert (rows[0]["as_of"], rows[0]["due_date"], rows[0]["credit_code"]) == (
        "2025-04-20",
        "2025-03-15",
        employer.credit_code,
    )
    # keyset pages, oldest first
    page = _get(
        client, tax[1], ARREARS, employer=employer.credit_code, as_of="2025-04-20", page_size=1
    ).json()
    assert [r["period"] for r in page["results"]] == ["2025-02"]
    second = client.get(page["next"], **_auth(tax[1])).json()
    assert [r["period"] for r in second["results"]] == ["2025-03"] and second["next"] is None
    # nothing is stored by looking
    assert PaymentAllocation.objects.count() == 2


def test_arrears_refuse_a_bad_date_and_a_bad_cursor(client, tax, bills):
    response = _get(client, tax[1], ARREARS, as_of="2025-13-01")
    assert response.status_code == 400 and "as_of" in response.json()["error"]["details"]
    response = _get(client, tax[1], ARREARS, cursor="not-a-cursor")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


# --- the schema ------------------------------------------------------------------------------


def test_the_schema_describes_the_tax_exchange(client, staff):
    client.force_login(staff["admin"])
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths[ASSESSMENTS]) == {"get"}
    assert set(paths[LINES]) == {"get"}
    assert set(paths[ARREARS]) == {"get"}
    assert set(paths[PAYMENTS]) == {"post"}
    post = paths[PAYMENTS]["post"]
    assert {p["name"] for p in post["parameters"]} == {"Idempotency-Key"}
    assert set(post["responses"]) == {"201", "400", "401", "403", "409", "413", "429"}
    assert {p["name"] for p in paths[ARREARS]["get"]["parameters"]} == {
        "as_of", "cursor", "page_size", "region", "employer", "id_number",
    }  # fmt: skip
    assert {p["name"] for p in paths[ASSESSMENTS]["get"]["parameters"]} == {
        "cursor", "page_size", "period", "region", "employer", "id_number",
    }  # fmt: skip
    payment = schema["components"]["schemas"]["Payment"]
    assert payment["required"] == ["amount", "paid_on", "receipt_number"]
    assert payment["properties"]["amount"]["type"] == "string"
