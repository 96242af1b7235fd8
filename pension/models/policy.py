from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pension.policy import SPECS


class PolicyProfile(models.Model):
    """Province profile (省份政策口径): the parameters that differ between provinces.

    The system ships two, Shanxi (the default) and Jilin; what differs between them
    is data, not code.
    """

    code = models.SlugField(_("Profile code"), max_length=32, primary_key=True)
    name = models.CharField(_("Name"), max_length=64)
    province = models.OneToOneField(
        "pension.Region",
        verbose_name=_("Province"),
        on_delete=models.PROTECT,
        related_name="policy_profile",
    )

    class Meta:
        verbose_name = _("Province profile")
        verbose_name_plural = _("Province profile")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PolicyParameter(models.Model):
    """One dated, versioned policy parameter value (政策参数).

    A value applies from ``effective_from`` until a later value of the same key and
    scope takes over. National values have no profile; a profile's values apply in its
    province; a region's (e.g. Changchun's own pension base) apply in that region and
    below, ahead of the profile's. Rows are never edited: a correction is a new row
    with the next ``version``, and every calculation keeps the id and version it used.
    ``reference_year`` is the statistics year a figure describes (sources mix it up
    with the period it applies to); ``published_on`` is when it became known, so a
    calculation "as known on" a date can ignore later publications.
    """

    profile = models.ForeignKey(
        PolicyProfile,
        verbose_name=_("Profile"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty for a national value"),
        related_name="parameters",
    )
    key = models.CharField(
        _("Parameter"), max_length=64, choices=[(k, s.label) for k, s in SPECS.items()]
    )
    region = models.ForeignKey(
        "pension.Region",
        verbose_name=_("Region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty for the whole profile"),
    )
    effective_from = models.DateField(_("Effective from"))
    version = models.PositiveIntegerField(_("Version"), default=1)
    value = models.JSONField(_("Value"), help_text=_("Decimals are stored as strings"))
    reference_year = models.PositiveSmallIntegerField(_("Statistics year"), null=True, blank=True)
    published_on = models.DateField(_("Published on"), null=True, blank=True)
    source = models.CharField(_("Source document"), max_length=200, blank=True)
    notes = models.TextField(_("Notes"), blank=True)
    created_at = models.DateTimeField(_("Entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Policy parameter")
        verbose_name_plural = _("Policy parameter")
        ordering = ["key", "profile", "region", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "profile", "region", "effective_from", "version"],
                name="policyparameter_one_value_per_version",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["key", "effective_from"], name="policyparam_key_from")]

    def __str__(self) -> str:
        scope = self.region_id or self.profile_id or "national"
        return f"{self.key} [{scope}] {self.effective_from} v{self.version}"
