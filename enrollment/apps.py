from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    """Registration (参保登记)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = _("Registration")
