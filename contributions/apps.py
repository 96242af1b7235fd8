from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    """Contributions (基金征缴)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        # the cases register their maker-checker operations at import
        from contributions import assessment, bases, cases  # noqa: F401
        from contributions.base_views import person_section_context
        from enrollment.person_page import register_section

        register_section(
            "contributions",
            label=_("Contributions"),
            order=30,
            template="contributions/person_section.html",
            context=person_section_context,
        )
