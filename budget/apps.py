from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetConfig(AppConfig):
    """Budget (基金预算)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "budget"
    verbose_name = _("Budget")

    def ready(self) -> None:
        from budget import snapshot  # noqa: F401  (registers the batch)
