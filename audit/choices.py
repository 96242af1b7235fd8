"""Choice sets of audit and internal control (稽核与内控)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskRule(models.TextChoices):
    """The nightly risk rules (风险规则, DESIGN §5.7, operations standard §11–§12)."""

    PAID_AFTER_DEATH = "paid_after_death", _("Pension paid after a recorded death")
    TWO_PENSIONS = "two_pensions", _("One ID receiving two pensions")
    UNCERTIFIED_PAID = "uncertified_paid", _("Retiree uncertified beyond the interval, still paid")
    BASE_OUTSIDE_LIMITS = "base_outside_limits", _("Contribution base outside the limits")
    CONTRIBUTION_AFTER_END = (
        "contribution_after_end",
        _("Contributions after retirement or death"),
    )
    EMPLOYER_WITHOUT_EMPLOYEES = (
        "employer_without_employees",
        _("Employer assessed with no employees"),
    )
    IMPLAUSIBLE_DATES = "implausible_dates", _("Implausible age or first work date")
    SELF_APPROVAL = "self_approval", _("Staff approving their own or a relative's case")
    OUT_OF_HOURS_CHANGE = "out_of_hours_change", _("Key-data change out of hours")
    SHARED_BANK_ACCOUNT = "shared_bank_account", _("One bank account receiving several pensions")
    ACCOUNT_CHANGED_BEFORE_BACK_PAY = (
        "account_changed_before_back_pay",
        _("Bank account changed shortly before a large back pay"),
    )
    # raised by the daily chain verification (audit.controls), not by the nightly scan
    CHAIN_BROKEN = "chain_broken", _("Change-log chain verification failed")


class AlertStatus(models.TextChoices):
    """Where an alert (预警) stands in the work queue."""

    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    EXPLAINED = "explained", _("Explained")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


# an alert still in the work queue: a rule finding its subject again adds nothing
ALERT_ACTIVE = (AlertStatus.OPEN, AlertStatus.ASSIGNED, AlertStatus.EXPLAINED)


class ScanStatus(models.TextChoices):
    """State of a risk scan (风险扫描批次): no approval, the alerts are the result."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    POSTED = "posted", _("Posted")
    FAILED = "failed", _("Failed")


class InspectionKind(models.TextChoices):
    """What an inspection (稽核) looks at."""

    EMPLOYER = "employer", _("Employer (headcount and declared bases)")
    BENEFIT = "benefit", _("Benefit claim")


class InspectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class PlanStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class FindingKind(models.TextChoices):
    """What an inspection found (稽核结论) and the case it becomes."""

    BACK_PAYMENT = "back_payment", _("Contributions not paid (back-payment case)")
    BASE_CORRECTION = "base_correction", _("Base declared too low (base correction case)")
    OVERPAID_BENEFIT = "overpaid_benefit", _("Benefits overpaid (recovery from the payroll)")
    NONE = "none", _("Nothing irregular")


class FindingStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    REFERRED = "referred", _("Case opened")


class DataCheck(models.TextChoices):
    """The quarterly data-quality checks (数据质量检查, operations standard §11.1.5): each
    a set-based query counting the records it finds by region."""

    ID_CHECK_CHARACTER = "id_check_character", _("Citizen ID with a wrong check character")
    ID_BIRTH_DATE = "id_birth_date", _("Birth date differing from the citizen ID")
    ID_SEX = "id_sex", _("Sex differing from the citizen ID")
    MISSING_KEY_DATA = "missing_key_data", _("Key data missing (first work or insured date)")
    RETIREE_WITHOUT_ACCOUNT = (
        "retiree_without_account",
        _("Retiree without a bank account or social security card"),
    )
    DUPLICATE_PERSON = "duplicate_person", _("Possible duplicate person (name, birth date, sex)")
    INCONSISTENT_DATES = "inconsistent_dates", _("Inconsistent dates")
    BASE_OUTSIDE_LIMITS = "base_outside_limits", _("Contribution base outside the limits")
    EMPLOYEE_WITHOUT_EMPLOYMENT = (
        "employee_without_employment",
        _("Contributing employee with no current employer"),
    )
    RETIRED_WITHOUT_DETERMINATION = (
        "retired_without_determination",
        _("Retired person with no current pension determination"),
    )


class ControlReport(models.TextChoices):
    """The internal-control reports (内控报告, DESIGN §5.7)."""

    APPROVALS = "approvals", _("Approvals by user")
    OVERRIDES = "overrides", _("Decided above the owning agency")
    REFUSED = "refused", _("Refused requests")
    OUT_OF_HOURS = "out_of_hours", _("Changes out of hours")
    CHAIN = "chain", _("Chain verification results")


class ChecklistStatus(models.TextChoices):
    """Where an item of the acceptance checklist (考核验收表, seed 000) stands, as the
    auditor assessed it (达标情况)."""

    NOT_ASSESSED = "not_assessed", _("Not assessed")
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class RetentionPeriod(models.TextChoices):
    """How long a filed volume is kept (保管期限, operations standard §14)."""

    PERMANENT = "permanent", _("Permanent")
    YEARS_30 = "30y", _("30 years")
    YEARS_10 = "10y", _("10 years")


# years of each period; None: kept for ever
RETENTION_YEARS: dict[str, int | None] = {
    RetentionPeriod.PERMANENT: None,
    RetentionPeriod.YEARS_30: 30,
    RetentionPeriod.YEARS_10: 10,
}
