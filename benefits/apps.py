from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    """Benefits and payroll (待遇核定与发放)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "benefits"
    verbose_name = _("Benefits and payroll")
