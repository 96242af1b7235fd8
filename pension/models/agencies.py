from django.db import models
from django.utils.translation import gettext_lazy as _


class Agency(models.Model):
    """Social insurance agency (社会保险经办机构) serving one region.

    Its level is its region's: the provincial centre, a city centre, a county centre.
    Records are owned by an agency; approval belongs to the owning agency or one
    above it (DESIGN §1, §2.4).
    """

    code = models.CharField(_("Agency code"), max_length=12, unique=True)
    name = models.CharField(_("Agency name"), max_length=128)
    region = models.ForeignKey(
        "pension.Region",
        verbose_name=_("Region"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    is_active = models.BooleanField(_("Active"), default=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Agency")
        verbose_name_plural = _("Agency")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.region.level
