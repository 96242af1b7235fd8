"""Sign-in security (DESIGN §2.4, §13.5 "dynamic passwords"): failed-sign-in lockout and
the TOTP second factor (动态口令).

- ``ThrottledAuthenticationForm`` counts failed sign-ins per user name
  (case-insensitive) and client address, per user name, and per address, in the cache
  (see "failure counting" below for the growing delays); while locked, even the right
  password is refused. Wrong second-factor codes count towards the same lockout.
  Failures and lockouts of staff user names are written to the change log; failures
  for unknown names, and attempts while locked, are only counted.
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
from django.utils.translation import gettext_noop
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
ADDRESS_LOCKED = _(
    "Too many failed sign-ins from this computer. Try again in %(minutes)s minute(s)."
)
WRONG_CODE = _("The code is wrong or has expired. Please try again.")
CODE_FORMAT = _("Enter the six digits that the app shows.")
THROTTLED = _("Too many wrong codes in a row. Wait a few seconds and try again.")


# --- failure counting and lockout ----------------------------------------------------
#
# Three counters, each in the cache (Redis), kept for LOGIN_FAILURE_MEMORY_SECONDS after
# the last failure:
# - per user name and client address: from the LOGIN_FAILURE_LIMIT-th failure in a row
#   the pair is locked for LOGIN_LOCKOUT_SECONDS, doubled at each further failure, at
#   most LOGIN_LOCKOUT_MAX_SECONDS. Guessing from one address is slowed to nothing,
#   while the user, from their own address, is not locked by it;
# - per user name from every address: the same count, but a short delay (1 s doubled
#   per failure, at most LOGIN_USER_DELAY_MAX_SECONDS): a guesser using many addresses
#   gets one try per delay, and the user waits at most that long, never for ever;
# - per client address, over every user name: from LOGIN_ADDRESS_FAILURE_LIMIT failures,
#   locked like the pair (one address trying many names, known or not).
# While locked, nothing is checked and nothing is counted towards the lock, so waiting
# out the delay is the only way on. Failures for user names nobody has are counted (a
# daily counter, ``sign_in_counters``), not written to the change log one by one.


def normalise_username(username: str) -> str:
    """The user name as the counters know it: case-insensitive."""
    return (username or "").strip().casefold()


def _key(kind: str, ident: str) -> str:
    # hashed: a user name may hold any character and be up to 150 long
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()
    return f"{_CACHE_PREFIX}:{kind}:{digest[:40]}"


def _address(address: str | None) -> str:
    """The client address: given, or the current request's (``pension.context``)."""
    if address is not None:
        return address
    from pension.context import current

    return current().client_address or ""


def _idents(username: str, address: str) -> dict[str, str]:
    name = normalise_username(username)
    idents = {"pair": f"{name}\x00{address}", "user": name}
    if address:
        idents["address"] = address
    return idents


def _limits(kind: str) -> tuple[int, int, int]:
    """(failures before the delay starts, first delay, longest delay) in seconds."""
    if kind == "user":
        return settings.LOGIN_FAILURE_LIMIT, 1, settings.LOGIN_USER_DELAY_MAX_SECONDS
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT if kind == "address" else (
        settings.LOGIN_FAILURE_LIMIT
    )  # fmt: skip
    return limit, settings.LOGIN_LOCKOUT_SECONDS, settings.LOGIN_LOCKOUT_MAX_SECONDS


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        count = 1
    cache.touch(key, timeout)
    return count


def _remaining(key: str) -> int:
    until = cache.get(key)
    return 0 if until is None else max(0, math.ceil(until - time.time()))


def _is_staff_user_name(username: str) -> bool:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    lookup = {f"{model.USERNAME_FIELD}__iexact": (username or "").strip()}
    return model.objects.filter(**lookup).exists()


def _log(action: str, username: str, reason: str) -> None:
    record(
        actor=None,
        action=action,
        object_type=STAFF_OBJECT_TYPE,
        object_id=normalise_username(username)[:64],
        object_repr=username[:200],
        reason=reason,
    )


def _count_today(what: str) -> None:
    key = f"{_CACHE_PREFIX}:count:{what}:{time.strftime('%Y-%m-%d', time.gmtime())}"
    _incr(key, 40 * 86400)


def sign_in_counters(day: str | None = None) -> dict[str, int]:
    """What is counted, not logged, on a day (UTC, ``YYYY-MM-DD``; today by default):
    failed sign-ins for user names nobody has, and attempts refused while locked."""
    day = day or time.strftime("%Y-%m-%d", time.gmtime())
    return {
        what: int(cache.get(f"{_CACHE_PREFIX}:count:{what}:{day}") or 0)
        for what in ("unknown_user_name", "refused_while_locked")
    }


def lock_state(username: str, address: str | None = None) -> tuple[int, str]:
    """Seconds the user name is locked from this address (0: not locked), and by what:
    ``"address"`` when the address itself is locked, else ``"user"``."""
    idents = _idents(username, _address(address))
    by_address = _remaining(_key("address-locked", idents["address"])) if "address" in idents else 0
    by_user = max(_remaining(_key(f"{kind}-locked", idents[kind])) for kind in ("pair", "user"))
    if by_address > by_user:
        return by_address, "address"
    return by_user, "user"


def lock_remaining(username: str, address: str | None = None) -> int:
    """Seconds the user name stays locked from this address; 0 when it is not locked."""
    return lock_state(username, address)[0]


def failure_count(username: str, address: str | None = None) -> int:
    """Failed sign-ins in a row for the user name from this address."""
    key = _key("failures", _idents(username, _address(address))["pair"])
    return int(cache.get(key) or 0)


def register_failure(username: str, *, reason: str, address: str | None = None) -> int:
    """Count one failed sign-in, lock what reached its limit, and log it when the user
    name is a staff user's (unknown names are only counted).

    Returns the seconds the user name is now locked for from this address (0: not).
    """
    address = _address(address)
    known = _is_staff_user_name(username)
    counts: dict[str, int] = {}
    locked: dict[str, int] = {}
    for kind, ident in _idents(username, address).items():
        limit, first, longest = _limits(kind)
        counts[kind] = count = _incr(_key("failures", ident), settings.LOGIN_FAILURE_MEMORY_SECONDS)
        if count >= limit:
            delay = min(longest, first * 2 ** min(count - limit, 32))
            cache.set(_key(f"{kind}-locked", ident), time.time() + delay, timeout=delay)
            locked[kind] = delay
    if known:
        limit = settings.LOGIN_FAILURE_LIMIT
        in_a_row = f"{reason} ({counts['pair']} of {limit} in a row)"
        _log(ChangeAction.LOGIN_FAILED, username, in_a_row)
        if "pair" in locked:
            _log(
                ChangeAction.LOCKOUT,
                username,
                f"{counts['pair']} failed sign-ins in a row; locked for {locked['pair']} seconds",
            )
    else:
        _count_today("unknown_user_name")
    if "address" in locked:
        record(
            actor=None,
            action=ChangeAction.LOCKOUT,
            object_type="pension.clientaddress",
            object_id=address[:64],
            object_repr=address[:200],
            reason=f"{counts['address']} failed sign-ins from this address; "
            f"locked for {locked['address']} seconds",
        )
    return lock_remaining(username, address)


def refuse_while_locked(username: str, address: str | None = None) -> ValidationError | None:
    """The error for an attempt while locked (counted, not logged), or None."""
    seconds, kind = lock_state(username, address)
    if not seconds:
        return None
    _count_today("refused_while_locked")
    return locked_error(seconds, by_address=kind == "address")


def clear_failures(username: str, address: str | None = None) -> None:
    """Forget the user name's failures and lift its locks, from this address and overall
    (a success, or an unlock); an address's own count is left alone."""
    idents = _idents(username, _address(address))
    cache.delete_many(
        [_key(k, idents[kind]) for kind in ("pair", "user") for k in ("failures", f"{kind}-locked")]
    )


def locked_error(seconds: int, *, by_address: bool = False) -> ValidationError:
    minutes = max(1, math.ceil(seconds / 60))
    message = ADDRESS_LOCKED if by_address else LOCKED
    return ValidationError(message, code="locked", params={"minutes": minutes})


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
        refusal = refuse_while_locked(username)
        if refusal is not None:
            raise refusal
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            locked = register_failure(username, reason=gettext_noop("wrong user name or password"))
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
    refusal = refuse_while_locked(username)
    if refusal is not None:
        return False, refusal, lock_remaining(username)
    allowed, _data = device.verify_is_allowed()
    if not allowed:  # django-otp's delay after a wrong code: 1, 2, 4 … seconds
        locked = register_failure(
            username, reason=gettext_noop("second-factor code refused: too soon")
        )
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
                reason=gettext_noop("second factor enrolled"),
            )
    if not verified:
        locked = register_failure(username, reason=gettext_noop("wrong second-factor code"))
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
