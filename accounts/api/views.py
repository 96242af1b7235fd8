"""DRF views of personal pension accounts: the account statement for other systems
(an API key with the scope ``accounts.read``; staff sessions are refused). A person
registered outside the calling system's region is not found (404), as if absent."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api.serializers import AccountStatementSerializer
from enrollment.models import InsuredPerson
from pension.api.permissions import HasScope, client_region_prefix
from pension.errors import NotFound
from pension.privacy import full_id_number
from pension.validators import mask_citizen_id

READ_SCOPE = "accounts.read"
READ_ID_NUMBERS_SCOPE = "accounts.read_id_numbers"
_NOT_FOUND = _("No personal pension account for this ID number in the system's region.")


class StatementQuerySerializer(serializers.Serializer):
    entries = serializers.BooleanField(required=False)


class AccountStatementView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ_SCOPE}

    @extend_schema(
        summary="An account statement (个人账户对账单)",
        auth=[{"ApiKeyAuth": []}],
        description=(
            "The personal pension account of the person with the citizen ID number: status, "
            "balance, the split up to last year-end / this year, and the year-by-year "
            "statement; with `entries=1` every entry too. Scope `accounts.read`; the ID "
            "number is masked in the answer unless the key has `accounts.read_id_numbers`. "
            "A person outside the system's region, or without an account, is 404."
        ),
        parameters=[
            OpenApiParameter("id_number", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter("entries", OpenApiTypes.BOOL, OpenApiParameter.QUERY),
        ],
        responses={
            200: AccountStatementSerializer,
            401: OpenApiResponse(description="No API key, or one not valid."),
            403: OpenApiResponse(description="The key lacks the scope, or a staff session."),
            400: OpenApiResponse(description="`entries` is not a boolean (true, false, 1, 0)."),
            404: OpenApiResponse(description="No such account in the system's region."),
        },
    )
    def get(self, request: Request, id_number: str) -> Response:
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # entries=maybe: 400, not silently false
        with_entries = query.validated_data.get("entries", False)
        prefix = client_region_prefix(request.user)
        person = InsuredPerson.objects.filter(
            id_number=id_number.strip().upper(), region__code__startswith=prefix
        ).first()
        account = selectors.account_of_person(person) if person is not None else None
        if account is None:
            raise NotFound(_NOT_FOUND, code="not_found")
        today = timezone.localdate()
        balance = selectors.account_balance_split(account, year=today.year)
        full = READ_ID_NUMBERS_SCOPE in request.user.scopes
        data = {
            "id_number": full_id_number(person.id_number)
            if full
            else mask_citizen_id(person.id_number),
            "name": person.name,
            "status": account.status,
            "opened_period": str(account.opened_period),
            "balance": balance.total,
            "up_to_last_year_end": balance.up_to_last_year_end,
            "this_year": balance.this_year,
            "years": [
                {
                    "year": y.year,
                    "opening": y.opening,
                    "credits": y.credits,
                    "credit_months": y.credit_months,
                    "interest": y.interest,
                    "other": y.other,
                    "closing": y.closing,
                }
                for y in selectors.account_statement(account)
            ],
        }
        if with_entries:
            data["entries"] = [
                {
                    "period": str(e.period),
                    "value_period": str(e.value_period),
                    "kind": e.kind,
                    "amount": e.amount,
                    "interest_year": e.interest_year,
                    "rule": e.rule,
                }
                for e in selectors.account_entries(account)
            ]
        return Response(AccountStatementSerializer(data).data)
