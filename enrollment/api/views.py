"""DRF viewsets of registration: thin, they call selectors and services.

For external systems only (an API key with scopes; staff sessions are refused):

- ``persons`` and ``employers``: read-only exports (scope ``enrollment.read``) of the
  calling system's region, filtered with the FilterSets the pages share, with cursor
  pagination. Citizen ID numbers are masked unless the key also has
  ``enrollment.read_id_numbers`` (DESIGN §2.4, personal data).
- ``employer-registrations``: market regulation's push of new and changed business
  registrations (多证合一, §6.1.1; scope ``enrollment.employer_push``). Idempotent: the
  caller sends ``Idempotency-Key`` (market regulation uses its message id); a
  repeat returns the first answer and changes nothing. A push naming a region
  outside the system's own, or for a credit code registered outside it, is refused
  with 403 ``outside_region`` (a matter of what the key may do, like a missing
  scope), and nothing is written.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from enrollment.api.serializers import (
    FULL_ID_NUMBERS,
    EmployerRegistrationResultSerializer,
    EmployerRegistrationSerializer,
    EmployerSerializer,
    InsuredPersonSerializer,
)
from enrollment.filtersets import EmployerFilterSet, InsuredPersonFilterSet
from enrollment.models import Employer, InsuredPerson
from enrollment.services import employer_upsert_from_market_regulation
from pension.api.idempotency import idempotent
from pension.api.pagination import IdCursorPagination
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope, client_region_prefix
from pension.errors import NotPermitted
from pension.models import ApiClient
from pension.scope import region_q

READ_SCOPE = "enrollment.read"
READ_ID_NUMBERS_SCOPE = "enrollment.read_id_numbers"
PUSH_SCOPE = "enrollment.employer_push"

ERROR_REGION_OUTSIDE = _(
    "The region %(region)s lies outside this system's region; nothing was changed."
)
ERROR_EMPLOYER_OUTSIDE = _(
    "The employer with credit code %(code)s is registered outside this system's region; "
    "nothing was changed."
)

_REFUSALS = {
    401: OpenApiResponse(description="No API key, or a key that is not valid or revoked."),
    403: OpenApiResponse(
        description="The key lacks the scope (`scope_missing`), or a staff session "
        "called (`api_key_required`)."
    ),
}
# staff sessions are authenticated (to be refused with a clear 403), not a way in
_API_KEY_ONLY = [{"ApiKeyAuth": []}]
_NOT_FOUND = OpenApiResponse(description="No such record in the calling system's region.")


class _SystemExportViewSet(viewsets.ReadOnlyModelViewSet):
    """Rows of the calling system's region, filtered, by cursor."""

    throttle_scope = "export"  # per-client rate (REST_FRAMEWORK throttle rates)

    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    filter_backends = [DjangoFilterBackend]
    pagination_class = IdCursorPagination
    lookup_value_regex = "[0-9]+"
    model: type[Employer] | type[InsuredPerson]

    def get_queryset(self) -> QuerySet:
        queryset = self.model.objects.select_related("agency")
        client = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(client, ApiClient):
            return queryset.none()
        return queryset.filter(region_q(self.model, client_region_prefix(client)))


_PERSON_DESCRIPTION = (
    "Insured people (参保人) of the calling system's region, ordered by id, 500 a page "
    "(`page_size` up to 1000); follow `next` to the end. Citizen ID numbers are masked "
    "unless the key has the scope `enrollment.read_id_numbers`. Use `updated_since` "
    "for incremental exports."
)


@extend_schema_view(
    list=extend_schema(
        summary="List insured people",
        auth=_API_KEY_ONLY,
        description=_PERSON_DESCRIPTION,
        responses={200: InsuredPersonSerializer(many=True), **_REFUSALS},
    ),
    retrieve=extend_schema(
        summary="One insured person",
        auth=_API_KEY_ONLY,
        description="Scope `enrollment.read`; 404 outside the calling system's region.",
        responses={200: InsuredPersonSerializer, 404: _NOT_FOUND, **_REFUSALS},
    ),
)
class InsuredPersonViewSet(_SystemExportViewSet):
    model = InsuredPerson
    serializer_class = InsuredPersonSerializer
    filterset_class = InsuredPersonFilterSet

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context[FULL_ID_NUMBERS] = READ_ID_NUMBERS_SCOPE in getattr(self.request.user, "scopes", ())
        return context


@extend_schema_view(
    list=extend_schema(
        summary="List employers",
        auth=_API_KEY_ONLY,
        description=(
            "Insured employers (参保单位) of the calling system's region, ordered by id, "
            "500 a page (`page_size` up to 1000); follow `next` to the end."
        ),
        responses={200: EmployerSerializer(many=True), **_REFUSALS},
    ),
    retrieve=extend_schema(
        summary="One employer",
        auth=_API_KEY_ONLY,
        description="Scope `enrollment.read`; 404 outside the calling system's region.",
        responses={200: EmployerSerializer, 404: _NOT_FOUND, **_REFUSALS},
    ),
)
class EmployerViewSet(_SystemExportViewSet):
    model = Employer
    serializer_class = EmployerSerializer
    filterset_class = EmployerFilterSet


class EmployerRegistrationViewSet(viewsets.GenericViewSet):
    """Market regulation's push (多证合一, §6.1.1): register or change an employer."""

    permission_classes = [HasScope]
    required_scopes = {"POST": PUSH_SCOPE}
    serializer_class = EmployerRegistrationSerializer
    parser_classes = [SafeJSONParser]  # the idempotency hash is over canonical JSON
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary="Push a business registration (多证合一)",
        auth=_API_KEY_ONLY,
        description=(
            "Registers the employer, or changes the one already registered with this "
            "credit code (never a duplicate; the change log keeps before and after). "
            "Scope `enrollment.employer_push`. Market regulation sends its message id "
            "as the `Idempotency-Key`: a repeat with the same body returns the first "
            "answer (`Idempotent-Replayed: true`) and writes nothing; the same key with "
            "another body is refused with 409 `idempotency_key_reused`. A region "
            "outside the calling system's, or a credit code registered outside it, is "
            "refused with 403 `outside_region`. Every refusal changes nothing."
        ),
        request=EmployerRegistrationSerializer,
        responses={
            201: EmployerRegistrationResultSerializer,
            400: OpenApiResponse(
                description="Invalid input: the validator's code (`check_character`, "
                "`length`, `characters`, `region`), `unknown_region`, `required`, "
                "`idempotency_key_missing`…"
            ),
            401: _REFUSALS[401],
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
            409: OpenApiResponse(
                description="`idempotency_key_reused`, or `employer_cancelled` (a "
                "cancelled employer cannot be changed)."
            ),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        region = data.pop("region")
        prefix = client_region_prefix(request.user)
        if not region.code.startswith(prefix):
            raise NotPermitted(
                ERROR_REGION_OUTSIDE,
                code="outside_region",
                params={"region": region.code},
                details={"field": "region"},
            )
        registered_in = (
            Employer.objects.filter(credit_code=data["credit_code"])
            .values_list("region_id", flat=True)
            .first()
        )
        if registered_in is not None and not registered_in.startswith(prefix):
            raise NotPermitted(
                ERROR_EMPLOYER_OUTSIDE,
                code="outside_region",
                params={"code": data["credit_code"]},
                details={"field": "credit_code"},
            )
        employer, created = employer_upsert_from_market_regulation(region=region, **data)
        result = {
            "employer_id": employer.pk,
            "created": created,
            "credit_code": employer.credit_code,
        }
        return Response(EmployerRegistrationResultSerializer(result).data, status=201)
