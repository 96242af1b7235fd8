"""What an external system may do (scopes) and where (its region).

A view names the scopes it needs::

    required_scopes = {"GET": "enrollment.read", "POST": "enrollment.write"}
    required_scopes = {"enrollment.read"}  # the same for every method

A value may be one scope or a set of scopes, all of which are needed. HEAD and
OPTIONS fall back to GET's scopes; any other method the view does not name is
refused. Staff signed in with a session are refused unless the view sets
``allow_staff = True`` (and then applies its own role checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from pension.errors import NotPermitted
from pension.models import ApiClient

ERROR_SCOPE_MISSING = _("This system's key lacks the scope %(scopes)s.")
ERROR_METHOD_NOT_OPEN = _("This method is not open to external systems.")
ERROR_API_KEY_REQUIRED = _("This endpoint is for external systems: call it with an API key.")
_FALLBACK = {"HEAD": "GET", "OPTIONS": "GET"}


def _as_set(value: str | Iterable[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def required_scopes(view, method: str) -> set[str] | None:
    """The scopes ``view`` needs for ``method``; None when the method is not open."""
    declared = getattr(view, "required_scopes", None)
    if declared is None:
        return None
    if not isinstance(declared, Mapping):
        return _as_set(declared)
    method = method.upper()
    if method not in declared:
        method = _FALLBACK.get(method, method)
    if method not in declared:
        return None
    return _as_set(declared[method])


def client_region_prefix(client: ApiClient) -> str:
    """The division-code prefix of everything the client may see (``LIKE 'prefix%'``)."""
    return client.region.scope_prefix


class HasScope(BasePermission):
    """An ``ApiClient`` holding every scope the view requires for the method."""

    def has_permission(self, request: Request, view) -> bool:
        principal = request.user
        if isinstance(principal, ApiClient):
            needed = required_scopes(view, request.method)
            if needed is None:
                raise NotPermitted(ERROR_METHOD_NOT_OPEN, code="method_not_open")
            missing = sorted(needed - set(principal.scopes))
            if missing:
                raise NotPermitted(
                    ERROR_SCOPE_MISSING,
                    code="scope_missing",
                    params={"scopes": ", ".join(missing)},
                    details={"missing_scopes": missing},
                )
            return True
        if not getattr(principal, "is_authenticated", False):
            return False  # DRF answers 401 (not authenticated)
        if getattr(view, "allow_staff", False):
            return True
        raise NotPermitted(ERROR_API_KEY_REQUIRED, code="api_key_required")
