from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PensionConfig(AppConfig):
    """The shared kernel (共用内核)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pension"
    verbose_name = _("Shared kernel")

    def ready(self) -> None:
        from pension import watch

        watch.connect()
