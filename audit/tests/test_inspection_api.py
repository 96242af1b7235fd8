"""The inspections' read API (scope ``audit.read``): a system without the scope is
refused, a city's system sees its city's inspections only, the region filter, and the
fields of an inspection built by hand with its finding."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from audit import services
from audit.choices import FindingKind, InspectionKind
from audit.models import Inspection
from enrollment.models import Employer, InsuredPerson
from pension.api import keys
from pension.models import Region

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit/inspections/"


def _key(staff, code: str, scopes=("audit.read",)) -> dict:
    _client, key = keys.api_client_create(
        actor=staff["admin"], name=f"Supervision {code} {len(scopes)}{scopes[0]}",
        kind="finance", region=Region.objects.get(code=code), scopes=list(scopes),
    )  # fmt: skip
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture
def inspections(staff):
    """An employer inspection in 140105 (小店区, with a back-payment finding of 1 234.56)
    and a benefit inspection in the other city's county."""
    employer = Employer.objects.filter(region_id="140105").order_by("id").first()
    person = InsuredPerson.objects.filter(region_id="140105").order_by("id").first()
    other_county = staff["other_caseworker"].agency.region_id
    other_person = InsuredPerson.objects.filter(region_id=other_county).order_by("id").first()
    own = Inspection.objects.create(
        kind=InspectionKind.EMPLOYER, employer=employer, region_id="140105", risk_score=3,
        inspector=staff["auditor"], evidence={"headcount": 12, "found": 14}, notes="现场核查",
    )  # fmt: skip
    services.finding_record(
        actor=staff["auditor"], inspection=own, kind=FindingKind.BACK_PAYMENT,
        description="两名职工未参保", amount="1234.56", person=person,
        months=[{"period": "2026-01", "base": "5000.00"}],
    )  # fmt: skip
    other = Inspection.objects.create(
        kind=InspectionKind.BENEFIT, person=other_person, region_id=other_county
    )
    return own, other, employer, person


def test_without_the_scope_refused(client, staff, inspections):
    response = client.get(URL, **_key(staff, "140000", scopes=("budget.read",)))
    assert response.status_code == 403
    assert client.get(URL).status_code in (401, 403)


def test_a_city_system_sees_its_city_and_the_region_filter(client, staff, inspections):
    own, other, _employer, _person = inspections
    province = _key(staff, "140000")
    ids = [i["id"] for i in client.get(URL, **province).json()["results"]]
    assert ids == sorted([own.pk, other.pk])
    filtered = client.get(URL, {"region": "140105"}, **province).json()["results"]
    assert [i["id"] for i in filtered] == [own.pk]
    city_key = _key(staff, "140100")
    city = client.get(URL, **city_key).json()["results"]
    assert [i["id"] for i in city] == [own.pk]
    assert client.get(f"{URL}{other.pk}/", **city_key).status_code == 404
    assert client.get(URL, {"region": "14x"}, **province).status_code == 400


def test_a_hand_built_inspection_reads_back_field_by_field(client, staff, inspections):
    own, _other, employer, person = inspections
    body = client.get(f"{URL}{own.pk}/", **_key(staff, "140000")).json()
    assert body["kind"] == "employer" and body["status"] == "open"
    assert (body["region"], body["region_name"]) == ("140105", "小店区")
    assert (body["employer"], body["employer_name"]) == (employer.pk, employer.name)
    assert body["person"] is None and body["plan"] is None and body["alert"] is None
    assert body["risk_score"] == 3
    assert body["evidence"] == {"headcount": 12, "found": 14}
    assert body["notes"] == "现场核查" and body["closed_at"] is None
    [finding] = body["findings"]
    assert finding["kind"] == "back_payment" and finding["status"] == "recorded"
    assert finding["amount"] == "1234.56" and D(finding["amount"]) == D("1234.56")
    assert finding["person"] == person.pk and finding["case"] is None
    assert finding["months"] == [{"period": "2026-01", "base": "5000.00"}]
    assert finding["description"] == "两名职工未参保"
