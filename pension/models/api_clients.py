from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiClientKind(models.TextChoices):
    TAX = "tax", _("Tax bureau")
    FINANCE = "finance", _("Finance department")
    BANK = "bank", _("Bank")
    MARKET_REGULATION = "market_regulation", _("Market regulation")
    OTHER = "other", _("Other system")


# scopes that act for one bank: a system holding one must name its bank
BANK_SCOPES = ("payroll.bank_results",)
ERROR_BANK_NAME_REQUIRED = _(
    "A bank's system, or one that reports bank results, must name its bank "
    "(the bank name its payroll files carry)."
)


class ApiClient(models.Model):
    """An external system that calls the API (外部系统接入) with its own key.

    The key is shown once when created or rotated and stored only as a SHA-256 hash;
    ``key_prefix`` (the part before the dot) finds the row. Scopes say what the system
    may do, the region where.
    """

    name = models.CharField(_("Name"), max_length=100, unique=True)
    kind = models.CharField(_("Kind"), max_length=32, choices=ApiClientKind.choices)
    region = models.ForeignKey(
        "pension.Region",
        verbose_name=_("Region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scopes = ArrayField(models.CharField(max_length=64), verbose_name=_("Scopes"), default=list)
    # a bank's system sees only its own payroll files and reports only its own results
    bank_name = models.CharField(
        _("Bank"), max_length=64, blank=True,
        help_text=_("For a bank: the bank name its payroll files carry (e.g. 中国工商银行)"),
    )  # fmt: skip
    key_prefix = models.CharField(_("Key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("Key hash"), max_length=64)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rotated_at = models.DateTimeField(_("Rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("Last used at"), null=True, blank=True)
    # optional: from this moment the key is refused (401 api_key_expired); empty: no expiry
    expires_at = models.DateTimeField(
        _("Key expires at"), null=True, blank=True,
        help_text=_("Empty: the key does not expire. From this moment calls are refused."),
    )  # fmt: skip

    scope_region_path = "region"

    class Meta:
        verbose_name = _("External system")
        verbose_name_plural = _("External systems")
        ordering = ["name"]
        constraints = [
            # a bank's system is limited to its bank: without a bank name it would see all
            models.CheckConstraint(
                condition=~models.Q(bank_name="")
                | (
                    ~models.Q(kind=ApiClientKind.BANK)
                    & ~models.Q(scopes__overlap=list(BANK_SCOPES))
                ),
                name="apiclient_bank_needs_bank_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def needs_bank_name(self) -> bool:
        return self.kind == ApiClientKind.BANK or any(s in BANK_SCOPES for s in self.scopes or ())

    def clean(self) -> None:
        super().clean()
        self.bank_name = (self.bank_name or "").strip()
        if self.needs_bank_name() and not self.bank_name:
            raise ValidationError(
                {"bank_name": ERROR_BANK_NAME_REQUIRED}, code="bank_name_required"
            )

    # DRF treats the authenticated principal like a user
    is_authenticated = True
    is_anonymous = False


class ApiCallLog(models.Model):
    """One call by an external system (every use of a key is logged)."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="calls")
    occurred_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "occurred_at"], name="apicall_client_time")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.method} {self.path} {self.status_code}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with a given idempotency key from a given caller.

    A replay with the same body gets this answer back and changes nothing; the same
    key with another body gets 409.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Idempotency record")
        verbose_name_plural = _("Idempotency records")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"
