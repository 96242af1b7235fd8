"""The payroll API for the banks and the finance department (/api/v1/benefits/, §9.3.1):
approved runs with their totals per city and county, bank files downloaded with their
checksum, bank results posted once per bank batch id (a replay changes nothing, a
wrong row imports nothing), scopes and the calling system's region.

The run is the caseworker's county for 2026-11, worked by hand:

- 甲 (ICBC): 1500 + 800 + 900 = 3200.00 for 2026-11 (paid through 2026-10), and an
  adjustment of 50.00: payment 3250.00;
- 乙 (ICBC): 1200.40 + 775.00 + 900.00 = 2875.40, retired 2026-08, never paid: 2026-09,
  -10, -11 owed, 3 × 2875.40 = 8626.20, and a settlement due of 120.00: payment 8746.20;
- 丁 (CCB): 1500 + 500 + 0 = 2000.00 for 2026-11: payment 2000.00.

Items: pension 3 lines, 3200.00 + 8626.20 + 2000.00 = 13826.20; adjustment 1 line
50.00; settlement 1 line 120.00; in all 5 lines, 13996.20. ICBC's file: 2 payments,
3250.00 + 8746.20 = 11996.20; CCB's: 1 payment, 2000.00.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal as D

import pytest
from django.conf import settings as django_settings
from django.test import Client

from benefits.choices import PaymentStatus, PayrollItem, PayrollRunStatus
from benefits.models import BankResultBatch, PayrollDue, PayrollPayment, PensionAdjustment
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from benefits.tests.factories import retiree
from pension.api import keys
from pension.models import ApiClient, Region
from pension.periods import Period

pytestmark = pytest.mark.django_db

BASE = "/api/v1/benefits/"
RUNS = BASE + "payroll-runs/"
RESULTS = BASE + "bank-results/"
ICBC = "中国工商银行"
CCB = "中国建设银行"


def _system(
    staff, name: str, scopes: list[str], region: str, bank_name: str = ""
) -> tuple[ApiClient, str]:
    """A bank's system when ``bank_name`` is given, else the finance department's."""
    return keys.api_client_create(
        actor=staff["admin"],
        name=name,
        kind="bank" if bank_name else "finance",
        region=Region.objects.get(code=region),
        scopes=scopes,
        bank_name=bank_name,
    )


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture
def client() -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def county(staff) -> str:
    return staff["caseworker"].agency.region_id


@pytest.fixture
def city(county) -> str:
    return county[:4] + "00"


@pytest.fixture
def bank_key(staff, city) -> str:
    """ICBC's system in the county's city, reading runs and posting results."""
    scopes = ["payroll.read", "payroll.bank_results"]
    return _system(staff, "City bank", scopes, city, bank_name=ICBC)[1]


@pytest.fixture
def ccb_key(staff, city) -> str:
    """CCB's system in the county's city."""
    return _system(staff, "CCB system", ["payroll.read", "payroll.bank_results"], city, CCB)[1]


@pytest.fixture
def finance_key(staff, city) -> str:
    """The city's finance department: reads every bank's files, posts no results."""
    return _system(staff, "City finance", ["payroll.read"], city)[1]


@pytest.fixture
def world(staff):
    agency = staff["caseworker"].agency
    a = retiree(agency, paid_through="2026-10", name="甲")
    b = retiree(
        agency, basic="1200.40", account="775.00", transitional="900.00", retired="2026-08",
        name="乙",
    )  # fmt: skip
    d = retiree(
        agency, basic="1500.00", account="500.00", transitional="0.00", paid_through="2026-10",
        bank_name=CCB, name="丁",
    )  # fmt: skip
    PensionAdjustment.objects.create(
        person=a.person, determination=a, flat_amount=D("50.00"), monthly_amount=D("50.00"),
        effective_from=Period.parse("2026-01"), in_force=True,
    )  # fmt: skip
    PayrollDue.objects.create(
        person=b.person, determination=b, item=PayrollItem.SETTLEMENT, amount=D("120.00"),
        months=3, source="test-api:settlement-b", reason="recalculated",
    )  # fmt: skip
    return {"a": a, "b": b, "d": d}


def _approved(staff, county):
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    run = payroll.payroll_run_execute(run.pk)
    assert run.status == PayrollRunStatus.CALCULATED, run.error
    return payroll.payroll_run_approve(actor=staff["reviewer"], run=run)


@pytest.fixture
def exported(staff, county, world):
    run = _approved(staff, county)
    bank.payroll_run_export(actor=staff["caseworker"], run=run)
    run.refresh_from_db()
    return run


def _payments(run) -> dict[str, PayrollPayment]:
    return {p.payee_name: p for p in PayrollPayment.objects.filter(run=run)}


def _post(client: Client, key: str, body: dict):
    return client.post(
        RESULTS, data=json.dumps(body, ensure_ascii=False), content_type="application/json",
        **_auth(key),
    )  # fmt: skip


def _icbc_results(run, batch: str = "ICBC-2026-11-001") -> dict:
    payments = _payments(run)
    a, b = payments["甲"], payments["乙"]
    return {
        "run": run.pk,
        "bank_name": ICBC,
        "bank_batch_id": batch,
        "results": [
            {"payment": a.pk, "account": a.bank_account, "amount": "3250.00", "result": "成功"},
            {
                "payment": b.pk,
                "account": b.bank_account,
                "amount": "8746.20",
                "result": "失败",
                "reason": "账户已销户",
            },
        ],
    }


def _written() -> tuple:
    return (
        BankResultBatch.objects.count(),
        PayrollDue.objects.filter(item=PayrollItem.REISSUE).count(),
        sorted(PayrollPayment.objects.values_list("status", flat=True)),
    )


# --- runs ---------------------------------------------------------------------------------


def test_the_runs_list_shows_approved_live_runs_of_the_region(
    client, staff, county, city, exported, bank_key
):
    # a dry run of the next month is never shown
    payroll.payroll_run_create(
        actor=staff["caseworker"], period="2026-12", region=county, dry_run=True
    )
    response = client.get(RUNS, **_auth(bank_key))
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["next"] is None
    assert [r["id"] for r in page["results"]] == [exported.pk]
    row = page["results"][0]
    assert (row["period"], row["region"], row["status"]) == ("2026-11", county, "exported")
    # 3 payments, 5 lines, 3250.00 + 8746.20 + 2000.00 = 13996.20
    assert (row["payment_count"], row["line_count"], row["total_amount"]) == (3, 5, "13996.20")
    assert row["url"].endswith(f"{RUNS}{exported.pk}/")

    def ids(**params) -> list[int]:
        answer = client.get(RUNS, data=params, **_auth(bank_key))
        assert answer.status_code == 200, answer.content
        return [r["id"] for r in answer.json()["results"]]

    assert ids(period="2026-11") == [exported.pk]
    assert ids(period="2026-10") == []
    assert ids(region=county) == [exported.pk]
    assert ids(status="closed") == []
    assert ids(status="exported") == [exported.pk]


def test_a_run_not_yet_approved_is_not_shown(client, staff, county, world, bank_key):
    run = payroll.payroll_run_create(actor=staff["caseworker"], period="2026-11", region=county)
    run = payroll.payroll_run_execute(run.pk)
    assert run.status == PayrollRunStatus.CALCULATED
    assert client.get(RUNS, **_auth(bank_key)).json()["results"] == []
    response = client.get(f"{RUNS}{run.pk}/", **_auth(bank_key))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_run_has_its_totals_by_city_and_county_and_its_bank_files(
    client, county, city, exported, finance_key
):
    response = client.get(f"{RUNS}{exported.pk}/", **_auth(finance_key))
    assert response.status_code == 200, response.content
    data = response.json()
    items = [
        # pension: 3200.00 + 8626.20 + 2000.00 = 13826.20
        {"item": "adjustment", "lines": 1, "amount": "50.00"},
        {"item": "pension", "lines": 3, "amount": "13826.20"},
        {"item": "settlement", "lines": 1, "amount": "120.00"},
    ]
    [city_total] = data["cities"]
    assert (city_total["region"], city_total["lines"], city_total["amount"]) == (
        city,
        5,
        "13996.20",  # 13826.20 + 50.00 + 120.00
    )
    assert city_total["items"] == items
    [county_total] = city_total["counties"]
    assert (county_total["region"], county_total["lines"], county_total["amount"]) == (
        county,
        5,
        "13996.20",
    )
    assert county_total["items"] == items
    assert county_total["name"] == Region.objects.get(code=county).name

    files = {(f["bank"], f["format"]): f for f in data["bank_files"]}
    assert set(files) == {(CCB, "csv"), (CCB, "xlsx"), (ICBC, "csv"), (ICBC, "xlsx")}
    # ICBC: 3250.00 + 8746.20 = 11996.20; CCB: 2000.00
    assert (files[ICBC, "csv"]["count"], files[ICBC, "csv"]["total"]) == (2, "11996.20")
    assert (files[CCB, "xlsx"]["count"], files[CCB, "xlsx"]["total"]) == (1, "2000.00")
    assert all(len(f["sha256"]) == 64 for f in files.values())
    assert files[ICBC, "csv"]["download_url"].endswith(
        f"{BASE}bank-files/{files[ICBC, 'csv']['id']}/content/"
    )
    assert data["bank_results"] == []


def test_runs_outside_the_systems_region_are_not_found(client, staff, exported):
    other_city = staff["other_caseworker"].agency.region_id[:4] + "00"
    _, key = _system(
        staff, "Other bank", ["payroll.read", "payroll.bank_results"], other_city, ICBC
    )
    assert client.get(RUNS, **_auth(key)).json()["results"] == []
    assert client.get(f"{RUNS}{exported.pk}/", **_auth(key)).status_code == 404
    bank_file = exported.bank_files.first()
    response = client.get(f"{BASE}bank-files/{bank_file.pk}/content/", **_auth(key))
    assert response.status_code == 404
    before = _written()
    response = _post(client, key, _icbc_results(exported))
    assert response.status_code == 404
    assert _written() == before
    # asking for a region outside its own is refused
    response = client.get(RUNS, data={"region": exported.region_id}, **_auth(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_region"


# --- bank files ---------------------------------------------------------------------------


def test_a_bank_file_downloads_with_its_checksum(client, exported, bank_key, finance_key):
    data = client.get(f"{RUNS}{exported.pk}/", **_auth(bank_key)).json()
    files = {(f["bank"], f["format"]): f for f in data["bank_files"]}
    entry = files[ICBC, "csv"]
    response = client.get(entry["download_url"], **_auth(bank_key))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Content-SHA256"] == hashlib.sha256(body).hexdigest() == entry["sha256"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    payments = _payments(exported)
    assert rows[0] == ["序号", "流水号", "姓名", "账号", "金额"]
    assert [r[1:] for r in rows[1:-1]] == [
        [str(p.pk), p.payee_name, p.bank_account, str(p.amount)]
        for p in sorted((payments["甲"], payments["乙"]), key=lambda p: p.pk)
    ]
    assert rows[-1][:3] == ["合计", "2", "11996.20"]

    data = client.get(f"{RUNS}{exported.pk}/", **_auth(finance_key)).json()
    xlsx = {(f["bank"], f["format"]): f for f in data["bank_files"]}[CCB, "xlsx"]
    response = client.get(xlsx["download_url"], **_auth(finance_key), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["X-Content-SHA256"] == hashlib.sha256(body).hexdigest() == xlsx["sha256"]
    assert body[:2] == b"PK"  # a zip, as every .xlsx


# --- bank results -------------------------------------------------------------------------


def test_posted_results_mark_payments_and_reissue_the_failed_one(
    client, exported, bank_key, ccb_key, finance_key, world
):
    response = _post(client, bank_key, _icbc_results(exported))
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["replayed"] is False
    assert (answer["run"], answer["bank"], answer["system"]) == (exported.pk, ICBC, "City bank")
    assert (answer["paid"], answer["paid_amount"]) == (1, "3250.00")
    assert (answer["failed"], answer["failed_amount"], answer["reissued"]) == (1, "8746.20", 1)

    payments = _payments(exported)
    assert payments["甲"].status == PaymentStatus.PAID
    assert (payments["乙"].status, payments["乙"].failure_reason) == (
        PaymentStatus.FAILED,
        "账户已销户",
    )
    assert payments["丁"].status == PaymentStatus.PENDING  # CCB has not answered
    due = PayrollDue.objects.get(source=f"payment:{payments['乙'].pk}")
    assert (due.item, due.amount, due.run_id, due.person_id) == (
        PayrollItem.REISSUE,
        D("8746.20"),
        None,
        world["b"].person_id,
    )
    exported.refresh_from_db()
    assert exported.status == PayrollRunStatus.EXPORTED  # CCB's result is awaited
    batch = BankResultBatch.objects.get()
    assert batch.api_client == "City bank" and batch.received_by is None

    # the replay answers the first result and writes nothing
    before = _written()
    replay = _post(client, bank_key, _icbc_results(exported))
    assert replay.status_code == 200, replay.content
    assert replay.json() == {**answer, "replayed": True}
    assert _written() == before

    # the same batch id with other results is refused
    other = _icbc_results(exported)
    other["results"] = other["results"][:1]
    response = _post(client, bank_key, other)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bank_batch_reused"
    assert _written() == before

    # CCB's result closes the run; the run shows both results
    d = payments["丁"]
    response = _post(
        client,
        ccb_key,
        {
            "run": exported.pk,
            "bank_name": CCB,
            "bank_batch_id": "CCB-2026-11-7",
            "results": [
                {"payment": d.pk, "account": d.bank_account, "amount": "2000.00", "result": "成功"}
            ],
        },
    )
    assert response.status_code == 201, response.content
    exported.refresh_from_db()
    assert exported.status == PayrollRunStatus.CLOSED
    data = client.get(f"{RUNS}{exported.pk}/", **_auth(finance_key)).json()
    assert data["status"] == "closed"
    assert [(r["bank_batch_id"], r["paid"], r["failed"]) for r in data["bank_results"]] == [
        ("ICBC-2026-11-001", 1, 1),
        ("CCB-2026-11-7", 1, 0),
    ]


def test_a_batch_id_another_bank_used_is_refused_not_replayed(client, exported, bank_key, ccb_key):
    assert _post(client, bank_key, _icbc_results(exported)).status_code == 201
    d = _payments(exported)["丁"]
    before = _written()
    response = _post(
        client,
        ccb_key,
        {
            "run": exported.pk,
            "bank_name": CCB,
            "bank_batch_id": "ICBC-2026-11-001",  # ICBC's batch id
            "results": [
                {"payment": d.pk, "account": d.bank_account, "amount": "2000.00", "result": "成功"}
            ],
        },
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "bank_batch_other_bank"
    assert _written() == before
    d.refresh_from_db()
    assert d.status == PaymentStatus.PENDING


def test_wrong_rows_are_listed_and_nothing_is_imported(client, exported, bank_key):
    body = _icbc_results(exported)
    body["results"][1]["amount"] = "8746.00"  # 8746.20 was sent
    body["results"][1]["reason"] = ""  # a failure without the bank's reason
    body["results"].append({"payment": 999999, "account": "1", "amount": "1.00", "result": "成功"})
    before = _written()
    response = _post(client, bank_key, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    rows = error["details"]["rows"]
    assert [(e["row"], e["column"]) for e in rows] == [
        (2, "金额"),
        (2, "失败原因"),
        (3, "流水号"),
        (3, "账号"),  # "1": not 6 to 32 digits
    ]
    assert "8746.20" in rows[0]["message"]
    assert _written() == before
    exported.refresh_from_db()
    assert exported.status == PayrollRunStatus.EXPORTED

    # an amount as a JSON number (it may have passed through a float) is a row error too
    body = _icbc_results(exported)
    body["results"][0]["amount"] = 3250.0
    response = _post(client, bank_key, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert [(e["row"], e["column"]) for e in error["details"]["rows"]] == [(1, "金额")]
    assert _written() == before
    # and the batch id was not used up: the right rows are then taken
    assert _post(client, bank_key, _icbc_results(exported)).status_code == 201


def test_results_for_a_run_not_exported_are_refused(client, staff, county, world, bank_key):
    run = _approved(staff, county)
    payments = _payments(run)
    a = payments["甲"]
    body = {
        "run": run.pk,
        "bank_name": ICBC,
        "bank_batch_id": "ICBC-EARLY",
        "results": [
            {"payment": a.pk, "account": a.bank_account, "amount": "3250.00", "result": "成功"}
        ],
    }
    before = _written()
    response = _post(client, bank_key, body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_exported"
    assert _written() == before


# --- scopes -------------------------------------------------------------------------------


def test_each_endpoint_needs_its_scope(client, staff, city, exported):
    _, reader = _system(staff, "Finance", ["payroll.read"], city)
    _, poster = _system(staff, "Poster", ["payroll.bank_results"], city, ICBC)
    before = _written()
    response = _post(client, reader, _icbc_results(exported))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert response.json()["error"]["details"] == {"missing_scopes": ["payroll.bank_results"]}
    assert _written() == before

    for url in (RUNS, f"{RUNS}{exported.pk}/"):
        response = client.get(url, **_auth(poster))
        assert response.status_code == 403
        assert response.json()["error"]["details"] == {"missing_scopes": ["payroll.read"]}
    bank_file = exported.bank_files.first()
    response = client.get(f"{BASE}bank-files/{bank_file.pk}/content/", **_auth(poster))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"

    # the finance department reads the totals with payroll.read alone
    response = client.get(f"{RUNS}{exported.pk}/", **_auth(reader))
    assert response.status_code == 200
    assert response.json()["cities"][0]["amount"] == "13996.20"

    # staff signed in are refused: the API is for other systems
    client.force_login(staff["caseworker"])
    response = client.get(RUNS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_required"


def test_a_banks_system_sees_and_reports_only_its_own_bank(client, staff, city, exported):
    _client, key = keys.api_client_create(
        actor=staff["admin"], name="CCB system", kind="bank",
        region=Region.objects.get(code=city), scopes=["payroll.read", "payroll.bank_results"],
        bank_name=CCB,
    )  # fmt: skip
    data = client.get(f"{RUNS}{exported.pk}/", **_auth(key)).json()
    assert {f["bank"] for f in data["bank_files"]} == {CCB}
    icbc_file = exported.bank_files.get(bank_name=ICBC, file_format="csv")
    response = client.get(f"{BASE}bank-files/{icbc_file.pk}/content/", **_auth(key))
    assert response.status_code == 404
    before = _written()
    response = _post(client, key, _icbc_results(exported))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "other_bank"
    assert _written() == before


@pytest.mark.parametrize(
    ("key", "value", "column"),
    [
        ("amount", "sNaN", "金额"),
        ("amount", "1e30", "金额"),
        ("amount", "1" * 30, "金额"),
        ("amount", "3_250.00", "金额"),
        ("payment", "²", "流水号"),  # str.isdigit() says yes; int() raised (a 500)
        ("payment", "٤٧", "流水号"),  # Arabic-Indic digits: int() would read 47
        ("account", "６２２２０２０２００００００００１", "账号"),  # full-width digits
    ],
)
def test_hostile_cells_are_row_errors_via_the_api(client, exported, bank_key, key, value, column):
    """The same row checks as a result file's (pension.imports cells): a row error
    (400 invalid_rows), nothing written, never a 500."""
    body = _icbc_results(exported)
    body["results"][0][key] = value
    before = _written()
    response = _post(client, bank_key, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert [(e["row"], e["column"], e["value"]) for e in error["details"]["rows"]] == [
        (1, column, value)
    ]
    assert _written() == before
