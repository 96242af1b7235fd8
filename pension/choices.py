"""Choice sets of the shared kernel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    """Administrative level of a region (行政区划级别)."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class Role(models.TextChoices):
    """Staff roles (岗位角色). What a user may do; the agency says where."""

    CASEWORKER = "caseworker", _("Caseworker")
    REVIEWER = "reviewer", _("Reviewer")
    AGENCY_HEAD = "agency_head", _("Agency head")
    FUND_ACCOUNTANT = "fund_accountant", _("Fund accountant")
    BUDGET_OFFICER = "budget_officer", _("Budget officer")
    AUDITOR = "auditor", _("Auditor")
    PROVINCE_ADMIN = "province_admin", _("Province administrator")
    # outside the social-security agencies: the finance department (财政部门) reviews
    # budgets and approves spending plans; the government (人民政府) approves budgets
    FINANCE_OFFICER = "finance_officer", _("Finance department officer")
    GOVERNMENT_APPROVER = "government_approver", _("Government approver")


class ParameterKind(models.TextChoices):
    """How a policy parameter's value is read."""

    DECIMAL = "decimal", _("Decimal")
    INTEGER = "integer", _("Integer")
    TEXT = "text", _("Text")
    TABLE = "table", _("Table")


class ImportJobStatus(models.TextChoices):
    """Where an import on the worker stands (后台导入状态)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InstructionPurpose(models.TextChoices):
    """What money that goes out is for (支付指令用途). The values are also payroll items,
    so the payroll's totals show them apart."""

    REFUND = "refund", _("Refund of contributions")
    ACCOUNT_SETTLEMENT = "account_settlement", _("Settlement of a personal account")
    TRANSFER_OUT = "transfer_out", _("Transfer to another province")
    SURVIVOR_BENEFIT = "survivor_benefit", _("Survivor benefits")


class InstructionStatus(models.TextChoices):
    """State of a payment instruction (支付指令状态): open until a payroll run carries it
    to its bank file, then paid or failed by the bank's result."""

    OPEN = "open", _("Waiting for the next payroll")
    ISSUED = "issued", _("In a payroll run")
    PAID = "paid", _("Paid out")
    FAILED = "failed", _("Failed")
