"""Choice sets of budget (基金预算)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pension import batches


class SnapshotStatus(models.TextChoices):
    """State of a month-end snapshot run (月末快照): it is taken, then kept."""

    DRAFT = batches.RunStatus.DRAFT.value, batches.RunStatus.DRAFT.label
    RUNNING = batches.RunStatus.RUNNING.value, batches.RunStatus.RUNNING.label
    CALCULATED = batches.RunStatus.CALCULATED.value, _("Taken")
    FAILED = batches.RunStatus.FAILED.value, batches.RunStatus.FAILED.label


class BudgetStatus(models.TextChoices):
    """Where a budget version stands in its approval chain (预算审批流程):
    the provincial bureau drafts, HR/SS reviews, finance reviews, the government
    approves (DESIGN §5.6). An approved version is locked."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted by the bureau")
    HRSS_REVIEWED = "hrss_reviewed", _("Reviewed by HR and social security")
    FINANCE_REVIEWED = "finance_reviewed", _("Reviewed by finance")
    APPROVED = "approved", _("Approved by the government")
    SUPERSEDED = "superseded", _("Superseded")


class VersionKind(models.TextChoices):
    """Kind of budget version: the year's budget or an adjustment plan (预算调整方案)."""

    ORIGINAL = "original", _("Annual budget")
    ADJUSTMENT = "adjustment", _("Adjustment plan")


class BudgetItem(models.TextChoices):
    """Revenue and expenditure items of the budget (预算收支项目), in the fund ledger's
    layout (DESIGN §5.5, §5.6): the codes are the ledger's."""

    CONTRIBUTION_INCOME = "contribution_income", _("Contribution income")
    FISCAL_SUBSIDY = "fiscal_subsidy", _("Fiscal subsidy")
    INTEREST_INCOME = "interest_income", _("Interest income")
    TRANSFER_IN = "transfer_in", _("Transfer-in income")
    OTHER_INCOME = "other_income", _("Other income")
    PENSION_EXPENDITURE = "pension_expenditure", _("Basic pension expenditure")
    SURVIVOR_EXPENDITURE = "survivor_expenditure", _("Funeral and survivor benefits")
    TRANSFER_OUT = "transfer_out", _("Transfer-out expenditure")
    OTHER_EXPENDITURE = "other_expenditure", _("Other expenditure")


REVENUE_ITEMS = (
    BudgetItem.CONTRIBUTION_INCOME,
    BudgetItem.FISCAL_SUBSIDY,
    BudgetItem.INTEREST_INCOME,
    BudgetItem.TRANSFER_IN,
    BudgetItem.OTHER_INCOME,
)
EXPENDITURE_ITEMS = (
    BudgetItem.PENSION_EXPENDITURE,
    BudgetItem.SURVIVOR_EXPENDITURE,
    BudgetItem.TRANSFER_OUT,
    BudgetItem.OTHER_EXPENDITURE,
)


class GapPayer(models.TextChoices):
    """Who pays a share of a gap (缺口分担主体)."""

    POOLED_FUND = "pooled_fund", _("Pooled fund surplus")
    PROVINCE = "province", _("Provincial government")
    CITY = "city", _("City government")
    COUNTY = "county", _("County governments")


class Indicator(models.TextChoices):
    """Scorecard indicators (考核指标, DESIGN §5.6)."""

    COLLECTION_BUDGET = "collection_budget", _("Collection budget completion")
    REMITTANCE = "remittance", _("Remittance completion")
    SUBSIDY_ARRIVAL = "subsidy_arrival", _("Fiscal subsidy arrival")
    ENROLLMENT_PLAN = "enrollment_plan", _("Enrollment plan completion")
    COLLECTION_RATE = "collection_rate", _("Collection rate")
    CONTRIBUTION_RATE = "contribution_rate", _("Contribution rate")
