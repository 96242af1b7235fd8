"""Kernel pages: home (工作台), the domain index pages, health check."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from pension import selectors
from pension.navigation import SECTION_BY_DOMAIN, sections_for

SENT_TO_REVIEWER = _(
    "Request #%(id)s is waiting for a reviewer; nothing changes until it is approved."
)


def sent_to_reviewer(request, approval) -> HttpResponse:
    """After a maker's request (maker-checker): say that nothing changes until a reviewer
    approves, and open the request's page."""
    messages.success(request, SENT_TO_REVIEWER % {"id": approval.pk})
    return redirect("approval_detail", pk=approval.pk)


class HomeView(LoginRequiredMixin, TemplateView):
    """The home page: who you are, where you act, what you may open."""

    template_name = "pension/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["sections"] = sections_for(user)
        context["agency"] = user.agency
        context["region"] = user.region
        return context


def section_required(domain: str):
    """A view decorator: signed in, and a role that the navigation opens ``domain`` to."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if SECTION_BY_DOMAIN[domain] not in sections_for(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class DomainIndexView(LoginRequiredMixin, TemplateView):
    """A domain's start page; only roles that the navigation gives it may open it."""

    template_name = "pension/domain_index.html"
    domain: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            section = SECTION_BY_DOMAIN[self.domain]
            if section not in sections_for(request.user):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = SECTION_BY_DOMAIN[self.domain]
        return context


@never_cache
def healthz(request):
    """Database, Redis and a worker round-trip; 200 when all answer, 503 otherwise."""
    checks: dict[str, dict] = {}

    started = time.monotonic()
    try:
        selectors.database_ping()
        checks["database"] = {"ok": True}
    except Exception as exc:  # reported, not raised: this page says what is down
        checks["database"] = {"ok": False, "error": str(exc)}
    checks["database"]["ms"] = round((time.monotonic() - started) * 1000, 1)

    started = time.monotonic()
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        checks["redis"] = {"ok": True}
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": str(exc)}
    checks["redis"]["ms"] = round((time.monotonic() - started) * 1000, 1)

    started = time.monotonic()
    if checks["redis"]["ok"]:
        from pension.tasks import ping

        try:
            result = ping.delay("healthz").get(timeout=settings.HEALTHZ_WORKER_TIMEOUT)
            checks["worker"] = {"ok": True, "worker": result["worker"]}
        except Exception as exc:
            checks["worker"] = {"ok": False, "error": exc.__class__.__name__}
    else:
        checks["worker"] = {"ok": False, "error": "redis unavailable"}
    checks["worker"]["ms"] = round((time.monotonic() - started) * 1000, 1)

    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"ok": healthy, "checks": checks}, status=200 if healthy else 503)
