from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    """Benefits and payroll (待遇核定与发放)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "benefits"
    verbose_name = _("Benefits and payroll")

    def ready(self) -> None:
        # the retirement case registers its maker-checker operation at import
        from benefits import services  # noqa: F401
        from benefits.views import person_section_context
        from enrollment.person_page import register_section

        register_section(
            "benefits",
            label=_("Benefits"),
            order=50,
            template="benefits/person_section.html",
            context=person_section_context,
        )
