from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pension.choices import RegionLevel
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalRequest(models.Model):
    """A key operation awaiting a second person (经办复核, maker-checker).

    The maker proposes (``payload``, with ``before`` showing the current values for the
    diff); nothing changes until a different user with the reviewer role in the owning
    agency, or an agency above it, approves. The operation's registered handler then
    applies the payload in the same transaction as the status change. Amounts above
    the profile's thresholds raise ``required_level`` to city or province.
    """

    operation = models.CharField(_("Operation"), max_length=64)
    object_type = models.CharField(_("Object type"), max_length=100, blank=True)
    object_id = models.CharField(_("Object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    summary = models.CharField(_("Summary"), max_length=200)
    payload = models.JSONField(_("Proposed change"))
    before = models.JSONField(_("Current values"), null=True, blank=True)
    agency = models.ForeignKey(
        "pension.Agency",
        verbose_name=_("Owning agency"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    amount = models.DecimalField(
        _("Amount"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    required_level = models.CharField(
        _("Approval level"),
        max_length=16,
        choices=RegionLevel.choices,
        default=RegionLevel.COUNTY,
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Maker"),
        on_delete=models.PROTECT,
        related_name="approval_requests_made",
    )
    maker_reason = models.TextField(_("Reason for the request"), blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Checker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_requests_checked",
    )
    decision_reason = models.TextField(_("Reason for the decision"), blank=True)
    result = models.JSONField(_("Result"), null=True, blank=True)
    created_at = models.DateTimeField(_("Requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Approval request")
        verbose_name_plural = _("Approval requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=F("maker")),
                name="approval_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApprovalStatus.REJECTED) | ~Q(decision_reason=""),
                name="approval_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=ApprovalStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=ApprovalStatus.PENDING) & Q(decided_at__isnull=False)),
                name="approval_decided_at_by_status",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="approval_amount_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "agency"], name="approval_status_agency"),
            models.Index(fields=["object_type", "object_id"], name="approval_object"),
        ]

    # region scoping (pension.scope.restrict): the owning agency's region
    scope_region_path = "agency__region"

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"
