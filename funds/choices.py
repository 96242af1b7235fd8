"""Choice sets of fund revenue and expenditure (基金收支)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountKind(models.TextChoices):
    """Kinds of fund account (基金账户). The first four hold money (bank accounts and
    claims); clearing accounts hold what is in transit with a counterparty; revenue and
    expense accounts are the nominal accounts whose legs are the fund's revenue and
    expenditure by item (DESIGN §5.5)."""

    INCOME = "income", _("Income account")  # 收入户
    EXPENDITURE = "expenditure", _("Expenditure account")  # 支出户
    SPECIAL = "special", _("Fiscal special account")  # 财政专户
    RECEIVABLE = "receivable", _("Receivables")  # 暂付款/应收款
    CLEARING = "clearing", _("Clearing account")  # 往来清算
    REVENUE = "revenue", _("Fund revenue")  # 基金收入
    EXPENSE = "expense", _("Fund expenditure")  # 基金支出


# nominal accounts: their legs are revenue and expenditure (actuals)
NOMINAL_KINDS = frozenset({AccountKind.REVENUE, AccountKind.EXPENSE})
# accounts that hold money of the fund (bank accounts)
MONEY_KINDS = frozenset({AccountKind.INCOME, AccountKind.EXPENDITURE, AccountKind.SPECIAL})


class Counterparty(models.TextChoices):
    """Whom a clearing account clears with (往来单位)."""

    TAX = "tax", _("Tax bureau")
    BANK = "bank", _("Bank")
    FINANCE = "finance", _("Finance department")


class FundItem(models.TextChoices):
    """Revenue and expenditure items (收支项目) of an entry (operations standard §10.2,
    seed 001 §2(1)); sweeps, disbursements and settlements are transfers between the
    fund's own accounts and count as neither."""

    # revenue (基金收入)
    CONTRIBUTION_EMPLOYER = "contribution_employer", _("Employer contributions")
    CONTRIBUTION_INDIVIDUAL = "contribution_individual", _("Individual contributions")
    CONTRIBUTION_FLEXIBLE = "contribution_flexible", _("Flexible workers' contributions")
    LATE_FEE = "late_fee", _("Late fees")
    FISCAL_SUBSIDY = "fiscal_subsidy", _("Fiscal subsidy")
    CENTRAL_ADJUSTMENT = "central_adjustment", _("Central adjustment funds")
    INTEREST = "interest", _("Interest income")
    TRANSFER_IN = "transfer_in", _("Transfers in")
    OTHER_REVENUE = "other_revenue", _("Other revenue")
    # expenditure (基金支出)
    PENSION = "pension", _("Pensions")
    FUNERAL_SURVIVOR = "funeral_survivor", _("Funeral grants and survivors' pensions")
    REFUND = "refund", _("Refunds of contributions")
    ACCOUNT_SETTLEMENT = "account_settlement", _("Personal account settlements")
    TRANSFER_OUT = "transfer_out", _("Transfers out")
    OTHER_EXPENDITURE = "other_expenditure", _("Other expenditure")
    # transfers within the fund (内部划转)
    TAX_TRANSFER = "tax_transfer", _("Tax bureau transfer")
    SWEEP = "sweep", _("Sweep to the special account")
    DISBURSEMENT = "disbursement", _("Disbursement")
    BANK_SETTLEMENT = "bank_settlement", _("Bank settlement")
    ADJUSTMENT = "adjustment", _("Adjustment")


I = FundItem  # noqa: E741
REVENUE_ITEMS = frozenset(
    {
        I.CONTRIBUTION_EMPLOYER,
        I.CONTRIBUTION_INDIVIDUAL,
        I.CONTRIBUTION_FLEXIBLE,
        I.LATE_FEE,
        I.FISCAL_SUBSIDY,
        I.CENTRAL_ADJUSTMENT,
        I.INTEREST,
        I.TRANSFER_IN,
        I.OTHER_REVENUE,
    }
)
EXPENDITURE_ITEMS = frozenset(
    {
        I.PENSION,
        I.FUNERAL_SURVIVOR,
        I.REFUND,
        I.ACCOUNT_SETTLEMENT,
        I.TRANSFER_OUT,
        I.OTHER_EXPENDITURE,
    }
)
TRANSFER_ITEMS = frozenset(
    {I.TAX_TRANSFER, I.SWEEP, I.DISBURSEMENT, I.BANK_SETTLEMENT, I.ADJUSTMENT}
)
del I


class PeriodStatus(models.TextChoices):
    """An accounting period (会计期间, a month) is open, then closed for ever."""

    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CloseStatus(models.TextChoices):
    """States of a month-end close run (月末结算): its entries are posted as it runs (the
    sources were approved; the period close is the maker-checker step)."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


# entries a batch of the ledger posts with no person as actor (the month-end close)
SYSTEM_SOURCES = ("funds.closerun",)


class ReconciliationStatus(models.TextChoices):
    """States of a month's three-way reconciliation (三方对账): matched (calculated),
    then signed off by a second person once every break is dealt with."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Matched, awaiting sign-off")
    APPROVED = "approved", _("Signed off")
    FAILED = "failed", _("Failed")


class BreakKind(models.TextChoices):
    """Kinds of reconciliation break (未达账项)."""

    LEDGER_ONLY = "ledger_only", _("In the ledger, not on the statement")
    BANK_ONLY = "bank_only", _("On the statement, not in the ledger")
    AMOUNT_DIFFERS = "amount_differs", _("Amounts differ")


class BreakStatus(models.TextChoices):
    """Where a break stands: open, assigned to a fund accountant, explained, carried
    to next month as a timing difference, or resolved (a correcting entry, or matched
    the next month)."""

    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    EXPLAINED = "explained", _("Explained")
    TIMING = "timing", _("Timing difference, carried to next month")
    RESOLVED = "resolved", _("Resolved")


# a reconciliation is signed off only when every break is in one of these
BREAK_SETTLED = frozenset({BreakStatus.EXPLAINED, BreakStatus.TIMING, BreakStatus.RESOLVED})


class PlanItem(models.TextChoices):
    """Expenditure item of a spending plan line (支出项目, operations standard §10.3.1)."""

    PENSION = "pension", _("Basic pensions")
    SURVIVOR = "survivor", _("Funeral grants and survivors' pensions")
    HEATING = "heating", _("Winter heating allowance")
    TRANSFER_OUT = "transfer_out", _("Transfers out")
    OTHER = "other", _("Other expenditure")


class PlanStatus(models.TextChoices):
    """Where a monthly spending plan (用款计划) stands. A county's or city's plan goes
    draft → pending (a checker) → submitted (to the level above) → consolidated (in the
    plan above) → approved (finance approved the province's) → disbursed; the province's
    plan goes draft → pending → submitted (applied to finance) → approved or rejected."""

    DRAFT = "draft", _("Being prepared")
    PENDING = "pending", _("Waiting for the checker")
    SUBMITTED = "submitted", _("Submitted")
    CONSOLIDATED = "consolidated", _("Consolidated")
    APPROVED = "approved", _("Approved by finance")
    REJECTED = "rejected", _("Rejected by finance")
    DISBURSED = "disbursed", _("Disbursed")


class DisbursementStatus(models.TextChoices):
    """A disbursement (拨付) from the level above: waiting for the checker, then paid."""

    PENDING = "pending", _("Waiting for the checker")
    # not the contributions' "Paid" (已缴): money paid out to the region below (已拨付)
    PAID = "paid", pgettext_lazy("disbursement", "Paid")


class SweepStatus(models.TextChoices):
    """The one-off sweep of a region's historical surplus (历年结余归集)."""

    PENDING = "pending", _("Waiting for the checker")
    SWEPT = "swept", _("Swept to the special account")
    REJECTED = "rejected", _("Rejected")


class ReminderStage(models.TextChoices):
    """What a spending-plan reminder (催报) is about."""

    COUNTY_PLAN = "county_plan", _("County plan to the city")
    CITY_PLAN = "city_plan", _("City plan to the province")
    DISBURSEMENT = "disbursement", _("Disbursement to the city")


class OtherRevenueStatus(models.TextChoices):
    """A revenue record without a source system (其他基金收入登记: a fiscal subsidy, central
    adjustment funds, interest, a transfer in): waiting for the checker, posted to the
    ledger, or rejected (a new record may then be made under the same document)."""

    PENDING = "pending", _("Waiting for the checker")
    POSTED = "posted", _("Posted")
    REJECTED = "rejected", _("Rejected")


# the revenue items recorded by a case (the rest come from the close: contributions and
# late fees from their sources, tax transfers over the API)
OTHER_REVENUE_ITEMS = (
    FundItem.FISCAL_SUBSIDY,
    FundItem.CENTRAL_ADJUSTMENT,
    FundItem.INTEREST,
    FundItem.TRANSFER_IN,
    FundItem.OTHER_REVENUE,
)
