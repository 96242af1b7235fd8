"""DRF viewsets of audit and internal control: read only, for external systems with the
scope ``audit.read`` (a supervising department's), within the calling system's region:
the inspections (稽核案件) with their findings. Cursor pages by id."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from audit import selectors
from audit.api.serializers import InspectionSerializer
from audit.filtersets import InspectionFilterSet
from audit.models import Inspection
from pension.api.pagination import IdCursorPagination
from pension.api.permissions import HasScope, client_region_prefix
from pension.models import ApiClient

READ_SCOPE = "audit.read"
_API_KEY_ONLY = [{"ApiKeyAuth": []}]


@extend_schema_view(
    list=extend_schema(
        summary="List inspections (稽核案件)",
        auth=_API_KEY_ONLY,
        description="Inspections of employers and benefit claims lying within the calling "
        "system's region, with their findings (kind, amount, the case each became), by id, "
        "cursor pages; filters `kind`, `status`, `region`. Scope `audit.read`.",
    ),
    retrieve=extend_schema(summary="One inspection with its findings", auth=_API_KEY_ONLY),
)
class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    pagination_class = IdCursorPagination
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet:
        client = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(client, ApiClient):
            return Inspection.objects.none()
        return selectors.inspections_for_prefix(client_region_prefix(client))
