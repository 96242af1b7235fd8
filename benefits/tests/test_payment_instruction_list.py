"""The payment instructions' page and read-only API (支付指令): region-scoped, filtered,
paged, each with the payroll run that carried it. Figures by hand in the comments."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.test import Client

from benefits.tests import test_payroll as _payroll
from pension.api import keys
from pension.models import PaymentInstruction, Region
from pension.payments import payment_instruction_create

pytestmark = pytest.mark.django_db

county, world, run_for = _payroll.county, _payroll.world, _payroll.run_for
PAGE = "/benefits/payment-instructions/"
API = "/api/v1/benefits/payment-instructions/"


def _instruction(staff, person, region, source, amount, *, purpose="refund", bank="中国工商银行"):
    return payment_instruction_create(
        actor=staff["reviewer"], purpose=purpose, source=source, region=region, target=person,
        payee_name=f"收款人{source[-1]}", bank_name=bank, bank_account="6222000000000099",
        amount=D(amount),
    )  # fmt: skip


@pytest.fixture
def instructions(staff, county, world):
    """In the caseworker's county: a refund of 1234.56 carried by the payroll of
    2026-11, and a settlement of 500.00 written after it (open); in the other county a
    transfer out of 700.00 (建设银行)."""
    person = world["c"].person
    carried = _instruction(staff, person, county, "t:1", "1234.56")
    run = run_for(staff, county, "2026-11")
    waiting = _instruction(staff, person, county, "t:2", "500.00", purpose="account_settlement")
    other_county = staff["other_caseworker"].agency.region_id
    elsewhere = _instruction(
        staff, person, other_county, "t:3", "700.00", purpose="transfer_out", bank="中国建设银行"
    )
    return {"carried": carried, "waiting": waiting, "elsewhere": elsewhere, "run": run}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'data-instruction="(\d+)"', html)


def test_the_page_lists_the_region_with_the_carrying_run_and_filters(staff, instructions):
    carried, waiting, run = instructions["carried"], instructions["waiting"], instructions["run"]
    page = _client(staff["caseworker"]).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    # the county's two, newest first; the other county's is not shown
    assert _rows(html) == [str(waiting.pk), str(carried.pk)]
    # 1234.56 + 500.00 = 1734.56
    assert "1734.56" in html
    assert f'href="/benefits/payroll-runs/{run.pk}/"' in html
    assert f"2026-11（{run.pk}）" in html
    # filtered: open ones only: the settlement, 500.00
    page = _client(staff["caseworker"]).get(PAGE, {"status": "open"})
    html = page.content.decode()
    assert _rows(html) == [str(waiting.pk)]
    assert "Total of the instructions listed: 500.00" in html
    # by the run that carried them
    page = _client(staff["caseworker"]).get(PAGE, {"payroll_run": run.pk})
    assert _rows(page.content.decode()) == [str(carried.pk)]
    # a bad filter shows the error and no rows
    page = _client(staff["caseworker"]).get(PAGE, {"region": "1"})
    assert _rows(page.content.decode()) == []


def test_the_page_is_region_scoped_and_for_the_roles_that_pay(staff, instructions):
    # the province's fund accountant sees all three: 1234.56 + 500.00 + 700.00 = 2434.56
    html = _client(staff["province_accountant"]).get(PAGE).content.decode()
    assert len(_rows(html)) == 3 and "2434.56" in html
    # the other county's reviewer sees its own only
    html = _client(staff["other_reviewer"]).get(PAGE).content.decode()
    assert _rows(html) == [str(instructions["elsewhere"].pk)]
    # a budget officer does not open benefits; anonymous is sent to log in
    assert _client(staff["city_budget"]).get(PAGE).status_code == 403
    assert Client().get(PAGE).status_code == 302
    # the section's start page links to it
    index = _client(staff["reviewer"]).get("/benefits/").content.decode()
    assert f'href="{PAGE}"' in index


def _key(staff, scopes, *, region="140100", bank_name=""):
    _api_client, key = keys.api_client_create(
        actor=staff["admin"], name=f"系统{region}{scopes[0]}{bank_name}",
        kind="bank" if bank_name else "finance", region=Region.objects.get(code=region),
        scopes=scopes, bank_name=bank_name,
    )  # fmt: skip
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_the_api_reads_instructions_of_the_systems_region_and_bank(staff, instructions):
    carried, waiting, run = instructions["carried"], instructions["waiting"], instructions["run"]
    before = list(PaymentInstruction.objects.values_list("pk", "status").order_by("pk"))
    icbc = _key(staff, ["payroll.read"], bank_name="中国工商银行")
    response = Client().get(API, **icbc)
    assert response.status_code == 200
    rows = response.json()["results"]
    # the city's ICBC instructions, newest first; the other county's (建设银行) not
    assert [(r["id"], r["purpose"], r["status"], r["amount"]) for r in rows] == [
        (waiting.pk, "account_settlement", "open", "500.00"),
        (carried.pk, "refund", "issued", "1234.56"),
    ]
    first = rows[1]
    assert (first["payroll_run"], first["payroll_period"], first["payee_name"]) == (
        run.pk, "2026-11", "收款人1",
    )  # fmt: skip
    assert first["payroll_payment"] is not None
    assert rows[0]["payroll_run"] is None and rows[0]["payroll_period"] is None
    assert [r["id"] for r in Client().get(API, {"status": "open"}, **icbc).json()["results"]] == [
        waiting.pk
    ]
    # one instruction; another region's is 404
    assert Client().get(f"{API}{carried.pk}/", **icbc).json()["amount"] == "1234.56"
    elsewhere = instructions["elsewhere"]
    assert Client().get(f"{API}{elsewhere.pk}/", **icbc).status_code == 404
    # a region outside the system's is refused; no scope, or a staff session, refused
    assert elsewhere.region_id[:4] != "1401"  # the other county lies in another city
    outside = Client().get(API, {"region": elsewhere.region_id}, **icbc)
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "outside_region")
    # the province's finance system (no bank) sees the other county's too
    province = _key(staff, ["payroll.read"], region="140000")
    rows = Client().get(API, {"region": elsewhere.region_id}, **province).json()["results"]
    assert [(r["id"], r["bank_name"], r["amount"]) for r in rows] == [
        (elsewhere.pk, "中国建设银行", "700.00")
    ]
    no_scope = Client().get(API, **_key(staff, ["contributions.read"]))
    assert (no_scope.status_code, no_scope.json()["error"]["code"]) == (403, "scope_missing")
    assert _client(staff["province_accountant"]).get(API).status_code == 403
    # read-only: nothing written, a POST is not allowed
    assert Client().post(API, {}, **icbc).status_code == 403  # no scope writes
    after = list(PaymentInstruction.objects.values_list("pk", "status").order_by("pk"))
    assert after == before
