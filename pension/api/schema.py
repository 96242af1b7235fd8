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


# --- every error the API can answer, in the schema ----------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Every refusal: `{"error": {"code", "message", "details"}}`.',
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable; clients may branch on it"},
                "message": {"type": "string", "description": "For people, in Chinese"},
                "details": {"description": "The fields or rows concerned"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_CURSOR_400 = "`invalid_cursor`: the cursor is not one this API wrote (follow `next` as given)."
_FILTER_400 = "A filter is not valid (`invalid`, `region_code`, …)."
_BODY_400 = (
    "`parse_error` (not JSON), `too_deep` (nested more than `API_MAX_JSON_DEPTH` levels), "
    "or a field not valid."
)
_BODY_413 = "`body_too_large`: the body is larger than `API_MAX_BODY_BYTES`."
_NOT_FOUND_404 = "`not_found`: no such record in the calling system's region."
_UNAUTHENTICATED_401 = (
    "No API key, or a key that is not valid, revoked (`api_key_revoked`) or expired "
    "(`api_key_expired`)."
)
_THROTTLED_429 = (
    "`throttled`: the calling system's rate for this endpoint's scope is used up; "
    "`Retry-After` says how many seconds to wait."
)
_REFUSED_403 = "`scope_missing`, `api_key_required` (a staff session), `method_not_open`."


def _add(responses: dict, status: str, text: str, *, code: str | None = None) -> None:
    """Document ``status`` with ``text`` unless the view did; when the view did but
    its description does not name ``code``, append ``text``."""
    if status not in responses:
        responses[status] = {"description": text}
        return
    description = responses[status].get("description") or ""
    if code is not None and code not in description:
        responses[status]["description"] = f"{description} {text}".strip()


def _empty_allowed(schema: dict) -> dict:
    """The schema of a filter that may also be sent empty (``?period=``: no filter)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], *([""] if "" not in schema["enum"] else [])]}
    if "pattern" in schema:
        inner = schema["pattern"].removeprefix("^").removesuffix("$")
        return {**schema, "pattern": f"^(?:{inner})?$"}
    if "format" in schema:
        return {"oneOf": [schema, {"type": "string", "maxLength": 0}]}
    return schema


def allow_empty_filters(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: a list's filters may be sent empty, which
    django-filter reads as no filter (as the pages' forms send them); the schema says
    so, so that a generated ``?period=`` is valid input."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", []) if isinstance(operation, dict) else []
            if not any(p.get("name") == "cursor" for p in parameters):
                continue
            for parameter in parameters:
                if parameter.get("in") != "query" or parameter["name"] == "page_size":
                    continue
                if "schema" in parameter:
                    parameter["schema"] = _empty_allowed(parameter["schema"])
    return result


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: every operation lists the refusals the
    kernel can give it (401, 403; 400 on a query parameter and ``invalid_cursor`` on a
    cursor list; 404 on a path with an id; 400 and 413 on a body) with the one error
    envelope as schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            names = {(p.get("in"), p.get("name")) for p in parameters}
            _add(responses, "401", _UNAUTHENTICATED_401)
            _add(responses, "403", _REFUSED_403)
            _add(responses, "429", _THROTTLED_429)
            if any(where == "query" for where, _ in names):  # filters, a month, a region
                _add(responses, "400", _FILTER_400)
            if ("query", "cursor") in names:  # a list: its cursor too
                _add(responses, "400", _CURSOR_400, code="invalid_cursor")
            if any(where == "path" for where, _ in names):
                _add(responses, "404", _NOT_FOUND_404)
            if method in ("post", "put", "patch"):
                _add(responses, "400", _BODY_400, code="too_deep")
                _add(responses, "413", _BODY_413)
            for status, response in responses.items():
                if str(status)[0] in "45":
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
    return result
