"""The revenue and expenditure statement (基金收支月报) over REST for the finance
department's and the supervisors' systems: scope ``funds.read``, a region within the
calling system's."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from funds import statements
from funds.api.statement_serializers import StatementQuerySerializer, StatementSerializer
from pension.api.permissions import HasScope
from pension.errors import NotPermitted
from pension.models import ApiClient

READ_SCOPE = "funds.read"
OUTSIDE = _("The region %(region)s lies outside this system's region.")


class StatementView(APIView):
    """One region's statement for one month."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}

    @extend_schema(
        summary="The monthly revenue and expenditure statement (基金收支月报)",
        auth=[{"ApiKeyAuth": []}],
        parameters=[
            OpenApiParameter("region", str, description="A region code (default: the caller's)"),
            OpenApiParameter("period", str, description="The month, YYYY-MM (default: last month)"),
        ],
        description=(
            "Revenue and expenditure by item of the region and the regions below it: the "
            "month, the year to date, last year's same month and year to date, the change "
            "in per cent; totals, the surplus, the bank balance at the month's end and the "
            "regions one level below. Amounts are strings. Scope `funds.read`."
        ),
        responses=StatementSerializer,
    )
    def get(self, request: Request) -> Response:
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        client: ApiClient = request.user
        code = query.validated_data.get("region") or client.region.code
        region = statements.statement_region_for_prefix(client.region.scope_prefix, code)
        if region is None:
            raise NotPermitted(OUTSIDE, code="outside_region", params={"region": code})
        period = query.validated_data.get("period") or statements.latest_period(
            today=timezone.localdate()
        )
        statement = statements.revenue_expenditure_statement(region=region, period=period)
        return Response(StatementSerializer(statement).data)
