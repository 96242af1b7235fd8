"""The registration API (/api/v1/enrollment/): region-scoped exports for external
systems and market regulation's idempotent push (多证合一, §6.1.1)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client

from enrollment import services
from enrollment.models import Employer, InsuredPerson
from pension.api import keys
from pension.models import ApiClient, ChangeLogEntry, IdempotencyRecord, Region

PERSONS = "/api/v1/enrollment/persons/"
EMPLOYERS = "/api/v1/enrollment/employers/"
PUSH = "/api/v1/enrollment/employer-registrations/"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# --- helpers ---------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def citizen_id(region: str, birth: str, sequence: str) -> str:
    """A valid GB 11643 number: check = "10X98765432"[Σ dᵢ·wᵢ mod 11]."""
    first17 = region + birth + sequence
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def credit_code(first17: str) -> str:
    """A valid GB 32100 code: check = charset[(31 − Σ vᵢ·wᵢ mod 31) mod 31]."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_CHARSET[(31 - total % 31) % 31]


def test_the_helpers_make_known_valid_numbers():
    assert citizen_id("110105", "19491231", "002") == "11010519491231002X"
    # a published example of a unified social credit code
    assert credit_code("91350100M000100Y4") == "91350100M000100Y43"


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _region(code: str) -> Region:
    return Region.objects.get(code=code)


def _system(staff, name: str, scopes: list[str], region: str = "140100") -> tuple[ApiClient, str]:
    return keys.api_client_create(
        actor=staff["admin"],
        name=name,
        kind="market_regulation",
        region=_region(region),
        scopes=scopes,
    )


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _get(client: Client, key: str, url: str, **params):
    return client.get(url, data=params, **_auth(key))


# --- data ------------------------------------------------------------------------------

ZHANG = citizen_id("140105", "19800115", "123")  # 140105198001151236, a man
LI = citizen_id("140106", "19751003", "204")  # 140106197510032042, a woman
WANG = citizen_id("140102", "19900520", "311")  # 140102199005203115
LIU = citizen_id("140212", "19850808", "126")  # 140212198508081264
BEIJING = "11010519491231002X"  # a Beijing number, registered in Taiyuan


@pytest.fixture
def people(staff) -> dict[str, InsuredPerson]:
    """Three people of Taiyuan (two counties and the city), one of Datong."""
    caseworker = staff["caseworker"]  # may prepare people anywhere in the province

    def register(number: str, name: str, region: str, **extra) -> InsuredPerson:
        return services.person_register(
            actor=caseworker,
            id_number=number,
            name=name,
            category="flexible",
            region=_region(region),
            **extra,
        )

    return {
        "zhang": register(
            ZHANG,
            "接口甲建国",
            "140105",
            first_work_date=date(1996, 7, 1),
            first_insured_date=date(2005, 7, 1),
            deemed_months=12,
            card_number="APITEST000001",
        ),
        "li": register(LI, "接口乙秀英", "140106"),
        "wang": register(WANG, "接口丙建华", "140100"),
        "liu": register(LIU, "接口丁建军", "140212"),
    }


@pytest.fixture
def employers(staff) -> dict[str, Employer]:
    """Two employers of Taiyuan, one of Datong."""
    return {
        "xiaodian": services.employer_register(
            actor=staff["caseworker"],
            credit_code=credit_code("91140105MA0KXYW01"),
            name="接口测试小店机械厂",
            kind="enterprise",
            region=_region("140105"),
            address="太原市小店区长风街1号",
            registered_on=date(2020, 3, 2),
        ),
        "yingze": services.employer_register(
            actor=staff["city_caseworker"],
            credit_code=credit_code("92140106MA0KXYW02"),
            name="接口测试迎泽面馆",
            kind="individual_business",
            region=_region("140106"),
            registered_on=date(2021, 5, 6),
        ),
        "datong": services.employer_register(
            actor=staff["other_caseworker"],
            credit_code=credit_code("91140212MA0KXYW03"),
            name="接口测试大同煤机厂",
            kind="enterprise",
            region=_region("140212"),
            registered_on=date(2019, 1, 8),
        ),
    }


@pytest.fixture
def reader(staff) -> tuple[ApiClient, str]:
    return _system(staff, "Taiyuan statistics", ["enrollment.read"])


@pytest.fixture
def full_reader(staff) -> tuple[ApiClient, str]:
    return _system(
        staff, "Taiyuan public security", ["enrollment.read", "enrollment.read_id_numbers"]
    )


@pytest.fixture
def market(staff) -> tuple[ApiClient, str]:
    return _system(staff, "Taiyuan market regulation", ["enrollment.employer_push"])


# --- reading ---------------------------------------------------------------------------
# The tiny demo province has people and employers of its own: the assertions pick this
# test's rows out by their names (all begin with MARK), and check the rest by region.
MARK = "接口"


def _all(client: Client, key: str, url: str, **params) -> list[dict]:
    """Every row, following ``next`` to the end."""
    response = _get(client, key, url, page_size=1000, **params)
    assert response.status_code == 200, response.content
    page = response.json()
    rows = page["results"]
    while page["next"]:
        page = client.get(page["next"], **_auth(key)).json()
        rows += page["results"]
    return rows


@pytest.mark.django_db
def test_persons_are_listed_for_the_systems_region_only_and_masked(client, people, reader):
    rows = _all(client, reader[1], PERSONS)
    assert rows and all(p["region"].startswith("1401") for p in rows)  # Taiyuan only
    ids = [p["id"] for p in rows]
    assert ids == sorted(ids)  # the cursor's order
    assert set(ids) == set(
        InsuredPerson.objects.filter(region__code__startswith="1401").values_list("id", flat=True)
    )
    assert people["liu"].pk not in ids  # Datong's
    mine = [p for p in rows if p["name"].startswith(MARK)]
    assert [p["name"] for p in mine] == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    zhang = dict(mine[0])
    updated_at = zhang.pop("updated_at")
    assert zhang == {
        "id": people["zhang"].pk,
        "id_number": "140105********1236",  # first 6 and last 4 kept
        "name": "接口甲建国",
        "sex": "M",  # sequence 123: odd
        "birth_date": "1980-01-15",
        "category": "flexible",
        "occupation_kind": "worker",
        "status": "contributing",
        "region": "140105",
        "agency": "14010500",  # 小店区's own agency
        "first_work_date": "1996-07-01",
        "first_insured_date": "2005-07-01",
        "deemed_months": 12,
        "card_number": "APITEST000001",
    }
    assert datetime.fromisoformat(updated_at) == people["zhang"].updated_at
    assert [(p["id_number"], p["region"], p["agency"]) for p in mine] == [
        ("140105********1236", "140105", "14010500"),
        ("140106********2042", "140106", "14010000"),  # no agency of its own: the city's
        ("140102********3115", "140100", "14010000"),
    ]
    # nobody's number is shown in full without the scope
    assert all(re.fullmatch(r"\d{6}\*{8}[0-9X]{4}", p["id_number"]) for p in rows)


@pytest.mark.django_db
def test_full_id_numbers_need_the_read_id_numbers_scope(client, people, full_reader):
    rows = _all(client, full_reader[1], PERSONS, name=MARK)
    assert [p["id_number"] for p in rows] == [ZHANG, LI, WANG]
    assert ZHANG == "140105198001151236"


@pytest.mark.django_db
def test_a_person_outside_the_region_is_not_found(client, people, reader):
    mine = _get(client, reader[1], f"{PERSONS}{people['zhang'].pk}/")
    assert mine.status_code == 200
    assert mine.json()["id_number"] == "140105********1236"
    theirs = _english(client).get(f"{PERSONS}{people['liu'].pk}/", **_auth(reader[1]))
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_province_system_sees_the_whole_province(client, staff, people):
    _system_client, key = _system(staff, "Province statistics", ["enrollment.read"], "140000")
    rows = _all(client, key, PERSONS, name=MARK)
    assert [p["name"] for p in rows] == ["接口甲建国", "接口乙秀英", "接口丙建华", "接口丁建军"]


@pytest.mark.django_db
def test_employers_are_listed_for_the_systems_region_only(client, employers, reader):
    rows = _all(client, reader[1], EMPLOYERS)
    assert rows and all(e["region"].startswith("1401") for e in rows)
    ids = [e["id"] for e in rows]
    assert ids == sorted(ids)
    assert set(ids) == set(
        Employer.objects.filter(region__code__startswith="1401").values_list("id", flat=True)
    )
    assert employers["datong"].pk not in ids
    mine = [e for e in rows if e["name"].startswith(MARK)]
    assert [e["name"] for e in mine] == ["接口测试小店机械厂", "接口测试迎泽面馆"]
    first = dict(mine[0])
    assert datetime.fromisoformat(first.pop("updated_at")) == employers["xiaodian"].updated_at
    assert first == {
        "id": employers["xiaodian"].pk,
        "credit_code": employers["xiaodian"].credit_code,
        "name": "接口测试小店机械厂",
        "kind": "enterprise",
        "status": "active",
        "region": "140105",
        "agency": "14010500",
        "address": "太原市小店区长风街1号",
        "registered_on": "2020-03-02",
    }
    assert mine[1]["kind"] == "individual_business"
    assert mine[1]["credit_code"].startswith("92140106MA0KXYW02")


@pytest.mark.django_db
def test_person_filters(client, people, reader):
    key = reader[1]

    def names(**params) -> list[str]:
        return [p["name"] for p in _all(client, key, PERSONS, **params)]

    # partial names; 接口丁建军 matches too but lies in Datong: filters never widen the scope
    assert names(name=MARK) == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    assert names(name="乙秀") == ["接口乙秀英"]
    assert names(name="丙建华") == ["接口丙建华"]
    assert names(name="丁建军") == []
    assert names(id_number=LI) == ["接口乙秀英"]
    assert names(id_number=LIU) == []  # Datong's, outside the region
    assert names(card_number="apitest000001") == ["接口甲建国"]  # stored upper-case
    assert names(name=MARK, region="140105") == ["接口甲建国"]
    assert names(name=MARK, region="140100") == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    assert names(name=MARK, region="1401") == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    assert names(name=MARK, region="140200") == []
    assert names(name=MARK, category="flexible") == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    assert names(name=MARK, category="employee") == []
    assert names(name=MARK, status="contributing") == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    assert names(name=MARK, status="retired") == []
    # backdate two rows (auto_now does not apply to update())
    InsuredPerson.objects.filter(pk__in=[people["zhang"].pk, people["wang"].pk]).update(
        updated_at=datetime(2025, 1, 10, 9, 0, tzinfo=SHANGHAI)
    )
    since = "2025-06-01T00:00:00+08:00"
    assert names(name=MARK, updated_since=since) == ["接口乙秀英"]
    since = "2025-01-10T09:00:00+08:00"  # inclusive
    assert names(name=MARK, updated_since=since) == ["接口甲建国", "接口乙秀英", "接口丙建华"]
    since = "2025-01-10T01:00:01Z"  # 09:00:01 in Shanghai
    assert names(name=MARK, updated_since=since) == ["接口乙秀英"]


@pytest.mark.django_db
def test_invalid_filters_are_refused_with_400(client, people, reader):
    response = _english(client).get(
        PERSONS, data={"updated_since": "yesterday"}, **_auth(reader[1])
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "updated_since": [
            "Give a moment in ISO 8601 with a time zone offset between -14:00 and +14:00 "
            "(2026-01-31T08:00:00+08:00)."
        ]
    }
    response = client.get(PERSONS, data={"region": "14x"}, **_auth(reader[1]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "region_code"
    response = client.get(PERSONS, data={"status": "asleep"}, **_auth(reader[1]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_choice"


@pytest.mark.django_db
def test_employer_filters(client, employers, reader):
    key = reader[1]

    def names(**params) -> list[str]:
        return [e["name"] for e in _all(client, key, EMPLOYERS, **params)]

    assert names(name=MARK) == ["接口测试小店机械厂", "接口测试迎泽面馆"]  # not Datong's
    assert names(name="小店机械") == ["接口测试小店机械厂"]
    assert names(name=MARK, kind="individual_business") == ["接口测试迎泽面馆"]
    assert names(credit_code=employers["yingze"].credit_code.lower()) == ["接口测试迎泽面馆"]
    assert names(credit_code=employers["datong"].credit_code) == []
    assert names(name=MARK, region="140106") == ["接口测试迎泽面馆"]
    assert names(name=MARK, status="active") == ["接口测试小店机械厂", "接口测试迎泽面馆"]
    assert names(name=MARK, status="cancelled") == []
    Employer.objects.filter(pk=employers["xiaodian"].pk).update(
        updated_at=datetime(2024, 12, 31, tzinfo=SHANGHAI)
    )
    since = "2025-01-01T00:00:00+08:00"
    assert names(name=MARK, updated_since=since) == ["接口测试迎泽面馆"]


@pytest.mark.django_db
def test_cursor_pagination_follows_next_to_the_end(client, people, reader):
    key = reader[1]
    first = _get(client, key, PERSONS, page_size=2, name=MARK)
    assert first.status_code == 200
    page = first.json()
    assert set(page) == {"next", "previous", "results"}  # no count: no COUNT(*)
    assert [p["name"] for p in page["results"]] == ["接口甲建国", "接口乙秀英"]
    assert page["previous"] is None
    next_url = urlparse(page["next"])
    assert next_url.path == PERSONS
    query = parse_qs(next_url.query)
    assert query["page_size"] == ["2"] and query["name"] == [MARK] and "cursor" in query
    second = client.get(page["next"], **_auth(key)).json()
    assert [p["name"] for p in second["results"]] == ["接口丙建华"]  # filters kept
    assert second["next"] is None and second["previous"] is not None
    # the default page is 500 rows
    everyone = _get(client, key, PERSONS).json()
    in_taiyuan = InsuredPerson.objects.filter(region__code__startswith="1401").count()
    assert len(everyone["results"]) == min(in_taiyuan, 500)


@pytest.mark.django_db
def test_the_page_size_defaults_to_500_and_is_capped_at_1000():
    from enrollment.api.views import InsuredPersonViewSet

    pagination = InsuredPersonViewSet.pagination_class
    assert pagination.page_size == 500
    assert pagination.max_page_size == 1000
    assert pagination.ordering == "id"


# --- refusals --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PERSONS, EMPLOYERS])
def test_a_system_without_the_read_scope_is_refused_naming_it(client, staff, people, url):
    _other, key = _system(staff, "Pusher", ["enrollment.employer_push"])
    response = _english(client).get(url, **_auth(key))
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "scope_missing",
            "message": "This system's key lacks the scope enrollment.read.",
            "details": {"missing_scopes": ["enrollment.read"]},
        }
    }


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PERSONS, EMPLOYERS])
def test_staff_sessions_are_refused(client, staff, people, url):
    client.force_login(staff["admin"])
    response = _english(client).get(url)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "api_key_required",
        "message": "This endpoint is for external systems: call it with an API key.",
        "details": {},
    }
    assert "接口甲建国" not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_calls_are_refused_with_401(client, people):
    response = client.get(PERSONS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- the market-regulation push --------------------------------------------------------

NEW_CODE = credit_code("91140105MA0KXYW09")


def _push(client: Client, key: str, body: dict, idem: str | None):
    extra = _auth(key)
    if idem is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = idem
    return client.post(PUSH, data=json.dumps(body), content_type="application/json", **extra)


def _message(message_id: str, **changes) -> dict:
    return {
        "message_id": message_id,
        "credit_code": NEW_CODE,
        "name": "接口测试晋阳科技有限公司",
        "kind": "enterprise",
        "region": "140105",
        "address": "太原市小店区学府街2号",
        "contact_person": "周红",
        "phone": "0351-1234567",
    } | changes


def _counts() -> tuple[int, int, int]:
    return (
        Employer.objects.count(),
        ChangeLogEntry.objects.filter(object_type="enrollment.employer").count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.mark.django_db
def test_a_push_registers_a_new_employer(client, market):
    api_client, key = market
    response = _push(client, key, _message("SCJG-0001"), "SCJG-0001")
    assert response.status_code == 201
    employer = Employer.objects.get(credit_code=NEW_CODE)
    assert response.json() == {"employer_id": employer.pk, "created": True, "credit_code": NEW_CODE}
    assert (employer.name, employer.kind, employer.region_id, employer.agency.code) == (
        "接口测试晋阳科技有限公司",
        "enterprise",
        "140105",
        "14010500",
    )
    assert (employer.address, employer.contact_person, employer.phone) == (
        "太原市小店区学府街2号",
        "周红",
        "0351-1234567",
    )
    assert (employer.source, employer.last_message_id) == ("market_regulation", "SCJG-0001")
    entry = ChangeLogEntry.objects.get(object_type="enrollment.employer", object_id=employer.pk)
    assert (entry.action, entry.actor_id, entry.api_client_id) == ("create", None, api_client.pk)
    assert entry.after["name"] == "接口测试晋阳科技有限公司"


@pytest.mark.django_db
def test_a_replayed_push_returns_the_first_answer_and_writes_nothing(client, market):
    _api_client, key = market
    start = _counts()
    first = _push(client, key, _message("SCJG-0001"), "SCJG-0001")
    assert first.status_code == 201
    before = _counts()
    assert tuple(b - a for a, b in zip(start, before, strict=True)) == (1, 1, 1)
    again = _push(client, key, _message("SCJG-0001"), "SCJG-0001")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _counts() == before


@pytest.mark.django_db
def test_a_change_push_updates_the_employer_and_never_duplicates(client, market):
    api_client, key = market
    employers_before = Employer.objects.count()
    first = _push(client, key, _message("SCJG-0001"), "SCJG-0001").json()
    response = _push(
        client, key, _message("SCJG-0002", name="接口测试晋阳智能科技有限公司"), "SCJG-0002"
    )
    assert response.status_code == 201
    assert response.json() == {
        "employer_id": first["employer_id"],
        "created": False,
        "credit_code": NEW_CODE,
    }
    assert Employer.objects.filter(credit_code=NEW_CODE).count() == 1
    assert Employer.objects.count() == employers_before + 1
    employer = Employer.objects.get(credit_code=NEW_CODE)
    assert (employer.name, employer.last_message_id) == (
        "接口测试晋阳智能科技有限公司",
        "SCJG-0002",
    )
    change = ChangeLogEntry.objects.filter(object_type="enrollment.employer").latest("id")
    assert change.action == "update" and change.api_client_id == api_client.pk
    assert (change.before["name"], change.after["name"]) == (
        "接口测试晋阳科技有限公司",
        "接口测试晋阳智能科技有限公司",
    )
    assert change.reason == "market regulation message SCJG-0002"
    # a push with the same data still records which message last touched the employer
    same = _push(
        client, key, _message("SCJG-0003", name="接口测试晋阳智能科技有限公司"), "SCJG-0003"
    )
    assert same.json()["created"] is False
    latest = ChangeLogEntry.objects.filter(object_type="enrollment.employer").latest("id")
    assert (latest.before["last_message_id"], latest.after["last_message_id"]) == (
        "SCJG-0002",
        "SCJG-0003",
    )
    assert latest.before["name"] == latest.after["name"] == "接口测试晋阳智能科技有限公司"
    assert Employer.objects.count() == employers_before + 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_409(client, market):
    api_client, key = market
    first = _push(client, key, _message("SCJG-0001"), "SCJG-0001")
    before = _counts()
    response = _push(_english(client), key, _message("SCJG-0001", name="别的名字"), "SCJG-0001")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert _counts() == before
    assert Employer.objects.get(credit_code=NEW_CODE).name == "接口测试晋阳科技有限公司"
    assert IdempotencyRecord.objects.get(client=api_client).response_body == first.json()


@pytest.mark.django_db
def test_an_invalid_credit_code_is_refused_with_the_validators_code(client, market):
    start = _counts()
    _api_client, key = market
    wrong = NEW_CODE[:17] + ("0" if NEW_CODE[17] != "0" else "1")
    response = _push(_english(client), key, _message("SCJG-0001", credit_code=wrong), "SCJG-0001")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "check_character"
    assert error["details"] == {
        "credit_code": [
            "The unified social credit code is wrong: its check character does not "
            "match the first 17 characters. Check the code against the business licence."
        ]
    }
    assert _counts() == start
    short = _push(client, key, _message("SCJG-0002", credit_code="91140105"), "SCJG-0002")
    assert short.status_code == 400
    assert short.json()["error"]["code"] == "length"
    assert _counts() == start
    # the refusal did not use the key up: corrected, the same key goes through
    assert _push(client, key, _message("SCJG-0001"), "SCJG-0001").status_code == 201


@pytest.mark.django_db
def test_an_unknown_region_is_refused_with_400(client, market):
    start = _counts()
    _api_client, key = market
    response = _push(_english(client), key, _message("SCJG-0001", region="149999"), "SCJG-0001")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_region"
    assert response.json()["error"]["details"] == {
        "region": ["149999 is not a division code in use."]
    }
    malformed = _push(client, key, _message("SCJG-0002", region="1401"), "SCJG-0002")
    assert malformed.status_code == 400
    assert list(malformed.json()["error"]["details"]) == ["region"]
    assert _counts() == start


@pytest.mark.django_db
def test_a_region_outside_the_systems_region_is_refused_with_403(client, market):
    start = _counts()
    _api_client, key = market  # Taiyuan's
    response = _push(_english(client), key, _message("SCJG-0001", region="140212"), "SCJG-0001")
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "outside_region",
            "message": "The region 140212 lies outside this system's region; nothing was changed.",
            "details": {"field": "region"},
        }
    }
    assert _counts() == start


@pytest.mark.django_db
def test_an_employer_registered_outside_the_region_cannot_be_moved_in(client, employers, market):
    _api_client, key = market
    datong = employers["datong"]
    before = _counts()
    body = _message("SCJG-0001", credit_code=datong.credit_code, region="140105")
    response = _push(_english(client), key, body, "SCJG-0001")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_region"
    assert response.json()["error"]["details"] == {"field": "credit_code"}
    datong.refresh_from_db()
    assert (datong.name, datong.region_id) == ("接口测试大同煤机厂", "140212")
    assert _counts() == before


@pytest.mark.django_db
def test_a_push_needs_the_push_scope_and_an_api_key(client, staff, reader):
    start = _counts()
    _api_client, key = reader  # enrollment.read only
    response = _push(_english(client), key, _message("SCJG-0001"), "SCJG-0001")
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"missing_scopes": ["enrollment.employer_push"]}
    client.force_login(staff["admin"])
    session = client.post(
        PUSH, data=json.dumps(_message("SCJG-0001")), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="SCJG-0001",
    )  # fmt: skip
    assert session.status_code == 403
    assert session.json()["error"]["code"] == "api_key_required"
    assert _counts() == start


@pytest.mark.django_db
def test_a_push_without_an_idempotency_key_is_refused(client, market):
    start = _counts()
    _api_client, key = market
    response = _push(client, key, _message("SCJG-0001"), None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert _counts() == start


# --- the schema ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_lists_the_enrollment_paths(client, staff):
    client.force_login(staff["caseworker"])
    response = client.get("/api/v1/schema/", data={"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    for path in (PERSONS, EMPLOYERS, PUSH):
        assert path in schema["paths"], path
    push = schema["paths"][PUSH]["post"]
    assert push["security"] == [{"ApiKeyAuth": []}]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in push["parameters"])
    listed = {p["name"] for p in schema["paths"][PERSONS]["get"]["parameters"]}
    assert {"cursor", "page_size", "name", "id_number", "region", "updated_since"} <= listed


@pytest.mark.django_db
def test_the_schema_generates_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    patterns = [path("api/v1/enrollment/", include("enrollment.api.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned"
    validate_schema(schema)
