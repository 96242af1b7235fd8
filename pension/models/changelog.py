from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    READ = "read", _("Read")
    REQUEST = "request", _("Requested approval")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    WITHDRAW = "withdraw", _("Withdrawn")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKOUT = "lockout", _("Locked out")
    EXPORT = "export", _("Exported")


class ChangeLogEntry(models.Model):
    """Change log (变更日志): who, acting for which agency, when, from where, what
    changed (before and after) and why.

    Append-only: a database trigger refuses UPDATE, DELETE and TRUNCATE. Hash-chained:
    ``row_hash`` is SHA-256 over the row's content and ``prev_hash``, the previous
    row's ``row_hash``; ``manage.py verify_change_log`` walks the chain. Rows are
    written only by ``pension.changelog.record`` under a transaction-scoped advisory
    lock, so the chain order is the commit order.
    """

    occurred_at = models.DateTimeField(_("Time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # kept as written, even if the user is renamed later
    actor_username = models.CharField(_("User name"), max_length=150, blank=True)
    agency = models.ForeignKey(
        "pension.Agency",
        verbose_name=_("Acting agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    api_client = models.ForeignKey(
        "pension.ApiClient",
        verbose_name=_("External system"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    client_address = models.GenericIPAddressField(_("Client address"), null=True, blank=True)
    request_id = models.CharField(_("Request id"), max_length=64, blank=True)
    action = models.CharField(_("Action"), max_length=16, choices=ChangeAction.choices)
    object_type = models.CharField(_("Object type"), max_length=100)
    object_id = models.CharField(_("Object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    before = models.JSONField(_("Before"), null=True, blank=True)
    after = models.JSONField(_("After"), null=True, blank=True)
    reason = models.TextField(_("Reason"), blank=True)
    prev_hash = models.CharField(_("Previous hash"), max_length=64)
    row_hash = models.CharField(_("Hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("Change log entry")
        verbose_name_plural = _("Change log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="changelog_object"),
            models.Index(fields=["actor", "occurred_at"], name="changelog_actor_time"),
            models.Index(fields=["occurred_at"], name="changelog_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"
