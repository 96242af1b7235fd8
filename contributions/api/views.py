"""DRF viewsets of contributions: thin, they call selectors and services.

The tax exchange (DESIGN §5.2, §2.5), for external systems only (an API key with
scopes; staff sessions are refused):

- ``assessments``: bills of released assessment runs (核定单), scope
  ``contributions.read``; ``assessment-lines``: their contribution lines (缴费明细),
  citizen ID numbers masked unless the key has ``contributions.read_id_numbers``.
  Both in the calling system's region, ordered by id, cursor pages (the database
  returns one page at a time: nothing reads the whole list).
- ``payments``: the tax bureau's payment results, scope ``contributions.pay``,
  idempotent (the receipt number as ``Idempotency-Key``).
- ``arrears``: unpaid bills after their due date with the late fee as of ``as_of``,
  scope ``contributions.read``, oldest first, keyset pages on (period, id).

A ``region`` filter outside the calling system's region, and a payer registered
outside it, are refused with 403 ``outside_region``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from contributions import payments
from contributions.api.serializers import (
    FULL_ID_NUMBERS,
    ArrearsQuerySerializer,
    ArrearsSerializer,
    AssessmentLineSerializer,
    AssessmentSerializer,
    PaymentResultSerializer,
    PaymentSerializer,
)
from contributions.filtersets import ArrearsFilterSet, BillFilterSet, ContributionLineFilterSet
from contributions.models import TaxPayment
from pension.api.idempotency import idempotent
from pension.api.pagination import (
    CURSOR_HELP,
    IdCursorPagination,
    cursor_error,
    page_size_from,
    page_size_parameter,
)
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope, client_region_prefix
from pension.errors import NotPermitted
from pension.filtersets import region_filter_prefix
from pension.models import ApiClient
from pension.periods import Period
from pension.validators import mask_citizen_id

READ_SCOPE = "contributions.read"
READ_ID_NUMBERS_SCOPE = "contributions.read_id_numbers"
PAY_SCOPE = "contributions.pay"

ERROR_REGION_OUTSIDE = _("The region %(region)s lies outside this system's region.")

_KEYSET_CURSOR = re.compile(r"[A-Za-z0-9_-]+={0,2}", re.ASCII)
_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)
_API_KEY_ONLY = [{"ApiKeyAuth": []}]
_REFUSALS = {
    400: OpenApiResponse(description="A filter is not valid (`region_code`, `invalid`, …)."),
    401: OpenApiResponse(description="No API key, or a key that is not valid or revoked."),
    403: OpenApiResponse(
        description="The key lacks the scope (`scope_missing`), a staff session called "
        "(`api_key_required`), or the `region` lies outside the system's (`outside_region`)."
    ),
}


class OldestFirstPagination(BasePagination):
    """Keyset pages on (period, id), oldest first: ``?cursor=`` from ``next`` only.

    Each page is one ``WHERE (period, id) > (…) ORDER BY period, id LIMIT n`` query,
    so reading the whole list costs the same per page wherever it is.
    """

    page_size = 500
    max_page_size = 1000
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def _page_size(self, request: Request) -> int:
        return page_size_from(
            request,
            name=self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def _position(self, request: Request) -> tuple[int, int] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        if not _KEYSET_CURSOR.fullmatch(raw):
            raise cursor_error()
        try:
            period, pk = base64.urlsafe_b64decode(raw.encode("ascii")).decode("ascii").split(":")
            if not (_NUMBER.fullmatch(period) and _NUMBER.fullmatch(pk)):
                raise ValueError(raw)
            return Period.parse(int(period)).as_int, int(pk)
        except (ValueError, UnicodeError, binascii.Error):
            raise cursor_error() from None

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        self.request = request
        size = self._page_size(request)
        position = self._position(request)
        if position is not None:
            period, pk = position
            queryset = queryset.filter(Q(period__gt=period) | Q(period=period, pk__gt=pk))
        rows = list(queryset.order_by("period", "id")[: size + 1])
        self.next_position = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            self.next_position = (last.period.as_int, last.pk)
        return rows

    def get_next_link(self) -> str | None:
        if self.next_position is None:
            return None
        token = base64.urlsafe_b64encode("{}:{}".format(*self.next_position).encode()).decode()
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, token
        )

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": CURSOR_HELP,
                "schema": {"type": "string"},
            },
            page_size_parameter(self.page_size_query_param, self.page_size, self.max_page_size),
        ]


def _client_prefix(request: Request) -> str:
    return client_region_prefix(request.user)


def _refuse_region_outside(request: Request) -> None:
    """A ``region`` filter must lie within the calling system's region."""
    wanted = (request.query_params.get("region") or "").strip()
    if wanted and not region_filter_prefix(wanted).startswith(_client_prefix(request)):
        raise NotPermitted(
            ERROR_REGION_OUTSIDE,
            code="outside_region",
            params={"region": wanted},
            details={"field": "region"},
        )


class _TaxExportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rows of the calling system's region, filtered, by cursor."""

    throttle_scope = "export"  # per-client rate (REST_FRAMEWORK throttle rates)

    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    filter_backends = [DjangoFilterBackend]
    pagination_class = IdCursorPagination

    def _scoped(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        client = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(client, ApiClient):
            return self._scoped().none()
        return self._scoped()

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context[FULL_ID_NUMBERS] = READ_ID_NUMBERS_SCOPE in getattr(self.request.user, "scopes", ())
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _refuse_region_outside(request)
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="List assessments (核定单) of released runs",
        auth=_API_KEY_ONLY,
        description=(
            "Bills of assessment runs released to the tax bureau (released or closed; dry "
            "runs and runs not yet released never appear), of the calling system's region, "
            "ordered by id, 500 a page (`page_size` up to 1000); follow `next` to the end. "
            "Scope `contributions.read`. Filters: `period` (2025-03), `region` (within the "
            "system's region, else 403 `outside_region`), `employer` (credit code), "
            "`id_number` (a flexible contributor). The lines are at `assessment-lines/`."
        ),
        responses={200: AssessmentSerializer(many=True), **_REFUSALS},
    )
)
class AssessmentViewSet(_TaxExportViewSet):
    serializer_class = AssessmentSerializer
    filterset_class = BillFilterSet

    def _scoped(self) -> QuerySet:
        prefix = _client_prefix(self.request) if isinstance(self.request.user, ApiClient) else ""
        return payments.assessment_bills(region_prefix=prefix)


@extend_schema_view(
    list=extend_schema(
        summary="List contribution lines (缴费明细) of released runs",
        auth=_API_KEY_ONLY,
        description=(
            "Lines of assessment runs released to the tax bureau whose payer (the employer, "
            "else the flexible contributor) lies in the calling system's region, ordered by "
            "id, cursor pages as `assessments/`. Scope `contributions.read`; citizen ID "
            "numbers are masked unless the key also has `contributions.read_id_numbers`."
        ),
        responses={200: AssessmentLineSerializer(many=True), **_REFUSALS},
    )
)
class AssessmentLineViewSet(_TaxExportViewSet):
    serializer_class = AssessmentLineSerializer
    filterset_class = ContributionLineFilterSet

    def _scoped(self) -> QuerySet:
        prefix = _client_prefix(self.request) if isinstance(self.request.user, ApiClient) else ""
        return payments.assessment_lines(region_prefix=prefix)


class PaymentViewSet(viewsets.GenericViewSet):
    """The tax bureau's payment results (税务缴款)."""

    permission_classes = [HasScope]
    required_scopes = {"POST": PAY_SCOPE}
    serializer_class = PaymentSerializer
    parser_classes = [SafeJSONParser]  # the idempotency hash is over canonical JSON
    filter_backends: list = []
    pagination_class = None
    queryset = TaxPayment.objects.none()

    @extend_schema(
        summary="Post a payment result (税务缴款)",
        auth=_API_KEY_ONLY,
        description=(
            "Records a payment of an employer (`credit_code`) or a flexible contributor "
            "(`id_number`) and allocates it to the payer's open bills: the named `periods` "
            "first, oldest first, then the rest, oldest first. A late fee is computed for "
            "each period paid after its due date, on the amount allocated, at the daily rate "
            "in force (0.05 % a day from 2011-07-01), and is owed on top of the amount: "
            "the amount goes to contributions in full. What is left is held as credit. "
            "Scope `contributions.pay`. Send the receipt number as the `Idempotency-Key`: a "
            "repeat with the same body returns the first answer (`Idempotent-Replayed: "
            "true`) and writes nothing; the same key with another body is refused with 409 "
            "`idempotency_key_reused`; a receipt number already recorded under another key "
            "is refused with 409 (`receipt_number_reused`, or `payment_already_recorded` "
            "when the body is the same). A payer outside the calling system's region is "
            "refused with 403 `outside_region`. Every refusal changes nothing."
        ),
        request=PaymentSerializer,
        responses={
            201: PaymentResultSerializer,
            400: OpenApiResponse(
                description="Invalid input: `payer_missing`, `unknown_payer`, `not_text` "
                "(amount not a string), `paid_on_in_future`, `idempotency_key_missing`…"
            ),
            401: _REFUSALS[401],
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
            409: OpenApiResponse(
                description="`idempotency_key_reused`, `receipt_number_reused` or "
                "`payment_already_recorded`."
            ),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = payments.tax_payment_record(
            client=request.user,
            receipt_number=data["receipt_number"],
            credit_code=data.get("credit_code"),
            id_number=data.get("id_number"),
            amount=data["amount"],
            paid_on=data["paid_on"],
            periods=data["periods"],
        )
        return Response(PaymentResultSerializer(_payment_result(payment)).data, status=201)


def _payment_result(payment: TaxPayment) -> dict:
    allocations = [
        {
            "bill_id": allocation.bill_id,
            "period": allocation.bill.period,
            "amount": allocation.amount,
            "outstanding_after": payments.bill_outstanding(allocation.bill),
            "status": allocation.bill.status,
            "due_date": allocation.bill.due_date,
            "days_late": max(
                0,
                (
                    payments.fee_counted_to(allocation.bill, payment.paid_on)
                    - allocation.bill.due_date
                ).days,
            )
            if allocation.bill.employer_id
            else 0,
            "late_fee": allocation.late_fee,
        }
        for allocation in payments.payment_allocations(payment)
    ]
    return {
        "payment_id": payment.pk,
        "receipt_number": payment.receipt_number,
        "credit_code": payment.employer.credit_code if payment.employer_id else None,
        "id_number": mask_citizen_id(payment.person.id_number) if payment.person_id else None,
        "amount": payment.amount,
        "paid_on": payment.paid_on,
        "periods": payment.periods,
        "allocated": payment.amount - payment.unallocated - payment.late_fee_paid,
        "late_fee": payment.late_fee,
        "late_fee_collected": payment.late_fee_paid,
        "credit_held": payment.unallocated,
        "allocations": allocations,
    }


AS_OF_PARAMETER = OpenApiParameter(
    name="as_of",
    type=OpenApiTypes.DATE,
    location=OpenApiParameter.QUERY,
    required=False,
    description="The day the arrears and late fees are computed for (default: today)",
)


@extend_schema_view(
    list=extend_schema(
        summary="List arrears (欠费) with late fees",
        auth=_API_KEY_ONLY,
        description=(
            "Open bills (unpaid or partly paid) of released runs and approved cases whose "
            "due date is before `as_of` (default today), in the calling system's region, "
            "oldest period first, 500 a page (`page_size` up to 1000); follow `next` to the "
            "end. Each row carries the outstanding amount and the late fee on it from the "
            "day after the due date up to and including `as_of`, at the daily rate in force "
            "on each day (computed when asked, never stored). Scope `contributions.read`. "
            "Filters: `region`, `employer` (credit code), `id_number`."
        ),
        parameters=[AS_OF_PARAMETER],
        responses={200: ArrearsSerializer(many=True), **_REFUSALS},
    )
)
class ArrearsViewSet(_TaxExportViewSet):
    serializer_class = ArrearsSerializer
    filterset_class = ArrearsFilterSet
    pagination_class = OldestFirstPagination

    def _as_of(self):
        query = ArrearsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("as_of") or timezone.localdate()

    def _scoped(self) -> QuerySet:
        if not isinstance(self.request.user, ApiClient):
            return payments.arrears_bills(region_prefix="", as_of=timezone.localdate())
        return payments.arrears_bills(
            region_prefix=_client_prefix(self.request), as_of=self._as_of()
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _refuse_region_outside(request)
        as_of = self._as_of()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        items = list(payments.with_late_fees(page, as_of=as_of))
        serializer = self.get_serializer(items, many=True)
        return self.get_paginated_response(serializer.data)
