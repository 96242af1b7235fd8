from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pension.choices import InstructionPurpose, InstructionStatus
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class PaymentInstruction(models.Model):
    """A payment instruction (支付指令): money that goes out of the fund other than the
    monthly pension (a refund, an account settlement, a transfer to another province,
    survivor benefits), with its payee, bank, account, amount, status and the bank's
    result (DESIGN §2.4, §5.2–§5.4). Written by the domain whose case approved it;
    carried by the next live payroll run of its region to the bank file of its bank,
    like a payroll payment (``benefits.PayrollPayment.instruction``), and marked paid or
    failed by the bank's result. ``source`` (``<operation>:<case id>``) makes each
    instruction unique, so a case approved twice pays once."""

    purpose = models.CharField(_("Purpose"), max_length=24, choices=InstructionPurpose.choices)
    source = models.CharField(_("Source"), max_length=64, unique=True)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    # the insured person the money concerns (the kernel holds no key to a domain model)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    payee_name = models.CharField(_("Payee"), max_length=64)
    bank_name = models.CharField(_("Bank"), max_length=64)
    bank_account = models.CharField(_("Bank account"), max_length=32)
    amount = models.DecimalField(
        _("Amount"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=InstructionStatus.choices,
        default=InstructionStatus.OPEN,
    )  # fmt: skip
    failure_reason = models.CharField(_("Failure reason"), max_length=200, blank=True)
    details = models.JSONField(_("How it was worked out"), default=dict, blank=True)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Created by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    result_at = models.DateTimeField(_("Bank result received"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Payment instruction")
        verbose_name_plural = _("Payment instructions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instruction_positive"),
            models.CheckConstraint(
                condition=~Q(bank_account="") & ~Q(bank_name=""), name="instruction_has_account"
            ),
        ]
        indexes = [
            models.Index(fields=["region"], condition=Q(status="open"), name="instruction_open"),
            models.Index(fields=["content_type", "object_id"], name="instruction_target"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.payee_name} {self.amount}"
