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
