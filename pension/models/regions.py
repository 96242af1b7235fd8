from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pension.choices import RegionLevel


def region_code_prefix(code: str) -> str:
    """The prefix a division code shares with everything below it (GB/T 2260 nests:
    a province ends in 0000, a city in 00)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class Region(models.Model):
    """Administrative division (行政区划) by its GB/T 2260 code: province, city, county.

    The code is the primary key, so foreign keys read as division codes in SQL and
    COPY files. A code's prefix says where it lies: a county's first four digits are
    its city's, its first two its province's; scoping uses that (``scope_prefix``).
    """

    code = models.CharField(
        _("Division code"),
        max_length=6,
        primary_key=True,
        validators=[RegexValidator(r"^\d{6}$", _("A division code has 6 digits."))],
    )
    name = models.CharField(_("Name"), max_length=64)
    level = models.CharField(_("Level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Parent division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("Active"), default=True)

    scope_region_path = ""  # the region itself

    class Meta:
        verbose_name = _("Administrative division")
        verbose_name_plural = _("Administrative division")
        ordering = ["code"]
        constraints = [
            # only a province stands without a parent
            models.CheckConstraint(
                condition=models.Q(level=RegionLevel.PROVINCE, parent__isnull=True)
                | (~models.Q(level=RegionLevel.PROVINCE) & models.Q(parent__isnull=False)),
                name="region_parent_by_level",
            ),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^\d{6}$"), name="region_code_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def scope_prefix(self) -> str:
        """The code prefix shared by this region and everything below it."""
        return region_code_prefix(self.code)

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    def contains(self, other: "Region | str") -> bool:
        """Whether ``other`` is this region or lies below it."""
        code = other if isinstance(other, str) else other.code
        return code.startswith(self.scope_prefix)

    def ancestors(self) -> list["Region"]:
        """This region and the regions above it, nearest first."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain
