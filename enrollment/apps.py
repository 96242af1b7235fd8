from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    """Registration (参保登记)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = _("Registration")

    def ready(self) -> None:
        # registers the roster import on the worker (pension.imports)
        from enrollment import excel  # noqa: F401
