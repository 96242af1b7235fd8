from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from pension.choices import Role


class StaffUser(AbstractUser):
    """Staff user (工作人员): roles say what they may do, the agency where.

    A user belongs to one agency; their region scope is the agency's region and
    everything below it. Province administrators belong to the provincial agency.
    """

    full_name = models.CharField(_("Full name"), max_length=64, blank=True)
    agency = models.ForeignKey(
        "pension.Agency",
        verbose_name=_("Agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        verbose_name=_("Roles"),
        default=list,
        blank=True,
    )

    scope_region_path = "agency__region"

    class Meta:
        verbose_name = _("Staff user")
        verbose_name_plural = _("Staff user")
        ordering = ["username"]
        constraints = [
            # a role-holding user acts for an agency; only technical accounts have none
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | models.Q(roles=[]),
                name="staffuser_roles_need_agency",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def region(self):
        return self.agency.region if self.agency_id else None

    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]
