"""Models of benefits and payroll (待遇核定与发放): pension determinations."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from benefits.calc import EXACT_PLACES
from benefits.choices import DeterminationStatus, RetirementKind
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from pension.periods import PeriodField


def money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def exact_index(verbose_name, **kwargs) -> models.DecimalField:
    """An index kept unrounded: ``EXACT_PLACES`` (20) decimals, not the 8 of
    ``INDEX_DECIMAL_PLACES`` (DESIGN §4: rounding an index changes pensions by cents)."""
    return models.DecimalField(
        verbose_name, max_digits=EXACT_PLACES + 10, decimal_places=EXACT_PLACES, **kwargs
    )


class PensionDetermination(models.Model):
    """A pension determination (待遇核定, 养老金核定): the monthly pension of a retiree
    and everything it was computed from (DESIGN §5.4, operations standard §9.2).

    Written when a reviewer approves the retirement case (``case``). It keeps every
    input (the yearly contributions, the average wages used, deemed months, the
    account balance at retirement, the divisor, the calculation bases, the
    transitional index, the parameter references) in ``inputs`` and ``parameters``,
    and the components as money, so the page explains it without looking anything up
    again. Provisional (临时待遇, §9.2.3) when the calculation base of the retirement
    year was not yet published: it was computed on the latest published one. A
    recalculation never edits a determination: it writes a new one and the old one
    points to it (``superseded_by``).
    """

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="pension_determinations",
    )  # fmt: skip
    # the person's region and owning agency when determined (payroll goes by region)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Owning agency"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # empty: written by the system (a recalculation when the base is published)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("Kind of retirement"), max_length=16, choices=RetirementKind.choices)
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=DeterminationStatus.choices,
        default=DeterminationStatus.IN_PAYMENT,
    )
    retirement_date = models.DateField(_("Retirement date"))
    retirement_month = PeriodField(_("Retirement month"))
    statutory_date = models.DateField(_("Statutory retirement date"))
    public_notice_date = models.DateField(
        _("Public notice date"), null=True, blank=True,
        help_text=_("The day the early retirement was posted for public notice"),
    )  # fmt: skip
    actual_months = models.PositiveIntegerField(_("Months contributed"))
    deemed_months = models.PositiveIntegerField(_("Deemed contribution months"))
    contribution_years = models.DecimalField(
        _("Contribution years"), max_digits=8, decimal_places=4
    )
    # Z, exact to 20 decimals: the pension was computed from the exact value
    average_index = exact_index(_("Average contribution index"))
    transitional_index = exact_index(_("Transitional index"))
    divisor = models.DecimalField(_("Months divisor"), max_digits=5, decimal_places=1)
    account_balance = money(_("Account balance at retirement"))
    calculation_base = money(_("Pension calculation base"))
    local_calculation_base = money(_("Local calculation base"))
    # the year whose base was used; before the retirement year when provisional
    calculation_base_year = models.PositiveSmallIntegerField(_("Year of the calculation base"))
    provisional = models.BooleanField(
        _("Provisional"), default=False,
        help_text=_("The calculation base of the retirement year was not yet published"),
    )  # fmt: skip
    basic_pension = money(_("Basic pension"))
    account_pension = money(_("Personal account pension"))
    transitional_pension = money(_("Transitional pension"))
    extra_pension = money(_("Extra pension"))
    total = money(_("Monthly pension"))
    inputs = models.JSONField(_("Inputs and intermediates"), default=dict)
    parameters = models.JSONField(_("Parameters used"), default=list)
    determined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Approved by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # a recalculation's settlement of the months already paid (多退少补), for the payroll:
    # {"replaces", "monthly_difference", "from_month", "to_month", "months", "amount"}
    settlement = models.JSONField(
        _("Settlement of the difference"), default=dict, blank=True,
        help_text=_("Difference for the months already paid, settled in the next payroll"),
    )  # fmt: skip
    superseded_by = models.ForeignKey(
        "self", verbose_name=_("Superseded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    scope_region_path = "person__region"
    # read like the person (异地通办); preparing and approving stay with the owner
    scope_province_wide_actions = frozenset({"view"})

    class Meta:
        verbose_name = _("Pension determination")
        verbose_name_plural = _("Pension determinations")
        ordering = ["person", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(superseded_by__isnull=True),
                name="determination_one_current_per_person",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(case__isnull=False),
                name="determination_one_per_case",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=DeterminationStatus.SUPERSEDED, superseded_by__isnull=False)
                    | (~Q(status=DeterminationStatus.SUPERSEDED) & Q(superseded_by__isnull=True))
                ),
                name="determination_superseded_has_successor",
            ),
            models.CheckConstraint(
                condition=Q(
                    total=F("basic_pension")
                    + F("account_pension")
                    + F("transitional_pension")
                    + F("extra_pension")
                ),
                name="determination_total_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(
                    basic_pension__gte=0,
                    account_pension__gte=0,
                    transitional_pension__gte=0,
                    extra_pension__gte=0,
                    account_balance__gte=0,
                ),
                name="determination_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(divisor__gt=0), name="determination_divisor_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=RetirementKind.FLEXIBLE_EARLY)
                | Q(public_notice_date__isnull=False),
                name="determination_early_has_public_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "region"], name="determination_status_region"),
            models.Index(
                fields=["provisional"],
                condition=Q(provisional=True, superseded_by__isnull=True),
                name="determination_provisional",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.retirement_month}: {self.total}"
