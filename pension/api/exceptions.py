"""The one DRF exception handler: every refusal as ``{"error": {code, message, details}}``.

``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "pension.api.exceptions.exception_handler"``.

- ``ApplicationError`` (``pension.errors``): its status, code, message and details;
- Django ``ValidationError``: 400, the error's code (one code shared by every
  message) or ``invalid``, details = ``message_dict`` or the list of messages;
- DRF exceptions: their status; the code from ``get_codes()`` when every part
  carries the same one, else the exception's default code; details = ``exc.detail``
  when it is structured (a plain message is not repeated);
- ``Http404`` and Django ``PermissionDenied``: 404 ``not_found``, 403
  ``permission_denied``.

Anything else returns None, so DRF re-raises it (a 500). As with DRF's own handler,
the request's transaction (``ATOMIC_REQUESTS``) is marked for rollback.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from pension.errors import ApplicationError, InvalidInput


def envelope(code: str, message: Any, details: Any = None) -> dict:
    """The body of every error answer."""
    return {
        "error": {
            "code": code,
            "message": str(message),
            "details": details if details is not None else {},
        }
    }


def _leaf_codes(codes: Any) -> list[str]:
    if isinstance(codes, dict):
        return [c for value in codes.values() for c in _leaf_codes(value)]
    if isinstance(codes, list | tuple):
        return [c for value in codes for c in _leaf_codes(value)]
    return [str(codes)] if codes else []


def _one_code(codes: list[str], default: str) -> str:
    distinct = set(codes)
    return distinct.pop() if len(distinct) == 1 else default


def _django_validation_error(exc: DjangoValidationError) -> tuple[str, Any, Any]:
    errors = (
        [e for items in exc.error_dict.values() for e in items]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    code = _one_code([e.code for e in errors if e.code], "invalid")
    if hasattr(exc, "error_dict"):
        details: Any = exc.message_dict
        messages = [m for ms in details.values() for m in ms]
    else:
        details = messages = exc.messages
    message = messages[0] if len(messages) == 1 else InvalidInput.default_message
    return code, message, details


def _drf_exception(exc: drf.APIException) -> tuple[str, Any, Any]:
    detail = exc.detail
    code = _one_code(_leaf_codes(exc.get_codes()), exc.default_code)
    if isinstance(detail, str):
        return code, detail, {}
    flat = _leaf_messages(detail)
    if len(flat) == 1 and not isinstance(detail, dict):
        message = flat[0]
    elif isinstance(exc, drf.ValidationError):
        message = InvalidInput.default_message
    else:
        message = exc.default_detail
    return code, message, detail


def _leaf_messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _leaf_messages(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _leaf_messages(value)]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: the error envelope, or None for a server error."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    if isinstance(exc, ApplicationError):
        status, body = exc.status, {"error": exc.as_dict()}
    elif isinstance(exc, DjangoValidationError):
        status, body = 400, envelope(*_django_validation_error(exc))
    elif isinstance(exc, drf.APIException):
        status, body = exc.status_code, envelope(*_drf_exception(exc))
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None
    set_rollback()
    return Response(body, status=status, headers=headers)
