"""Choice sets of benefits and payroll (待遇核定与发放)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetirementKind(models.TextChoices):
    """How a person retires (退休类型, DESIGN §4): at the statutory age (with the cohort's
    delay), or by flexible early or late retirement within three years of it."""

    STATUTORY = "statutory", _("At the statutory age")
    FLEXIBLE_EARLY = "flexible_early", _("Flexible early retirement")
    FLEXIBLE_LATE = "flexible_late", _("Flexible late retirement")


class DeterminationStatus(models.TextChoices):
    """State of a pension determination (待遇状态). A person has one current
    determination; a recalculation supersedes it with a new one."""

    IN_PAYMENT = "in_payment", _("In payment")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")
    SUPERSEDED = "superseded", _("Superseded")
