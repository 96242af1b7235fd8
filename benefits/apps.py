from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    """Benefits and payroll (待遇核定与发放)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "benefits"
    verbose_name = _("Benefits and payroll")

    def ready(self) -> None:
        # the cases register their maker-checker operations at import
        from benefits.adjustment import adjustments  # noqa: F401
        from benefits.determination import retirement, trueup  # noqa: F401
        from benefits.payroll import (
            recovery,  # noqa: F401
            runs,  # noqa: F401
        )
        from benefits.survivors import claims  # noqa: F401
        from benefits.suspension import (  # noqa: F401
            certification,  # registers the data-match import on the worker
            suspensions,
        )
        from benefits.views import (
            certifications_section_context,
            payments_section_context,
            person_section_context,
        )
        from enrollment.person_page import register_section

        register_section(
            "benefits",
            label=_("Benefits"),
            order=50,
            template="benefits/person_section.html",
            context=person_section_context,
        )
        register_section(
            "payments",
            label=_("Payments"),
            order=60,
            template="benefits/payments_section.html",
            context=payments_section_context,
        )
        register_section(
            "certifications",
            label=_("Life certifications"),
            order=70,
            template="benefits/certifications_section.html",
            context=certifications_section_context,
        )
