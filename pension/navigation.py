"""Navigation by role: one table that both the menu and the page guards read."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pension.choices import Role as R

BUSINESS = frozenset({R.CASEWORKER, R.REVIEWER, R.AGENCY_HEAD, R.AUDITOR, R.PROVINCE_ADMIN})
MONEY = frozenset({R.FUND_ACCOUNTANT, R.BUDGET_OFFICER, R.AGENCY_HEAD, R.AUDITOR, R.PROVINCE_ADMIN})


@dataclass(frozen=True)
class Section:
    """A top-level section of the back office and the roles that may open it."""

    domain: str
    url_name: str
    label: object
    description: object
    roles: frozenset[str]


SECTIONS: tuple[Section, ...] = (
    Section(
        "enrollment",
        "enrollment:index",
        _("Registration"),
        _("Employers, insured people, employment and key-data changes."),
        BUSINESS,
    ),
    Section(
        "contributions",
        "contributions:index",
        _("Contributions"),
        _(
            "Base declaration, monthly assessment, tax exchange, arrears, back-payments and "
            "refunds."
        ),
        BUSINESS | {R.FUND_ACCOUNTANT},
    ),
    Section(
        "accounts",
        "accounts:index",
        _("Personal pension accounts"),
        _("Account ledger, monthly crediting, annual interest, transfers and settlement."),
        BUSINESS | {R.FUND_ACCOUNTANT},
    ),
    Section(
        "benefits",
        "benefits:index",
        _("Benefits and payroll"),
        _("Retirement determination, monthly payroll, suspension, certification and survivors."),
        BUSINESS | {R.FUND_ACCOUNTANT},
    ),
    Section(
        "funds",
        "funds:index",
        _("Fund revenue and expenditure"),
        _("Fund ledger, spending plans, sweeps to the special account and reconciliation."),
        MONEY | {R.FINANCE_OFFICER},
    ),
    Section(
        "budget",
        "budget:index",
        _("Budget"),
        _("Annual budget, adjustments, final accounts, gap-sharing and scorecards."),
        # the budget's approval chain reaches the finance department and the government
        MONEY | {R.FINANCE_OFFICER, R.GOVERNMENT_APPROVER},
    ),
    Section(
        "audit",
        "audit:index",
        _("Audit and internal control"),
        _("Inspections, risk alerts, internal-control reports and the acceptance checklist."),
        frozenset({R.AUDITOR, R.AGENCY_HEAD, R.PROVINCE_ADMIN}),
    ),
    Section(
        "archives",
        "audit:volume_list",
        _("Business archives"),
        _(
            "Closed cases filed into volumes with their documents, retention periods and "
            "hand-over lists to the archive."
        ),
        # the agencies file and hand over (caseworkers, reviewers, heads); auditors read
        BUSINESS,
    ),
)
SECTION_BY_DOMAIN = {s.domain: s for s in SECTIONS}


def sections_for(user) -> list[Section]:
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(SECTIONS)
    return [s for s in SECTIONS if user.has_role(*s.roles)]


def menu_for(user) -> list[dict]:
    items = [
        {"url": reverse(s.url_name), "label": s.label, "domain": s.domain}
        for s in sections_for(user)
    ]
    if getattr(user, "is_staff", False):
        items.append(
            {"url": reverse("admin:index"), "label": _("System administration"), "domain": "admin"}
        )
    return items
