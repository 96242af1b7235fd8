"""Sign-in security (DESIGN §2.4, §13.5): the failed-sign-in lockout and the TOTP
second factor (动态口令).

Pages are read in English (the language cookie), except the wrong-password message,
which is checked in Chinese as the browser test does."""

from __future__ import annotations

import os
import subprocess
import sys
from base64 import b32encode

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pension import security
from pension.models import ChangeAction, ChangeLogEntry

pytestmark = pytest.mark.django_db

WRONG_ZH = "用户名或密码错误，请重试。"
WRONG_EN = "The user name or password is wrong. Please try again."
# LOGIN_LOCKOUT_SECONDS = 120 s → 2 minutes
LOCKED_2_MIN = "This user name is locked after too many failed sign-ins. Try again in 2 minute(s)."
WRONG_CODE = "The code is wrong or has expired. Please try again."
HERE = "127.0.0.1"  # the test client's address
THERE = "203.0.113.9"  # an attacker's


@pytest.fixture(autouse=True)
def _small_limits(settings, client):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_SECONDS = 120
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    cache.clear()  # the counters live in the test Redis, shared by the run
    yield
    cache.clear()


def _sign_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def _errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def _log(username: str) -> list[tuple[str, str]]:
    rows = ChangeLogEntry.objects.filter(object_type="pension.staffuser", object_id=username)
    return list(rows.order_by("id").values_list("action", "reason"))


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _wrong_code(device: TOTPDevice) -> str:
    return f"{(int(_code(device)) + 500_000) % 1_000_000:06d}"


# --- lockout ---------------------------------------------------------------------------


def test_wrong_password_shows_the_chinese_message_and_is_logged(client, staff, settings):
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]

    response = _sign_in(client, "caseworker", "not-the-password")

    assert response.status_code == 200
    assert _errors(response) == [WRONG_ZH]
    assert f'<p class="error" role="alert">{WRONG_ZH}</p>' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _log("caseworker") == [
        (ChangeAction.LOGIN_FAILED, "wrong user name or password (1 of 3 in a row)")
    ]
    entry = ChangeLogEntry.objects.get(object_id="caseworker")
    assert (entry.actor_id, entry.object_repr, entry.client_address) == (
        None,
        "caseworker",
        "127.0.0.1",
    )


def test_repeated_failures_lock_the_user_name_even_for_the_right_password(
    client, staff, demo_password
):
    for _ in range(2):
        assert _errors(_sign_in(client, "caseworker", "nope")) == [WRONG_EN]
    third = _sign_in(client, "CaseWorker", "nope")  # case-insensitive: the same user name
    assert _errors(third) == [LOCKED_2_MIN]
    assert 118 <= security.lock_remaining("caseworker", HERE) <= 120

    refused = _sign_in(client, "caseworker", demo_password)

    assert _errors(refused) == [LOCKED_2_MIN]
    assert f'<p class="error" role="alert">{LOCKED_2_MIN}</p>' in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert _log("caseworker") == [
        (ChangeAction.LOGIN_FAILED, "wrong user name or password (1 of 3 in a row)"),
        (ChangeAction.LOGIN_FAILED, "wrong user name or password (2 of 3 in a row)"),
        (ChangeAction.LOGIN_FAILED, "wrong user name or password (3 of 3 in a row)"),
        (ChangeAction.LOCKOUT, "3 failed sign-ins in a row; locked for 120 seconds"),
    ]  # the refusal while locked is counted, not logged
    assert ChangeLogEntry.objects.get(action=ChangeAction.LOCKOUT).object_repr == "CaseWorker"
    # another user name is not affected
    assert _sign_in(client, "reviewer", demo_password).status_code == 302


def test_the_lock_message_counts_whole_minutes(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    settings.LOGIN_LOCKOUT_SECONDS = 900

    response = _sign_in(client, "caseworker", "nope")

    # 900 s = 15 minutes
    assert _errors(response) == [
        "This user name is locked after too many failed sign-ins. Try again in 15 minute(s)."
    ]


def test_sign_in_works_again_once_the_lock_has_expired(client, staff, demo_password):
    for _ in range(3):
        _sign_in(client, "caseworker", "nope")
    assert security.lock_remaining("caseworker", HERE) > 0

    security.clear_failures("caseworker", HERE)  # what the cache's expiry does after 120 s

    response = _sign_in(client, "caseworker", demo_password)
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(staff["caseworker"].pk)


def test_a_success_resets_the_count(client, staff, demo_password):
    _sign_in(client, "caseworker", "nope")
    _sign_in(client, "caseworker", "nope")
    assert security.failure_count("caseworker", HERE) == 2

    assert _sign_in(client, "caseworker", demo_password).status_code == 302
    assert security.failure_count("caseworker") == 0
    client.logout()

    # two more failures do not reach the limit of 3: the count started again
    _sign_in(client, "caseworker", "nope")
    _sign_in(client, "caseworker", "nope")
    assert security.lock_remaining("caseworker", HERE) == 0
    assert _sign_in(client, "caseworker", demo_password).status_code == 302
    assert not ChangeLogEntry.objects.filter(action=ChangeAction.LOCKOUT).exists()


def test_unknown_user_names_are_counted_not_logged(client, demo_tiny):
    logged = ChangeLogEntry.objects.count()
    for _ in range(3):
        _sign_in(client, "nobody-here", "nope")
    assert security.lock_remaining("nobody-here", HERE) > 0
    assert ChangeLogEntry.objects.count() == logged  # no row per failure, no lockout row
    assert security.sign_in_counters()["unknown_user_name"] == 3


def _wait_out(username: str, address: str) -> None:
    """What the cache's expiry does once the delay has passed (the counts stay)."""
    name = security.normalise_username(username)
    cache.delete_many(
        [security._key("pair-locked", f"{name}\x00{address}"), security._key("user-locked", name)]
    )


def test_the_delay_doubles_with_each_further_failure(client, staff, settings):
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 400
    for _ in range(3):
        _sign_in(client, "caseworker", "nope")
    # LOGIN_LOCKOUT_SECONDS = 120 at the 3rd failure; then 120 × 2 = 240; then 480,
    # capped at 400
    for expected in (120, 240, 400):
        assert expected - 2 <= security.lock_remaining("caseworker", HERE) <= expected
        _wait_out("caseworker", HERE)
        _sign_in(client, "caseworker", "nope")
    assert [r for a, r in _log("caseworker") if a == ChangeAction.LOCKOUT][-1] == (
        "6 failed sign-ins in a row; locked for 400 seconds"
    )


def test_an_attacker_elsewhere_cannot_lock_the_user_out(client, staff, demo_password):
    for attempt in range(6):  # from the attacker's address, waiting out each delay
        client.post("/login/", {"username": "caseworker", "password": "x"}, REMOTE_ADDR=THERE)
        if security.lock_remaining("caseworker", THERE) and attempt < 5:
            _wait_out("caseworker", THERE)
    # the attacker's address is locked for 120 × 2³ = 960 s; the user name from every
    # address waits only 1 × 2³ = 8 s (at most LOGIN_USER_DELAY_MAX_SECONDS, 60)
    assert security.lock_remaining("caseworker", THERE) >= 958
    assert 0 < security.lock_remaining("caseworker", HERE) <= 8
    name = security.normalise_username("caseworker")
    cache.delete(security._key("user-locked", name))  # the 8 s have passed

    response = _sign_in(client, "caseworker", demo_password)  # the user, from HERE

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff["caseworker"].pk)


def test_one_address_trying_many_names_is_locked(client, staff, settings, demo_password):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for name in ("a1", "b2", "c3", "d4"):
        client.post("/login/", {"username": name, "password": "x"}, REMOTE_ADDR=THERE)

    refused = client.post(
        "/login/", {"username": "reviewer", "password": demo_password}, REMOTE_ADDR=THERE
    )

    assert _errors(refused) == [
        "Too many failed sign-ins from this computer. Try again in 2 minute(s)."
    ]
    lockouts = ChangeLogEntry.objects.filter(object_type="pension.clientaddress")
    assert list(lockouts.values_list("object_id", "reason")) == [
        (THERE, "4 failed sign-ins from this address; locked for 120 seconds")
    ]
    assert _sign_in(client, "reviewer", demo_password).status_code == 302  # from HERE


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0f8a3c5e-7b1d-4e2a-9c6f-1a2b3c4d5e6f", True),
        ("proxy.req_12345678", True),
        ("short", False),
        ("x" * 65, False),
        ("<script>alert(1)</script>", False),
        ("abcdefgh\nX-Injected: 1", False),
        ("ａｂｃｄｅｆｇｈｉ", False),  # full-width letters
    ],
)
def test_a_clients_request_id_is_kept_only_when_it_is_plain(client, demo_tiny, given, kept):
    response = client.post(
        "/login/", {"username": "nobody", "password": "x"}, HTTP_X_REQUEST_ID=given
    )
    returned = response["X-Request-ID"]
    if kept:
        assert returned == given
    else:
        assert returned != given and len(returned) == 32 and int(returned, 16) >= 0


# --- the second factor -----------------------------------------------------------------


@pytest.fixture
def two_factor(settings):
    settings.REQUIRE_SECOND_FACTOR = True


@pytest.fixture
def enrolled(staff):
    return TOTPDevice.objects.create(user=staff["caseworker"], name="TOTP", confirmed=True)


def test_without_a_device_every_page_leads_to_enrolment(client, staff, demo_password, two_factor):
    response = _sign_in(client, "caseworker", demo_password)
    assert response.url == "/"

    assert client.get("/").url == "/second-factor/enrol/?next=%2F"
    assert client.get("/enrollment/").url == "/second-factor/enrol/?next=%2Fenrollment%2F"
    assert client.get("/admin/").url == "/second-factor/enrol/?next=%2Fadmin%2F"
    assert client.get("/login/").url == "/second-factor/enrol/?next=%2Flogin%2F"
    assert client.get("/second-factor/verify/?next=/funds/").url == (
        "/second-factor/enrol/?next=%2Ffunds%2F"
    )
    # htmx requests get a client-side redirect rather than a page swapped into a fragment
    htmx = client.get("/enrollment/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/second-factor/enrol/?next=%2Fenrollment%2F"
    # signing out stays possible
    assert client.post("/logout/").url == "/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/i18n/setlang/", "/api/v1/enrollment/employers/", "/static/css/app.css"],
)
def test_the_open_paths_pass_unverified_users(staff, two_factor, path):
    request = RequestFactory().get(path)
    request.user = staff["caseworker"]
    request.user.is_verified = lambda: False
    middleware = security.RequireSecondFactorMiddleware(lambda r: HttpResponse("passed"))

    assert middleware(request).content == b"passed"

    request = RequestFactory().get("/budget/")
    request.user = staff["caseworker"]
    request.user.is_verified = lambda: False
    assert middleware(request).url == "/second-factor/enrol/?next=%2Fbudget%2F"


def test_enrolment_page_shows_the_qr_code_and_the_key(client, staff, two_factor):
    client.force_login(staff["caseworker"])

    html = client.get("/second-factor/enrol/?next=/enrollment/").content.decode()

    device = TOTPDevice.objects.get(user=staff["caseworker"])
    assert device.confirmed is False
    assert "<h1>Set up the dynamic password</h1>" in html
    assert '<svg width="' in html and 'class="qr"><title>' in html
    assert "<title>QR code for the authenticator app</title>" in html
    secret = b32encode(device.bin_key).decode()
    assert len(secret) == 32  # a 20-byte key is 32 base32 characters, no padding
    grouped = " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert f'<code class="otp-secret">{grouped}</code>' in html
    assert '<input type="hidden" name="next" value="/enrollment/">' in html
    assert device.config_url.startswith("otpauth://totp/")
    assert f"secret={secret}" in device.config_url
    # a reload keeps the same device and key (the app may already hold it)
    client.get("/second-factor/enrol/")
    assert list(TOTPDevice.objects.filter(user=staff["caseworker"])) == [device]


def test_enrolling_with_the_right_code_opens_the_pages(client, staff, two_factor):
    client.force_login(staff["caseworker"])
    client.get("/second-factor/enrol/")
    device = TOTPDevice.objects.get(user=staff["caseworker"])

    response = client.post(
        "/second-factor/enrol/", {"token": _code(device), "next": "/enrollment/"}
    )

    assert response.status_code == 302
    assert response.url == "/enrollment/"
    device.refresh_from_db()
    assert device.confirmed is True
    home = client.get("/")
    assert home.status_code == 200
    assert "<h1>Home</h1>" in home.content.decode()
    assert client.get("/enrollment/").status_code == 200
    entry = ChangeLogEntry.objects.get(object_type="otp_totp.totpdevice")
    assert (entry.action, entry.actor_id, entry.object_id, entry.reason) == (
        ChangeAction.CREATE,
        staff["caseworker"].pk,
        str(device.pk),
        "second factor enrolled",
    )


def test_an_offsite_next_is_ignored(client, staff, two_factor):
    client.force_login(staff["caseworker"])
    client.get("/second-factor/enrol/")
    device = TOTPDevice.objects.get(user=staff["caseworker"])

    response = client.post(
        "/second-factor/enrol/", {"token": _code(device), "next": "https://evil.example/"}
    )

    assert response.url == "/"


def test_a_wrong_enrolment_code_is_refused(client, staff, two_factor):
    client.force_login(staff["caseworker"])
    client.get("/second-factor/enrol/")
    device = TOTPDevice.objects.get(user=staff["caseworker"])

    response = client.post("/second-factor/enrol/", {"token": _wrong_code(device)})

    assert response.status_code == 200
    assert _errors(response) == [WRONG_CODE]
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/").url == "/second-factor/enrol/?next=%2F"
    assert _log("caseworker") == [
        (ChangeAction.LOGIN_FAILED, "wrong second-factor code (1 of 3 in a row)")
    ]
    # django-otp makes the next try wait a second: a code sent at once is refused
    too_soon = client.post("/second-factor/enrol/", {"token": _code(device)})
    assert _errors(too_soon) == ["Too many wrong codes in a row. Wait a few seconds and try again."]
    device.refresh_from_db()
    assert device.confirmed is False


def test_a_malformed_code_is_refused_without_counting(client, staff, two_factor):
    client.force_login(staff["caseworker"])
    client.get("/second-factor/enrol/")

    response = client.post("/second-factor/enrol/", {"token": "12ab56"})

    assert response.context["form"].errors["token"] == ["Enter the six digits that the app shows."]
    assert security.failure_count("caseworker") == 0


def test_a_user_with_a_device_is_sent_to_verify_not_enrolment(
    client, staff, demo_password, two_factor, enrolled
):
    _sign_in(client, "caseworker", demo_password)

    assert client.get("/").url == "/second-factor/verify/?next=%2F"
    assert client.get("/enrollment/").url == "/second-factor/verify/?next=%2Fenrollment%2F"
    assert client.get("/second-factor/enrol/").url == "/second-factor/verify/"
    page = client.get("/second-factor/verify/?next=/benefits/").content.decode()
    assert "Enter the six-digit code that your authenticator app shows." in page
    # no second device with the password alone
    assert list(TOTPDevice.objects.filter(user=staff["caseworker"])) == [enrolled]

    wrong = client.post("/second-factor/verify/", {"token": _wrong_code(enrolled)})
    assert _errors(wrong) == [WRONG_CODE]
    assert client.get("/").status_code == 302

    enrolled.throttle_reset()  # instead of waiting out django-otp's one-second delay
    right = client.post("/second-factor/verify/", {"token": _code(enrolled), "next": "/benefits/"})
    assert right.url == "/benefits/"
    assert client.get("/").status_code == 200
    assert security.failure_count("caseworker") == 0


def test_wrong_codes_count_towards_the_lockout(client, staff, demo_password, two_factor, enrolled):
    _sign_in(client, "caseworker", demo_password)

    for _ in range(2):
        wrong = client.post("/second-factor/verify/", {"token": _wrong_code(enrolled)})
        assert _errors(wrong) == [WRONG_CODE]
        enrolled.throttle_reset()
    response = client.post("/second-factor/verify/", {"token": _wrong_code(enrolled)})

    # locked: signed out, and told why on the sign-in page
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session
    assert LOCKED_2_MIN in client.get("/login/").content.decode()
    assert _errors(_sign_in(client, "caseworker", demo_password)) == [LOCKED_2_MIN]
    assert _log("caseworker") == [
        (ChangeAction.LOGIN_FAILED, "wrong second-factor code (1 of 3 in a row)"),
        (ChangeAction.LOGIN_FAILED, "wrong second-factor code (2 of 3 in a row)"),
        (ChangeAction.LOGIN_FAILED, "wrong second-factor code (3 of 3 in a row)"),
        (ChangeAction.LOCKOUT, "3 failed sign-ins in a row; locked for 120 seconds"),
    ]  # the refusal while locked is counted, not logged


def test_without_the_setting_nothing_asks_for_a_second_factor(client, staff):
    assert django_settings.REQUIRE_SECOND_FACTOR is False
    client.force_login(staff["caseworker"])
    assert client.get("/").status_code == 200


def test_production_settings_require_the_second_factor():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="pension.settings.production",
        SECRET_KEY="k4!Tq9#Lm2@Xv7$Rw5^Zb8&Yh1*Cf6(Dj3)Gs0-Ea_Uo+Ni=Pe{Lw}Qy|Nx~BvMz",
        DATABASE_URL="postgres://x:y@db.example/p",
        REDIS_URL="redis://r.example:6379/0",
        ALLOWED_HOSTS="x.example",
        CHANGE_LOG_ANCHOR_KEY="Zt8#Qw2!Lm5@Xv9$Rk4^Bn7&Yh3*Cf0(Dj6)",
    )
    code = "from django.conf import settings; print(settings.REQUIRE_SECOND_FACTOR)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


@translation.override("en")
def test_the_admin_sign_in_form_counts_towards_the_same_lockout(rf, staff, demo_password):
    def attempt(password: str) -> security.ThrottledAdminAuthenticationForm:
        request = rf.post("/admin/login/")
        data = {"username": "admin", "password": password}
        return security.ThrottledAdminAuthenticationForm(request, data=data)

    for _ in range(3):
        assert not attempt("nope").is_valid()
    refused = attempt(demo_password)
    assert not refused.is_valid()
    assert refused.non_field_errors() == [LOCKED_2_MIN]
    assert [action for action, _ in _log("admin")][-1] == ChangeAction.LOCKOUT
    # and a non-staff user is refused as the admin site does
    security.clear_failures("caseworker")
    request = rf.post("/admin/login/")
    form = security.ThrottledAdminAuthenticationForm(
        request, data={"username": "caseworker", "password": demo_password}
    )
    assert not form.is_valid()
    assert form.non_field_errors() == [WRONG_EN]
