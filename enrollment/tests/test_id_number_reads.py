"""Reads of full citizen ID numbers are logged wherever they are shown (DESIGN §2.4,
issue 13): search results, the person page, the key-data form, exports and the API;
roles that see numbers masked see them masked on every page, and nothing is logged."""

import pytest

from enrollment import services
from enrollment.choices import PersonCategory
from enrollment.tests.helpers import citizen_id, credit_code
from pension.api import keys
from pension.models import ChangeLogEntry, Region
from pension.periods import Period
from pension.validators import mask_citizen_id

pytestmark = pytest.mark.django_db

NUMBER = citizen_id("140105", "19620315", 21)


@pytest.fixture
def person(staff):
    return services.person_register(
        actor=staff["caseworker"], id_number=NUMBER, name="甄读",
        category=PersonCategory.EMPLOYEE, region=Region.objects.get(code="140105"),
    )  # fmt: skip


def _shown() -> list[dict]:
    rows = ChangeLogEntry.objects.filter(action="read", object_type="enrollment.insuredperson")
    return [
        {"actor": r.actor_id, "client": r.api_client_id, **r.after}
        for r in rows.filter(object_id="").order_by("id")
    ]


def test_search_results_log_the_full_numbers_shown(client, staff, person):
    client.force_login(staff["caseworker"])
    html = client.get("/enrollment/people/", {"q": "甄读"}).content.decode()
    assert NUMBER in html
    assert _shown() == [
        {"actor": staff["caseworker"].pk, "client": None, "id_numbers": [NUMBER],
         "count": 1, "at": "GET /enrollment/people/"}
    ]  # fmt: skip


def test_a_masked_role_sees_masks_everywhere_and_nothing_is_logged(client, staff, person):
    client.force_login(staff["county_head"])  # agency head: numbers masked
    for url in ("/enrollment/people/?q=甄读", f"/enrollment/people/{person.pk}/"):
        html = client.get(url).content.decode()
        assert NUMBER not in html, url
        assert mask_citizen_id(NUMBER) in html, url
    # the key-data form would show the whole number: refused, and nothing shown
    response = client.get(f"/enrollment/people/{person.pk}/key-data/")
    assert response.status_code == 403
    assert NUMBER not in response.content.decode()
    assert _shown() == []


def test_the_person_page_and_the_key_data_form_log_the_number(client, staff, person):
    client.force_login(staff["caseworker"])
    client.get(f"/enrollment/people/{person.pk}/")
    form = client.get(f"/enrollment/people/{person.pk}/key-data/")
    assert f'value="{NUMBER}"' in form.content.decode()
    assert [row["at"] for row in _shown()] == [
        f"GET /enrollment/people/{person.pk}/",
        f"GET /enrollment/people/{person.pk}/key-data/",
    ]


def test_the_roster_export_logs_the_numbers_it_contains(client, staff, person):
    employer = services.employer_register(
        actor=staff["caseworker"], credit_code=credit_code("91140105MA0000077"),
        name="读号公司", kind="enterprise", region=Region.objects.get(code="140105"),
    )  # fmt: skip
    services.employment_add(actor=staff["caseworker"], employer=employer, person=person,
                            start=Period.parse("2025-01"))  # fmt: skip
    client.force_login(staff["caseworker"])
    response = client.get(f"/enrollment/employers/{employer.pk}/roster/export/")
    assert response.status_code == 200
    (row,) = _shown()
    assert row["id_numbers"] == [NUMBER]
    assert row["at"] == f"GET /enrollment/employers/{employer.pk}/roster/export/"


def test_an_api_answer_with_full_numbers_is_logged_for_the_client(client, staff, person):
    region = Region.objects.get(code="140000")
    full, full_key = keys.api_client_create(
        actor=staff["admin"], name="Full", kind="other", region=region,
        scopes=["enrollment.read", "enrollment.read_id_numbers"],
    )  # fmt: skip
    _masked, masked_key = keys.api_client_create(
        actor=staff["admin"], name="Masked", kind="other", region=region,
        scopes=["enrollment.read"],
    )  # fmt: skip
    url = "/api/v1/enrollment/persons/"
    client.get(url, {"id_number": NUMBER}, HTTP_AUTHORIZATION=f"Api-Key {masked_key}")
    assert _shown() == []

    answer = client.get(url, {"id_number": NUMBER}, HTTP_AUTHORIZATION=f"Api-Key {full_key}")

    assert answer.json()["results"][0]["id_number"] == NUMBER
    assert _shown() == [
        {"actor": None, "client": full.pk, "id_numbers": [NUMBER], "count": 1,
         "at": "GET /api/v1/enrollment/persons/"}
    ]  # fmt: skip
