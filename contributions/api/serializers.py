"""DRF serializers of contributions: the tax exchange (DESIGN §5.2, §2.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contributions.choices import BillStatus, LineKind
from contributions.models import Bill, ContributionLine
from contributions.payments import ArrearsItem, bill_outstanding, normalise_receipt_number
from pension.api.fields import MoneyField, PeriodField
from pension.money import RATE_DECIMAL_PLACES
from pension.privacy import full_id_number
from pension.validators import mask_citizen_id

# set by the view: whether the caller may see citizen ID numbers in full
FULL_ID_NUMBERS = "full_id_numbers"

# printable ASCII, no spaces inside (surrounding ones are trimmed)
RECEIPT_NUMBER_PATTERN = r"^\s*[\x21-\x7e]{1,64}\s*$"
ERROR_RECEIPT_CHARACTERS = _(
    "A receipt number has letters, digits and punctuation only (no spaces inside)."
)
ERROR_ONE_PAYER = _("Give either credit_code or id_number, not both and not neither.")

ID_NUMBER_HELP = _(
    "The citizen ID number; masked (140105********123X) unless the key has the scope "
    "contributions.read_id_numbers."
)


def _rate(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=RATE_DECIMAL_PLACES + 2, decimal_places=RATE_DECIMAL_PLACES, **kwargs
    )


def _id_number(serializer: serializers.Serializer, number: str | None) -> str | None:
    if not number:
        return None
    if serializer.context.get(FULL_ID_NUMBERS, False):
        return full_id_number(number)  # logged with the request
    return mask_citizen_id(number)


# --- assessments ---------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    """A bill (核定单) of a released assessment run: what a payer owes for a period."""

    period = PeriodField(read_only=True)
    kind = serializers.ChoiceField(choices=LineKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=BillStatus.choices, read_only=True)
    credit_code = serializers.CharField(
        source="employer.credit_code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The employer's unified social credit code; null for a flexible contributor"),
    )
    employer_name = serializers.CharField(
        source="employer.name", read_only=True, allow_null=True, default=None
    )
    id_number = serializers.SerializerMethodField(help_text=ID_NUMBER_HELP)
    region = serializers.CharField(
        source="region_id", read_only=True, help_text=_("The payer's division code")
    )
    outstanding = serializers.SerializerMethodField()

    class Meta:
        model = Bill
        fields = [
            "id",
            "run",
            "period",
            "kind",
            "credit_code",
            "employer_name",
            "id_number",
            "region",
            "line_count",
            "employer_amount",
            "individual_amount",
            "total",
            "due_date",
            "paid_amount",
            "outstanding",
            "status",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "Flexible contributor's ID number (null for an employer's bill)",
        }
    )
    def get_id_number(self, bill: Bill) -> str | None:
        return _id_number(self, bill.person.id_number if bill.person_id else None)

    @extend_schema_field({"type": "string", "format": "decimal", "example": "10000.00"})
    def get_outstanding(self, bill: Bill) -> str:
        return str(bill_outstanding(bill))


class AssessmentLineSerializer(serializers.ModelSerializer):
    """A contribution line (缴费明细) of a released assessment run."""

    period = PeriodField(read_only=True)
    kind = serializers.ChoiceField(choices=LineKind.choices, read_only=True)
    credit_code = serializers.CharField(
        source="employer.credit_code", read_only=True, allow_null=True, default=None
    )
    id_number = serializers.SerializerMethodField(help_text=ID_NUMBER_HELP)
    name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = ContributionLine
        fields = [
            "id",
            "run",
            "period",
            "kind",
            "credit_code",
            "id_number",
            "name",
            "base",
            "employer_rate",
            "individual_rate",
            "employer_amount",
            "individual_amount",
        ]
        read_only_fields = fields

    def get_id_number(self, line: ContributionLine) -> str:
        return _id_number(self, line.person.id_number) or ""


# --- payments ------------------------------------------------------------------------------


class PaymentSerializer(serializers.Serializer):
    """A payment result of the tax bureau (税务缴款)."""

    receipt_number = serializers.RegexField(
        RECEIPT_NUMBER_PATTERN,
        max_length=64,
        error_messages={"invalid": ERROR_RECEIPT_CHARACTERS},
        help_text=_(
            "The tax receipt number; also sent as the Idempotency-Key. Compared and "
            "stored upper-case, surrounding spaces ignored."
        ),
    )
    credit_code = serializers.CharField(
        max_length=18,
        required=False,
        help_text=_("The paying employer's unified social credit code (or id_number)"),
    )
    id_number = serializers.CharField(
        max_length=18,
        required=False,
        help_text=_("The paying flexible contributor's citizen ID number (or credit_code)"),
    )
    amount = MoneyField(
        min_value=Decimal("0.01"),
        help_text=_('Yuan, as a string with at most two decimals ("10000.00")'),
    )
    paid_on = serializers.DateField(help_text=_("The day the payment was made"))
    periods = serializers.ListField(
        child=PeriodField(),
        required=False,
        default=list,
        help_text=_("Periods the payment is for (paid first, oldest first); optional"),
    )

    def validate_receipt_number(self, value: str) -> str:
        return normalise_receipt_number(value)

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("credit_code")) == bool(attrs.get("id_number")):
            raise serializers.ValidationError(ERROR_ONE_PAYER, code="payer_missing")
        return attrs


class AllocationResultSerializer(serializers.Serializer):
    bill_id = serializers.IntegerField()
    period = PeriodField()
    amount = MoneyField(help_text=_("Allocated to this period"))
    outstanding_after = MoneyField(help_text=_("Still owed for this period after the payment"))
    status = serializers.ChoiceField(choices=BillStatus.choices)
    due_date = serializers.DateField()
    days_late = serializers.IntegerField(help_text=_("Days from the due date to the payment"))
    late_fee = MoneyField(help_text=_("Late fee on the allocated amount, owed on top"))


class PaymentResultSerializer(serializers.Serializer):
    payment_id = serializers.IntegerField()
    receipt_number = serializers.CharField()
    credit_code = serializers.CharField(allow_null=True)
    id_number = serializers.CharField(allow_null=True, help_text=_("Masked"))
    amount = MoneyField()
    paid_on = serializers.DateField()
    periods = serializers.ListField(child=PeriodField())
    allocated = MoneyField(help_text=_("Allocated to open bills"))
    late_fee = MoneyField(help_text=_("Sum of the late fees, owed on top of the amount"))
    late_fee_collected = MoneyField(
        help_text=_("Late fees collected from this payment, apart from contributions")
    )
    credit_held = MoneyField(
        help_text=_("Left over after every open bill and late fee: held as credit")
    )
    allocations = AllocationResultSerializer(many=True)


# --- arrears -------------------------------------------------------------------------------


class ArrearsQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class ArrearsSerializer(serializers.Serializer):
    """An unpaid bill after its due date (欠费), with the late fee as of ``as_of``."""

    bill_id = serializers.IntegerField(source="bill.pk")
    period = PeriodField(source="bill.period")
    kind = serializers.ChoiceField(source="bill.kind", choices=LineKind.choices)
    credit_code = serializers.SerializerMethodField()
    employer_name = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField(help_text=ID_NUMBER_HELP)
    region = serializers.CharField(source="bill.region_id")
    total = MoneyField(source="bill.total")
    paid_amount = MoneyField(source="bill.paid_amount")
    outstanding = MoneyField()
    due_date = serializers.DateField(source="bill.due_date")
    days_late = serializers.IntegerField(help_text=_("Days from the due date to as_of"))
    late_fee = MoneyField(help_text=_("Late fee on the outstanding amount as of as_of (computed)"))
    as_of = serializers.DateField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_credit_code(self, item: ArrearsItem) -> str | None:
        return item.bill.employer.credit_code if item.bill.employer_id else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_employer_name(self, item: ArrearsItem) -> str | None:
        return item.bill.employer.name if item.bill.employer_id else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_id_number(self, item: ArrearsItem) -> str | None:
        bill = item.bill
        return _id_number(self, bill.person.id_number if bill.person_id else None)
