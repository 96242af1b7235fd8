"""Headers and API hardening (issue 13): a rate limit per API client and scope (429 in
the error envelope), keys with an expiry (401 api_key_expired), the schema and docs only
after a full sign-in, and the Content-Security-Policy on every answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pension.api import keys
from pension.models import ApiCallLog, Region

URL = "/api/test/things/"

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _make(staff, name: str, **extra):
    return keys.api_client_create(
        actor=staff["admin"], name=name, kind="tax",
        region=Region.objects.get(code="140000"), scopes=["test.read"], **extra,
    )  # fmt: skip


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture
def rates(settings):
    cache.clear()  # the counts live in the test Redis
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute", "export": "1/minute", "bank": "1/minute"},
    }
    yield
    cache.clear()


@pytest.mark.urls("tests.api_urls")
def test_each_client_has_its_own_rate_and_is_told_to_wait_with_429(client, staff, rates):
    first, first_key = _make(staff, "Tax A")
    _second, second_key = _make(staff, "Tax B")
    _english(client)
    for _ in range(3):  # "api": 3 a minute
        assert client.get(URL, **_auth(first_key)).status_code == 200

    refused = client.get(URL, **_auth(first_key))

    assert refused.status_code == 429
    body = refused.json()["error"]
    assert body["code"] == "throttled"
    assert "throttled" in body["message"].lower()
    assert 0 < int(refused["Retry-After"]) <= 60
    # the other system is not affected, and the refusal is in the first one's call log
    assert client.get(URL, **_auth(second_key)).status_code == 200
    assert ApiCallLog.objects.filter(client=first, status_code=429).count() == 1


def test_the_export_scope_has_its_own_rate(client, staff, rates):
    _api_client, key = keys.api_client_create(
        actor=staff["admin"], name="Tax export", kind="tax",
        region=Region.objects.get(code="140000"), scopes=["enrollment.read"],
    )  # fmt: skip
    url = "/api/v1/enrollment/persons/"
    assert client.get(url, **_auth(key)).status_code == 200
    assert client.get(url, **_auth(key)).status_code == 429  # "export": 1 a minute


@pytest.mark.urls("tests.api_urls")
def test_an_expired_key_is_refused_with_401_and_a_clear_message(client, staff):
    api_client, key = _make(staff, "Tax expiring", expires_at=timezone.now() + timedelta(days=1))
    assert _english(client).get(URL, **_auth(key)).status_code == 200

    keys.api_client_update(
        actor=staff["admin"], client=api_client, name=api_client.name, kind=api_client.kind,
        region=api_client.region, scopes=api_client.scopes,
        expires_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    refused = client.get(URL, **_auth(key))

    assert refused.status_code == 401
    error = refused.json()["error"]
    assert error["code"] == "api_key_expired"
    assert error["message"].startswith("The API key expired on ")
    assert error["message"].endswith("Ask the province's administrator for a new key.")
    # no expiry again: the key works
    keys.api_client_update(
        actor=staff["admin"], client=api_client, name=api_client.name, kind=api_client.kind,
        region=api_client.region, scopes=api_client.scopes, expires_at=None,
    )  # fmt: skip
    assert client.get(URL, **_auth(key)).status_code == 200


def test_the_schema_and_docs_need_the_second_factor_where_it_is_required(client, staff, settings):
    settings.REQUIRE_SECOND_FACTOR = True
    user = staff["caseworker"]
    client.force_login(user)  # the password only: not verified
    for url in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/enrollment/persons/"):
        assert client.get(url).status_code in (401, 403), url

    device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # what django_otp.login stores
    session.save()

    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # the split view: settings in a script file


def test_every_page_carries_the_content_security_policy(client, staff):
    client.force_login(staff["caseworker"])
    for url in ("/login/", "/", "/enrollment/people/", "/api/v1/schema/"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.split(" ", 1) for d in policy.split("; "))
        assert directives["script-src"] == "'self'", url  # no inline, no eval
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
