"""Writes of benefits and payroll (待遇核定与发放): one function per business operation, in a
transaction.

The retirement case (退休申请, operations standard §9.1) and the determination
(待遇核定, §9.2; DESIGN §4, §5.4):

* ``retirement_case_request`` checks the person (birth date against the citizen ID
  number, first work date, insured months, the statutory date with the cohort delay,
  the flexible window, the minimum months of the retirement year, the public notice of
  an early retirement), computes the determination with ``benefits.determination.calc.determine``
  on a preview of the account balance (interest to the retirement month, not posted)
  and puts the figures, every input and the parameter references in a maker-checker
  request. Nothing is written but the request.
* On approval (``_apply_retirement``) the account posts its interest to the
  retirement month and starts drawing; the determination is computed again on that
  balance (every other input as the request froze it, after checking that the
  contributions did not change), stored, and the person becomes retired.
* ``provisional_determinations_recalculate`` (临时待遇, §9.2.3): when a year's
  calculation base is entered, every current provisional determination of that
  retirement year is computed again on it and superseded by a new determination that
  carries the difference for the months already paid (多退少补) for the payroll.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.selectors import account_of_person
from benefits.choices import DeterminationStatus, PayrollItem, RetirementKind
from benefits.determination import calc
from benefits.models import PayrollDue, PensionDetermination
from contributions.cases import contributed_months
from contributions.selectors import contribution_bases_by_year
from enrollment.choices import PersonStatus
from enrollment.models import InsuredPerson
from enrollment.services import person_status_change
from pension import approvals, changelog
from pension.choices import RegionLevel
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.scope import region_allows
from pension.selectors import policy_value

__all__ = [
    "RETIREMENT",
    "RetirementPreview",
    "provisional_determinations_recalculate",
    "retirement_case_request",
    "retirement_preview",
]

RETIREMENT = "benefits.retirement"
ZERO = Decimal("0.00")
# people who may still retire: not retired, deceased, transferred out or terminated
OPEN_STATUSES = (PersonStatus.CONTRIBUTING, PersonStatus.INTERRUPTED)
# keys of the profile's determination rules (ProfileRules.from_policy); the last four
# may be missing in a profile that has no such rule
RULE_KEYS = (
    "benefits.basic_pension_formula",
    "benefits.contribution_years_decimals",
    "benefits.deemed_index",
    "benefits.transitional_coefficient",
)
OPTIONAL_RULE_KEYS = (
    "benefits.transitional_coefficient_long",
    "benefits.transitional_long_years",
    "benefits.extra_pension",
)

ERROR_REASON = _("Give the reason for the case.")
ERROR_NOT_OPEN = _("%(name)s is %(status)s; only an insured person can retire.")
ERROR_ALREADY_DETERMINED = _("%(name)s already has a pension determination.")
ERROR_CASE_PENDING = _("A retirement case of %(name)s is already waiting for a reviewer (#%(id)s).")
ERROR_BIRTH_DATE = _(
    "The birth date %(birth)s of %(name)s does not match the citizen ID number "
    "(%(from_id)s); correct the key data first."
)
ERROR_NO_FIRST_WORK = _(
    "The first work date of %(name)s is not recorded; correct the key data first."
)
ERROR_FIRST_WORK = _(
    "The first work date %(first_work)s of %(name)s is before the age of 16 or after the "
    "retirement date; correct the key data first."
)
ERROR_TOO_EARLY = _(
    "%(name)s reaches the statutory retirement age on %(statutory)s; the earliest "
    "retirement month is %(earliest)s."
)
ERROR_TOO_LATE = _(
    "%(name)s reached the statutory retirement age on %(statutory)s; the latest retirement "
    "month is %(latest)s."
)
ERROR_KIND = _(
    "A retirement in %(month)s is a %(expected)s for %(name)s (statutory month %(statutory)s), "
    "not a %(kind)s."
)
ERROR_MINIMUM = _(
    "%(name)s has %(months)s contribution months (%(contributed)s contributed and %(deemed)s "
    "deemed); retiring in %(year)s needs at least %(minimum)s."
)
ERROR_NOTICE_REQUIRED = _(
    "A flexible early retirement needs the public-notice step: give the date the notice was posted."
)
ERROR_NOTICE_DATE = _(
    "The public notice date %(date)s cannot be after today or the retirement date."
)
ERROR_NO_CONTRIBUTIONS = _("%(name)s has no contribution months on record to determine a pension.")
ERROR_NO_WAGE = _(
    "No average wage of %(year)s is on record for the contribution index of %(next)s."
)
ERROR_CHANGED = _(
    "The contributions of %(name)s changed since the case was made; make a new request."
)
ERROR_PARAMETER = _("The determination cannot be computed: %(error)s")


# --- inputs ------------------------------------------------------------------------


def _policy(key: str, *, on: date, region: Any, as_of: date | None = None):
    try:
        return policy_value(key, on=on, region=region, as_of=as_of)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], code="parameter_missing") from None


def _optional_policy(key: str, *, on: date, region: Any):
    try:
        return policy_value(key, on=on, region=region)
    except ValidationError:
        return None


def _province(region: Any) -> Any:
    return next(r for r in region.ancestors() if r.level == RegionLevel.PROVINCE)


@dataclass(frozen=True)
class RetirementPreview:
    """What a retirement case proposes: the checks' figures and the determination."""

    person: InsuredPerson
    kind: str
    eligibility: calc.Eligibility
    contributed_months: int
    public_notice_date: date | None
    year_records: tuple[dict[str, Any], ...]  # contribution_bases_by_year, as JSON
    account_id: int | None
    balance_posted: Decimal
    interest_to_post: Decimal
    calculation_base_year: int
    provisional: bool
    provisional_reasons: tuple[str, ...]
    rule_values: dict[str, Any]  # JSON-safe values of the profile's rules, by key
    divisor_table: dict[str, Any]
    references: tuple[str, ...]
    determination: calc.Determination


def _check_person(person: InsuredPerson, retirement_date: date) -> None:
    if person.status not in OPEN_STATUSES:
        raise Conflict(
            ERROR_NOT_OPEN,
            code="not_insured",
            params={"name": person.name, "status": PersonStatus(person.status).label},
        )
    if PensionDetermination.objects.filter(person=person, superseded_by__isnull=True).exists():
        raise Conflict(
            ERROR_ALREADY_DETERMINED, code="already_determined", params={"name": person.name}
        )
    from_id = person.id_number[6:14]
    if person.birth_date.strftime("%Y%m%d") != from_id:
        raise InvalidInput(
            ERROR_BIRTH_DATE,
            code="birth_date_mismatch",
            params={
                "name": person.name,
                "birth": person.birth_date.isoformat(),
                "from_id": f"{from_id[:4]}-{from_id[4:6]}-{from_id[6:]}",
            },
        )
    if person.first_work_date is None:
        raise InvalidInput(
            ERROR_NO_FIRST_WORK, code="first_work_date_missing", params={"name": person.name}
        )
    sixteen = Period(person.birth_date.year + 16, person.birth_date.month)
    if (
        Period.from_date(person.first_work_date) < sixteen
        or person.first_work_date > retirement_date
    ):
        raise InvalidInput(
            ERROR_FIRST_WORK,
            code="first_work_date_implausible",
            params={"name": person.name, "first_work": person.first_work_date.isoformat()},
        )


def _expected_kind(month: Period, statutory: Period) -> str:
    if month < statutory:
        return RetirementKind.FLEXIBLE_EARLY
    if month > statutory:
        return RetirementKind.FLEXIBLE_LATE
    return RetirementKind.STATUTORY


def _year_records(person: InsuredPerson, *, until: Period, region: Any) -> list[dict[str, Any]]:
    """The yearly contributions from the year personal accounts began (the time before
    is deemed)."""
    start = _policy("accounts.start_month", on=until.first_day, region=region)
    rows = contribution_bases_by_year(
        person.pk,
        from_year=Period.parse(start.value).year,
        until_period=until.as_int,
        transferred=True,
    )
    records = []
    for r in rows:
        record = {"year": int(r["year"]), "months": int(r["months"]), "bases": str(r["bases"])}
        if r.get("index_sum") is not None:  # months transferred in, with their indices
            record["index_sum"] = str(r["index_sum"])
        records.append(record)
    return records


def _average_wages(
    years: Iterable[int], *, retirement_year: int, region: Any, today: date
) -> tuple[dict[int, Decimal], list[str], list[str]]:
    """W(y − 1) for each contribution year y, keyed by the statistics year y − 1: the
    value in force from y's January 1st (published as of ``today``). Only the retirement
    year may use an earlier year's value (not yet published): the determination is
    then provisional."""
    wages: dict[int, Decimal] = {}
    references: list[str] = []
    provisional: list[str] = []
    for year in sorted(set(years)):
        try:
            value = policy_value(
                "contribution.average_wage", on=date(year, 1, 1), region=region, as_of=today
            )
        except ValidationError:
            value = None
        if value is None or (value.effective_from.year != year and year != retirement_year):
            raise InvalidInput(
                ERROR_NO_WAGE,
                code="average_wage_missing",
                params={"year": year - 1, "next": year},
            )
        if value.effective_from.year != year:
            provisional.append(f"contribution.average_wage {year - 1}")
        wages[year - 1] = value.value
        references.append(value.reference)
    return wages, references, provisional


def _rules(region: Any, on: date) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    references: list[str] = []
    for key in RULE_KEYS:
        value = _policy(key, on=on, region=region)
        values[key] = value.value
        references.append(value.reference)
    for key in OPTIONAL_RULE_KEYS:
        value = _optional_policy(key, on=on, region=region)
        if value is not None:
            values[key] = value.value
            references.append(value.reference)
    return changelog.json_safe(values), references


def _rules_from_json(values: Mapping[str, Any], references: Iterable[str]) -> calc.ProfileRules:
    typed = dict(values)
    for key in (
        "benefits.deemed_index",
        "benefits.transitional_coefficient",
        "benefits.transitional_coefficient_long",
        "benefits.transitional_long_years",
    ):
        if typed.get(key) is not None:
            typed[key] = Decimal(str(typed[key]))
    return calc.ProfileRules.from_policy(typed, sources=tuple(references))


def _contributions(records: Iterable[Mapping[str, Any]]) -> list[calc.YearContribution]:
    return [
        calc.YearContribution(
            r["year"],
            r["months"],
            Decimal(r["bases"]),
            Decimal(r["index_sum"]) if r.get("index_sum") is not None else None,
        )
        for r in records
    ]


def _determine(
    *,
    person: InsuredPerson,
    retirement_date: date,
    records: Iterable[Mapping[str, Any]],
    wages: Mapping[int, Decimal],
    balance: Decimal,
    base: Decimal,
    local_base: Decimal | None,
    rules: calc.ProfileRules,
    divisor_table: Mapping[str, Any],
    transitional_index: Decimal | None,
) -> calc.Determination:
    try:
        return calc.determine(
            birth_date=person.birth_date,
            retirement_date=retirement_date,
            contributions=_contributions(records),
            average_wages=wages,
            deemed_months=person.deemed_months,
            account_balance=balance,
            calculation_base=base,
            local_calculation_base=local_base,
            rules=rules,
            divisor_table=divisor_table,
            transitional_index=transitional_index,
        )
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            ERROR_PARAMETER, code="not_computable", params={"error": str(error)}
        ) from None


def _calculation_bases(
    region: Any, *, retirement_date: date, today: date
) -> tuple[Decimal, Decimal | None, int, list[str], list[str]]:
    """C_province and (for the dual-base formula's local region) C_local, as published
    on ``today``; the year of the base used, and what is provisional."""
    province = _province(region)
    c_province = _policy(
        "benefits.calculation_base", on=retirement_date, region=province, as_of=today
    )
    references = [c_province.reference]
    provisional = []
    year = c_province.effective_from.year
    if year != retirement_date.year:
        provisional.append(f"benefits.calculation_base {retirement_date.year}")
    local = _policy("benefits.calculation_base", on=retirement_date, region=region, as_of=today)
    local_value = None
    if local.region_code is not None:
        local_value = local.value
        references.append(local.reference)
        if local.effective_from.year != retirement_date.year:
            provisional.append(
                f"benefits.calculation_base {local.region_code} {retirement_date.year}"
            )
    return c_province.value, local_value, year, references, provisional


def _preview_balance(person: InsuredPerson, month: Period) -> tuple[int | None, Decimal, Decimal]:
    """The account, its posted balance and the interest still to post to ``month``."""
    account = account_of_person(person)
    if account is None:
        return None, ZERO, ZERO
    posted = account_services.account_balance(account)
    due = sum(
        (item["to_post"] for item in account_services.interest_due_until(account, month)), ZERO
    )
    return account.pk, posted, due


def retirement_preview(
    *,
    person: InsuredPerson,
    retirement_date: date,
    kind: str,
    public_notice_date: date | None = None,
    transitional_index: Decimal | None = None,
    today: date | None = None,
) -> RetirementPreview:
    """Every check of a retirement case and the determination it proposes; nothing is
    written. Raises the refusal a request would raise."""
    today = today or timezone.localdate()
    if kind not in RetirementKind.values:
        raise InvalidInput(
            _("Unknown kind of retirement: %(kind)s"), code="unknown_kind", params={"kind": kind}
        )
    _check_person(person, retirement_date)
    region = person.region
    month = Period.from_date(retirement_date)
    age_table = _policy("benefits.retirement_age", on=retirement_date, region=region)
    minimum_table = _policy(
        "benefits.minimum_contribution_months", on=retirement_date, region=region
    )
    contributed = contributed_months(person, until=month)
    eligibility = calc.eligibility(
        birth_date=person.birth_date,
        sex=person.sex,
        occupation_kind=person.occupation_kind,
        retirement_date=retirement_date,
        contribution_months=contributed + person.deemed_months,
        age_table=age_table.value,
        minimum_table=minimum_table.value,
    )
    statutory = eligibility.statutory
    params = {
        "name": person.name,
        "statutory": statutory.day.isoformat(),
        "earliest": str(eligibility.earliest),
        "latest": str(eligibility.latest),
        "month": str(month),
    }
    if month < eligibility.earliest:
        raise InvalidInput(ERROR_TOO_EARLY, code="age_not_reached", params=params)
    if month > eligibility.latest:
        raise InvalidInput(ERROR_TOO_LATE, code="too_late", params=params)
    expected = _expected_kind(month, statutory.month)
    if kind != expected:
        raise InvalidInput(
            ERROR_KIND,
            code="wrong_kind",
            params={
                **params,
                "statutory": str(statutory.month),
                "expected": RetirementKind(expected).label,
                "kind": RetirementKind(kind).label,
            },
        )
    if not eligibility.months_met:
        raise InvalidInput(
            ERROR_MINIMUM,
            code="minimum_months_not_met",
            params={
                "name": person.name,
                "months": contributed + person.deemed_months,
                "contributed": contributed,
                "deemed": person.deemed_months,
                "year": retirement_date.year,
                "minimum": eligibility.minimum_months,
            },
        )
    if kind == RetirementKind.FLEXIBLE_EARLY and public_notice_date is None:
        raise InvalidInput(ERROR_NOTICE_REQUIRED, code="public_notice_required")
    if public_notice_date is not None and (
        public_notice_date > today or public_notice_date > retirement_date
    ):
        raise InvalidInput(
            ERROR_NOTICE_DATE,
            code="public_notice_date",
            params={"date": public_notice_date.isoformat()},
        )

    records = _year_records(person, until=month, region=region)
    if not records and not person.deemed_months:
        raise InvalidInput(
            ERROR_NO_CONTRIBUTIONS, code="no_contributions", params={"name": person.name}
        )
    wages, wage_refs, provisional = _average_wages(
        (r["year"] for r in records if "index_sum" not in r),
        retirement_year=retirement_date.year,
        region=region,
        today=today,
    )
    base, local_base, base_year, base_refs, base_provisional = _calculation_bases(
        region, retirement_date=retirement_date, today=today
    )
    provisional = base_provisional + provisional
    rule_values, rule_refs = _rules(region, retirement_date)
    divisor = _policy("benefits.months_divisor", on=retirement_date, region=region)
    references = (
        age_table.reference,
        minimum_table.reference,
        divisor.reference,
        *base_refs,
        *wage_refs,
        *rule_refs,
    )
    rules = _rules_from_json(rule_values, references)
    account_id, posted, due = _preview_balance(person, month)
    determination = _determine(
        person=person,
        retirement_date=retirement_date,
        records=records,
        wages=wages,
        balance=posted + due,
        base=base,
        local_base=local_base,
        rules=rules,
        divisor_table=divisor.value,
        transitional_index=transitional_index,
    )
    return RetirementPreview(
        person=person,
        kind=kind,
        eligibility=eligibility,
        contributed_months=contributed,
        public_notice_date=public_notice_date,
        year_records=tuple(records),
        account_id=account_id,
        balance_posted=posted,
        interest_to_post=due,
        calculation_base_year=base_year,
        provisional=bool(provisional),
        provisional_reasons=tuple(provisional),
        rule_values=rule_values,
        divisor_table=changelog.json_safe(divisor.value),
        references=references,
        determination=determination,
    )


def _components(determination: calc.Determination) -> dict[str, str]:
    return {
        "basic_pension": str(determination.basic_pension),
        "account_pension": str(determination.account_pension),
        "transitional_pension": str(determination.transitional_pension),
        "extra_pension": str(determination.extra_pension),
        "total": str(determination.total),
    }


@transaction.atomic
def retirement_case_request(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    retirement_date: date,
    kind: str,
    public_notice_date: date | None = None,
    transitional_index: Decimal | None = None,
    reason: str,
    attachments: Iterable = (),
    today: date | None = None,
) -> ApprovalRequest:
    """Propose the retirement of ``person`` on ``retirement_date`` and the pension
    determination (退休申请与待遇核定, §9.1–§9.2), for a reviewer to approve.

    Refused, with nothing written: a person not insured (retired, deceased, moved out)
    or already determined, or with a case waiting; a birth date that the citizen ID
    number contradicts; no or an implausible first work date; a retirement month
    before the earliest (the statutory month less the flexible early months, never
    before the original age) or after the latest; a kind that does not match the month
    (before the statutory month: flexible early, after it: flexible late); fewer
    contribution months (actual + deemed) than the minimum of the retirement year; an
    early retirement without the public-notice date. The request's amount is the
    monthly pension of the preview.
    """
    if not reason or not reason.strip():
        raise InvalidInput(ERROR_REASON, code="reason_required")
    today = today or timezone.localdate()
    pending = ApprovalRequest.objects.filter(
        operation=RETIREMENT,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(person),
        object_id=str(person.pk),
    ).first()
    if pending is not None:
        raise Conflict(
            ERROR_CASE_PENDING, code="case_pending", params={"name": person.name, "id": pending.pk}
        )
    preview = retirement_preview(
        person=person,
        retirement_date=retirement_date,
        kind=kind,
        public_notice_date=public_notice_date,
        transitional_index=transitional_index,
        today=today,
    )
    d = preview.determination
    eligibility = preview.eligibility
    payload = {
        "person_id": person.pk,
        "person": person.name,
        "kind": kind,
        "retirement_date": retirement_date.isoformat(),
        "retirement_month": str(Period.from_date(retirement_date)),
        "statutory_date": eligibility.statutory.day.isoformat(),
        "delay_months": eligibility.statutory.delay_months,
        "earliest": str(eligibility.earliest),
        "latest": str(eligibility.latest),
        "public_notice_date": public_notice_date.isoformat() if public_notice_date else None,
        "first_work_date": person.first_work_date.isoformat(),
        "contributed_months": preview.contributed_months,
        "deemed_months": person.deemed_months,
        "minimum_months": eligibility.minimum_months,
        "year_records": list(preview.year_records),
        "average_wages": {str(y): str(w) for y, w in sorted(d.average_wages.items())},
        "calculation_base": str(d.calculation_base),
        "local_calculation_base": str(d.local_calculation_base)
        if d.local_calculation_base != d.calculation_base
        else None,
        "calculation_base_year": preview.calculation_base_year,
        "provisional": preview.provisional,
        "provisional_reasons": list(preview.provisional_reasons),
        "transitional_index": str(transitional_index) if transitional_index is not None else None,
        "account_id": preview.account_id,
        "balance_posted": str(preview.balance_posted),
        "interest_to_post": str(preview.interest_to_post),
        "account_balance": str(d.account_balance),
        "rules": preview.rule_values,
        "divisor_table": preview.divisor_table,
        "z": str(d.z),
        "contribution_years": str(d.contribution_years),
        "divisor": str(d.divisor.value),
        **_components(d),
        "explanation": [line.as_json() for line in d.explanation],
        "references": list(preview.references),
        "as_of": today.isoformat(),
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=RETIREMENT,
        agency=person.agency,
        summary=str(_("Retirement of %(name)s on %(date)s, %(total)s a month"))
        % {"name": person.name, "date": retirement_date.isoformat(), "total": d.total},
        payload=payload,
        target=person,
        amount=d.total,
        reason=reason.strip(),
        attachments=attachments,
    )


def _apply_retirement(request: ApprovalRequest, checker: StaffUser) -> dict:
    """The approved case: interest to the retirement month, the account draws, the
    determination on the balance at retirement, the person retired."""
    payload = request.payload
    person = (
        InsuredPerson.objects.select_for_update()
        .select_related("region")
        .get(pk=payload["person_id"])
    )
    retirement_date = date.fromisoformat(payload["retirement_date"])
    month = Period.parse(payload["retirement_month"])
    _check_person(person, retirement_date)
    records = _year_records(person, until=month, region=person.region)
    if (
        records != payload["year_records"]
        or contributed_months(person, until=month) != payload["contributed_months"]
        or person.deemed_months != payload["deemed_months"]
    ):
        raise Conflict(ERROR_CHANGED, code="contributions_changed", params={"name": person.name})
    reason = str(_("Retirement case #%(id)s")) % {"id": request.pk}
    account = account_of_person(person)
    if account is None:
        balance = ZERO
    else:
        balance = account_services.pension_account_start_drawing(
            actor=checker, account=account, period=month, reason=reason
        )
    references = payload["references"]
    given = payload.get("transitional_index")
    local = payload.get("local_calculation_base")
    d = _determine(
        person=person,
        retirement_date=retirement_date,
        records=records,
        wages={int(y): Decimal(w) for y, w in payload["average_wages"].items()},
        balance=balance,
        base=Decimal(payload["calculation_base"]),
        local_base=Decimal(local) if local is not None else None,
        rules=_rules_from_json(payload["rules"], references),
        divisor_table=payload["divisor_table"],
        transitional_index=Decimal(given) if given is not None else None,
    )
    inputs = d.as_json()
    inputs.update(
        {
            "year_records": payload["year_records"],
            "rules": payload["rules"],
            "divisor_table": payload["divisor_table"],
            "statutory_date": payload["statutory_date"],
            "delay_months": payload["delay_months"],
            "earliest": payload["earliest"],
            "latest": payload["latest"],
            "minimum_months": payload["minimum_months"],
            "first_work_date": payload["first_work_date"],
            "provisional_reasons": payload["provisional_reasons"],
            "balance_preview": payload["account_balance"],
            "account_id": account.pk if account is not None else None,
        }
    )
    notice = payload.get("public_notice_date")
    determination = PensionDetermination(
        person=person,
        region=person.region,
        agency_id=person.agency_id,
        case=request,
        kind=payload["kind"],
        status=DeterminationStatus.IN_PAYMENT,
        retirement_date=retirement_date,
        retirement_month=month,
        statutory_date=date.fromisoformat(payload["statutory_date"]),
        public_notice_date=date.fromisoformat(notice) if notice else None,
        actual_months=d.actual_months,
        deemed_months=d.deemed_months,
        contribution_years=d.contribution_years,
        average_index=d.z,
        transitional_index=d.transitional_index,
        divisor=d.divisor.value,
        account_balance=d.account_balance,
        calculation_base=d.calculation_base,
        local_calculation_base=d.local_calculation_base,
        calculation_base_year=payload["calculation_base_year"],
        provisional=payload["provisional"],
        basic_pension=d.basic_pension,
        account_pension=d.account_pension,
        transitional_pension=d.transitional_pension,
        extra_pension=d.extra_pension,
        total=d.total,
        inputs=inputs,
        parameters=list(references),
        determined_by=checker,
    )
    determination.full_clean(exclude=["person", "region", "agency", "case", "determined_by"])
    determination.save()
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=determination,
        after={"case": request.pk, "account_balance": d.account_balance, **_components(d)},
        reason=reason,
    )
    # assessed up to the retirement month; the pension runs from the month after
    person_status_change(
        actor=checker,
        person=person,
        status=PersonStatus.RETIRED,
        reason=reason,
        stop=determination.retirement_month.next(),
    )
    return {
        "determination": determination.pk,
        "account_balance": str(d.account_balance),
        **_components(d),
    }


# --- recalculation of provisional determinations (临时待遇, §9.2.3) ---------------------


def _recalculation_inputs(old: PensionDetermination) -> dict[str, Any]:
    """The stored inputs of ``old`` as ``calc.determine`` takes them (everything but
    the calculation bases)."""
    inputs = old.inputs
    return {
        "birth_date": date.fromisoformat(inputs["birth_date"]),
        "retirement_date": old.retirement_date,
        "contributions": _contributions(inputs["year_records"]),
        "average_wages": {
            int(item["year"]) - 1: Decimal(str(item["average_wage"]))
            for item in inputs.get("contributions", [])
            if item.get("average_wage") is not None
        },
        "deemed_months": old.deemed_months,
        "account_balance": old.account_balance,
        "rules": _rules_from_json(inputs["rules"], old.parameters),
        "divisor_table": inputs["divisor_table"],
        "transitional_index": old.transitional_index
        if inputs.get("transitional_index_given")
        else None,
    }


def _months_paid(determination: PensionDetermination) -> int:
    """Months an approved payroll has paid on ``determination``: from the month after
    the retirement month (the first payable) through ``paid_through``."""
    if determination.paid_through is None:
        return 0
    return max(0, determination.paid_through - determination.retirement_month)


def provisional_determinations_recalculate(
    *,
    actor: StaffUser | None,
    year: int,
    region: Any = None,
    today: date | None = None,
) -> list[PensionDetermination]:
    """Recalculate every current provisional determination of retirement year ``year``
    on the calculation base published since (临时待遇, DESIGN §5.4, §9.2.3); the new
    determinations, in the order of the old ones.

    A batch on the engine (``benefits.determination.provisional``, ``ProvisionalRecalculation``):
    one transaction per county, each locking only its own determinations and holding
    the change-log chain only until its commit; a crashed run resumes with the
    counties not done. Nothing is started when no determination in scope has a new
    base. Per determination (``provisional_determination_recalculate``):

    - current (``superseded_by`` empty), ``provisional``, retiring in ``year``, in
      ``region`` and below (a ``Region`` or a code; every region when omitted);
    - computed again with ``benefits.determination.calc.determine`` on its stored inputs (yearly
      records, the average wages used, deemed months, the balance at retirement, the
      rules, the divisor table, the transitional index of the records) and the
      calculation base in force on the retirement date as published on ``today``: the
      province's, and the region's own where it has one (Changchun);
    - a determination whose bases did not change (the base is still not entered) is
      left alone, so a second run changes nothing;
    - otherwise a NEW determination is written (no case; the old one's kind, status
      and dates), provisional only if a base is still not the retirement year's or the
      old one's average wage of the retirement year was an earlier year's and is
      still not published (``provisional_wage_published``: that wage is replaced once
      published, the other stored wages are not looked up again). Its parameters are
      the old references with the calculation-base references replaced by the ones
      used now (and the published wage's added). The old one becomes
      superseded and points to it;
    - ``settlement`` on the new determination records the difference for the months
      already paid on the old figures: ``monthly_difference`` = new total − old total,
      ``months`` = the months approved payrolls paid (from the month after the
      retirement month through ``paid_through``, carried to the new determination),
      ``amount`` = difference × months; a ``PayrollDue`` "settlement" of that amount
      (source ``recalculation:<new id>``) pays it (positive) or recovers it (negative)
      once, in the next payroll (多退少补), which then pays the new total.

    Each new determination and each superseded one is logged in the change log.
    """
    from benefits.determination import provisional  # late: the batch module imports this one

    today = today or timezone.localdate()
    year = int(year)
    if isinstance(region, str):
        region = Region.objects.get(code=region)
    if (
        actor is not None
        and region is not None
        and not region_allows(actor, region.code, "prepare", PensionDetermination)
    ):
        raise NotPermitted(
            _("You cannot recalculate determinations for this region."), code="outside_region"
        )
    return provisional.recalculate(actor=actor, year=year, region=region, today=today)


def provisional_candidates(*, year: int, prefix: str = ""):
    """The current provisional determinations of retirement year ``year`` in the region
    ``prefix`` and below (every region when empty)."""
    selected = PensionDetermination.objects.filter(
        provisional=True, superseded_by__isnull=True, retirement_date__year=year
    )
    return selected.filter(region__code__startswith=prefix) if prefix else selected


def provisional_base_changed(old_region, *, retirement_date: date, calculation_base,
                             local_calculation_base, today: date) -> bool:  # fmt: skip
    """Whether a base was published since for a determination of these figures."""
    base, local_base, *_rest = _calculation_bases(
        old_region, retirement_date=retirement_date, today=today
    )
    return not (base == calculation_base and (local_base or base) == local_calculation_base)


def provisional_determination_recalculate(
    old: PensionDetermination, *, actor: StaffUser | None, year: int, today: date
) -> PensionDetermination | None:
    """One provisional determination recalculated (see
    ``provisional_determinations_recalculate``), in the caller's transaction, the row
    locked by the caller; None when no new base was published for it."""
    base, local_base, base_year, base_refs, base_provisional = _calculation_bases(
        old.region, retirement_date=old.retirement_date, today=today
    )
    base_changed = not (
        base == old.calculation_base and (local_base or base) == old.local_calculation_base
    )
    wage = provisional_wage_published(
        old.region,
        retirement_year=old.retirement_date.year,
        reasons=old.inputs.get("provisional_reasons", []),
        today=today,
    )
    if not base_changed and wage is None:
        return None  # nothing new published for it
    inputs = _recalculation_inputs(old)
    changed: dict[str, Any] = {}
    if wage is not None:
        # the retirement year's index on the wage of the year before, published now
        statistics_year = old.retirement_date.year - 1
        inputs["average_wages"] = {**inputs["average_wages"], statistics_year: wage.value}
        changed["average_wage"] = {str(statistics_year): wage.value}
    if base_changed:
        reason = str(_("Recalculation on the published calculation base of %(year)s")) % {
            "year": year
        }
    else:
        reason = str(_("Recalculation on the published average wage of %(year)s")) % {
            "year": old.retirement_date.year - 1
        }
    try:
        d = calc.determine(**inputs, calculation_base=base, local_calculation_base=local_base)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            ERROR_PARAMETER, code="not_computable", params={"error": str(error)}
        ) from None
    changed.update(
        calculation_base=d.calculation_base, local_calculation_base=d.local_calculation_base
    )
    wage_provisional = (
        []
        if wage is not None
        else [
            r
            for r in old.inputs.get("provisional_reasons", [])
            if r.startswith("contribution.average_wage")
        ]
    )
    provisional = base_provisional + wage_provisional
    references = [r for r in old.parameters if not r.startswith("benefits.calculation_base@")]
    references += base_refs + ([wage.reference] if wage is not None else [])
    return determination_supersede(
        old,
        d,
        actor=actor,
        reason=reason,
        calculation_base_year=base_year,
        provisional=bool(provisional),
        references=references,
        inputs_extra={"provisional_reasons": provisional, "recalculated_from": old.pk},
        changed=changed,
        source="recalculation",
    )


def provisional_wage_published(
    region: Any, *, retirement_year: int, reasons: Iterable[str], today: date
) -> Any:
    """The average wage of the year before ``retirement_year`` (in force from its
    January), as published on ``today``, when the determination used an earlier year's
    instead (``reasons`` names ``contribution.average_wage``) and it is published now;
    else None (DESIGN §5.4: corrected when entered, as the calculation base)."""
    if not any(str(r).startswith("contribution.average_wage") for r in reasons):
        return None
    try:
        value = policy_value(
            "contribution.average_wage",
            on=date(retirement_year, 1, 1),
            region=region,
            as_of=today,
        )
    except ValidationError:
        return None
    return value if value.effective_from.year == retirement_year else None


def determination_supersede(
    old: PensionDetermination,
    d: calc.Determination,
    *,
    actor: StaffUser | None,
    reason: str,
    calculation_base_year: int,
    provisional: bool,
    references: list[str],
    inputs_extra: dict[str, Any],
    changed: dict[str, Any],
    source: str,
    case: ApprovalRequest | None = None,
) -> PensionDetermination:
    """A NEW determination ``d`` superseding ``old`` (its kind, status, dates and
    payroll state carried over), in the caller's transaction, ``old`` locked by the
    caller: ``settlement`` records the difference for the months approved payrolls
    paid on the old figures (``monthly_difference`` = new total − old total,
    ``months`` from the month after the retirement month through ``paid_through``,
    ``amount`` = difference × months), and a ``PayrollDue`` "settlement" of that amount
    (source ``<source>:<new id>``) pays (positive) or recovers (negative) it once, in
    the next payroll (多退少补). Both determinations are logged."""
    determined_by = actor if actor is not None and getattr(actor, "pk", None) else None
    difference = d.total - old.total
    months = _months_paid(old)
    inputs = {**old.inputs, **d.as_json(), **inputs_extra}
    inputs["sources"] = references
    new = PensionDetermination(
        person=old.person,
        region=old.region,
        agency_id=old.agency_id,
        case=case,
        kind=old.kind,
        status=old.status,
        retirement_date=old.retirement_date,
        retirement_month=old.retirement_month,
        statutory_date=old.statutory_date,
        public_notice_date=old.public_notice_date,
        actual_months=d.actual_months,
        deemed_months=d.deemed_months,
        contribution_years=d.contribution_years,
        average_index=d.z,
        transitional_index=d.transitional_index,
        divisor=d.divisor.value,
        account_balance=d.account_balance,
        calculation_base=d.calculation_base,
        local_calculation_base=d.local_calculation_base,
        calculation_base_year=calculation_base_year,
        provisional=provisional,
        basic_pension=d.basic_pension,
        account_pension=d.account_pension,
        transitional_pension=d.transitional_pension,
        extra_pension=d.extra_pension,
        total=d.total,
        inputs=inputs,
        parameters=references,
        determined_by=determined_by,
        settlement={
            "replaces": old.pk,
            "old_total": str(old.total),
            "new_total": str(d.total),
            "monthly_difference": str(difference),
            "from_month": str(old.first_payable_month),
            "to_month": str(old.paid_through) if old.paid_through else None,
            "months": months,
            "amount": str(difference * months),
        },
        paid_through=old.paid_through,
        stop_month=old.stop_month,
    )
    # one current determination per person: the old one first points to itself
    # (superseded), then to its successor
    PensionDetermination.objects.filter(pk=old.pk).update(
        status=DeterminationStatus.SUPERSEDED, superseded_by_id=old.pk
    )
    new.full_clean(exclude=["person", "region", "agency", "case", "determined_by"])
    new.save()
    PensionDetermination.objects.filter(pk=old.pk).update(superseded_by=new)
    if months and difference:
        PayrollDue.objects.create(
            person=old.person,
            determination=new,
            item=PayrollItem.SETTLEMENT,
            amount=difference * months,
            from_month=old.first_payable_month,
            to_month=old.paid_through,
            months=months,
            source=f"{source}:{new.pk}",
            reason=reason[:200],
            details=new.settlement,
            created_by=determined_by,
        )
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=new,
        after={
            "replaces": old.pk,
            **changed,
            "provisional": new.provisional,
            **_components(d),
            "settlement": new.settlement,
        },
        reason=reason,
        agency=old.agency,
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=old,
        before={"status": old.status, "superseded_by": None},
        after={"status": DeterminationStatus.SUPERSEDED, "superseded_by": new.pk},
        reason=reason,
        agency=old.agency,
    )
    return new


# --- how the work queue shows a case -----------------------------------------------


def _show(field: str, value: Any) -> str:
    if field == "explanation" and isinstance(value, list):
        return " ".join(calc.Line(msgid, params).render() for msgid, params in value)
    if field == "year_records" and isinstance(value, list):
        return "; ".join(
            f"{r['year']}: {r['months']} × {r['bases']}"
            + (f" ({_('transferred in')}, Σ index {r['index_sum']})" if "index_sum" in r else "")
            for r in value
        )
    if field == "divisor_table" and isinstance(value, dict):
        ages = " ".join(f"{age}→{months}" for age, months in value.get("by_age", {}).items())
        to_month = _("by age to the month") if value.get("to_the_month") else _("by whole age")
        return f"{ages} ({to_month})"
    if field == "kind":
        return str(RetirementKind(value).label)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


FIELD_LABELS = {
    "person_id": _("Insured person (id)"),
    "person": _("Insured person"),
    "kind": _("Kind of retirement"),
    "retirement_date": _("Retirement date"),
    "retirement_month": _("Retirement month"),
    "statutory_date": _("Statutory retirement date"),
    "delay_months": _("Months of delay"),
    "earliest": _("Earliest retirement month"),
    "latest": _("Latest retirement month"),
    "public_notice_date": _("Public notice date"),
    "first_work_date": _("First work date"),
    "contributed_months": _("Months contributed"),
    "deemed_months": _("Deemed contribution months"),
    "minimum_months": _("Minimum contribution months"),
    "year_records": _("Contributions by year: months × bases"),
    "average_wages": _("Average wages used, by year"),
    "calculation_base": _("Pension calculation base"),
    "local_calculation_base": _("Local calculation base"),
    "calculation_base_year": _("Year of the calculation base"),
    "provisional": _("Provisional"),
    "provisional_reasons": _("Not yet published"),
    "transitional_index": _("Transitional index from the records"),
    "account_id": _("Personal pension account (id)"),
    "balance_posted": _("Account balance posted"),
    "interest_to_post": _("Interest to the retirement month (to post)"),
    "account_balance": _("Account balance at retirement (preview)"),
    "rules": _("Profile rules"),
    "divisor_table": _("Months divisor table"),
    "z": _("Average contribution index"),
    "contribution_years": _("Contribution years"),
    "divisor": _("Months divisor"),
    "basic_pension": _("Basic pension"),
    "account_pension": _("Personal account pension"),
    "transitional_pension": _("Transitional pension"),
    "extra_pension": _("Extra pension"),
    "total": _("Monthly pension"),
    "explanation": _("Calculation"),
    "references": _("Parameters used"),
    "as_of": _("As of"),
}


def _retirement_sections(req: ApprovalRequest) -> list[dict]:
    """The reviewer's page of a retirement case, like the determination's page: the
    retirement, the pension by component, the calculation line by line, the
    contributions year by year, the figures used and the parameters with their
    sources. Amounts with thousands separators."""
    from pension.money import format_money
    from pension.rules import rule_text

    p = req.payload if isinstance(req.payload, dict) else {}

    def facts(keys: Iterable[str], money: frozenset[str] = frozenset()) -> list[tuple]:
        return [
            (FIELD_LABELS[k], format_money(p[k]) if k in money else _show(k, p[k]))
            for k in keys
            if p.get(k) not in (None, "", [])
        ]

    components = ("basic_pension", "account_pension", "transitional_pension",
                  "extra_pension", "total")  # fmt: skip
    wages = p.get("average_wages") or {}
    years = [
        [r["year"], r["months"], format_money(r["bases"]), format_money(wages.get(str(r["year"])))]
        for r in p.get("year_records") or []
    ]
    figures = ("calculation_base", "local_calculation_base", "balance_posted",
               "interest_to_post", "account_balance")  # fmt: skip
    sections = [
        {
            "title": _("Retirement"),
            "facts": facts(
                (
                    "person",
                    "kind",
                    "retirement_date",
                    "retirement_month",
                    "statutory_date",
                    "delay_months",
                    "public_notice_date",
                    "first_work_date",
                    "contributed_months",
                    "deemed_months",
                    "minimum_months",
                )
            ),
        },
        {"title": _("Monthly pension"), "facts": facts(components, frozenset(components))},
        {
            "title": _("Calculation"),
            "lines": [
                calc.Line(msgid, params).render() for msgid, params in p.get("explanation") or []
            ],
        },
        {
            "title": _("Inputs"),
            "facts": facts(
                (
                    *figures,
                    "calculation_base_year",
                    "z",
                    "contribution_years",
                    "divisor",
                    "transitional_index",
                    "provisional",
                    "provisional_reasons",
                ),
                frozenset(figures),
            ),
        },
    ]
    if years:
        sections.append(
            {
                "title": _("Contributions by year"),
                "table": {
                    "headers": [
                        _("Year"),
                        _("Months contributed"),
                        _("Sum of monthly bases"),
                        _("Average wage of the year before"),
                    ],
                    "rows": years,
                },
            }
        )
    if p.get("references"):
        sections.append(
            {"title": _("Parameters used"), "lines": [rule_text(r) for r in p["references"]]}
        )
    return sections


approvals.register_operation(
    RETIREMENT,
    label=_("Retirement and pension determination"),
    apply=_apply_retirement,
    field_labels=FIELD_LABELS,
    display=_show,
    sections=_retirement_sections,
)
