"""Choice sets of personal pension accounts (个人账户)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountStatus(models.TextChoices):
    """State of a personal pension account (账户状态, DESIGN §5.3, §8.2.3)."""

    OPEN = "open", _("Open")
    # contributions interrupted: no credits, interest still accrues (封存)
    SEALED = "sealed", _("Sealed")
    # the holder retired: the balance at retirement is fixed for the determination
    DRAWING = "drawing", _("Drawing a pension")
    # paid out (settlement) or moved to another province (transfer out)
    CLOSED = "closed", _("Closed")


class EntryKind(models.TextChoices):
    """Kind of ledger entry (记账类型). Entries are never edited; a correction is a
    reversal of the entry it corrects."""

    CREDIT = "credit", _("Contribution credit")
    INTEREST = "interest", _("Interest")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    SETTLEMENT = "settlement", _("Settlement")
    REVERSAL = "reversal", _("Reversal")
    # the balance brought over from the ledger kept before this system (历史余额迁移)
    MIGRATED_BALANCE = "migrated_balance", _("Balance brought from the earlier ledger")


class RunKind(models.TextChoices):
    CREDITING = "crediting", _("Monthly crediting")
    INTEREST = "interest", _("Annual interest")


class RunStatus(models.TextChoices):
    """State of an account batch (DESIGN §2.3). Crediting goes draft → running →
    posted; interest draft → running → calculated → approved → posting → posted."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Calculated")
    APPROVED = "approved", _("Approved")
    POSTING = "posting", _("Posting")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


class InterestMethod(models.TextChoices):
    MONTHLY_PRODUCT = "monthly_product", _("Monthly product (月积数法)")
    ANNUAL = "annual", _("Annual (年度计算法)")


class SettlementReason(models.TextChoices):
    """Why an account is paid out (个人账户一次性支付, §8.4)."""

    DEATH = "death", _("Death (paid to the heirs)")
    EMIGRATION = "emigration", _("Settled abroad")
    NATIONALITY_LOST = "nationality_lost", _("Loss of Chinese nationality")
    DOUBLE_ENROLMENT = "double_enrolment", _("Enrolled twice")
    RETIREMENT_SHORTFALL = (
        "retirement_shortfall",
        _("Retirement age reached without enough years, settlement chosen"),
    )


class TransferDirection(models.TextChoices):
    IN = "in", _("Transfer in from another province")
    OUT = "out", _("Transfer out to another province")
