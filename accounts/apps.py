from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Personal pension accounts (个人账户)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Personal pension accounts")

    def ready(self) -> None:
        # the cases register their maker-checker operations at import
        from accounts import cases, runs  # noqa: F401
        from accounts.choices import InterestMethod
        from accounts.views import person_section_context
        from enrollment.person_page import register_section
        from pension.rules import register_rule_words

        register_rule_words({**dict(InterestMethod.choices), "provisional": _("provisional")})

        register_section(
            "account",
            label=_("Personal pension account"),
            order=40,
            template="accounts/person_section.html",
            context=person_section_context,
        )
