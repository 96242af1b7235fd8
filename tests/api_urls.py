"""A test-only URLconf exercising the API kernel (``pension.api``):
``@pytest.mark.urls("tests.api_urls")``."""

from __future__ import annotations

import time

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import pension.admin_api_clients  # noqa: F401  (registers the admin, whoever imports it)
from pension import changelog
from pension import urls as project_urls
from pension.api.authentication import ApiKeyAuthentication
from pension.api.exceptions import exception_handler
from pension.api.idempotency import idempotent
from pension.api.permissions import HasScope, client_region_prefix
from pension.errors import Locked
from pension.models import ApiClient


class _KernelView(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [HasScope]

    def get_exception_handler(self):
        return exception_handler  # whatever the settings say


class ThingSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    delay = serializers.FloatField(required=False, min_value=0, max_value=2)


class ThingView(_KernelView):
    """GET says who calls; POST records a thing in the change log (countable)."""

    required_scopes = {"GET": "test.read", "POST": "test.write"}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        client: ApiClient = request.user
        return Response({"client": client.name, "region_prefix": client_region_prefix(client)})

    @extend_schema(request=ThingSerializer, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = ThingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = changelog.record(
            actor=None,
            action="create",
            object_type="test.thing",
            object_id=data["id"],
            after={"id": data["id"]},
        )
        time.sleep(data.get("delay", 0))  # holds the claim while a twin waits
        return Response({"entry": entry.pk, "api_client": entry.api_client_id}, status=201)


class StaffToo(_KernelView):
    required_scopes = {"test.read"}
    allow_staff = True

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response({"who": request.user.get_username()})


class Failing(_KernelView):
    required_scopes = {"test.read"}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, kind: str) -> Response:
        if kind == "locked":
            raise Locked(details={"until": "tomorrow"})
        if kind == "django-validation":
            raise ValidationError({"name": ValidationError("Too long.", code="too_long")})
        if kind == "django-validation-one":
            raise ValidationError("Bad period.", code="bad_period")
        if kind == "http404":
            raise Http404("nothing here")
        if kind == "denied":
            raise PermissionDenied
        return Response({})


urlpatterns = [
    path("api/test/things/", ThingView.as_view()),
    path("api/test/staff-too/", StaffToo.as_view()),
    path("api/test/fail/<str:kind>/", Failing.as_view()),
    # the admin as registered now (pension.urls may have built its list earlier)
    path("admin/", admin.site.urls),
    *(p for p in project_urls.urlpatterns if getattr(p, "namespace", None) != "admin"),
]
