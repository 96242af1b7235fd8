"""DRF viewsets of budget: read only, for external systems with the scope
``budget.read`` (the finance department's, the government's), within the calling
system's region: the versions of its province's budget, the lines of its cities, the
collection targets and the gap payments of its region. Cursor pages by id."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from budget import selectors
from budget.api.serializers import (
    BudgetLineSerializer,
    BudgetVersionSerializer,
    CollectionTargetSerializer,
    GapPaymentSerializer,
)
from budget.filtersets import (
    BudgetLineFilterSet,
    BudgetVersionFilterSet,
    CollectionTargetFilterSet,
    GapPaymentFilterSet,
)
from pension.api.pagination import IdCursorPagination
from pension.api.permissions import HasScope, client_region_prefix
from pension.models import ApiClient

READ_SCOPE = "budget.read"
_API_KEY_ONLY = [{"ApiKeyAuth": []}]


class _ReadViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    pagination_class = IdCursorPagination
    lookup_value_regex = "[0-9]+"
    selector = None

    def get_queryset(self) -> QuerySet:
        client = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(client, ApiClient):
            return self.serializer_class.Meta.model.objects.none()
        return type(self).selector(client_region_prefix(client))


@extend_schema_view(
    list=extend_schema(
        summary="List the versions of the province's budget (预算版本)",
        auth=_API_KEY_ONLY,
        description="Every version (drafts, the approved one, adjustment plans) of the budgets "
        "of the province the calling system lies in, by id, cursor pages; filters `year`, "
        "`status`, `kind`. Scope `budget.read`.",
    ),
    retrieve=extend_schema(summary="One budget version", auth=_API_KEY_ONLY),
)
class BudgetVersionViewSet(_ReadViewSet):
    serializer_class = BudgetVersionSerializer
    filterset_class = BudgetVersionFilterSet
    selector = staticmethod(selectors.versions_for_prefix)


@extend_schema_view(
    list=extend_schema(
        summary="List budget lines by city and item (预算明细)",
        auth=_API_KEY_ONLY,
        description="Lines of the cities within the calling system's region, by id, cursor "
        "pages; filters `version`, `year`, `region`, `item`. Scope `budget.read`.",
    ),
    retrieve=extend_schema(summary="One budget line", auth=_API_KEY_ONLY),
)
class BudgetLineViewSet(_ReadViewSet):
    serializer_class = BudgetLineSerializer
    filterset_class = BudgetLineFilterSet
    selector = staticmethod(selectors.lines_for_prefix)


@extend_schema_view(
    list=extend_schema(
        summary="List collection targets (征缴目标)",
        auth=_API_KEY_ONLY,
        description="Targets of the cities and counties within the calling system's region, "
        "by id, cursor pages; filters `year`, `region`, `level`. Scope `budget.read`.",
    ),
    retrieve=extend_schema(summary="One collection target", auth=_API_KEY_ONLY),
)
class CollectionTargetViewSet(_ReadViewSet):
    serializer_class = CollectionTargetSerializer
    filterset_class = CollectionTargetFilterSet
    selector = staticmethod(selectors.targets_for_prefix)


@extend_schema_view(
    list=extend_schema(
        summary="List payments towards the cities' gaps (缺口分担资金)",
        auth=_API_KEY_ONLY,
        description="Payments recorded for the cities within the calling system's region, by "
        "id, cursor pages; filters `year`, `region`, `payer`. Scope `budget.read`.",
    ),
    retrieve=extend_schema(summary="One gap payment", auth=_API_KEY_ONLY),
)
class GapPaymentViewSet(_ReadViewSet):
    serializer_class = GapPaymentSerializer
    filterset_class = GapPaymentFilterSet
    selector = staticmethod(selectors.gap_payments_for_prefix)
