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


class PayrollRunStatus(models.TextChoices):
    """State of a payroll run (发放批次, DESIGN §2.3): draft → running → calculated →
    approved → exported (bank files written) → closed, or failed. A dry run (试算) stops
    at calculated and is discarded."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Calculated")
    APPROVED = "approved", _("Approved")
    EXPORTED = "exported", _("Bank files exported")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


class PayrollRunKind(models.TextChoices):
    """Kind of payroll run: the monthly one, or a supplementary run in the month."""

    REGULAR = "regular", _("Monthly payroll")
    SUPPLEMENTARY = "supplementary", _("Supplementary payroll")


class PayrollItem(models.TextChoices):
    """Item of a payroll line (发放项目, §9.3.1): the monthly pension and adjustments,
    and the one-time amounts settled in a payroll."""

    PENSION = "pension", _("Monthly pension")
    ADJUSTMENT = "adjustment", _("Pension adjustment")
    SETTLEMENT = "settlement", _("Settlement of a recalculation")
    BACK_PAY = "back_pay", _("Back pay of suspended months")
    ADJUSTMENT_BACK_PAY = "adjustment_back_pay", _("Back pay of an adjustment")
    REISSUE = "reissue", _("Re-issue of a failed payment")
    SURVIVOR_BENEFIT = "survivor_benefit", _("Survivor benefits")
    RECOVERY = "recovery", _("Recovery of an overpayment")
    # payment instructions (pension.PaymentInstruction) carried by the payroll
    REFUND = "refund", _("Refund of contributions")
    ACCOUNT_SETTLEMENT = "account_settlement", _("Settlement of a personal account")
    TRANSFER_OUT = "transfer_out", _("Transfer to another province")


class PaymentStatus(models.TextChoices):
    """State of one bank payment of a payroll run (代发状态)."""

    # in a run whose bank files are written: sent, awaiting the bank's result
    PENDING = "pending", _("Awaiting the bank")
    HELD = "held", _("Held: no bank account")
    # a held payment paid again by a later run once the account exists (a re-issue due)
    REISSUED = "reissued", _("Re-issued once the account exists")
    PAID = "paid", _("Paid out")
    FAILED = "failed", _("Failed")


class SuspensionReason(models.TextChoices):
    """Why payment is suspended (暂停发放原因, §9.3.2–9.3.3). Whether suspended months
    are back-paid on resumption is ``SUSPENSION_BACK_PAY``."""

    DEATH = "death", _("Death")
    WANTED = "wanted", _("Wanted by the police")
    IMPRISONED = "imprisoned", _("Imprisoned")
    DOUBLE_RECEIPT = "double_receipt", _("Double receipt")
    CERTIFICATION_MISSING = "certification_missing", _("Life certification missing")
    CERTIFICATION_FAILED = "certification_failed", _("Life certification failed")
    OTHER = "other", _("Other")


# Suspended months paid on resumption (§9.3.4): missing certification yes, imprisonment no.
SUSPENSION_BACK_PAY = {
    SuspensionReason.DEATH: False,
    SuspensionReason.WANTED: False,
    SuspensionReason.IMPRISONED: False,
    SuspensionReason.DOUBLE_RECEIPT: False,
    SuspensionReason.CERTIFICATION_MISSING: True,
    SuspensionReason.CERTIFICATION_FAILED: True,
    SuspensionReason.OTHER: True,
}


class CertificationMethod(models.TextChoices):
    """How a retiree's entitlement was confirmed (领取待遇资格确认方式, §9.6)."""

    HALL = "hall", _("At a service hall")
    SELF_SERVICE = "self_service", _("Self-service (app or kiosk)")
    HOME_VISIT = "home_visit", _("Home visit")
    VIDEO = "video", _("Video call")
    DATA_MATCH = "data_match", _("Data match")


class DataMatchKind(models.TextChoices):
    """Source of a data-match file (比对数据, §9.6.2)."""

    DEATH = "death", _("Death records (civil affairs, cremation)")
    HOSPITAL = "hospital", _("Hospital records")
    TRANSPORT = "transport", _("Transport records")


class BatchStatus(models.TextChoices):
    """State of an annual adjustment batch (待遇调整批次)."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Calculated")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


class RecalculationStatus(models.TextChoices):
    """State of a provisional recalculation batch (临时待遇重算批次): the new
    determinations are in force as each county commits (no approval: the base was
    published, the rule is fixed)."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


class ReceivableStatus(models.TextChoices):
    """State of an amount to recover (应收待追回)."""

    OPEN = "open", _("Outstanding")
    SETTLED = "settled", _("Settled")
    WRITTEN_OFF = "written_off", _("Written off")
