"""DRF views of benefits and payroll: thin, they call selectors and services.

The payroll exchange with the banks and the finance department (§9.3.1), for external
systems only (an API key with scopes; staff sessions are refused):

- ``payroll-runs``: live runs that were approved (approved, exported, closed), of the
  calling system's region, newest first, cursor pages; one run with its totals per
  city and county (发放汇总) and its bank files and bank results. Scope
  ``payroll.read``.
- ``bank-files/<id>/content/``: a bank file (银行代发文件) as written, streamed, with its
  SHA-256 in ``X-Content-SHA256``. Scope ``payroll.read`` (a bank pulls its file).
- ``payment-instructions``: the payment instructions (支付指令: refunds, account
  settlements, transfers out, survivor benefits) of the calling system's region (a
  bank's system: of its bank only), newest first, cursor pages, with status, purpose,
  payee, amount and the payroll run that carried each. Read-only; scope
  ``payroll.read``.
- ``bank-results``: a bank's results (银行回盘) for the payments of a run, scope
  ``payroll.bank_results``; the bank batch id is the idempotency key: a batch id
  received before returns the first result (200, ``replayed``) and changes nothing.

A run is seen only when its region lies within the calling system's region; any other
run (or its files) is 404, as if absent.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benefits.api.serializers import (
    BankResultReceiptSerializer,
    BankResultsSerializer,
    PaymentInstructionSerializer,
    PayrollRunDetailSerializer,
    PayrollRunSerializer,
)
from benefits.choices import PayrollRunStatus
from benefits.filtersets import PaymentInstructionFilterSet
from benefits.models import BankFile, BankResultBatch, PayrollRun
from benefits.payroll import bank
from benefits.selectors import payment_instructions_annotated
from pension.api.pagination import NewestFirstPagination
from pension.api.parsers import SafeJSONParser
from pension.api.permissions import HasScope, client_region_prefix
from pension.errors import Conflict, NotFound, NotPermitted
from pension.filtersets import PeriodFilter, RegionFilter, region_filter_prefix
from pension.models import ApiClient, PaymentInstruction

READ_SCOPE = "payroll.read"
BANK_RESULTS_SCOPE = "payroll.bank_results"
# the runs the API shows: approved, and what follows approval
SHOWN_STATUSES = (PayrollRunStatus.APPROVED, PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHA256_HEADER = "X-Content-SHA256"

ERROR_REGION_OUTSIDE = _("The region %(region)s lies outside this system's region.")
ERROR_RUN_NOT_FOUND = _("No payroll run with this id in this system's region.")
ERROR_FILE_NOT_FOUND = _("No bank file with this id in this system's region.")
ERROR_INSTRUCTION_NOT_FOUND = _("No payment instruction with this id in this system's region.")
ERROR_OTHER_BANK = _("This system reports the results of %(bank)s only; nothing was changed.")
ERROR_BATCH_REUSED = _(
    "Bank batch %(batch)s was received before with other results; nothing was changed."
)

_API_KEY_ONLY = [{"ApiKeyAuth": []}]
_UNAUTHENTICATED = OpenApiResponse(description="No API key, or a key that is not valid or revoked.")
_REFUSED = OpenApiResponse(
    description="The key lacks the scope (`scope_missing`), or a staff session called "
    "(`api_key_required`)."
)
_NOT_FOUND = OpenApiResponse(description="No such run or file in the calling system's region.")


def _client(request: Request) -> ApiClient | None:
    principal = request.user
    return principal if isinstance(principal, ApiClient) else None


def bank_allows(client: ApiClient | None, bank_name: str) -> bool:
    """A bank's system (``bank_name`` set) reads and reports only its own bank's
    payments; other systems (the finance department) are not limited by bank."""
    return client is not None and (not client.bank_name or client.bank_name == bank_name)


def live_runs_of(client: ApiClient) -> QuerySet[PayrollRun]:
    """The live (not dry) runs whose region lies within ``client``'s region."""
    return PayrollRun.objects.filter(
        dry_run=False, region__code__startswith=client_region_prefix(client)
    ).select_related("region")


class PayrollRunFilterSet(django_filters.FilterSet):
    """Runs by period, region (within it) and status."""

    period = PeriodFilter()
    region = RegionFilter()
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=[(s.value, s.label) for s in SHOWN_STATUSES]
    )

    class Meta:
        model = PayrollRun
        fields = ["period", "region", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="List payroll runs (养老金发放批次)",
        auth=_API_KEY_ONLY,
        description=(
            "Live payroll runs that were approved (`approved`; `exported`: bank files "
            "written, results awaited; `closed`: every result in), whose region lies within "
            "the calling system's, newest first, 100 a page (`page_size` up to 500); follow "
            "`next`. Dry runs and runs not approved never appear. Scope `payroll.read`. "
            "Filters: `period` (2026-11), `region` (within the system's region, else 403 "
            "`outside_region`), `status`."
        ),
        responses={
            200: PayrollRunSerializer(many=True),
            400: OpenApiResponse(description="A filter is not valid."),
            401: _UNAUTHENTICATED,
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
        },
    ),
    retrieve=extend_schema(
        summary="A payroll run with its totals and bank files",
        auth=_API_KEY_ONLY,
        description=(
            "The run, its totals per city and under each city per county, item by item "
            "(发放汇总: what the finance department funds), its bank files (one per bank and "
            "format, with the count, total and SHA-256 and the URL to download it) and the "
            "bank results received. Scope `payroll.read`; a run outside the system's region "
            "is 404."
        ),
        responses={
            200: PayrollRunDetailSerializer,
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
        },
    ),
)
class PayrollRunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    filter_backends = [DjangoFilterBackend]
    filterset_class = PayrollRunFilterSet
    pagination_class = NewestFirstPagination
    lookup_value_regex = "[0-9]+"
    serializer_class = PayrollRunSerializer

    def get_queryset(self) -> QuerySet[PayrollRun]:
        client = _client(self.request)
        if getattr(self, "swagger_fake_view", False) or client is None:
            return PayrollRun.objects.none()
        return live_runs_of(client).filter(status__in=SHOWN_STATUSES)

    def get_serializer_class(self):
        return PayrollRunDetailSerializer if self.action == "retrieve" else PayrollRunSerializer

    def get_object(self) -> PayrollRun:
        run = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if run is None:
            raise NotFound(ERROR_RUN_NOT_FOUND, code="not_found")
        return run

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wanted = (request.query_params.get("region") or "").strip()
        prefix = client_region_prefix(request.user)
        if wanted and not region_filter_prefix(wanted).startswith(prefix):
            raise NotPermitted(
                ERROR_REGION_OUTSIDE,
                code="outside_region",
                params={"region": wanted},
                details={"field": "region"},
            )
        return super().list(request, *args, **kwargs)


def _refuse_outside_region(request: Request) -> None:
    wanted = (request.query_params.get("region") or "").strip()
    prefix = client_region_prefix(request.user)
    if wanted and not region_filter_prefix(wanted).startswith(prefix):
        raise NotPermitted(
            ERROR_REGION_OUTSIDE,
            code="outside_region",
            params={"region": wanted},
            details={"field": "region"},
        )


@extend_schema_view(
    list=extend_schema(
        summary="List payment instructions (支付指令)",
        auth=_API_KEY_ONLY,
        description=(
            "Money that goes out other than the monthly pension (a refund of contributions, "
            "the settlement of a personal account, a transfer to another province, survivor "
            "benefits), whose region lies within the calling system's (a bank's system: of "
            "its own bank only), newest first, 100 a page (`page_size` up to 500); follow "
            "`next`. Each with its purpose, status (open → issued → paid or failed), payee, "
            "bank, account, amount, the bank's failure reason, and the live payroll run that "
            "carried it to the bank (`payroll_run`, `payroll_period`, `payroll_payment`: "
            "null while open). Read-only; scope `payroll.read`. Filters: `status`, "
            "`purpose`, `region` (within the system's region, else 403 `outside_region`), "
            "`payee` (part of the name), `bank_name`, `payroll_run`, `since`, `until` (the "
            "day written)."
        ),
        responses={
            200: PaymentInstructionSerializer(many=True),
            400: OpenApiResponse(description="A filter is not valid."),
            401: _UNAUTHENTICATED,
            403: OpenApiResponse(
                description="`scope_missing`, `api_key_required` or `outside_region`."
            ),
        },
    ),
    retrieve=extend_schema(
        summary="A payment instruction",
        auth=_API_KEY_ONLY,
        description=(
            "One payment instruction with the payroll run that carried it. Scope "
            "`payroll.read`; an instruction outside the system's region (or of another "
            "bank, for a bank's system) is 404."
        ),
        responses={
            200: PaymentInstructionSerializer,
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: OpenApiResponse(description="No such instruction in the system's region."),
        },
    ),
)
class PaymentInstructionViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    filter_backends = [DjangoFilterBackend]
    filterset_class = PaymentInstructionFilterSet
    pagination_class = NewestFirstPagination
    lookup_value_regex = "[0-9]+"
    serializer_class = PaymentInstructionSerializer

    def get_queryset(self) -> QuerySet[PaymentInstruction]:
        client = _client(self.request)
        if getattr(self, "swagger_fake_view", False) or client is None:
            return PaymentInstruction.objects.none()
        queryset = PaymentInstruction.objects.filter(
            region__code__startswith=client_region_prefix(client)
        )
        if client.bank_name:
            queryset = queryset.filter(bank_name=client.bank_name)
        return payment_instructions_annotated(queryset)

    def get_object(self) -> PaymentInstruction:
        instruction = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if instruction is None:
            raise NotFound(ERROR_INSTRUCTION_NOT_FOUND, code="not_found")
        return instruction

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _refuse_outside_region(request)
        return super().list(request, *args, **kwargs)


class _ErrorsAsJson(BaseContentNegotiation):
    """Whatever the bank accepts: the file is the file, a refusal is JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class BankFileContentView(APIView):
    throttle_scope = "bank"  # per-client rate (REST_FRAMEWORK throttle rates)
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}
    content_negotiation_class = _ErrorsAsJson

    @extend_schema(
        summary="Download a bank file (银行代发文件)",
        auth=_API_KEY_ONLY,
        description=(
            "The bank file as written at export, streamed: CSV (UTF-8; header 序号,流水号,"
            "姓名,账号,金额; one row per payment; last row 合计,<count>,<total>,<SHA-256 of "
            "every byte before it>) or Excel (.xlsx, the same rows). The SHA-256 of the "
            "whole file is in the `X-Content-SHA256` header and in the run's `bank_files`. "
            "Scope `payroll.read`; a file of a run outside the system's region is 404."
        ),
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The CSV file"
            ),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The Excel file"
            ),
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        client = _client(request)
        bank_file = (
            BankFile.objects.filter(pk=pk, run__in=live_runs_of(client)).first()
            if client is not None
            else None
        )
        if bank_file is None or not bank_allows(client, bank_file.bank_name):
            raise NotFound(ERROR_FILE_NOT_FOUND, code="not_found")
        run = bank_file.run
        name = f"payroll-{run.period}-run{run.pk}-{bank_file.pk}.{bank_file.file_format}"
        response = FileResponse(
            bank_file.file.open("rb"),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES.get(bank_file.file_format, "application/octet-stream"),
        )
        response[SHA256_HEADER] = bank_file.sha256
        return response


def _body_digest(data: dict[str, Any]) -> str:
    """SHA-256 of what a result batch says (run, bank, rows), in canonical JSON."""
    canonical = json.dumps(
        {"run": data["run"], "bank_name": data["bank_name"], "results": data["results"]},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class BankResultViewSet(viewsets.GenericViewSet):
    """The banks' results for the payments of a payroll run (银行回盘)."""

    throttle_scope = "bank"  # per-client rate (REST_FRAMEWORK throttle rates)

    permission_classes = [HasScope]
    required_scopes = {"POST": BANK_RESULTS_SCOPE}
    serializer_class = BankResultsSerializer
    parser_classes = [SafeJSONParser]
    filter_backends: list = []
    pagination_class = None
    queryset = BankResultBatch.objects.none()

    @extend_schema(
        summary="Post a bank's results (银行回盘)",
        auth=_API_KEY_ONLY,
        description=(
            "The results of the payments of one run and bank, under the bank's batch id. "
            "Every row is checked first: the payment is of this run and bank and was sent "
            "without a result yet, the account and the amount (a string, two decimals) are "
            "the ones in the bank file, the result is 成功 or 失败 and a failure has the "
            "bank's reason; one wrong row and nothing is imported (400 `invalid_rows`, each "
            "wrong row in `details.rows` as row (from 1, in the order sent), column, value "
            "and message). Then the payments become paid or failed, each failed one becomes "
            "a re-issue that the next payroll pays (to the account then on record), and the "
            "run is closed once no payment awaits a result. The bank batch id is the "
            "idempotency key: a batch id received before answers 200 with the first result "
            "and `replayed: true` and changes nothing; the same batch id with other results "
            "is 409 `bank_batch_reused`, an id another bank used 409 `bank_batch_other_bank`, "
            "for another run 409 `batch_other_run`. A run whose "
            "bank files were not written is 409 `not_exported`. Scope "
            "`payroll.bank_results`; a run outside the system's region is 404. At most "
            "20000 rows a request: send a bigger result as several batches."
        ),
        request=BankResultsSerializer,
        responses={
            201: BankResultReceiptSerializer,
            200: OpenApiResponse(
                response=BankResultReceiptSerializer,
                description="A replay: the first result, `replayed: true`; nothing changed.",
            ),
            400: OpenApiResponse(
                description="`invalid_rows` (details.rows), `batch_id_required`, or a field "
                "missing or not valid."
            ),
            401: _UNAUTHENTICATED,
            403: _REFUSED,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                description="`not_exported`, `bank_batch_reused`, `bank_batch_other_bank` or "
                "`batch_other_run`."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = request.user
        run = live_runs_of(client).filter(pk=data["run"]).first()
        if run is None:
            raise NotFound(ERROR_RUN_NOT_FOUND, code="not_found")
        if not bank_allows(client, data["bank_name"]):
            raise NotPermitted(
                ERROR_OTHER_BANK, code="other_bank", params={"bank": client.bank_name}
            )
        digest = _body_digest(data)
        batch = bank.bank_results_import(
            actor=None,
            api_client=client.name,
            run=run,
            bank_name=data["bank_name"],
            bank_batch_id=data["bank_batch_id"],
            rows=data["results"],
            sha256=digest,
        )
        replayed = bool(getattr(batch, "replayed", False))
        if (
            replayed
            and batch.api_client
            and (batch.api_client != client.name or batch.sha256 != digest)
        ):
            raise Conflict(
                ERROR_BATCH_REUSED, code="bank_batch_reused", params={"batch": batch.bank_batch_id}
            )
        answer = BankResultReceiptSerializer(batch, context=self.get_serializer_context())
        return Response(answer.data, status=200 if replayed else 201)
