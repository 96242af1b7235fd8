"""Request middleware of the kernel."""

from __future__ import annotations


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


class RequestContextMiddleware:
    """Give every request an id and record its client address for the change log.

    The id is taken from an ``X-Request-ID`` header (set by the proxy) or made here,
    and returned in the response's ``X-Request-ID``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from pension.context import acting, new_request_id

        request_id = (request.headers.get("X-Request-ID") or "")[:64] or new_request_id()
        with acting(request_id=request_id, client_address=request.META.get("REMOTE_ADDR")):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
