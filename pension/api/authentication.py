"""Authenticating external systems by API key, and logging every call they make.

``ApiKeyAuthentication`` reads ``Authorization: Api-Key <prefix>.<secret>`` and
makes the ``ApiClient`` the request's principal (``request.user`` and
``request.auth``). DRF authenticates lazily, inside the view, so there is no block
to wrap in ``pension.context.acting``; instead the class sets the context variable
directly (``pension.context._current.set``) so that the change log written by the
view carries ``api_client_id``. The value is undone when the request ends: both
``RequestContextMiddleware`` and ``ApiCallLogMiddleware`` run the request inside
``acting(...)``, whose exit resets the variable to what it was before.

``ApiCallLogMiddleware`` writes one ``ApiCallLog`` row per call by a known key,
with the response's status code, whatever the view answered (refusals included).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from pension import context
from pension.api import schema  # noqa: F401  (registers the OpenAPI scheme)
from pension.api.keys import hash_key, key_matches, split_key
from pension.models import ApiCallLog, ApiClient

KEYWORD = "Api-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# last_used_at is written at most this often per client, to keep calls cheap
LAST_USED_RESOLUTION = timedelta(minutes=1)

ERROR_MALFORMED = _("The Authorization header must read 'Api-Key <prefix>.<secret>'.")
ERROR_INVALID = _("The API key is not valid.")
ERROR_REVOKED = _("The API key has been revoked.")
ERROR_EXPIRED = _(
    "The API key expired on %(when)s. Ask the province's administrator for a new key."
)
_DUMMY_HASH = hash_key("no-such-client.")


class VerifiedSessionAuthentication(SessionAuthentication):
    """Staff through their session, only once fully signed in: where the second factor
    is required (``REQUIRE_SECOND_FACTOR``, always in production), a session signed in
    with the password alone is not a principal here (the pages' middleware lets
    ``/api/`` through, so this is where the API, its schema and docs pages check it)."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is None or not settings.REQUIRE_SECOND_FACTOR:
            return result
        is_verified = getattr(result[0], "is_verified", None)
        return result if is_verified is not None and is_verified() else None


class ApiClientRateThrottle(SimpleRateThrottle):
    """Rate limit per API client and scope (DRF throttling): a view's ``throttle_scope``
    (default ``"api"``) names its rate in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``;
    each client has its own count per scope, in Redis. Over it: 429 ``throttled`` in
    the error envelope, with ``Retry-After``. Staff sessions are not limited here."""

    scope = "api"

    def __init__(self) -> None:  # the rate depends on the view: set in allow_request
        pass

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view) -> bool:
        if not isinstance(request.auth, ApiClient):
            return True
        self.scope = getattr(view, "throttle_scope", None) or "api"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>`` → ``(ApiClient, ApiClient)``."""

    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiClient] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: let the next class try
        if len(parts) != 2:
            raise AuthenticationFailed(ERROR_MALFORMED, code="api_key_malformed")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(ERROR_MALFORMED, code="api_key_malformed") from None
        prefix, secret = split_key(key)
        if not prefix or not secret:
            raise AuthenticationFailed(ERROR_MALFORMED, code="api_key_malformed")
        client = ApiClient.objects.select_related("region").filter(key_prefix=prefix).first()
        if client is None:
            key_matches(ApiClient(key_hash=_DUMMY_HASH), key)  # same work as a known prefix
            raise AuthenticationFailed(ERROR_INVALID, code="api_key_invalid")
        if not key_matches(client, key):
            raise AuthenticationFailed(ERROR_INVALID, code="api_key_invalid")
        # the key is the client's own: from here on the call is logged, refused or not
        request._request._api_client = client
        if not client.is_active or client.revoked_at is not None:
            raise AuthenticationFailed(ERROR_REVOKED, code="api_key_revoked")
        if client.expires_at is not None and client.expires_at <= timezone.now():
            when = timezone.localtime(client.expires_at).strftime("%Y-%m-%d %H:%M")
            raise AuthenticationFailed(str(ERROR_EXPIRED) % {"when": when}, code="api_key_expired")
        self._touch(client)
        # see the module docstring: reset by the middlewares' acting() at the end
        context._current.set(replace(context.current(), api_client_id=client.pk))
        return client, client

    def authenticate_header(self, request: Request) -> str:
        # makes DRF answer 401 (with WWW-Authenticate) rather than 403
        return self.keyword

    @staticmethod
    def _touch(client: ApiClient) -> None:
        now = timezone.now()
        threshold = now - LAST_USED_RESOLUTION
        if client.last_used_at is not None and client.last_used_at >= threshold:
            return
        ApiClient.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold), pk=client.pk
        ).update(last_used_at=now)
        client.last_used_at = now


def _storable(text: str, length: int) -> str:
    """``text`` cut to ``length``, without NUL (PostgreSQL text cannot hold one)."""
    return text.replace("\x00", "")[:length]


class ApiCallLogMiddleware:
    """Log every call made with a known API key (``ApiCallLog``), with its status.

    The authentication class leaves the client on the Django request as
    ``request._api_client``; DRF-independent, so it also sees answers that a view
    produced without DRF (a 500 included). Goes after ``RequestContextMiddleware``.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # acting() with no change: its exit undoes what the authentication class set
        with context.acting():
            response = self.get_response(request)
        client: ApiClient | None = getattr(request, "_api_client", None)
        if client is not None:
            ApiCallLog.objects.create(
                client=client,
                method=request.method[:8],
                path=_storable(request.path, 300),
                status_code=response.status_code,
                client_address=request.META.get("REMOTE_ADDR") or None,
                idempotency_key=_storable(request.headers.get(IDEMPOTENCY_HEADER) or "", 128),
            )
        return response
