"""DRF views of the fund ledger (DESIGN §5.5): the tax bureau's transfers (scope
``funds.tax_transfer``, API keys only, idempotent by the ``Idempotency-Key``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from funds import revenue, selectors
from funds.api.ledger_serializers import (
    FundAccountSerializer,
    JournalEntrySerializer,
    TaxTransferResultSerializer,
    TaxTransferSerializer,
)
from funds.filtersets import FundAccountFilterSet, JournalEntryFilterSet
from funds.models import TaxTransfer
from pension.api.idempotency import idempotent
from pension.api.pagination import IdCursorPagination
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope
from pension.models import ApiClient

_API_KEY_ONLY = [{"ApiKeyAuth": []}]


def tax_transfer_result(transfer: TaxTransfer) -> dict:
    legs = {leg.amount > 0: leg.account.code for leg in transfer.entry.legs.all()}
    return {
        "transfer_id": transfer.pk,
        "transfer_number": transfer.transfer_number,
        "transferred_on": transfer.transferred_on,
        "account": transfer.account.code,
        "clearing_account": legs[False],
        "amount": transfer.amount,
        "receipts": transfer.receipts.count(),
        "entry_id": transfer.entry_id,
        "period": str(transfer.entry.period.period),
    }


class TaxTransferViewSet(viewsets.GenericViewSet):
    """The tax bureau's transfers (税务划转) to the fund's accounts."""

    permission_classes = [HasScope]
    required_scopes = {"POST": revenue.TAX_TRANSFER_SCOPE}
    serializer_class = TaxTransferSerializer
    parser_classes = [SafeJSONParser]  # the idempotency hash is over canonical JSON
    filter_backends: list = []
    pagination_class = None
    queryset = TaxTransfer.objects.none()

    @extend_schema(
        summary="Post a tax bureau transfer (税务划转)",
        auth=_API_KEY_ONLY,
        description=(
            "Records money the tax bureau transferred to a fund account on `transferred_on`: "
            "`account` is the code of an income account (收入户) or of the fiscal special "
            "account (财政专户) in the calling system's region; `receipts` the payment "
            "receipt numbers it covers (each covered once). Posts a journal entry in the "
            "month of the transfer: debit the account, credit the tax clearing account of "
            "its region. Scope `funds.tax_transfer`. Send the transfer number as the "
            "`Idempotency-Key`: a repeat with the same body returns the first answer "
            "(`Idempotent-Replayed: true`) and writes nothing; the same key with another "
            "body is refused with 409 `idempotency_key_reused`. Every refusal changes nothing."
        ),
        request=TaxTransferSerializer,
        responses={
            201: TaxTransferResultSerializer,
            400: OpenApiResponse(
                description="`unknown_account`, `transferred_on_in_future`, "
                "`receipt_repeated`, `idempotency_key_missing`, a field not valid…"
            ),
            401: OpenApiResponse(description="No API key, or one not valid or revoked."),
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
            409: OpenApiResponse(
                description="`idempotency_key_reused`, `transfer_already_recorded`, "
                "`receipt_already_covered` or `period_closed`."
            ),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        transfer = revenue.tax_transfer_record(
            client=request.user,
            transfer_number=data["transfer_number"],
            transferred_on=data["transferred_on"],
            account_code=data["account"].strip(),
            amount=data["amount"],
            receipt_numbers=data["receipts"],
        )
        return Response(TaxTransferResultSerializer(tax_transfer_result(transfer)).data, status=201)


READ_SCOPE = "funds.read"


class _ReadViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    pagination_class = IdCursorPagination

    def _prefix(self) -> str:
        client = self.request.user
        return client.region.scope_prefix if isinstance(client, ApiClient) else "-"


@extend_schema_view(
    list=extend_schema(
        summary="List fund accounts with their balances (基金账户)",
        auth=_API_KEY_ONLY,
        description="Accounts of the calling system's region, by id, cursor pages; "
        "filters `region`, `kind`. Scope `funds.read`.",
    ),
    retrieve=extend_schema(summary="One fund account", auth=_API_KEY_ONLY),
)
class FundAccountViewSet(_ReadViewSet):
    serializer_class = FundAccountSerializer
    filterset_class = FundAccountFilterSet

    def get_queryset(self):
        return selectors.accounts_for_prefix(self._prefix())


@extend_schema_view(
    list=extend_schema(
        summary="List journal entries with their legs (记账凭证)",
        auth=_API_KEY_ONLY,
        description="Entries with a leg in the calling system's region, by id, cursor "
        "pages; filters `period`, `account`, `item`, `region`. Scope `funds.read`.",
    ),
    retrieve=extend_schema(summary="One journal entry", auth=_API_KEY_ONLY),
)
class JournalEntryViewSet(_ReadViewSet):
    serializer_class = JournalEntrySerializer
    filterset_class = JournalEntryFilterSet

    def get_queryset(self):
        return selectors.entries_for_prefix(self._prefix())
