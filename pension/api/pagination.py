"""Cursor pagination of every API list (DESIGN §2.5): one refusal for a tampered cursor.

DRF's ``CursorPagination`` answers a cursor it cannot decode with 404 and passes the
position it carries to the database unchecked (a position ``abc`` or ``1.5`` became a
500). ``IdCursorPagination`` reads the cursor strictly, and anything that is not a
cursor this API wrote (not base64, not ASCII, NUL, a position that is not a whole
number of at most 18 digits, a negative offset) is refused with 400
``invalid_cursor``, the same on every list. ``cursor_error`` is the one error
(custom keyset paginations raise it too), and ``ERROR_BAD_CURSOR`` its message.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from pension.errors import InvalidInput

ERROR_BAD_CURSOR = _("The cursor is not valid; follow the next link as given.")
ERROR_BAD_PAGE_SIZE = _("Give page_size as a whole number from 1 (at most %(limit)s are sent).")
CURSOR_ERROR_CODE = "invalid_cursor"
CURSOR_HELP = (
    "The position, exactly as given in the `next` link. Anything else is refused "
    "with 400 `invalid_cursor`."
)

_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}", re.ASCII)
_CURSOR_KEYS = {"o", "r", "p"}
_PAGE_SIZE = re.compile(r"[0-9]{1,9}", re.ASCII)
_POSITION = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def page_size_from(request: Request, *, name: str, default: int, maximum: int) -> int:
    """``?page_size=``: absent, the default; a whole number from 1, at most ``maximum``
    (a larger one is cut to it); anything else is 400 ``invalid_page_size``."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _PAGE_SIZE.fullmatch(raw) or int(raw) < 1:
        raise InvalidInput(
            ERROR_BAD_PAGE_SIZE,
            code="invalid_page_size",
            params={"limit": maximum},
            details={"field": name},
        )
    return min(int(raw), maximum)


def page_size_parameter(name: str, default: int, maximum: int) -> dict:
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": f"Rows per page: {default} unless given, at most {maximum} "
        "(a larger number is cut to it)",
        "schema": {"type": "integer", "minimum": 1},
    }


def cursor_error() -> InvalidInput:
    """The refusal of a cursor that this API did not write (400 ``invalid_cursor``)."""
    return InvalidInput(ERROR_BAD_CURSOR, code=CURSOR_ERROR_CODE, details={"field": "cursor"})


class IdCursorPagination(CursorPagination):
    """Cursor pages by id (``ordering``): stable under inserts, no COUNT(*), one page
    read at a time; a cursor that is not one of ours is 400 ``invalid_cursor``."""

    ordering = "id"
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None or encoded == "":
            return None  # an empty cursor is the first page, as DRF writes it
        if not _BASE64.fullmatch(encoded):
            raise cursor_error()
        try:
            raw = base64.b64decode(encoded, validate=True).decode("ascii")
            # only what encode_cursor writes: o (offset), r (reverse), p (position), once
            keys = [key for key, _ in parse_qsl(raw, keep_blank_values=True, strict_parsing=True)]
            if len(keys) != len(set(keys)) or not set(keys) <= _CURSOR_KEYS:
                raise ValueError(raw)
            cursor = super().decode_cursor(request)
        except (NotFound, binascii.Error, ValueError, UnicodeError):
            raise cursor_error() from None
        position = cursor.position if cursor is not None else None
        if position is not None and not _POSITION.fullmatch(position):
            raise cursor_error()
        return cursor

    def get_page_size(self, request: Request) -> int:
        return page_size_from(
            request,
            name=self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = CURSOR_HELP
        return [
            page_size_parameter(self.page_size_query_param, self.page_size, self.max_page_size)
            if parameter["name"] == self.page_size_query_param
            else parameter
            for parameter in parameters
        ]


class NewestFirstPagination(IdCursorPagination):
    """Cursor pages by id, newest first."""

    ordering = "-id"
    page_size = 100
    max_page_size = 500
