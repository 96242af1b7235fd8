from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PensionConfig(AppConfig):
    """The shared kernel (共用内核)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pension"
    verbose_name = _("Shared kernel")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from pension import dbroles, watch

        watch.connect()
        post_migrate.connect(dbroles.grant_after_migrate, sender=self)
