"""The API kernel (pension.api): keys, authentication, scopes, idempotent POSTs, the
call log, the error envelope and the schema, on a test-only URLconf."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from pension.api import keys
from pension.api.permissions import client_region_prefix
from pension.context import current
from pension.errors import Conflict
from pension.models import ApiCallLog, ApiClient, ChangeLogEntry, IdempotencyRecord, Region

URL = "/api/test/things/"
MIDDLEWARE = "pension.api.authentication.ApiCallLogMiddleware"

pytestmark = pytest.mark.urls("tests.api_urls")


@pytest.fixture(autouse=True)
def _call_log_middleware(settings):
    """The call log middleware, whether or not the settings list it yet."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        at = middleware.index("pension.middleware.RequestContextMiddleware") + 1
        settings.MIDDLEWARE = [*middleware[:at], MIDDLEWARE, *middleware[at:]]


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _make(staff, name: str, scopes: list[str], region: str = "140000") -> tuple[ApiClient, str]:
    return keys.api_client_create(
        actor=staff["admin"],
        name=name,
        kind="tax",
        region=Region.objects.get(code=region),
        scopes=scopes,
    )


@pytest.fixture
def tax(staff) -> tuple[ApiClient, str]:
    return _make(staff, "Shanxi tax bureau", ["test.read", "test.write"])


@pytest.fixture
def bank(staff) -> tuple[ApiClient, str]:
    return _make(staff, "Provincial bank", ["test.read", "test.write"], region="140100")


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _post(client: Client, key: str, body: dict, idem: str | None = "R-0001"):
    extra = _auth(key)
    if idem is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = idem
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def _things() -> int:
    return ChangeLogEntry.objects.filter(object_type="test.thing").count()


def _calls(client: ApiClient) -> list[tuple[str, str, int, str]]:
    return list(
        ApiCallLog.objects.filter(client=client)
        .order_by("id")
        .values_list("method", "path", "status_code", "idempotency_key")
    )


# --- keys ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_is_prefix_dot_secret_and_only_its_hash_is_stored(tax):
    client, key = tax
    prefix, secret = key.split(".")
    assert len(prefix) == 8 and prefix == client.key_prefix
    assert len(secret) == 43  # token_urlsafe(32): 32 bytes → 43 base64url characters
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in stored.key_hash and secret not in stored.key_hash
    assert stored.scopes == ["test.read", "test.write"]


@pytest.mark.django_db
def test_key_services_write_the_change_log_but_never_the_key(staff, tax):
    client, key = tax
    new_key = keys.api_client_rotate(actor=staff["admin"], client=client)
    keys.api_client_revoke(actor=staff["admin"], client=client)
    entries = ChangeLogEntry.objects.filter(object_type="pension.apiclient", object_id=client.pk)
    assert [(e.action, e.reason, e.actor_username) for e in entries.order_by("id")] == [
        ("create", "", "admin"),
        ("update", "key rotated", "admin"),
        ("update", "key revoked", "admin"),
    ]
    created, rotated, revoked = entries.order_by("id")
    assert created.after["key_hash"] == "(hidden)"
    assert rotated.before["key_hash"] == rotated.after["key_hash"] == "(hidden)"
    assert rotated.after["key_prefix"] == new_key.split(".")[0]
    assert revoked.after["is_active"] is False and revoked.after["revoked_at"]
    everything = json.dumps(list(ChangeLogEntry.objects.values()), default=str)
    for secret in (key, new_key, key.split(".")[1], new_key.split(".")[1]):
        assert secret not in everything
    hashes = (hashlib.sha256(k.encode()).hexdigest() for k in (key, new_key))
    assert not any(h in everything for h in hashes)


@pytest.mark.django_db
def test_a_revoked_client_cannot_be_rotated_or_revoked_again(staff, tax):
    client, _key = tax
    keys.api_client_revoke(actor=staff["admin"], client=client)
    count = ChangeLogEntry.objects.count()
    for service in (keys.api_client_rotate, keys.api_client_revoke):
        with pytest.raises(Conflict) as caught:
            service(actor=staff["admin"], client=client)
        assert caught.value.code == "api_client_revoked"
    assert ChangeLogEntry.objects.count() == count


# --- authentication -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_valid_key_authenticates_the_client_and_is_logged(client, tax):
    api_client, key = tax
    response = client.get(URL, **_auth(key))
    assert response.status_code == 200
    assert response.json() == {"client": "Shanxi tax bureau", "region_prefix": "14"}
    assert _calls(api_client) == [("GET", URL, 200, "")]
    api_client.refresh_from_db()
    assert api_client.last_used_at is not None
    assert current().api_client_id is None  # the request's context did not leak


@pytest.mark.django_db
def test_client_region_prefix_follows_the_clients_region(bank, tax):
    assert client_region_prefix(tax[0]) == "14"
    assert client_region_prefix(bank[0]) == "1401"  # a city: its first four digits


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        (None, "not_authenticated", "Authentication credentials were not provided."),
        ("Api-Key", "api_key_malformed",
         "The Authorization header must read 'Api-Key <prefix>.<secret>'."),
        ("Api-Key nodot", "api_key_malformed",
         "The Authorization header must read 'Api-Key <prefix>.<secret>'."),
        ("Api-Key abcdefgh.not-the-secret", "api_key_invalid", "The API key is not valid."),
    ],
)  # fmt: skip
def test_missing_or_unknown_keys_are_refused_with_401(client, tax, header, code, message):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = _english(client).get(URL, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"error": {"code": code, "message": message, "details": {}}}
    assert ApiCallLog.objects.count() == 0  # no client was identified


@pytest.mark.django_db
def test_a_wrong_secret_with_a_real_prefix_is_refused_and_not_logged(client, tax):
    api_client, _key = tax
    response = _english(client).get(URL, **_auth(api_client.key_prefix + ".wrong-secret"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"
    assert ApiCallLog.objects.count() == 0


@pytest.mark.django_db
def test_a_revoked_key_is_refused_with_401_and_the_attempt_is_logged(client, staff, tax):
    api_client, key = tax
    keys.api_client_revoke(actor=staff["admin"], client=api_client)
    response = _english(client).get(URL, **_auth(key))
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "api_key_revoked",
            "message": "The API key has been revoked.",
            "details": {},
        }
    }
    assert _calls(api_client) == [("GET", URL, 401, "")]


@pytest.mark.django_db
def test_rotation_makes_the_old_key_fail_and_the_new_one_work(client, staff, tax):
    api_client, old = tax
    assert client.get(URL, **_auth(old)).status_code == 200
    new = keys.api_client_rotate(actor=staff["admin"], client=api_client)
    assert new != old and new.split(".")[0] != old.split(".")[0]
    refused = client.get(URL, **_auth(old))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "api_key_invalid"
    assert client.get(URL, **_auth(new)).status_code == 200
    api_client.refresh_from_db()
    assert api_client.rotated_at is not None
    # the old key no longer names the client: its refusal is not the client's call
    assert _calls(api_client) == [("GET", URL, 200, ""), ("GET", URL, 200, "")]


# --- scopes and staff -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_scope_is_refused_with_403_naming_it(client, staff):
    reader, key = _make(staff, "Reader", ["test.read"])
    response = _english(client).post(
        URL, data=json.dumps({"id": "T-1"}), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="R-1", **_auth(key),
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "scope_missing",
            "message": "This system's key lacks the scope test.write.",
            "details": {"missing_scopes": ["test.write"]},
        }
    }
    assert _things() == 0
    assert not IdempotencyRecord.objects.exists()
    assert _calls(reader) == [("POST", URL, 403, "R-1")]


@pytest.mark.django_db
def test_staff_sessions_are_refused_unless_the_view_allows_staff(client, staff):
    client.force_login(staff["admin"])
    _english(client)
    refused = client.get(URL)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "api_key_required",
        "message": "This endpoint is for external systems: call it with an API key.",
        "details": {},
    }
    allowed = client.get("/api/test/staff-too/")
    assert allowed.status_code == 200
    assert allowed.json() == {"who": "admin"}
    assert ApiCallLog.objects.count() == 0  # staff calls are not API-key calls


# --- idempotency ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_replayed_post_returns_the_first_answer_and_writes_nothing(client, tax):
    api_client, key = tax
    first = _post(client, key, {"id": "T-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    body = first.json()
    entry = ChangeLogEntry.objects.get(object_type="test.thing")
    assert body == {"entry": entry.pk, "api_client": api_client.pk}
    assert entry.api_client_id == api_client.pk  # the view's change log knows the caller
    # the same body with other key order and spacing is the same request
    again = client.post(
        URL, data='{ "id" : "T-1" }', content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="R-0001", **_auth(key),
    )  # fmt: skip
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert _things() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.status_code, record.response_body) == ("R-0001", 201, body)
    assert _calls(api_client) == [("POST", URL, 201, "R-0001"), ("POST", URL, 201, "R-0001")]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_409(client, tax):
    api_client, key = tax
    first = _post(client, key, {"id": "T-1"})
    response = _post(_english(client), key, {"id": "T-2"})
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "idempotency_key_reused",
            "message": "This Idempotency-Key was used for a different request; nothing was "
            "changed.",
            "details": {},
        }
    }
    assert _things() == 1
    assert IdempotencyRecord.objects.get().response_body == first.json()
    assert [c[2] for c in _calls(api_client)] == [201, 409]


@pytest.mark.django_db
def test_a_post_without_an_idempotency_key_is_refused_with_400(client, tax):
    api_client, key = tax
    response = _post(_english(client), key, {"id": "T-1"}, idem=None)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "idempotency_key_missing",
        "message": "An Idempotency-Key header is required; nothing was changed.",
        "details": {},
    }
    assert _things() == 0 and not IdempotencyRecord.objects.exists()
    assert _calls(api_client) == [("POST", URL, 400, "")]


@pytest.mark.django_db
def test_a_refused_body_does_not_use_the_key_up(client, tax):
    _api_client, key = tax
    invalid = _post(_english(client), key, {"nothing": 1})
    assert invalid.status_code == 400
    assert invalid.json()["error"] == {
        "code": "required",
        "message": "The input is not valid; nothing was changed.",
        "details": {"id": ["This field is required."]},
    }
    assert not IdempotencyRecord.objects.exists() and _things() == 0
    assert _post(client, key, {"id": "T-1"}).status_code == 201  # the same key, corrected
    assert _things() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_client(client, tax, bank):
    tax_client, tax_key = tax
    bank_client, bank_key = bank
    first = _post(client, tax_key, {"id": "T-1"})
    other = _post(client, bank_key, {"id": "T-1"})
    assert first.status_code == other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert other.json()["entry"] != first.json()["entry"]
    assert other.json()["api_client"] == bank_client.pk
    assert _things() == 2
    assert set(IdempotencyRecord.objects.values_list("client_id", "key")) == {
        (tax_client.pk, "R-0001"),
        (bank_client.pk, "R-0001"),
    }


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_write_once(tax):
    api_client, key = tax
    barrier = threading.Barrier(2)
    results: list[tuple[int, str | None, dict]] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait(timeout=10)
            response = _post(Client(), key, {"id": "T-1", "delay": 0.5})
            results.append(
                (response.status_code, response.get("Idempotent-Replayed"), response.json())
            )
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(results, key=lambda r: r[1] or "") == [
        (201, None, results[0][2]),
        (201, "true", results[0][2]),
    ]
    assert _things() == 1
    assert IdempotencyRecord.objects.get().status_code == 201
    assert sorted(c[2] for c in _calls(api_client)) == [201, 201]


@pytest.mark.django_db
def test_idempotent_posts_need_an_api_key(client, staff, settings):
    # a staff session on a view that admits staff: no key namespace, so refused
    from tests.api_urls import ThingView

    ThingView.allow_staff = True
    try:
        client.force_login(staff["admin"])
        response = _english(client).post(
            URL, data=json.dumps({"id": "T-1"}), content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="R-1",
        )  # fmt: skip
    finally:
        del ThingView.allow_staff
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_required"
    assert _things() == 0


# --- the error envelope ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("locked", 423, {"code": "locked", "message": "Locked.",
                         "details": {"until": "tomorrow"}}),
        ("django-validation", 400, {"code": "too_long", "message": "Too long.",
                                    "details": {"name": ["Too long."]}}),
        ("django-validation-one", 400, {"code": "bad_period", "message": "Bad period.",
                                        "details": ["Bad period."]}),
        ("http404", 404, {"code": "not_found", "message": "Not found.", "details": {}}),
        ("denied", 403, {"code": "permission_denied",
                         "message": "You do not have permission to perform this action.",
                         "details": {}}),
    ],
)  # fmt: skip
def test_errors_share_one_envelope(client, tax, kind, status, error):
    api_client, key = tax
    response = _english(client).get(f"/api/test/fail/{kind}/", **_auth(key))
    assert response.status_code == status
    assert response.json() == {"error": error}
    assert _calls(api_client) == [("GET", f"/api/test/fail/{kind}/", status, "")]


@pytest.mark.django_db
def test_error_messages_are_in_chinese_by_default(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "身份认证信息未提供。"


# --- the schema -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_describes_the_api_key_and_the_idempotency_header_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(urlconf="tests.api_urls").get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned"
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Per-system API key: `Authorization: Api-Key <prefix>.<secret>`. "
        "POSTs also carry an `Idempotency-Key` header.",
    }
    post = schema["paths"]["/api/test/things/"]["post"]
    assert {"ApiKeyAuth": []} in post["security"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    get = schema["paths"]["/api/test/things/"]["get"]
    assert not any(p["name"] == "Idempotency-Key" for p in get.get("parameters", []))


# --- the admin ------------------------------------------------------------------------


def _messages(response) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def _key_in(message: str) -> str:
    # "The API key of <name> is <key>. It is shown only this once: …"
    return message.split(" is ", 1)[1].split(". It is shown", 1)[0]


@pytest.mark.django_db
def test_the_admin_creates_a_client_and_shows_its_key_once(client, staff):
    client.force_login(staff["admin"])
    _english(client)
    response = client.post(
        "/admin/pension/apiclient/add/",
        {"name": "Jinzhong tax", "kind": "tax", "region": "140000", "scopes": "test.read"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ApiClient.objects.get(name="Jinzhong tax")
    (shown,) = [m for m in _messages(response) if "API key" in m]
    key = _key_in(shown)
    assert key.startswith(created.key_prefix + ".")
    assert created.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert created.created_by == staff["admin"] and created.scopes == ["test.read"]
    entry = ChangeLogEntry.objects.get(object_type="pension.apiclient", object_id=created.pk)
    assert (entry.action, entry.actor_username) == ("create", "admin")
    change_page = f"/admin/pension/apiclient/{created.pk}/change/"
    shown_once = client.get(change_page).content.decode()  # the message, as a redirect shows it
    assert shown_once.count(key) == 1
    page = client.get(change_page).content.decode()
    assert created.key_prefix in page and key not in page
    assert created.key_hash in page  # read-only, not a secret
    assert client.get(URL, **_auth(key)).status_code == 200


@pytest.mark.django_db
def test_the_admin_edits_scopes_through_the_service(client, staff, tax):
    api_client, key = tax
    client.force_login(staff["admin"])
    response = client.post(
        f"/admin/pension/apiclient/{api_client.pk}/change/",
        {"name": api_client.name, "kind": "tax", "region": "140000", "scopes": "test.read"},
    )
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.scopes == ["test.read"]
    assert api_client.key_hash == hashlib.sha256(key.encode()).hexdigest()  # key unchanged
    entry = ChangeLogEntry.objects.filter(object_type="pension.apiclient").latest("id")
    assert entry.action == "update"
    assert entry.before["scopes"] == ["test.read", "test.write"]
    assert entry.after["scopes"] == ["test.read"]


@pytest.mark.django_db
def test_admin_actions_rotate_and_revoke_and_nothing_is_deleted(client, staff, tax):
    api_client, old = tax
    client.force_login(staff["admin"])
    _english(client)
    changelist = "/admin/pension/apiclient/"
    rotated = client.post(changelist, {"action": "rotate_key", "_selected_action": [api_client.pk]})
    assert rotated.status_code == 302
    (shown,) = [m for m in _messages(rotated) if "API key" in m]
    new = _key_in(shown)
    assert client.get(URL, **_auth(old)).status_code == 401
    assert client.get(URL, **_auth(new)).status_code == 200
    revoked = client.post(changelist, {"action": "revoke", "_selected_action": [api_client.pk]})
    assert "Keys revoked: 1." in _messages(revoked)
    assert client.get(URL, **_auth(new)).status_code == 401
    api_client.refresh_from_db()
    assert api_client.is_active is False and api_client.revoked_at is not None
    actions = client.get(changelist).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {name for name, _label in actions}
    assert client.post(f"{changelist}{api_client.pk}/delete/").status_code == 403
    assert ApiClient.objects.filter(pk=api_client.pk).exists()


@pytest.mark.django_db
def test_call_log_and_idempotency_records_are_read_only_in_the_admin(client, staff, tax):
    _api_client, key = tax
    _post(Client(), key, {"id": "T-1"})
    client.force_login(staff["admin"])
    for model in ("apicalllog", "idempotencyrecord"):
        listing = client.get(f"/admin/pension/{model}/")
        assert listing.status_code == 200
        assert "R-0001" in listing.content.decode()
        assert client.get(f"/admin/pension/{model}/add/").status_code == 403
    call = ApiCallLog.objects.get()
    page = client.get(f"/admin/pension/apicalllog/{call.pk}/change/")
    assert page.status_code == 200  # view only
    assert client.post(f"/admin/pension/apicalllog/{call.pk}/change/", {}).status_code == 403
    assert client.post(f"/admin/pension/apicalllog/{call.pk}/delete/").status_code == 403


def test_a_bank_system_without_its_bank_name_cannot_be_saved(staff):
    from pension.errors import InvalidInput

    region = Region.objects.get(code="140000")
    for kind, scopes in (("bank", ["payroll.read"]), ("finance", ["payroll.bank_results"])):
        with pytest.raises(InvalidInput) as refused:
            keys.api_client_create(
                actor=staff["admin"], name=f"No bank {kind}", kind=kind, region=region,
                scopes=scopes,
            )  # fmt: skip
        assert refused.value.code == "bank_name_required"
    assert not ApiClient.objects.filter(name__startswith="No bank").exists()
    client, _key = keys.api_client_create(
        actor=staff["admin"], name="ICBC", kind="bank", region=region,
        scopes=["payroll.bank_results"], bank_name=" 中国工商银行 ",
    )  # fmt: skip
    assert client.bank_name == "中国工商银行"
    # an update without bank_name keeps it; one that empties it is refused
    keys.api_client_update(
        actor=staff["admin"], client=client, name="ICBC", kind="bank", region=region,
        scopes=["payroll.read", "payroll.bank_results"],
    )  # fmt: skip
    client.refresh_from_db()
    assert client.bank_name == "中国工商银行"
    with pytest.raises(InvalidInput):
        keys.api_client_update(
            actor=staff["admin"], client=client, name="ICBC", kind="bank", region=region,
            scopes=["payroll.bank_results"], bank_name="",
        )  # fmt: skip
    client.refresh_from_db()
    assert client.bank_name == "中国工商银行"
    # the database refuses it too
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiClient.objects.filter(pk=client.pk).update(bank_name="")


def test_the_admin_form_keeps_the_bank_name(client, staff):
    region = Region.objects.get(code="140100")
    client.force_login(staff["admin"])
    form = {
        "name": "CCB system", "kind": "bank", "region": region.pk,
        "bank_name": "中国建设银行", "scopes": "payroll.read,payroll.bank_results",
    }  # fmt: skip
    response = client.post("/admin/pension/apiclient/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = ApiClient.objects.get(name="CCB system")
    assert saved.bank_name == "中国建设银行"
    logged = ChangeLogEntry.objects.get(object_type="pension.apiclient", object_id=str(saved.pk))
    assert logged.after["bank_name"] == "中国建设银行"
    # a change of bank through the admin is kept and logged
    form["bank_name"] = "中国银行"
    response = client.post(f"/admin/pension/apiclient/{saved.pk}/change/", form)
    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.bank_name == "中国银行"
    assert (
        ChangeLogEntry.objects.filter(
            object_type="pension.apiclient", object_id=str(saved.pk), action="update"
        )
        .latest("id")
        .after["bank_name"]
        == "中国银行"
    )
    # without a bank name the form is refused and nothing changes
    form["bank_name"] = ""
    response = client.post(f"/admin/pension/apiclient/{saved.pk}/change/", form)
    assert response.status_code == 200
    saved.refresh_from_db()
    assert saved.bank_name == "中国银行"
