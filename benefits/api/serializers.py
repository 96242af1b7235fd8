"""DRF serializers of benefits and payroll: the banks' and the finance department's API
(发放批次、银行代发文件、银行回盘, §9.3.1)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benefits.models import BankFile, BankResultBatch, PayrollRun
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from pension.api.fields import MoneyField, PeriodField
from pension.errors import InvalidInput
from pension.models import PaymentInstruction

# one POST carries at most this many result rows (a bigger batch: several batch ids)
MAX_ROWS_PER_POST = 20_000

ERROR_ROW_NOT_OBJECT = _("A result row must be a JSON object.")
ERROR_ROW_PAYMENT = _("Give the payment number (流水号) as a whole number.")
ERROR_ROW_AMOUNT_TEXT = _(
    'Give the amount as a string of yuan with at most two decimals ("3250.00").'
)
ERROR_ROW_TEXT = _("Give this value as a string.")
ERROR_TOO_MANY_ROWS = _("At most %(limit)s result rows can be sent at once; split the batch.")
ERROR_NO_ROWS = _("The bank result has no rows.")

STATUS_HELP = _(
    "approved (not yet sent to the banks), exported (bank files written, results "
    "awaited) or closed (every bank result received)"
)
ITEM_HELP = _(
    "pension, adjustment, settlement, back_pay, adjustment_back_pay, reissue, "
    "survivor_benefit or recovery"
)


# --- runs ------------------------------------------------------------------------------


class PayrollRunSerializer(serializers.ModelSerializer):
    """A live payroll run (养老金发放批次) that was approved: what it pays in total."""

    period = PeriodField(read_only=True)
    region = serializers.CharField(
        source="region_id", read_only=True, help_text=_("The division code of the run")
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    kind = serializers.CharField(
        read_only=True, help_text=_("regular (the monthly payroll) or supplementary")
    )
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    total_amount = MoneyField(read_only=True, help_text=_("The sum of the run's payments"))
    url = serializers.SerializerMethodField(help_text=_("This run with its totals and files"))

    class Meta:
        model = PayrollRun
        fields = [
            "id",
            "url",
            "period",
            "region",
            "region_name",
            "kind",
            "status",
            "line_count",
            "payment_count",
            "total_amount",
            "approved_at",
            "exported_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, run: PayrollRun) -> str:
        return _absolute(self, reverse("benefits-api-payroll-run-detail", args=[run.pk]))


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class ItemTotalSerializer(serializers.Serializer):
    item = serializers.CharField(help_text=ITEM_HELP)
    lines = serializers.IntegerField(help_text=_("Payroll lines of the item"))
    amount = MoneyField()


class RegionTotalSerializer(serializers.Serializer):
    """What a run pays in one county or city (发放汇总), item by item."""

    region = serializers.CharField(help_text=_("The division code"))
    name = serializers.CharField()
    lines = serializers.IntegerField()
    amount = MoneyField()
    items = ItemTotalSerializer(many=True)


class CityTotalSerializer(RegionTotalSerializer):
    counties = RegionTotalSerializer(many=True, help_text=_("The city's counties in the run"))


class BankFileSerializer(serializers.ModelSerializer):
    """A bank file (银行代发文件) of a run: its control totals and checksum."""

    bank = serializers.CharField(source="bank_name")
    format = serializers.CharField(source="file_format", help_text=_("csv or xlsx"))
    count = serializers.IntegerField(source="payment_count", help_text=_("Payments in the file"))
    total = MoneyField(source="total_amount", help_text=_("The sum of the file's payments"))
    sha256 = serializers.CharField(help_text=_("SHA-256 of the whole file, as downloaded"))
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = BankFile
        fields = ["id", "bank", "format", "count", "total", "sha256", "download_url"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_download_url(self, bank_file: BankFile) -> str:
        return _absolute(self, reverse("benefits-api-bank-file-content", args=[bank_file.pk]))


class BankResultSerializer(serializers.ModelSerializer):
    """A bank's results received for a run (银行回盘), once per bank batch id."""

    run = serializers.IntegerField(source="run_id")
    bank = serializers.CharField(source="bank_name")
    paid = serializers.IntegerField(source="paid_count", help_text=_("Payments made"))
    paid_amount = MoneyField()
    failed = serializers.IntegerField(source="failed_count", help_text=_("Payments failed"))
    failed_amount = MoneyField()
    reissued = serializers.SerializerMethodField(
        help_text=_("Failed payments that the next payroll re-issues")
    )
    system = serializers.CharField(
        source="api_client", help_text=_("The system that sent it; empty: uploaded as a file")
    )

    class Meta:
        model = BankResultBatch
        fields = [
            "id",
            "bank_batch_id",
            "run",
            "bank",
            "paid",
            "paid_amount",
            "failed",
            "failed_amount",
            "reissued",
            "system",
            "received_at",
        ]
        read_only_fields = fields

    def get_reissued(self, batch: BankResultBatch) -> int:
        return int(batch.result.get("reissued", 0))


class BankResultReceiptSerializer(BankResultSerializer):
    replayed = serializers.SerializerMethodField(
        help_text=_("True: this batch id was received before; the first result, nothing changed")
    )

    class Meta(BankResultSerializer.Meta):
        fields = [*BankResultSerializer.Meta.fields, "replayed"]
        read_only_fields = fields

    def get_replayed(self, batch: BankResultBatch) -> bool:
        return bool(getattr(batch, "replayed", False))


class PayrollRunDetailSerializer(PayrollRunSerializer):
    """A run with its totals per city and county, its bank files and bank results."""

    cities = serializers.SerializerMethodField(
        help_text=_("Totals per city and, under each, per county (PayrollTotal)")
    )
    bank_files = serializers.SerializerMethodField()
    bank_results = serializers.SerializerMethodField()

    class Meta(PayrollRunSerializer.Meta):
        fields = [*PayrollRunSerializer.Meta.fields, "cities", "bank_files", "bank_results"]
        read_only_fields = fields

    @extend_schema_field(CityTotalSerializer(many=True))
    def get_cities(self, run: PayrollRun) -> list[dict[str, Any]]:
        return [
            {
                **_region_total(city),
                "counties": [_region_total(county) for county in city["counties"]],
            }
            for city in payroll.run_totals(run)
        ]

    @extend_schema_field(BankFileSerializer(many=True))
    def get_bank_files(self, run: PayrollRun) -> list[dict[str, Any]]:
        files = bank.bank_files(run)
        request = self.context.get("request")
        own_bank = getattr(getattr(request, "user", None), "bank_name", "")
        if own_bank:  # a bank's system sees its own files only
            files = files.filter(bank_name=own_bank)
        return BankFileSerializer(files, many=True, context=self.context).data

    @extend_schema_field(BankResultSerializer(many=True))
    def get_bank_results(self, run: PayrollRun) -> list[dict[str, Any]]:
        batches = BankResultBatch.objects.filter(run=run).order_by("received_at", "pk")
        return BankResultSerializer(batches, many=True).data


def _region_total(entry: dict[str, Any]) -> dict[str, Any]:
    items = [
        {"item": item, "lines": row.line_count, "amount": row.amount}
        for item, row in sorted(entry["items"].items())
    ]
    return RegionTotalSerializer(
        {
            "region": entry["region"].code,
            "name": entry["region"].name,
            "lines": entry["lines"],
            "amount": entry["amount"],
            "items": items,
        }
    ).data


# --- bank results ---------------------------------------------------------------------


class BankResultRowSerializer(serializers.Serializer):
    """One payment's result as the bank reports it (the schema of a row)."""

    payment = serializers.IntegerField(help_text=_("The payment number (流水号) in the bank file"))
    account = serializers.CharField(help_text=_("The account paid to, as in the bank file"))
    amount = MoneyField(
        help_text=_('Yuan, as a string with two decimals ("3250.00"), as in the bank file')
    )
    result = serializers.CharField(help_text=_("成功 (paid) or 失败 (failed)"))
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("The bank's reason; required on 失败")
    )


def _row_error(number: int, column: str, value: Any, message: Any) -> dict[str, Any]:
    return {"row": number, "column": column, "value": str(value), "message": str(message)}


@extend_schema_field(BankResultRowSerializer(many=True))
class BankResultRowsField(serializers.Field):
    """The result rows, each checked for its shape here (numbers and strings where they
    belong) and for what it says by ``bank.bank_results_import``. Rows are numbered from
    1 in the order sent; every wrong row is listed in ``details.rows``."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            raise serializers.ValidationError(
                gettext("Give the results as a list of rows."), code="not_a_list"
            )
        if not data:
            raise serializers.ValidationError(ERROR_NO_ROWS, code="empty")
        if len(data) > MAX_ROWS_PER_POST:
            raise serializers.ValidationError(
                ERROR_TOO_MANY_ROWS % {"limit": MAX_ROWS_PER_POST}, code="too_many_rows"
            )
        rows, errors = [], []
        for number, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                errors.append(_row_error(number, "", "", ERROR_ROW_NOT_OBJECT))
                continue
            clean = {"row": number}
            payment = row.get("payment")
            if isinstance(payment, bool) or not isinstance(payment, int | str):
                errors.append(_row_error(number, "流水号", payment, ERROR_ROW_PAYMENT))
            else:
                # its content ("²", "-1", "٤٧" refused) is checked with the file's rows
                # by bank.bank_results_import, through the import kernel's cell_serial
                clean["payment"] = payment
            amount = row.get("amount")
            if not isinstance(amount, str):
                errors.append(_row_error(number, "金额", amount, ERROR_ROW_AMOUNT_TEXT))
            else:
                clean["amount"] = amount
            for key, column in (("account", "账号"), ("result", "结果"), ("reason", "失败原因")):
                value = row.get(key, "")
                if value is None:
                    value = ""
                if not isinstance(value, str):
                    errors.append(_row_error(number, column, value, ERROR_ROW_TEXT))
                else:
                    clean[key] = value
            rows.append(clean)
        if errors:
            raise InvalidInput(
                bank.ERROR_ROWS,
                code="invalid_rows",
                params={"count": len({e["row"] for e in errors})},
                details={"rows": errors},
            )
        return rows

    def to_representation(self, value: Any) -> Any:
        return value


class BankResultsSerializer(serializers.Serializer):
    """A bank's results for the payments of one run and bank (银行回盘)."""

    run = serializers.IntegerField(min_value=1, help_text=_("The payroll run's id"))
    bank_name = serializers.CharField(
        max_length=64, help_text=_("The bank, as named in the run's bank file")
    )
    bank_batch_id = serializers.CharField(
        max_length=64,
        help_text=_("The bank's id of this result batch: a repeat returns the first result"),
    )
    results = BankResultRowsField(
        help_text=_("One row per payment; at most 20000 rows in one request")
    )


# --- payment instructions ----------------------------------------------------------------

INSTRUCTION_STATUS_HELP = _(
    "open (waiting for the next payroll), issued (in a payroll run's bank file), paid or "
    "failed (the bank's result)"
)
INSTRUCTION_PURPOSE_HELP = _("refund, account_settlement, transfer_out or survivor_benefit")


class PaymentInstructionSerializer(serializers.ModelSerializer):
    """A payment instruction (支付指令): money that goes out other than the monthly
    pension, its payee and account, status and the payroll run that carried it."""

    purpose = serializers.CharField(read_only=True, help_text=INSTRUCTION_PURPOSE_HELP)
    status = serializers.CharField(read_only=True, help_text=INSTRUCTION_STATUS_HELP)
    region = serializers.CharField(
        source="region_id", read_only=True, help_text=_("The division code of the instruction")
    )
    amount = MoneyField(read_only=True)
    case = serializers.IntegerField(
        source="case_id", read_only=True, allow_null=True,
        help_text=_("The approval request (case) that decided the payment"),
    )  # fmt: skip
    payroll_run = serializers.IntegerField(
        source="payroll_run_id", read_only=True, allow_null=True,
        help_text=_("The live payroll run that carried it to the bank (null while open)"),
    )  # fmt: skip
    payroll_period = PeriodField(read_only=True, allow_null=True)
    payroll_payment = serializers.IntegerField(
        source="payroll_payment_id", read_only=True, allow_null=True,
        help_text=_("The payment (流水号) in that run's bank file"),
    )  # fmt: skip

    class Meta:
        model = PaymentInstruction
        fields = [
            "id",
            "purpose",
            "status",
            "region",
            "payee_name",
            "bank_name",
            "bank_account",
            "amount",
            "failure_reason",
            "case",
            "payroll_run",
            "payroll_period",
            "payroll_payment",
            "created_at",
            "result_at",
        ]
        read_only_fields = fields
