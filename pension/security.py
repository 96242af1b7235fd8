"""Sign-in security: the TOTP second factor and failed-sign-in lockout (built by the
sign-in work; this module holds the middleware that settings name)."""

from __future__ import annotations


class RequireSecondFactorMiddleware:
    """Placeholder until the second-factor work lands: lets every request through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
