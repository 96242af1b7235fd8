"""The one JSON parser of the API: a size limit and a nesting limit before parsing.

DRF's ``JSONParser`` reads the whole body, however big, and hands it to ``json.load``,
which recurses once per bracket: 100 000 nested brackets ended in a ``RecursionError``
(a 500). ``SafeJSONParser`` reads at most ``API_MAX_BODY_BYTES`` (413
``body_too_large`` beyond), counts the nesting depth with a flat scan of the bytes
(strings skipped, no recursion) and refuses more than ``API_MAX_JSON_DEPTH`` levels
with 400 ``too_deep``; only then does it parse. Malformed JSON is 400 ``parse_error``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from pension.errors import ApplicationError, InvalidInput

ERROR_TOO_DEEP = _("The JSON body is nested more than %(limit)s levels deep; nothing was changed.")
ERROR_TOO_LARGE = _("The request body is larger than %(limit)s bytes; nothing was changed.")
ERROR_NOT_JSON = _("The request body is not valid JSON (UTF-8); nothing was changed.")

# a JSON string (escapes included) or one bracket; strings are skipped whole
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


class PayloadTooLarge(ApplicationError):
    status = 413
    code = "body_too_large"
    default_message = ERROR_TOO_LARGE


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", 8 * 1024 * 1024))


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(params={"limit": max_body_bytes()})


def nesting_depth(data: bytes, *, limit: int) -> int:
    """The deepest nesting of brackets in ``data``, outside strings; stops counting (and
    returns ``limit + 1``) as soon as ``limit`` is exceeded."""
    depth = deepest = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPENING:
            depth += 1
            if depth > limit:
                return limit + 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_body(data: bytes) -> None:
    """Refuse a body over the size limit (413) or nested deeper than allowed (400)."""
    if len(data) > max_body_bytes():
        raise too_large()
    limit = int(getattr(settings, "API_MAX_JSON_DEPTH", 32))
    if nesting_depth(data, limit=limit) > limit:
        raise InvalidInput(ERROR_TOO_DEEP, code="too_deep", params={"limit": limit})


class SafeJSONParser(JSONParser):
    """``application/json`` with a size and a nesting limit checked before parsing."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        request = parser_context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > max_body_bytes():
            raise too_large()
        data = stream.read(max_body_bytes() + 1) if stream is not None else b""
        check_body(data)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(data.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(ERROR_NOT_JSON) from None


def _refuse_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity are not JSON."""
    raise ValueError(name)
