"""Choice sets of registration (参保登记)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pension import policy


class EmployerKind(models.TextChoices):
    """Kind of insured employer (单位类型)."""

    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business with employees")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution under the enterprise scheme")
    OTHER = "other", _("Other organisation")


class EmployerStatus(models.TextChoices):
    """Status of an employer's registration (参保状态)."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


class RegistrationSource(models.TextChoices):
    HALL = "hall", _("Service hall")
    MARKET_REGULATION = "market_regulation", _("Market regulation push")
    IMPORT = "import", _("Import")


class Sex(models.TextChoices):
    # the kernel's retirement-age rule reads these values (pension.policy)
    MALE = policy.SEX_MALE, _("Male")
    FEMALE = policy.SEX_FEMALE, _("Female")


class PersonCategory(models.TextChoices):
    """Category of insured person (参保身份)."""

    EMPLOYEE = "employee", _("Employee")
    FLEXIBLE = "flexible", _("Flexible worker")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business owner")
    PART_TIME = "part_time", _("Part-time worker")


class OccupationKind(models.TextChoices):
    """Worker or cadre (工人/干部): decides a woman's statutory retirement age."""

    WORKER = policy.OCCUPATION_WORKER, _("Worker")
    CADRE = policy.OCCUPATION_CADRE, _("Cadre")


class PersonStatus(models.TextChoices):
    """Insurance status of a person (参保状态)."""

    CONTRIBUTING = "contributing", _("Contributing")
    INTERRUPTED = "interrupted", _("Interrupted")
    RETIRED = "retired", _("Retired")
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    TERMINATED = "terminated", _("Terminated")


# statuses that end a person's insured working life here: every open employment is
# closed and the person is never assessed again
CLOSING_STATUSES = (
    PersonStatus.RETIRED,
    PersonStatus.DECEASED,
    PersonStatus.TRANSFERRED_OUT,
    PersonStatus.TERMINATED,
)

# Key personal data (关键信息): changed only through maker-checker with attachments.
KEY_FIELDS = (
    "id_number",
    "name",
    "birth_date",
    "occupation_kind",  # worker or cadre: decides a woman's retirement age (50 or 55)
    "first_work_date",
    "first_insured_date",
    "deemed_months",
    "category",
    "region",  # the owning region (参保地); the owning agency follows it
)
# Contact data: changed directly, logged.
CONTACT_FIELDS = ("phone", "address", "card_number")
# The account pensions are paid to (发放银行、账号, §6.2.2.3): key data, entered at
# registration, changed afterwards only through maker-checker in the owning region.
BANK_FIELDS = ("bank_name", "bank_account")
