"""The API's answer for an address that names nothing: 404 in the JSON envelope.

Mounted last under ``/api/v1/`` (``pension.urls``), so that a path no route matches
(``payroll-runs/abc/``: ids are digits only) gets the same ``{"error": …}`` answer as
every other refusal of the API, not the HTML page of the site.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from pension.api.exceptions import envelope
from pension.errors import NotFound


@csrf_exempt  # a JSON 404 for any method; it reads and changes nothing
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse(
        envelope(NotFound.code, NotFound.default_message),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
