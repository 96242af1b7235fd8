"""Sign-in pages: the throttled sign-in and the TOTP second factor (动态口令): enrolment
and verification (DESIGN §2.4, §13.5). The rules live in ``pension.security``."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pension import enrolment
from pension.security import (
    SecondFactorForm,
    ThrottledAuthenticationForm,
    check_second_factor,
    confirmed_totp_device,
    locked_message,
    pending_totp_device,
)


class StaffLoginView(LoginView):
    """Staff sign-in with the failed-sign-in lockout."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


def _next_url(request: HttpRequest) -> str:
    """The safe ``next`` of the request, or the empty string."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _done(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(_next_url(request) or resolve_url(settings.LOGIN_REDIRECT_URL))


def _go(request: HttpRequest, url_name: str) -> HttpResponseRedirect:
    url = reverse(url_name)
    next_url = _next_url(request)
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return HttpResponseRedirect(url)


def _locked_out(request: HttpRequest, seconds: int) -> HttpResponseRedirect:
    """Too many wrong codes: end the half-signed-in session and say why on sign-in."""
    logout(request)
    messages.error(request, locked_message(seconds))
    return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


def _secret_for_typing(device) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


_LINK_SESSION_KEY = "pension_enrolment_link"


def _enrolment_link(request: HttpRequest):
    """The valid enrolment link of this user: from ``?link=`` (then kept in the session
    for the code that follows), else the one the session holds."""
    token = request.GET.get("link", "")
    if token:
        link = enrolment.enrolment_link_valid(user=request.user, token=token)
        if link is not None:
            request.session[_LINK_SESSION_KEY] = link.pk
        return link
    link_id = request.session.get(_LINK_SESSION_KEY)
    if not link_id:
        return None
    from django.utils import timezone

    from pension.models import EnrolmentLink

    return EnrolmentLink.objects.filter(
        pk=link_id, user=request.user, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: QR code and typed key, then the first code."""
    if confirmed_totp_device(request.user) is not None:
        # a second device only through an administrator, never with the password alone
        return _go(request, "second_factor_verify")
    link = None
    if settings.SECOND_FACTOR_ENROL_NEEDS_LINK:
        link = _enrolment_link(request)
        if link is None:
            return render(
                request,
                "registration/second_factor_link_needed.html",
                {"message": enrolment.LINK_INVALID},
                status=403,
            )
    device = pending_totp_device(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified, error, locked = check_second_factor(
            request, device, form.cleaned_data["token"], enrolling=True
        )
        if verified:
            if link is not None:
                enrolment.enrolment_link_use(user=request.user, link_id=link.pk)
                request.session.pop(_LINK_SESSION_KEY, None)
            return _done(request)
        if locked:
            return _locked_out(request, locked)
        form.add_error(None, error)
    qr = segno.make(device.config_url, error="m")
    qr_svg = qr.svg_inline(
        scale=5, border=2, svgclass="qr", title=gettext("QR code for the authenticator app")
    )
    return render(
        request,
        "registration/second_factor_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_svg),  # segno's own markup; it escapes the title
            "secret": _secret_for_typing(device),
            "next": _next_url(request),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code of the enrolled authenticator app."""
    if request.user.is_verified():
        return _done(request)
    device = confirmed_totp_device(request.user)
    if device is None:
        return _go(request, "second_factor_enrol")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified, error, locked = check_second_factor(request, device, form.cleaned_data["token"])
        if verified:
            return _done(request)
        if locked:
            return _locked_out(request, locked)
        form.add_error(None, error)
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": _next_url(request)},
    )
