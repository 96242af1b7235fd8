"""Choice sets of contributions (基金征缴)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseBasis(models.TextChoices):
    """What a declared base was worked out from."""

    PRIOR_YEAR_AVERAGE = "prior_year_average", _("Last year's average monthly wage")
    FIRST_MONTH_WAGE = "first_month_wage", _("First month's wage")
    SELF_DECLARED = "self_declared", _("Chosen by the contributor")


class BaseRule(models.TextChoices):
    AS_DECLARED = "as_declared", _("As declared")
    BELOW_FLOOR = "below_floor", _("Raised to the floor")
    ABOVE_CEILING = "above_ceiling", _("Lowered to the ceiling")


class RunStatus(models.TextChoices):
    """State of a batch run (DESIGN §2.3)."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Calculated")
    APPROVED = "approved", _("Approved")
    RELEASED = "released", _("Released to the tax bureau")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


class LineKind(models.TextChoices):
    """Kind of contribution line (缴费明细类型). Only regular lines come from the
    monthly assessment; the others from cases, and never edit an earlier line."""

    REGULAR = "regular", _("Regular assessment")
    BACK_PAYMENT = "back_payment", _("Back-payment")
    BASE_CORRECTION = "base_correction", _("Base correction")
    LIMITS_ADJUSTMENT = "limits_adjustment", _("Adjustment to published limits")
    REFUND = "refund", _("Refund")
    TOP_UP = "top_up", _("One-time top-up")


class BillStatus(models.TextChoices):
    OPEN = "open", _("Unpaid")
    PARTIALLY_PAID = "partially_paid", _("Partly paid")
    PAID = "paid", _("Paid")
