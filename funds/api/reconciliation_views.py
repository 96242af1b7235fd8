"""DRF views of the three-way reconciliation (三方对账, DESIGN §5.5): banks and finance
post account statements (scope ``funds.statement``, API keys only, idempotent by the
``Idempotency-Key``); the statements, the monthly runs and their breaks are read with
scope ``funds.read``, cursor pages, in the calling system's region."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from funds import reconciliation
from funds.api.ledger_views import READ_SCOPE, _ReadViewSet
from funds.api.reconciliation_serializers import (
    FundStatementInSerializer,
    FundStatementSerializer,
    ReconciliationBreakSerializer,
    ReconciliationRunSerializer,
)
from funds.filtersets import (
    AccountStatementFilterSet,
    ReconciliationBreakFilterSet,
    ReconciliationRunFilterSet,
)
from funds.reconciliation import StatementLineIn
from pension.api.idempotency import idempotent
from pension.api.pagination import IdCursorPagination
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope

_API_KEY_ONLY = [{"ApiKeyAuth": []}]


@extend_schema_view(
    list=extend_schema(
        summary="List account statements (对账单)",
        auth=_API_KEY_ONLY,
        description="Statements of the accounts in the calling system's region, by id, "
        "cursor pages; filters `period`, `region`, `account`. Scope `funds.read`.",
    ),
    retrieve=extend_schema(summary="One account statement", auth=_API_KEY_ONLY),
)
class AccountStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Account statements: posted by banks and finance, read by the others."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE, "POST": reconciliation.STATEMENT_SCOPE}
    pagination_class = IdCursorPagination
    filterset_class = AccountStatementFilterSet
    serializer_class = FundStatementSerializer

    def get_parsers(self):
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return [SafeJSONParser()]  # the idempotency hash is over canonical JSON
        return super().get_parsers()

    def get_queryset(self):
        client = self.request.user
        prefix = getattr(getattr(client, "region", None), "scope_prefix", None)
        if not hasattr(client, "scopes") or prefix is None:
            return reconciliation.statements_for_prefix("-")
        return reconciliation.statements_for_prefix(prefix)

    @extend_schema(
        summary="Post a month's account statement (对账单)",
        auth=_API_KEY_ONLY,
        description=(
            "A bank posts the month's statement of an income (收入户) or expenditure "
            "account (支出户), finance that of the fiscal special account (财政专户): "
            "`account` is the account's code in the calling system's region, `period` a "
            "month that is over, `lines` the movements (money in positive, out negative, "
            "booked within the month, line numbers once). The opening balance plus the "
            "lines must be the closing balance. One statement per account and month; the "
            "monthly three-way reconciliation matches its lines with the ledger. Scope "
            "`funds.statement`. Send the statement number as the `Idempotency-Key`: a "
            "repeat with the same body returns the first answer (`Idempotent-Replayed: "
            "true`) and writes nothing; the same key with another body is refused with "
            "409 `idempotency_key_reused`. Every refusal changes nothing."
        ),
        request=FundStatementInSerializer,
        responses={
            201: FundStatementSerializer,
            400: OpenApiResponse(
                description="`unknown_account`, `month_not_over`, `line_outside_month`, "
                "`line_repeated`, `line_zero`, `statement_not_balanced`, "
                "`idempotency_key_missing`, a field not valid…"
            ),
            401: OpenApiResponse(description="No API key, or one not valid or revoked."),
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
            409: OpenApiResponse(
                description="`idempotency_key_reused`, `statement_exists` or "
                "`statement_number_used`."
            ),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = FundStatementInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        statement = reconciliation.statement_record(
            client=request.user,
            statement_number=data["statement_number"],
            account_code=data["account"],
            period=data["period"],
            opening_balance=data["opening_balance"],
            closing_balance=data["closing_balance"],
            lines=[
                StatementLineIn(
                    line["line_number"],
                    line["booked_on"],
                    line["amount"],
                    line.get("reference", ""),
                    line.get("memo", ""),
                )
                for line in data["lines"]
            ],
        )
        return Response(FundStatementSerializer(statement).data, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="List the monthly reconciliations (三方对账)",
        auth=_API_KEY_ONLY,
        description="The province's reconciliation runs, by id, cursor pages; filters "
        "`status`, `period`. Scope `funds.read`.",
    ),
    retrieve=extend_schema(summary="One reconciliation", auth=_API_KEY_ONLY),
)
class ReconciliationRunViewSet(_ReadViewSet):
    serializer_class = ReconciliationRunSerializer
    filterset_class = ReconciliationRunFilterSet

    def get_queryset(self):
        from funds.models import ReconciliationRun

        prefix = self._prefix()
        if prefix == "-":
            return ReconciliationRun.objects.none()
        return ReconciliationRun.objects.select_related("region")


@extend_schema_view(
    list=extend_schema(
        summary="List reconciliation breaks (未达账项)",
        auth=_API_KEY_ONLY,
        description="Breaks on the accounts of the calling system's region, by id, cursor "
        "pages; filters `period`, `kind`, `status`, `region`, `account`, `older_than` "
        "(days since booked). Scope `funds.read`.",
    ),
    retrieve=extend_schema(summary="One reconciliation break", auth=_API_KEY_ONLY),
)
class ReconciliationBreakViewSet(_ReadViewSet):
    serializer_class = ReconciliationBreakSerializer
    filterset_class = ReconciliationBreakFilterSet

    def get_queryset(self):
        return reconciliation.breaks_for_prefix(self._prefix())
