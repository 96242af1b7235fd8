"""Request middleware of the kernel."""

from __future__ import annotations

import re

from django.conf import settings

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}", re.ASCII)


class ChineseByDefaultMiddleware:
    """Simplified Chinese unless the user chose another language.

    Django's ``LocaleMiddleware`` would follow the browser's ``Accept-Language``; a
    provincial back office opens in Chinese on every hall's machine whatever its
    browser says, and switches only when the user picks English (the language cookie
    that ``set_language`` sets). So the header is removed before ``LocaleMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` with every answer that has none.

    Scripts come only from this site (htmx, ``static/js``, the vendored ECharts, the
    Swagger UI files): no inline script, no event-handler attribute, no ``eval``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class RequestContextMiddleware:
    """Give every request an id and record its client address for the change log.

    The id is taken from an ``X-Request-ID`` header (set by the proxy) only when it
    matches ``REQUEST_ID_PATTERN`` (8 to 64 letters, digits, ``-``, ``_`` or ``.``, as a
    UUID or a proxy's id is); anything else (a line break, markup, a very long value)
    is dropped and an id is made here. It is returned in the response's
    ``X-Request-ID`` and recorded with every change-log row of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from pension.context import acting, new_request_id

        given = request.headers.get("X-Request-ID") or ""
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else new_request_id()
        with acting(request_id=request_id, client_address=request.META.get("REMOTE_ADDR")):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
