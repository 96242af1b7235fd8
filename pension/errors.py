"""One vocabulary of application errors (STYLE.md point 5).

Services raise these; the DRF exception handler (``pension.api.exceptions``) turns
them into one JSON envelope, and views and forms show the same message. Each error
has a stable ``code`` that tests assert and that clients may branch on, a translated
message, and the HTTP status an API answer carries.

    {"error": {"code": "self_approval", "message": "…", "details": {...}}}
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of the vocabulary: a code, a message, details for the client."""

    status = 400
    code = "invalid"
    default_message: Any = _("The request cannot be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        params: dict | None = None,
        details: dict | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.params = params or {}
        self.details = details or {}
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self), "details": self.details}


class InvalidInput(ApplicationError):
    """The input is wrong; nothing was changed."""

    status = 400
    code = "invalid"
    default_message = _("The input is not valid; nothing was changed.")


class NotPermitted(ApplicationError):
    """The actor's role or region does not allow this."""

    status = 403
    code = "not_permitted"
    default_message = _("You are not permitted to do this.")


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    """The request collides with the current state (decided already, replayed key)."""

    status = 409
    code = "conflict"
    default_message = _("The request conflicts with the current state; nothing was changed.")


class Locked(ApplicationError):
    status = 423
    code = "locked"
    default_message = _("Locked.")
