from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Audit and internal control (稽核与内控)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit and internal control")

    def ready(self) -> None:
        # the archives register the hand-over's maker-checker operation at import
        from audit import archives  # noqa: F401
