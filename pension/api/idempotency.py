"""Idempotent POSTs (DESIGN §2.5): a repeat returns the first answer and changes nothing.

Every POST from another system carries ``Idempotency-Key`` (the tax receipt number,
the bank batch id). Keys are scoped per ``ApiClient``. In one transaction:

1. ``INSERT … ON CONFLICT (client_id, key) DO NOTHING RETURNING id`` claims the key
   with a placeholder row. A concurrent request with the same key waits here until
   the first one commits or rolls back.
2. Claimed: the handler runs; a 2xx answer is stored on the row and committed with
   the handler's writes. An exception, or an answer of 400 and up, rolls everything
   back, the claim included, so the client may try again with the same key.
3. Not claimed: the row is locked (``select_for_update``). A different request
   (method, path and canonical JSON body) under the same key is refused with 409
   ``idempotency_key_reused``; the same request gets the stored answer back with
   ``Idempotent-Replayed: true``, and nothing is written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from pension.api.parsers import PayloadTooLarge, check_body
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApiClient, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 128
_KEY_CHARACTERS = re.compile(r"[\x20-\x7e]+", re.ASCII)

ERROR_KEY_MISSING = _("An Idempotency-Key header is required; nothing was changed.")
ERROR_KEY_TOO_LONG = _("The Idempotency-Key header is longer than %(limit)s characters.")
ERROR_KEY_CHARACTERS = _(
    "The Idempotency-Key header may hold only printable ASCII characters (letters, "
    "digits, punctuation, spaces)."
)
ERROR_KEY_REUSED = _("This Idempotency-Key was used for a different request; nothing was changed.")
ERROR_KEY_IN_PROGRESS = _("A request with this Idempotency-Key is still being processed.")
ERROR_API_KEY_REQUIRED = _("Idempotent requests must be made with an API key.")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type={
        "type": "string",
        "maxLength": MAX_KEY_LENGTH,
        "pattern": r"^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$",
    },
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "Printable ASCII, at most 128 characters, surrounding spaces ignored. "
        "Unique per request of this system (e.g. the receipt number). A repeat with "
        "the same body returns the first answer with `Idempotent-Replayed: true`; the "
        "same key with a different body is refused with 409."
    ),
)


class _StorableEncoder(JSONEncoder):
    """DRF's encoder, but decimals stay exact (as text), never floats."""

    def default(self, obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)
        return super().default(obj)


def request_hash(request: Request) -> str:
    """SHA-256 of the method, the path and the body in canonical JSON (sorted keys).

    A body that is not JSON is hashed as its raw bytes.
    """
    try:
        raw = request._request.body
    except RawPostDataException:  # the stream was read already: use the parsed data
        raw = json.dumps(request.data, cls=_StorableEncoder, sort_keys=True).encode()
    except RequestDataTooBig:
        raise PayloadTooLarge(params={"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}) from None
    check_body(raw)  # size and nesting, before json.loads recurses
    try:
        body = json.dumps(
            json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        body = raw
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _claim(client_id: int, key: str, hashed: str) -> bool:
    """Insert the placeholder row; False when the key is already taken (committed)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "
            '(client_id, "key", request_hash, status_code, response_body, created_at) '
            "VALUES (%s, %s, %s, NULL, NULL, now()) "
            'ON CONFLICT (client_id, "key") DO NOTHING RETURNING id',
            [client_id, key, hashed],
        )
        return cursor.fetchone() is not None


def _storable(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=_StorableEncoder))


def _find_request(args: tuple) -> Request:
    for arg in args[:2]:
        if isinstance(arg, Request):
            return arg
    raise TypeError("@idempotent wraps a DRF handler: (request, …) or (self, request, …)")


def run_idempotently(request: Request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per (client, Idempotency-Key); see the module doc."""
    client = request.user
    if not isinstance(client, ApiClient):
        raise NotPermitted(ERROR_API_KEY_REQUIRED, code="api_key_required")
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        raise InvalidInput(ERROR_KEY_MISSING, code="idempotency_key_missing")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            ERROR_KEY_TOO_LONG, code="idempotency_key_invalid", params={"limit": MAX_KEY_LENGTH}
        )
    if not _KEY_CHARACTERS.fullmatch(key):
        raise InvalidInput(ERROR_KEY_CHARACTERS, code="idempotency_key_invalid")
    hashed = request_hash(request)
    with transaction.atomic():
        if not _claim(client.pk, key, hashed):
            record = IdempotencyRecord.objects.select_for_update().get(client=client, key=key)
            if record.request_hash != hashed:
                raise Conflict(ERROR_KEY_REUSED, code="idempotency_key_reused")
            if record.status_code is None:  # cannot be seen committed; kept as a guard
                raise Conflict(ERROR_KEY_IN_PROGRESS, code="idempotency_key_in_progress")
            return Response(
                record.response_body,
                status=record.status_code,
                headers={REPLAYED_HEADER: "true"},
            )
        response = handler()
        if response.status_code >= 400:
            # an answered refusal changes nothing and does not use the key up
            transaction.set_rollback(True)
            return response
        IdempotencyRecord.objects.filter(client=client, key=key).update(
            status_code=response.status_code,
            response_body=_storable(getattr(response, "data", None)),
        )
        return response


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Make a DRF POST handler idempotent: ``@idempotent def post(self, request): …``.

    Works on a view method ``(self, request, …)`` and on an ``@api_view`` function
    ``(request, …)`` (put ``@idempotent`` below ``@api_view``). A method's schema
    gains the required ``Idempotency-Key`` header; for an ``@api_view`` function, add
    ``@extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])`` above ``@api_view``.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        request = _find_request(args)
        return run_idempotently(request, lambda: handler(*args, **kwargs))

    # a copy: wraps() shares the handler's dict, which extend_schema writes into
    wrapper.kwargs = dict(getattr(handler, "kwargs", {}))  # type: ignore[attr-defined]
    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(wrapper)


class IdempotentCreateMixin:
    """For a viewset or generic view: ``create`` (POST) becomes idempotent."""

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)
