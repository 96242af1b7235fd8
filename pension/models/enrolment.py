from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrolmentLink(models.Model):
    """Second-factor enrolment link (动态口令绑定链接): issued by an administrator for
    one user, valid once and for 24 hours; the user opens it after signing in with the
    password and enrols their authenticator app. Only the token's SHA-256 is stored.
    (DESIGN §2.4: an administrator never creates a device for another user.)"""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Staff user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    token_hash = models.CharField(_("Token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("Expires at"))
    used_at = models.DateTimeField(_("Used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Second-factor enrolment link")
        verbose_name_plural = _("Second-factor enrolment link")
        ordering = ["-created_at"]
        constraints = [
            # an administrator enrols no one, themselves included, with a link of their own
            models.CheckConstraint(
                condition=~models.Q(user=models.F("created_by")),
                name="enrolmentlink_not_for_oneself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
