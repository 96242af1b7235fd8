"""What every batch run page shares (DESIGN §2.3): the progress bar's figures, the
partial the page polls while the run works, and a transition button's round trip.

Each domain's run pages (assessment, account, payroll, adjustment runs) call these
with their own run, template and service; the run is any model with
``processed_count``, ``total_count`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pension.errors import ApplicationError


def progress_of(
    run: Any, *, finished: Container[str], working: Container[str] = (), polling: bool | None = None
) -> dict[str, Any]:
    """The bar: the share processed (100 once the run is ``finished``), and whether the
    page keeps polling (while the run is ``working``, unless ``polling`` says)."""
    percent = 100 * run.processed_count // run.total_count if run.total_count else 0
    return {
        "percent": 100 if run.status in finished else percent,
        "polling": run.status in working if polling is None else polling,
    }


def progress_partial(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The partial the run page polls every 2 s (``context["progress"]`` the bar); once
    the run stops working, htmx reloads the page (``HX-Refresh``) to show the results."""
    response = render(request, template, context)
    if getattr(request, "htmx", False) and not context["progress"]["polling"]:
        response["HX-Refresh"] = "true"
    return response


def run_transition(
    request: HttpRequest,
    run: Any,
    service: Callable[..., Any],
    done: str,
    detail: str,
    *,
    keyword: str = "run",
) -> HttpResponse:
    """Call ``service(actor=user, <keyword>=run)``; its refusal or ``done`` (with
    ``%(<keyword>)s``) as a message, and back to the run page (URL name ``detail``)."""
    try:
        service(actor=request.user, **{keyword: run})
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {keyword: run.pk})
    return redirect(detail, pk=run.pk)
