"""drf-spectacular's description of the API key scheme (imported by ``authentication``,
so the extension is registered whenever the authentication class is loaded)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "pension.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Per-system API key: `Authorization: Api-Key <prefix>.<secret>`. "
                "POSTs also carry an `Idempotency-Key` header."
            ),
        }
