"""Sign-in security (DESIGN §2.4, §13.5 "dynamic passwords"): failed-sign-in lockout and
the TOTP second factor (动态口令).

- ``ThrottledAuthenticationForm`` counts failed sign-ins per user name
  (case-insensitive) in the cache. After ``LOGIN_FAILURE_LIMIT`` failures in a row the
  user name is locked for ``LOGIN_LOCKOUT_SECONDS``; while locked, even the right
  password is refused. Wrong second-factor codes count towards the same lockout.
  Every failure and every lockout is written to the change log.
- ``RequireSecondFactorMiddleware``: with ``REQUIRE_SECOND_FACTOR``, a signed-in user
  whose session is not OTP-verified reaches only the enrolment page (no confirmed TOTP
  device yet) or the verify page, sign-out, static files, ``/healthz``, ``/i18n/`` and
  ``/api/`` (which authenticates on its own).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pension.changelog import record
from pension.models import ChangeAction
from pension.watch import mark_logged

STAFF_OBJECT_TYPE = "pension.staffuser"
_CACHE_PREFIX = "pension:sign-in"

INVALID_LOGIN = _("The user name or password is wrong. Please try again.")
LOCKED = _(
    "This user name is locked after too many failed sign-ins. Try again in %(minutes)s minute(s)."
)
WRONG_CODE = _("The code is wrong or has expired. Please try again.")
CODE_FORMAT = _("Enter the six digits that the app shows.")
THROTTLED = _("Too many wrong codes in a row. Wait a few seconds and try again.")


# --- failure counting and lockout ----------------------------------------------------


def normalise_username(username: str) -> str:
    """The user name as the counters know it: case-insensitive."""
    return (username or "").strip().casefold()


def _key(kind: str, username: str) -> str:
    # hashed: a user name may hold any character and be up to 150 long
    digest = hashlib.sha256(normalise_username(username).encode("utf-8")).hexdigest()
    return f"{_CACHE_PREFIX}:{kind}:{digest[:40]}"


def _log(action: str, username: str, reason: str) -> None:
    record(
        actor=None,
        action=action,
        object_type=STAFF_OBJECT_TYPE,
        object_id=normalise_username(username)[:64],
        object_repr=username[:200],
        reason=reason,
    )


def lock_remaining(username: str) -> int:
    """Seconds the user name stays locked; 0 when it is not locked."""
    until = cache.get(_key("locked", username))
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def failure_count(username: str) -> int:
    """Failed sign-ins in a row so far (reset by a success or by a lockout)."""
    return int(cache.get(_key("failures", username)) or 0)


def register_failure(username: str, *, reason: str) -> int:
    """Count one failed sign-in and log it; lock the user name at the limit.

    Returns the seconds the user name is now locked for (0 when it is not locked).
    The count lives as long as a lockout would, from the first failure of the series.
    """
    limit = settings.LOGIN_FAILURE_LIMIT
    lock_seconds = settings.LOGIN_LOCKOUT_SECONDS
    key = _key("failures", username)
    cache.add(key, 0, timeout=lock_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=lock_seconds)
        count = 1
    _log(ChangeAction.LOGIN_FAILED, username, f"{reason} ({count} of {limit} in a row)")
    if count < limit:
        return 0
    cache.delete(key)
    # add, not set: of two concurrent failures only one locks and logs the lockout
    if cache.add(_key("locked", username), time.time() + lock_seconds, timeout=lock_seconds):
        _log(
            ChangeAction.LOCKOUT,
            username,
            f"{count} failed sign-ins in a row; locked for {lock_seconds} seconds",
        )
    return lock_remaining(username) or lock_seconds


def clear_failures(username: str) -> None:
    """Forget the user name's failures and lift its lock (a success, or an unlock)."""
    cache.delete_many([_key("failures", username), _key("locked", username)])


def locked_error(seconds: int) -> ValidationError:
    minutes = max(1, math.ceil(seconds / 60))
    return ValidationError(LOCKED, code="locked", params={"minutes": minutes})


def locked_message(seconds: int) -> str:
    return locked_error(seconds).messages[0]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form with the lockout: a locked user name is refused before
    its password is checked, and a success resets the count."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN,
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        remaining = lock_remaining(username)
        if remaining:
            _log(ChangeAction.LOGIN_FAILED, username, "refused: the user name is locked")
            raise locked_error(remaining)
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            locked = register_failure(username, reason="wrong user name or password")
            if locked:
                raise locked_error(locked)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        clear_failures(username)
        return self.cleaned_data


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin site's sign-in with the same lockout (``admin.site.login_form``), so
    that ``/admin/login/`` is no way around it."""


# --- the TOTP second factor ----------------------------------------------------------


class SecondFactorForm(forms.Form):
    """The six-digit code from the authenticator app (spaces are ignored)."""

    token = forms.CharField(label=_("Six-digit code"), max_length=12)

    def clean_token(self) -> str:
        token = re.sub(r"\s", "", self.cleaned_data["token"])
        if not re.fullmatch(r"\d{6}", token):
            raise ValidationError(CODE_FORMAT, code="format")
        return token


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed TOTP device (enrolment makes at most one)."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def pending_totp_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled; made on first use, kept across reloads so
    that a code scanned before a reload still matches."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        # the user's own, unconfirmed: its confirmation is the logged enrolment
        device = mark_logged(TOTPDevice(user=user, name="TOTP", confirmed=False))
        device.save()
    return device


def check_second_factor(
    request: HttpRequest, device: TOTPDevice, token: str, *, enrolling: bool = False
) -> tuple[bool, ValidationError | None, int]:
    """Check a code for the signed-in user.

    Returns ``(verified, error, locked_seconds)``. On success the session is verified
    (``django_otp.login``), the failures are forgotten and, when ``enrolling``, the
    device is confirmed and the enrolment logged. A refused code counts towards the
    sign-in lockout; ``locked_seconds`` > 0 means the user name is now locked.
    """
    username = request.user.get_username()
    remaining = lock_remaining(username)
    if remaining:
        return False, locked_error(remaining), remaining
    allowed, _data = device.verify_is_allowed()
    if not allowed:  # django-otp's delay after a wrong code: 1, 2, 4 … seconds
        locked = register_failure(username, reason="second-factor code refused: too soon")
        return False, ValidationError(THROTTLED, code="throttled"), locked
    with transaction.atomic():
        verified = device.verify_token(token)
        if verified and enrolling:
            device.confirmed = True
            mark_logged(device).save(update_fields=["confirmed"])
            record(
                actor=request.user,
                action=ChangeAction.CREATE,
                object_type="otp_totp.totpdevice",
                object_id=device.pk,
                object_repr=f"TOTP {username}"[:200],
                reason="second factor enrolled",
            )
    if not verified:
        locked = register_failure(username, reason="wrong second-factor code")
        return False, ValidationError(WRONG_CODE, code="wrong_code"), locked
    otp_login(request, device)
    request.session.cycle_key()
    clear_failures(username)
    return True, None, 0


# --- the middleware ------------------------------------------------------------------

_OPEN_PREFIXES = ("/healthz", "/i18n/", "/api/")


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class RequireSecondFactorMiddleware:
    """With ``REQUIRE_SECOND_FACTOR``, send a signed-in but unverified user to enrol
    (no confirmed TOTP device) or to verify, with ``?next=`` the page they asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.REQUIRE_SECOND_FACTOR:  # read per request: tests override it
            response = self._refuse(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        is_verified = getattr(user, "is_verified", None)
        if is_verified is not None and is_verified():
            return None
        path = request.path_info
        static = settings.STATIC_URL or ""
        if path.startswith(_OPEN_PREFIXES) or (static.startswith("/") and path.startswith(static)):
            return None
        if path == reverse("logout"):
            return None
        enrol, verify = reverse("second_factor_enrol"), reverse("second_factor_verify")
        target = verify if confirmed_totp_device(user) is not None else enrol
        if path == target:
            return None
        if path in (enrol, verify):  # the other second-factor page: keep its next
            next_url = request.GET.get("next", "")
        else:
            next_url = request.get_full_path()
        url = _with_next(target, next_url)
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)
