from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    """Fund revenue and expenditure (基金收支)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "funds"
    verbose_name = _("Fund revenue and expenditure")

    def ready(self) -> None:
        # the period close registers its maker-checker operation at import
        # the spending plans register their maker-checker operations at import
        # the reconciliation registers its sign-off and corrections at import
        from funds import (
            ledger,  # noqa: F401
            other_revenue,  # noqa: F401
            plans,  # noqa: F401
            reconciliation,  # noqa: F401
        )
