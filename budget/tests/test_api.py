"""The budget's read API (scope ``budget.read``): the province's versions, the lines of
the system's cities, targets and gap payments of its region; filters; refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from budget import calc, services
from pension.api import keys
from pension.models import Region

pytestmark = pytest.mark.django_db

FORECAST = calc.Forecast(D("0.02"), D("0.03"), D("0.05"), D("0.95"), D("0.02"))


def _key(staff, code: str, scopes=("budget.read",)) -> dict:
    _client, key = keys.api_client_create(
        actor=staff["admin"], name=f"Finance {code} {len(scopes)}{scopes[0]}", kind="finance",
        region=Region.objects.get(code=code), scopes=list(scopes),
    )  # fmt: skip
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture
def budget(staff):
    officer = staff["province_budget"]
    version = services.budget_draft_create(actor=officer, year=2026, forecast=FORECAST)
    version = services.budget_version_edit(
        actor=officer, version_id=version.pk,
        amounts={("140100", "contribution_income"): D("1200.50"),
                 ("140200", "contribution_income"): D("600.00")},
    )  # fmt: skip
    services.collection_target_set(
        actor=officer, year=2026, region_code="140105", collection_amount=D("1000.00"),
        insured_target=10,
    )  # fmt: skip
    services.collection_target_set(
        actor=officer, year=2026, region_code="140200", collection_amount=D("2000.00"),
        insured_target=20,
    )  # fmt: skip
    services.gap_payment_record(
        actor=officer, year=2026, region_code="140200", payer="province",
        amount=D("60.00"), paid_on=date(2027, 1, 15),
    )  # fmt: skip
    return version


def test_a_province_system_reads_everything_of_its_province(client, staff, budget):
    auth = _key(staff, "140000")
    versions = client.get("/api/v1/budget/versions/", {"year": 2026}, **auth).json()["results"]
    assert [(v["number"], v["status"], v["kind"]) for v in versions] == [
        (1, "draft", "original"), (2, "draft", "original"),
    ]  # fmt: skip
    assert versions[1]["assumptions"]["edited_from"] == 1
    lines = client.get(
        "/api/v1/budget/lines/",
        {"version": budget.pk, "item": "contribution_income", "region": "140100"}, **auth,
    ).json()["results"]  # fmt: skip
    assert [(x["region"], x["amount"]) for x in lines] == [("140100", "1200.50")]
    targets = client.get("/api/v1/budget/targets/", {"level": "county"}, **auth).json()
    assert [(t["region"], t["collection_amount"]) for t in targets["results"]] == [
        ("140105", "1000.00")
    ]
    payments = client.get("/api/v1/budget/gap-payments/", **auth).json()["results"]
    assert [(p["region"], p["payer"], p["amount"]) for p in payments] == [
        ("140200", "province", "60.00")
    ]


def test_a_city_system_reads_its_own_city_only(client, staff, budget):
    auth = _key(staff, "140100")
    lines = client.get(
        "/api/v1/budget/lines/", {"version": budget.pk, "item": "contribution_income"}, **auth
    ).json()["results"]
    assert [x["region"] for x in lines] == ["140100"]
    targets = client.get("/api/v1/budget/targets/", **auth).json()["results"]
    assert [t["region"] for t in targets] == ["140105"]
    assert client.get("/api/v1/budget/gap-payments/", **auth).json()["results"] == []
    other = client.get("/api/v1/budget/lines/", {"region": "140200"}, **auth).json()
    assert other["results"] == []


def test_without_the_scope_or_as_a_staff_session_it_is_refused(client, staff, budget):
    auth = _key(staff, "140000", scopes=("funds.read",))
    response = client.get("/api/v1/budget/versions/", **auth)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    client.force_login(staff["province_budget"])
    assert client.get("/api/v1/budget/versions/").status_code == 403
    response = client.get(
        "/api/v1/budget/versions/", {"status": "nonsense"}, **_key(staff, "140000")
    )
    assert response.status_code == 400
