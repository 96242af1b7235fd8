"""DRF views of the revenue recorded by a case (其他基金收入登记, DESIGN §5.5): fiscal
subsidies, central adjustment funds (中央调剂金), interest, transfers in and other
revenue, read by the finance department's and the supervisors' systems. Scope
``funds.read``, API keys only, the calling system's region only, cursor pages by id."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from funds import other_revenue
from funds.api.ledger_views import _ReadViewSet
from funds.api.other_revenue_serializers import OtherRevenueSerializer
from funds.filtersets import OtherRevenueFilterSet
from funds.models import OtherRevenue
from pension.errors import NotFound, NotPermitted
from pension.filtersets import region_filter_prefix

_API_KEY_ONLY = [{"ApiKeyAuth": []}]
ERROR_OUTSIDE = _("The region %(region)s lies outside this system's region.")
ERROR_NOT_FOUND = _("No revenue record with this id in this system's region.")
_REFUSED = OpenApiResponse(
    description="`scope_missing`, `api_key_required`, or a `region` filter outside the "
    "system's region (`outside_region`)."
)
_UNAUTHENTICATED = OpenApiResponse(description="No API key, or one not valid or revoked.")


@extend_schema_view(
    list=extend_schema(
        summary="List revenue recorded by a case (其他基金收入)",
        auth=_API_KEY_ONLY,
        description=(
            "Fiscal subsidies (财政补贴), central adjustment funds (中央调剂金), interest, "
            "transfers in and other revenue of the regions within the calling system's, "
            "as recorded from their documents: pending (waiting for the checker), posted "
            "(with the journal entry) or rejected. Cursor pages by id. Filters: `region` "
            "(within the system's region, else 403 `outside_region`), `period` (the month "
            "received, 2026-03), `item`, `status`, `received_from`, `received_to`, "
            "`document_reference`. Scope `funds.read`."
        ),
        responses={
            200: OtherRevenueSerializer(many=True),
            400: OpenApiResponse(
                description="A filter is not valid (`period`, `region_code`, "
                "`invalid_choice`, a date), `invalid_cursor`, `invalid_page_size`."
            ),
            401: _UNAUTHENTICATED,
            403: _REFUSED,
        },
    ),
    retrieve=extend_schema(
        summary="One revenue record",
        auth=_API_KEY_ONLY,
        description="Scope `funds.read`; a record outside the system's region is 404.",
        responses={
            200: OtherRevenueSerializer,
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: OpenApiResponse(description="No such record in the system's region."),
        },
    ),
)
class OtherRevenueViewSet(_ReadViewSet):
    serializer_class = OtherRevenueSerializer
    filterset_class = OtherRevenueFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[OtherRevenue]:
        return other_revenue.other_revenue_for_prefix(self._prefix())

    def get_object(self) -> OtherRevenue:
        record = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if record is None:
            raise NotFound(ERROR_NOT_FOUND, code="not_found")
        return record

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wanted = (request.query_params.get("region") or "").strip()
        well_formed = wanted.isascii() and wanted.isdigit() and len(wanted) in (2, 4, 6)
        if well_formed and not region_filter_prefix(wanted).startswith(self._prefix()):
            raise NotPermitted(
                ERROR_OUTSIDE,
                code="outside_region",
                params={"region": wanted},
                details={"field": "region"},
            )
        return super().list(request, *args, **kwargs)
