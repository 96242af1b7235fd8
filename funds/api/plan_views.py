"""The finance department's spending-plan API (用款计划, DESIGN §5.5; seed 001 §3(2)).

For external systems only (an API key with scopes; staff sessions are refused):

- ``spending-plans``: the province's plans applied to finance (submitted, approved,
  rejected) within the calling system's region, newest first; one with its lines and
  the cities' plans in it. Scope ``finance.plans.read``.
- ``spending-plans/<id>/decision/``: approve (with the allocation) or reject. Scope
  ``finance.plans.write``; idempotent by ``Idempotency-Key`` and by finance's document
  number (``reference``): the same decision again returns the first answer and changes
  nothing.
- ``spending-plans/<id>/transfers/``: finance's confirmation that it transferred money
  to the provincial expenditure account; posted to the fund ledger. Scope
  ``finance.plans.write``; idempotent in the same way.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from funds import plans
from funds.api.plan_serializers import (
    FinanceDecisionSerializer,
    FinanceTransferSerializer,
    SpendingPlanSerializer,
)
from funds.choices import PlanStatus
from funds.filtersets import SpendingPlanFilterSet
from funds.models import SpendingPlan
from pension.api.idempotency import idempotent
from pension.api.pagination import NewestFirstPagination
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope, client_region_prefix
from pension.choices import RegionLevel
from pension.errors import NotFound
from pension.models import ApiClient

READ_SCOPE = "finance.plans.read"
WRITE_SCOPE = "finance.plans.write"
SHOWN_STATUSES = (PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.REJECTED)
ERROR_PLAN_NOT_FOUND = _(
    "No spending plan applied to finance with this id in this system's region."
)

_API_KEY_ONLY = [{"ApiKeyAuth": []}]
_UNAUTHENTICATED = OpenApiResponse(description="No API key, or a key that is not valid or revoked.")
_REFUSED = OpenApiResponse(
    description="The key lacks the scope (`scope_missing`), or a staff session called "
    "(`api_key_required`)."
)
_NOT_FOUND = OpenApiResponse(description="No such plan applied to finance in the system's region.")
_CONFLICT = OpenApiResponse(
    description="`plan_not_applied` (not waiting for finance), `plan_not_approved` (a transfer "
    "for a plan not approved), `reference_reused` (the document number was used for another "
    "decision or transfer), `idempotency_key_reused`."
)


@extend_schema_view(
    list=extend_schema(
        summary="List the spending plans applied to finance (用款计划)",
        auth=_API_KEY_ONLY,
        description=(
            "The province's monthly spending plans applied to the finance department "
            "(`submitted`), approved or rejected by it, whose region lies within the calling "
            "system's, newest first. Filters: `period` (2026-12), `status`. Scope "
            "`finance.plans.read`."
        ),
        responses={200: SpendingPlanSerializer(many=True), 401: _UNAUTHENTICATED, 403: _REFUSED},
    ),
    retrieve=extend_schema(
        summary="A spending plan with its lines and the cities' plans",
        auth=_API_KEY_ONLY,
        description="Scope `finance.plans.read`; a plan outside the system's region is 404.",
        responses={
            200: SpendingPlanSerializer,
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
        },
    ),
)
class SpendingPlanViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE, "POST": WRITE_SCOPE}
    filterset_class = SpendingPlanFilterSet
    pagination_class = NewestFirstPagination
    lookup_value_regex = "[0-9]+"
    serializer_class = SpendingPlanSerializer
    parser_classes = [SafeJSONParser]

    def get_queryset(self) -> QuerySet[SpendingPlan]:
        client = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(client, ApiClient):
            return SpendingPlan.objects.none()
        return (
            SpendingPlan.objects.filter(
                region__level=RegionLevel.PROVINCE,
                status__in=SHOWN_STATUSES,
                region__code__startswith=client_region_prefix(client),
            )
            .select_related("region")
            .prefetch_related("lines", "children__region")
        )

    def get_object(self) -> SpendingPlan:
        plan = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if plan is None:
            raise NotFound(ERROR_PLAN_NOT_FOUND, code="not_found")
        return plan

    @extend_schema(
        summary="Approve and allocate, or reject, a spending plan (财政审核)",
        auth=_API_KEY_ONLY,
        description=(
            "`decision` `approve` with `allocated_amount` (a string, two decimals, at most "
            "the plan's amount; absent: the plan's amount) or `reject` with a `reason`, under "
            "finance's document number `reference`. On approval the cities' and counties' "
            "plans in it are approved too and may be disbursed. The same decision under the "
            "same `reference` answers 200 with the plan and changes nothing; another "
            "decision under it is 409 `reference_reused`. Scope `finance.plans.write`."
        ),
        request=FinanceDecisionSerializer,
        responses={
            201: SpendingPlanSerializer,
            200: OpenApiResponse(response=SpendingPlanSerializer, description="A replay."),
            400: OpenApiResponse(
                description=(
                    "A field is not valid (`invalid`, `reason_required`, `allocation_too_high`)."
                )
            ),
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="decision")
    @idempotent
    def decision(self, request: Request, pk: Any = None) -> Response:
        plan = self.get_object()
        serializer = FinanceDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = plans.plan_finance_decide(
            plan=plan,
            approve=data["decision"] == "approve",
            reference=data["reference"],
            allocated_amount=data.get("allocated_amount"),
            reason=data.get("reason", ""),
            client=request.user,
        )
        fresh = self.get_queryset().get(pk=result.plan.pk)
        return Response(SpendingPlanSerializer(fresh).data, status=200 if result.replayed else 201)

    @extend_schema(
        summary="Confirm a transfer to the provincial expenditure account (财政拨付)",
        auth=_API_KEY_ONLY,
        description=(
            "Finance transferred `amount` of an approved plan's allocation on "
            "`transferred_on` under its document number `reference`; posted to the fund "
            "ledger (special account → provincial expenditure account). The same "
            "confirmation again answers 200 with `replayed: true` and changes nothing. "
            "Scope `finance.plans.write`."
        ),
        request=FinanceTransferSerializer,
        responses={
            201: FinanceTransferSerializer,
            200: OpenApiResponse(response=FinanceTransferSerializer, description="A replay."),
            400: OpenApiResponse(description="A field is not valid."),
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="transfers")
    @idempotent
    def transfers(self, request: Request, pk: Any = None) -> Response:
        plan = self.get_object()
        serializer = FinanceTransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        transfer, replayed = plans.finance_transfer_record(
            plan=plan,
            reference=data["reference"],
            amount=data["amount"],
            transferred_on=data["transferred_on"],
            client=request.user,
        )
        answer = FinanceTransferSerializer(transfer, context={"replayed": replayed})
        return Response(answer.data, status=200 if replayed else 201)
