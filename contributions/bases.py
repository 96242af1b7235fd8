"""Contribution base declaration (缴费基数申报, DESIGN §5.2, operations standard §7.1.1, §7.2).

- ``base_declare``: an employee's base for a year = the declared wage (last year's
  average monthly wage, or a new employee's first month's wage) clamped to the year's
  floor and ceiling (``calc.clamp_base``).
- ``base_choose``: a flexible worker or individual business owner chooses a base within
  the limits; a base outside them is refused and nothing changes.
- Provisional limits: the limits are looked up for 1 January of the year *as known on
  the day of the declaration* (``policy_value(..., as_of=...)`` ignores values
  published later). When the value found took effect in an earlier year, the year's
  limits are not published yet: last year's are used and the row is ``provisional``.
- ``bases_redetermine_for_published_limits``: once the year's limits are entered, every
  provisional base of the year is clamped again into a new row, and every month already
  assessed gets a LIMITS_ADJUSTMENT line with the difference and a bill per payer and
  period for it.
- ``parse_base_sheet`` / ``apply_base_sheet``: an employer's bases for a year from Excel,
  validated row by row (like ``enrollment.excel``), written all or nothing.

A base row is never edited: a new declaration is a new row and the row it replaces
points to it (``superseded_by``). Once months of the year are assessed with a base, a
new declaration is refused: the base then changes only through a base correction case
(``contributions.cases.base_correction_request``), which needs approval.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contributions import calc
from contributions.choices import BaseBasis, BillStatus, LineKind
from contributions.models import Bill, ContributionBase, ContributionLine
from enrollment.choices import PersonCategory
from enrollment.models import Employer, Employment, InsuredPerson
from pension import changelog
from pension.bulk import copy_rows
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.imports import (
    CellError,
    RowError,
    Table,
    cell_citizen_id,
    cell_money,
    max_rows,
    read_table,
    refuse_if_errors,
    register_import,
    shown,
)
from pension.models import ChangeAction, Region, StaffUser
from pension.money import FEN, round_fen, to_decimal
from pension.periods import Period
from pension.policy import PolicyValue
from pension.scope import region_allows
from pension.selectors import policy_value

__all__ = [
    "BASIS_BY_TEXT",
    "HEADERS",
    "BaseImport",
    "BaseRow",
    "Redetermination",
    "YearLimits",
    "apply_base_sheet",
    "base_choose",
    "base_declare",
    "bases_redetermine_for_published_limits",
    "current_base",
    "effective_months",
    "parse_base_sheet",
    "year_limits",
]

FLOOR_KEY = "contribution.base_floor"
CEILING_KEY = "contribution.base_ceiling"
SELF_CHOSEN_CATEGORIES = frozenset({PersonCategory.FLEXIBLE, PersonCategory.INDIVIDUAL_BUSINESS})
# adjustments that change what a month's original line amounts to
MONTH_ADJUSTMENTS = (LineKind.BASE_CORRECTION, LineKind.LIMITS_ADJUSTMENT)
_CHUNK = 10_000


# --- limits ------------------------------------------------------------------------


@dataclass(frozen=True)
class YearLimits:
    """The floor and ceiling a base of ``year`` is clamped to, as known on ``as_of``."""

    year: int
    floor: PolicyValue
    ceiling: PolicyValue
    as_of: date

    @property
    def provisional(self) -> bool:
        """Last year's (or older) limits, used until the year's are published."""
        return (
            self.floor.effective_from.year < self.year
            or self.ceiling.effective_from.year < self.year
        )

    @property
    def floor_value(self) -> Decimal:
        return self.floor.value

    @property
    def ceiling_value(self) -> Decimal:
        return self.ceiling.value

    def parameters(self) -> dict[str, Any]:
        """What a base row keeps: the parameter versions, and the day they were read."""
        return {
            "base_floor": self.floor.reference,
            "base_ceiling": self.ceiling.reference,
            "limits_of_year": self.floor.effective_from.year,
            "as_of": self.as_of.isoformat(),
        }


def year_limits(year: int, *, region: Region | str, as_of: date | None = None) -> YearLimits:
    """The limits for bases of ``year`` in ``region``, as published by ``as_of`` (today)."""
    as_of = as_of or timezone.localdate()
    on = date(year, 1, 1)
    try:
        floor = policy_value(FLOOR_KEY, on=on, region=region, as_of=as_of)
        ceiling = policy_value(CEILING_KEY, on=on, region=region, as_of=as_of)
    except ValidationError:
        raise InvalidInput(
            _("No contribution base limits are on record for %(year)s."),
            code="limits_missing",
            params={"year": year},
        ) from None
    return YearLimits(year=year, floor=floor, ceiling=ceiling, as_of=as_of)


# --- small checks ------------------------------------------------------------------


def parse_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2200:
        raise InvalidInput(_("Give the year as four digits."), code="invalid_year")
    return year


def parse_amount(value: Any, field_name: str) -> Decimal:
    """A positive amount of yuan with at most two decimals (floats refused)."""
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("“%(value)s” is not an amount of money."),
            code="not_a_number",
            params={"value": value},
            details={"field": field_name},
        ) from None
    if amount <= 0:
        raise InvalidInput(
            _("The amount must be more than zero."),
            code="not_positive",
            details={"field": field_name},
        )
    if amount != amount.quantize(FEN):
        raise InvalidInput(
            _("Give the amount in yuan with at most two decimals."),
            code="part_of_a_fen",
            details={"field": field_name},
        )
    return amount.quantize(FEN)


def _year_range(year: int) -> tuple[Period, Period]:
    return Period(year, 1), Period(year, 12)


def _employment_in_year(person_ids: Iterable[int], employer: Employer, year: int) -> Q:
    first, last = _year_range(year)
    return Q(person_id__in=list(person_ids), employer=employer, start_period__lte=last) & (
        Q(stop_period__isnull=True) | Q(stop_period__gt=first)
    )


def _may_prepare_for_employer(actor: StaffUser | None, employer: Employer) -> None:
    if actor is not None and not region_allows(actor, employer.region_id, "prepare"):
        raise NotPermitted(
            _("You cannot declare bases for employers of this region."), code="outside_region"
        )


def _may_prepare_for_person(actor: StaffUser | None, person: InsuredPerson) -> None:
    if actor is not None and not region_allows(
        actor, person.region_id, "prepare", model=InsuredPerson
    ):
        raise NotPermitted(
            _("You cannot declare bases for people of this region."), code="outside_region"
        )


def _assessed(person_id: int, employer_id: int | None, year: int) -> bool:
    first, last = _year_range(year)
    return ContributionLine.objects.filter(
        person_id=person_id,
        employer_id=employer_id,
        kind=LineKind.REGULAR,
        posted=True,
        period__gte=first,
        period__lte=last,
    ).exists()


def _refuse_if_assessed(person: InsuredPerson, employer_id: int | None, year: int) -> None:
    if _assessed(person.pk, employer_id, year):
        raise Conflict(
            _(
                "Months of %(year)s are already assessed for %(name)s with the current base; "
                "the base now changes only through a base correction."
            ),
            code="base_already_assessed",
            params={"year": year, "name": person.name},
        )


def current_base(
    person: InsuredPerson | int, *, year: int, employer: Employer | int | None
) -> ContributionBase | None:
    """The current (not superseded) base row of a person for a year and employer."""
    person_id = person if isinstance(person, int) else person.pk
    employer_id = employer if isinstance(employer, int) or employer is None else employer.pk
    return ContributionBase.objects.filter(
        person_id=person_id, year=year, employer_id=employer_id, superseded_by__isnull=True
    ).first()


# --- writing one row ---------------------------------------------------------------


def base_values(determination: calc.BaseDetermination, limits: YearLimits) -> dict[str, Any]:
    """The stored fields of a base row made from a determination under ``limits``."""
    return {
        "declared_wage": determination.wage,
        "basis": str(determination.basis),
        "base": determination.base,
        "rule": str(determination.rule),
        "floor": limits.floor_value,
        "ceiling": limits.ceiling_value,
        "provisional": limits.provisional,
        "parameters": limits.parameters(),
    }


_UNCHECKED = object()


def base_store(
    *,
    actor: StaffUser | None,
    person: InsuredPerson,
    employer: Employer | None,
    year: int,
    values: dict[str, Any],
    reason: str = "",
    replaces: Any = _UNCHECKED,
    correction: bool = False,
) -> ContributionBase:
    """Store ``values`` as the current base row, superseding the one it replaces.

    The partial unique constraint allows one current row per (person, year, employer),
    and a row can only point to one that exists: the old row first points to itself
    (no longer current), the new one is inserted, then the old one points to it.
    Outside a ``correction``, a row whose months are assessed is not superseded. With
    ``replaces`` (an id or None), the current row must still be that one.
    """
    current = (
        ContributionBase.objects.select_for_update()
        .filter(person=person, year=year, employer=employer, superseded_by__isnull=True)
        .first()
    )
    if replaces is not _UNCHECKED and (current.pk if current else None) != replaces:
        raise Conflict(
            _("The base of %(name)s for %(year)s changed meanwhile; try again."),
            code="base_changed",
            params={"name": person.name, "year": year},
        )
    if current is not None:
        if not correction:
            _refuse_if_assessed(person, employer.pk if employer else None, year)
        ContributionBase.objects.filter(pk=current.pk).update(superseded_by_id=current.pk)
    row = ContributionBase(
        person=person,
        employer=employer,
        year=year,
        declared_by=actor if actor is not None and actor.pk else None,
        **values,
    )
    try:
        row.full_clean()
    except ValidationError as error:
        field_name, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], code="invalid", details={"field": field_name}) from None
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(
            _("The base of %(name)s for %(year)s changed meanwhile; try again."),
            code="base_changed",
            params={"name": person.name, "year": year},
        ) from None
    if current is not None:
        ContributionBase.objects.filter(pk=current.pk).update(superseded_by=row)
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=row,
        before=changelog.snapshot(current) if current is not None else None,
        after=changelog.snapshot(row),
        reason=reason
        or (f"supersedes contribution base #{current.pk}" if current is not None else ""),
    )
    return row


@transaction.atomic
def base_declare(
    *,
    actor: StaffUser | None,
    person: InsuredPerson,
    employer: Employer,
    year: int,
    wage: Decimal | str | int,
    basis: str = BaseBasis.PRIOR_YEAR_AVERAGE,
    as_of: date | None = None,
) -> ContributionBase:
    """Declare an employee's base for ``year`` (年度缴费基数申报, §7.2).

    ``wage`` is last year's average monthly wage (``basis`` PRIOR_YEAR_AVERAGE) or a
    new employee's first month's wage (FIRST_MONTH_WAGE); the base is the wage clamped
    to the year's limits, as published on ``as_of`` (today): provisional limits when
    the year's are not out yet. The person must be on the employer's roster in the
    year. Supersedes the current row for (person, year, employer), unless months of the
    year are assessed already (then: a base correction).
    """
    _may_prepare_for_employer(actor, employer)
    year = parse_year(year)
    wage = parse_amount(wage, "wage")
    if basis not in (BaseBasis.PRIOR_YEAR_AVERAGE, BaseBasis.FIRST_MONTH_WAGE):
        raise InvalidInput(
            _("An employee's base is last year's average wage or the first month's wage."),
            code="invalid_basis",
            details={"field": "basis"},
        )
    if not Employment.objects.filter(_employment_in_year([person.pk], employer, year)).exists():
        raise InvalidInput(
            _("%(name)s is not on the roster of %(employer)s in %(year)s."),
            code="not_on_roster",
            params={"name": person.name, "employer": employer.name, "year": year},
        )
    limits = year_limits(year, region=person.region, as_of=as_of)
    determination = calc.clamp_base(
        wage,
        floor=limits.floor_value,
        ceiling=limits.ceiling_value,
        basis=calc.BaseBasis(str(basis)),
    )
    return base_store(
        actor=actor,
        person=person,
        employer=employer,
        year=year,
        values=base_values(determination, limits),
    )


@transaction.atomic
def require_within_limits(base: Decimal, *, limits, year: int) -> None:
    """Refuse a base a contributor chose outside the year's floor and ceiling."""
    if not limits.floor_value <= base <= limits.ceiling_value:
        raise InvalidInput(
            _(
                "The base %(base)s is outside the limits for %(year)s: at least %(floor)s "
                "and at most %(ceiling)s. Nothing was changed."
            ),
            code="base_outside_limits",
            params={
                "base": base,
                "year": year,
                "floor": limits.floor_value,
                "ceiling": limits.ceiling_value,
            },
            details={"field": "base", "provisional": limits.provisional},
        )


@transaction.atomic
def base_choose(
    *,
    actor: StaffUser | None,
    person: InsuredPerson,
    year: int,
    base: Decimal | str | int,
    as_of: date | None = None,
) -> ContributionBase:
    """A flexible worker or individual business owner chooses a base (自选基数, §7.2).

    The base must lie within the year's limits (bounds included); outside them the
    choice is refused with the limits named, and nothing changes.
    """
    _may_prepare_for_person(actor, person)
    year = parse_year(year)
    base = parse_amount(base, "base")
    if person.category not in SELF_CHOSEN_CATEGORIES:
        raise InvalidInput(
            _(
                "Only flexible workers and individual business owners choose their base; "
                "an employee's base is declared by the employer."
            ),
            code="not_self_declaring",
        )
    limits = year_limits(year, region=person.region, as_of=as_of)
    require_within_limits(base, limits=limits, year=year)
    determination = calc.clamp_base(
        base,
        floor=limits.floor_value,
        ceiling=limits.ceiling_value,
        basis=calc.BaseBasis.SELF_DECLARED,
    )
    return base_store(
        actor=actor,
        person=person,
        employer=None,
        year=year,
        values=base_values(determination, limits),
    )


# --- writing many rows -------------------------------------------------------------


@dataclass(slots=True)
class _NewRow:
    person_id: int
    employer_id: int | None
    year: int
    declared_wage: Decimal
    basis: str
    base: Decimal
    rule: str
    floor: Decimal
    ceiling: Decimal
    provisional: bool
    parameters: dict[str, Any]
    replaces: int | None = None
    new_id: int | None = None


def _write_rows(rows: list[_NewRow], *, actor: StaffUser | None) -> None:
    """Insert ``rows`` as the current rows, superseding what they replace: set-based
    (three statements whatever the number of rows), in the caller's transaction."""
    if not rows:
        return
    table = ContributionBase._meta.db_table
    replaced = [r.replaces for r in rows if r.replaces is not None]
    with connection.cursor() as cursor:
        if replaced:
            cursor.execute(
                f"UPDATE {table} SET superseded_by_id = id "
                "WHERE id = ANY(%s::bigint[]) AND superseded_by_id IS NULL",
                [replaced],
            )
            if cursor.rowcount != len(replaced):
                raise Conflict(
                    _("Some bases changed meanwhile; nothing was changed. Try again."),
                    code="base_changed",
                )
        cursor.execute(
            f"""
            INSERT INTO {table} (person_id, employer_id, year, declared_wage, basis, base,
                                 rule, floor, ceiling, provisional, parameters, declared_at,
                                 declared_by_id, superseded_by_id)
            SELECT v.person_id, v.employer_id, v.year, v.declared_wage, v.basis, v.base,
                   v.rule, v.floor, v.ceiling, v.provisional, v.parameters::jsonb, now(),
                   %s, NULL
              FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::numeric[],
                          %s::text[], %s::numeric[], %s::text[], %s::numeric[],
                          %s::numeric[], %s::boolean[], %s::text[])
                   AS v(person_id, employer_id, year, declared_wage, basis, base, rule,
                        floor, ceiling, provisional, parameters)
            RETURNING id, person_id, employer_id
            """,
            [
                actor.pk if actor is not None and actor.pk else None,
                [r.person_id for r in rows],
                [r.employer_id for r in rows],
                [r.year for r in rows],
                [r.declared_wage for r in rows],
                [r.basis for r in rows],
                [r.base for r in rows],
                [r.rule for r in rows],
                [r.floor for r in rows],
                [r.ceiling for r in rows],
                [r.provisional for r in rows],
                [changelog_json(r.parameters) for r in rows],
            ],
        )
        ids = {(person, employer): pk for pk, person, employer in cursor.fetchall()}
        for r in rows:
            r.new_id = ids[(r.person_id, r.employer_id)]
        if replaced:
            pairs = [(r.replaces, r.new_id) for r in rows if r.replaces is not None]
            cursor.execute(
                f"""
                UPDATE {table} AS b SET superseded_by_id = v.new_id
                  FROM unnest(%s::bigint[], %s::bigint[]) AS v(old_id, new_id)
                 WHERE b.id = v.old_id
                """,
                [[old for old, _ in pairs], [new for _, new in pairs]],
            )


def changelog_json(value: dict[str, Any]) -> str:
    return json.dumps(changelog.json_safe(value), ensure_ascii=False, sort_keys=True)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- re-determination when the year's limits are published ------------------------


@dataclass(frozen=True)
class Credit:
    """A net negative difference for a payer and period: owed back, not billed."""

    employer_id: int | None
    person_id: int | None
    period: Period
    amount: Decimal  # negative


@dataclass
class Redetermination:
    """What ``bases_redetermine_for_published_limits`` did."""

    year: int
    region: str
    parameters: dict[str, Any]
    bases: int = 0
    lines: int = 0
    bills: int = 0
    billed_total: Decimal = Decimal("0.00")
    credits: list[Credit] = field(default_factory=list)
    skipped_regions: list[str] = field(default_factory=list)

    @property
    def credit_total(self) -> Decimal:
        return sum((c.amount for c in self.credits), Decimal("0.00"))


@dataclass(slots=True)
class MonthLine:
    """A month's original line (regular or back-payment) with what adjusts it."""

    id: int
    person_id: int
    employer_id: int | None
    period: Period
    base: Decimal
    employer_rate: Decimal
    individual_rate: Decimal
    account_rate: Decimal
    employer_amount: Decimal
    individual_amount: Decimal
    account_credit: Decimal
    refunded: bool = False

    @property
    def total(self) -> Decimal:
        return self.employer_amount + self.individual_amount

    def add(self, base: Decimal, employer: Decimal, individual: Decimal, account: Decimal) -> None:
        self.base += base
        self.employer_amount += employer
        self.individual_amount += individual
        self.account_credit += account


LINE_FIELDS = (
    "id", "person_id", "employer_id", "period", "base", "employer_rate", "individual_rate",
    "account_rate", "employer_amount", "individual_amount", "account_credit",
)  # fmt: skip


def effective_months(lines: Iterable[tuple]) -> list[MonthLine]:
    """Months as they stand: each original line plus the corrections and limits
    adjustments pointing at it; refunded months are marked. ``lines`` are value tuples
    in ``LINE_FIELDS`` order."""
    months = [MonthLine(*values) for values in lines]
    by_id = {m.id: m for m in months}
    ids = list(by_id)
    for chunk in _chunks(ids):
        for (
            adjusts_id,
            kind,
            base,
            employer,
            individual,
            account,
        ) in ContributionLine.objects.filter(adjusts_id__in=chunk, posted=True).values_list(
            "adjusts_id", "kind", "base", "employer_amount", "individual_amount", "account_credit"
        ):
            month = by_id[adjusts_id]
            if kind == LineKind.REFUND:
                month.refunded = True
            elif kind in MONTH_ADJUSTMENTS:
                month.add(base, employer, individual, account)
    return months


def difference_line(month: MonthLine, new_base: Decimal) -> calc.ContributionLine | None:
    """The line at ``new_base`` with the month's own rates, minus what the month
    amounts to now; None when nothing differs."""
    new = calc.contribution_line(
        new_base,
        employer_rate=month.employer_rate,
        individual_rate=month.individual_rate,
        account_rate=month.account_rate,
    )
    delta = (
        new.base - month.base,
        new.employer_amount - month.employer_amount,
        new.individual_amount - month.individual_amount,
        new.account_credit - month.account_credit,
    )
    if not any(delta):
        return None
    return calc.ContributionLine(
        kind=new.kind,
        base=delta[0],
        employer_rate=month.employer_rate,
        individual_rate=month.individual_rate,
        account_rate=month.account_rate,
        employer_amount=delta[1],
        individual_amount=delta[2],
        account_credit=delta[3],
    )


def due_date_after(day: date, *, region: Region | str) -> date:
    """The payment due day (``contribution.payment_due_day``) of the month after ``day``."""
    due_day = policy_value("contribution.payment_due_day", on=day, region=region).value
    following = Period.from_date(day).next()
    return date(following.year, following.month, min(int(due_day), following.last_day.day))


_LINE_COLUMNS = (
    "run_id", "case_id", "posted", "period", "person_id", "employer_id", "kind",
    "base_record_id", "base", "employer_rate", "individual_rate", "account_rate",
    "employer_amount", "individual_amount", "account_credit", "adjusts_id", "created_at",
)  # fmt: skip
_BILL_COLUMNS = (
    "run_id", "case_id", "posted", "period", "kind", "employer_id", "person_id", "line_count",
    "employer_amount", "individual_amount", "total", "due_date", "paid_amount", "status",
    "created_at", "region_id",
)  # fmt: skip


@transaction.atomic
def bases_redetermine_for_published_limits(
    *,
    actor: StaffUser | None,
    year: int,
    region: Region | str,
    as_of: date | None = None,
) -> Redetermination:
    """Clamp every provisional base of ``year`` in ``region`` again with the published
    limits, and assess the difference for the months already assessed (多退少补).

    - Each provisional current row gets a new row (the declared wage clamped to the
      published limits, not provisional), superseding it — even where the base does
      not change, so that no row of the year stays provisional.
    - For each posted regular line of the year of that person and payer, as it stands
      (with the corrections and adjustments pointing at it), a LIMITS_ADJUSTMENT line
      with the difference (new − old; negative where a base goes down) pointing at it
      (``adjusts``), at the line's own rates. Refunded months are left alone.
    - A bill (kind limits_adjustment) per payer and period where the net difference is
      positive, due on the payment due day of the month after ``as_of``. A bill cannot
      be negative (``bill_paid_within_total``): a net negative difference is not billed
      but reported as a credit (in the result and the change log), to be paid back
      through a refund case.

    Set-based: rows and lines are computed in Python from a few queries per 10 000 and
    written with three statements (bases) and COPY (lines, bills); one change-log entry
    for the run. A run with nothing provisional left does nothing, so re-running is
    harmless.
    """
    year = parse_year(year)
    as_of = as_of or timezone.localdate()
    if isinstance(region, str):
        region = Region.objects.get(code=region)
    if actor is not None and not region_allows(actor, region.code, "prepare"):
        raise NotPermitted(
            _("You cannot re-determine bases for this region."), code="outside_region"
        )
    limits = year_limits(year, region=region, as_of=as_of)
    if limits.provisional:
        raise InvalidInput(
            _(
                "The contribution base limits for %(year)s are not published yet (as of "
                "%(date)s); nothing was changed."
            ),
            code="limits_not_published",
            params={"year": year, "date": as_of.isoformat()},
        )
    report = Redetermination(year=year, region=region.code, parameters=limits.parameters())
    old_rows = list(
        ContributionBase.objects.select_for_update(of=("self",))
        .filter(
            year=year,
            provisional=True,
            superseded_by__isnull=True,
            person__region__code__startswith=region.scope_prefix,
        )
        .values_list(
            "id", "person_id", "employer_id", "declared_wage", "basis", "person__region_id"
        )
        .order_by("id")
    )
    if not old_rows:
        _log_run(actor, report)
        return report
    limits_by_region: dict[str, YearLimits] = {}
    for code in sorted({row[5] for row in old_rows}):
        found = year_limits(year, region=code, as_of=as_of)
        if found.provisional:
            report.skipped_regions.append(code)
        else:
            limits_by_region[code] = found
    new_rows: list[_NewRow] = []
    for old_id, person_id, employer_id, wage, basis, region_code in old_rows:
        found = limits_by_region.get(region_code)
        if found is None:
            continue
        determination = calc.clamp_base(
            wage, floor=found.floor_value, ceiling=found.ceiling_value, basis=calc.BaseBasis(basis)
        )
        new_rows.append(
            _NewRow(
                person_id=person_id,
                employer_id=employer_id,
                year=year,
                declared_wage=wage,
                basis=basis,
                base=determination.base,
                rule=str(determination.rule),
                floor=found.floor_value,
                ceiling=found.ceiling_value,
                provisional=False,
                parameters={**found.parameters(), "redetermined_from": old_id},
                replaces=old_id,
            )
        )
    _write_rows(new_rows, actor=actor)
    report.bases = len(new_rows)

    # months already assessed with the provisional bases
    by_payer = {(r.person_id, r.employer_id): r for r in new_rows}
    first, last = _year_range(year)
    person_ids = sorted({r.person_id for r in new_rows})
    assessed: list[tuple] = []
    for chunk in _chunks(person_ids):
        for values in ContributionLine.objects.filter(
            person_id__in=chunk,
            kind=LineKind.REGULAR,
            posted=True,
            period__gte=first,
            period__lte=last,
        ).values_list(*LINE_FIELDS):
            if (values[1], values[2]) in by_payer:
                assessed.append(values)
    now = timezone.now()
    lines: list[tuple] = []
    sums: dict[tuple[int | None, int | None, Period], list] = defaultdict(
        lambda: [0, Decimal("0.00"), Decimal("0.00")]
    )
    for month in effective_months(assessed):
        if month.refunded:
            continue
        row = by_payer[(month.person_id, month.employer_id)]
        diff = difference_line(month, row.base)
        if diff is None:
            continue
        lines.append(
            (None, None, True, month.period.as_int, month.person_id, month.employer_id,
             LineKind.LIMITS_ADJUSTMENT.value, row.new_id, diff.base, diff.employer_rate,
             diff.individual_rate, diff.account_rate, diff.employer_amount,
             diff.individual_amount, diff.account_credit, month.id, now)
        )  # fmt: skip
        payer = (month.employer_id, None if month.employer_id else month.person_id, month.period)
        total = sums[payer]
        total[0] += 1
        total[1] += diff.employer_amount
        total[2] += diff.individual_amount
    copy_rows(ContributionLine._meta.db_table, _LINE_COLUMNS, lines)
    report.lines = len(lines)
    report.bills, report.billed_total, report.credits = _write_bills(
        sums,
        kind=LineKind.LIMITS_ADJUSTMENT,
        due=lambda region_code: due_date_after(as_of, region=region_code),
        now=now,
    )
    _log_run(actor, report)
    return report


def _payer_regions(sums: dict) -> dict[tuple[str, int], str]:
    employer_ids = sorted({e for e, _, _ in sums if e})
    person_ids = sorted({p for _, p, _ in sums if p})
    regions: dict[tuple[str, int], str] = {}
    for chunk in _chunks(employer_ids):
        for pk, code in Employer.objects.filter(pk__in=chunk).values_list("pk", "region_id"):
            regions[("employer", pk)] = code
    for chunk in _chunks(person_ids):
        for pk, code in InsuredPerson.objects.filter(pk__in=chunk).values_list("pk", "region_id"):
            regions[("person", pk)] = code
    return regions


def _write_bills(
    sums: dict[tuple[int | None, int | None, Period], list],
    *,
    kind: str,
    due: Callable[[str], date],
    now: datetime,
) -> tuple[int, Decimal, list[Credit]]:
    """One bill per payer and period with a positive net difference; credits for the
    negative ones. Returns (bills written, their total, credits)."""
    regions = _payer_regions(sums)
    due_by_region: dict[str, date] = {}
    bills: list[tuple] = []
    credits: list[Credit] = []
    billed = Decimal("0.00")
    for (employer_id, person_id, period), (count, employer_amount, individual_amount) in sorted(
        sums.items(), key=lambda item: (item[0][2], item[0][0] or 0, item[0][1] or 0)
    ):
        total = employer_amount + individual_amount
        if total == 0:
            continue
        if total < 0:
            credits.append(Credit(employer_id, person_id, period, total))
            continue
        region_code = regions[("employer", employer_id) if employer_id else ("person", person_id)]
        if region_code not in due_by_region:
            due_by_region[region_code] = due(region_code)
        bills.append(
            (None, None, True, period.as_int, kind, employer_id, person_id, count,
             employer_amount, individual_amount, total, due_by_region[region_code],
             Decimal("0.00"), BillStatus.OPEN.value, now, region_code)
        )  # fmt: skip
        billed += total
    copy_rows(Bill._meta.db_table, _BILL_COLUMNS, bills)
    return len(bills), billed, credits


def _log_run(actor: StaffUser | None, report: Redetermination) -> None:
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        object_type=ContributionBase._meta.label_lower,
        object_id=f"{report.year}/{report.region}",
        object_repr=f"redetermination {report.year} {report.region}",
        after={
            "redetermination": report.year,
            "region": report.region,
            "parameters": report.parameters,
            "bases": report.bases,
            "lines": report.lines,
            "bills": report.bills,
            "billed_total": report.billed_total,
            "credits": [
                {
                    "employer_id": c.employer_id,
                    "person_id": c.person_id,
                    "period": str(c.period),
                    "amount": c.amount,
                }
                for c in report.credits[:1000]
            ],
            "credit_count": len(report.credits),
            "credit_total": report.credit_total,
            "skipped_regions": report.skipped_regions,
        },
        reason=f"limits of {report.year} published",
    )


# --- Excel import of an employer's bases -----------------------------------------

COL_ID, COL_NAME, COL_WAGE, COL_BASIS = HEADERS = (
    "公民身份号码",
    "姓名",
    "上年月平均工资",
    "基数类型",
)
BASIS_BY_TEXT = {
    "上年平均": BaseBasis.PRIOR_YEAR_AVERAGE,
    "首月工资": BaseBasis.FIRST_MONTH_WAGE,
}


@dataclass(slots=True)
class BaseRow:
    """A valid row of the sheet."""

    row: int
    id_number: str
    name: str
    wage: Decimal
    basis: str
    person_id: int | None = None
    region_id: str = ""


@dataclass
class BaseImport:
    """What ``parse_base_sheet`` found: the valid rows and every error."""

    employer_id: int
    year: int
    rows: list[BaseRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_name: str = ""
    sha256: str = ""
    data_rows: int = 0

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_base_sheet(
    file: Any,
    *,
    employer: Employer,
    year: int,
    on_rows: Callable[[int], None] | None = None,
) -> BaseImport:
    """Read and validate an employer's base sheet for ``year`` (.xlsx or CSV, through
    the import kernel ``pension.imports``); nothing is written.

    Row 1 holds the headers ``公民身份号码 | 姓名 | 上年月平均工资 | 基数类型`` exactly;
    基数类型 is 上年平均 (last year's average wage) or 首月工资 (a new employee's first
    month's wage). Each wrong cell is a row error: a bad or repeated ID number, a name
    that is not the registered one, a wage that is not an amount of money (the kernel's
    money cell: ``1e30``, 30 digits, ``1_000`` refused) or not positive, an unknown
    basis, a person not on the employer's roster in the year, months already assessed.
    """
    year = parse_year(year)
    table = read_table(file, headers=HEADERS, limit=max_rows(), on_rows=on_rows)
    result = BaseImport(
        employer_id=employer.pk,
        year=year,
        file_name=table.file_name,
        sha256=table.sha256,
        errors=table.errors,
        data_rows=table.data_rows,
    )
    if not table.file_error and table.rows:
        _parse_rows(table, employer, result)
    result.errors.sort(key=lambda e: e.row)
    return result


def _parse_rows(table: Table, employer: Employer, result: BaseImport) -> None:
    errors = result.errors
    today = timezone.localdate()
    first_row_of: dict[str, int] = {}
    candidates: list[BaseRow] = []
    shadows: list[BaseRow] = []  # rows with a good ID but another bad cell
    for number, values in table.rows:
        id_value, name_value, wage_value, basis_value = values
        before = len(errors)
        number_text = ""
        try:
            number_text = cell_citizen_id(id_value, today=today).number
        except CellError as error:
            table.add(number, COL_ID, id_value, error.message)
        if number_text:
            if number_text in first_row_of:
                errors.append(
                    RowError(
                        number,
                        COL_ID,
                        number_text,
                        gettext("This citizen ID number is also on row %(row)d.")
                        % {"row": first_row_of[number_text]},
                    )
                )
            else:
                first_row_of[number_text] = number
        wage: Decimal | None = None
        try:
            wage = cell_money(wage_value, positive=True)
        except CellError as error:
            table.add(number, COL_WAGE, wage_value, error.message)
        basis = BASIS_BY_TEXT.get(_text(basis_value))
        if _text(basis_value) == "":
            errors.append(RowError(number, COL_BASIS, "", gettext("This cell is required.")))
        elif basis is None:
            errors.append(
                RowError(
                    number,
                    COL_BASIS,
                    shown(basis_value),
                    gettext("Write %(average)s or %(first)s.")
                    % {"average": "上年平均", "first": "首月工资"},
                )
            )
        if len(errors) == before and wage is not None:
            candidates.append(
                BaseRow(
                    row=number,
                    id_number=number_text,
                    name=_text(name_value),
                    wage=wage,
                    basis=str(basis),
                )
            )
        elif number_text and first_row_of.get(number_text) == number:
            # checked against the register too, so that one pass reports everything
            shadows.append(BaseRow(number, number_text, _text(name_value), Decimal(0), ""))
    errors.extend(_check_register(candidates + shadows, employer, result))
    result.rows = [row for row in candidates if row.person_id is not None]


def _check_register(
    rows: list[BaseRow], employer: Employer, result: BaseImport, *, lock: bool = False
) -> list[RowError]:
    """Check rows against the register, the roster and the assessed months: a few
    queries per 10 000 rows. Sets ``person_id`` and ``region_id`` on the good rows."""
    errors: list[RowError] = []
    people: dict[str, tuple[int, str, str]] = {}
    for chunk in _chunks([r.id_number for r in rows]):
        for pk, number, name, region_id in InsuredPerson.objects.filter(
            id_number__in=chunk
        ).values_list("pk", "id_number", "name", "region_id"):
            people[number] = (pk, name, region_id)
    ids = [p[0] for p in people.values()]
    on_roster: set[int] = set()
    assessed: set[int] = set()
    declared: set[int] = set()  # a current base row exists
    first, last = _year_range(result.year)
    for chunk in _chunks(ids):
        employments = Employment.objects.filter(_employment_in_year(chunk, employer, result.year))
        if lock:
            employments = employments.select_for_update()
        on_roster.update(employments.values_list("person_id", flat=True))
        assessed.update(
            ContributionLine.objects.filter(
                person_id__in=chunk,
                employer=employer,
                kind=LineKind.REGULAR,
                posted=True,
                period__gte=first,
                period__lte=last,
            ).values_list("person_id", flat=True)
        )
        declared.update(
            ContributionBase.objects.filter(
                person_id__in=chunk,
                employer=employer,
                year=result.year,
                superseded_by__isnull=True,
            ).values_list("person_id", flat=True)
        )
    for row in rows:
        person = people.get(row.id_number)
        if person is None:
            errors.append(
                RowError(
                    row.row,
                    COL_ID,
                    row.id_number,
                    gettext("Nobody with this citizen ID number is registered."),
                )
            )
            continue
        person_id, registered_name, region_id = person
        bad = False
        if row.name and row.name != registered_name:
            errors.append(
                RowError(
                    row.row,
                    COL_NAME,
                    row.name,
                    gettext("The register has the name %(name)s for this citizen ID number.")
                    % {"name": registered_name},
                )
            )
            bad = True
        if person_id not in on_roster:
            errors.append(
                RowError(
                    row.row,
                    COL_ID,
                    row.id_number,
                    gettext("%(name)s is not on this employer's roster in %(year)s.")
                    % {"name": registered_name, "year": result.year},
                )
            )
            bad = True
        elif person_id in assessed and person_id in declared:
            errors.append(
                RowError(
                    row.row,
                    COL_ID,
                    row.id_number,
                    gettext(
                        "Months of %(year)s are already assessed for %(name)s; the base now "
                        "changes only through a base correction."
                    )
                    % {"name": registered_name, "year": result.year},
                )
            )
            bad = True
        if not bad:
            row.person_id = person_id
            row.region_id = region_id
    return errors


@dataclass(frozen=True)
class BaseImportReport:
    declared: int
    superseded: int
    provisional: int
    base_total: Decimal  # 单位缴费基数: Σ of the declared bases


def apply_base_sheet(
    *,
    actor: StaffUser | None,
    employer: Employer,
    result: BaseImport,
    as_of: date | None = None,
) -> BaseImportReport:
    """Write the rows of a checked sheet in one transaction, or nothing at all.

    Refused (``import_has_errors``) when the sheet has any error. The rows are checked
    again under lock, clamped with the year's limits as published on ``as_of`` (today),
    and written set-based, with one change-log entry on the employer for the import.
    """
    if result.employer_id != employer.pk:
        raise InvalidInput(_("This sheet was checked for another employer."), code="wrong_employer")
    _may_prepare_for_employer(actor, employer)
    if result.errors:
        raise InvalidInput(
            _("The sheet has %(count)d errors; nothing was imported. Correct them first."),
            code="import_has_errors",
            params={"count": len(result.errors)},
            details={"error_count": len(result.errors)},
        )
    if not result.rows:
        raise InvalidInput(
            _("The sheet has no rows; nothing was imported."), code="nothing_to_import"
        )
    with transaction.atomic():
        locked = Employer.objects.select_for_update().get(pk=employer.pk)
        again = [BaseRow(r.row, r.id_number, r.name, r.wage, r.basis) for r in result.rows]
        errors = _check_register(again, locked, result, lock=True)
        if errors:
            first = errors[0]
            raise Conflict(
                _("Row %(row)d could not be imported: %(error)s Nothing was imported."),
                code="import_failed",
                params={"row": first.row, "error": first.message},
                details={"errors": [_as_dict(e) for e in errors]},
            )
        limits: dict[str, YearLimits] = {}
        for code in sorted({r.region_id for r in again}):
            limits[code] = year_limits(result.year, region=code, as_of=as_of)
        current = {}
        person_ids = [r.person_id for r in again]
        for chunk in _chunks(person_ids):
            current.update(
                ContributionBase.objects.select_for_update()
                .filter(
                    person_id__in=chunk,
                    year=result.year,
                    employer=locked,
                    superseded_by__isnull=True,
                )
                .values_list("person_id", "pk")
            )
        new_rows = []
        for r in again:
            found = limits[r.region_id]
            determination = calc.clamp_base(
                r.wage,
                floor=found.floor_value,
                ceiling=found.ceiling_value,
                basis=calc.BaseBasis(r.basis),
            )
            new_rows.append(
                _NewRow(
                    person_id=r.person_id,  # type: ignore[arg-type]
                    employer_id=locked.pk,
                    year=result.year,
                    declared_wage=r.wage,
                    basis=r.basis,
                    base=determination.base,
                    rule=str(determination.rule),
                    floor=found.floor_value,
                    ceiling=found.ceiling_value,
                    provisional=found.provisional,
                    parameters={**found.parameters(), "import_sha256": result.sha256},
                    replaces=current.get(r.person_id),
                )
            )
        _write_rows(new_rows, actor=actor)
        report = BaseImportReport(
            declared=len(new_rows),
            superseded=sum(1 for r in new_rows if r.replaces is not None),
            provisional=sum(1 for r in new_rows if r.provisional),
            base_total=round_fen(sum((r.base for r in new_rows), Decimal(0))),
        )
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=locked,
            after={
                "import": "contribution_bases",
                "year": result.year,
                "file_name": result.file_name,
                "file_sha256": result.sha256,
                "rows": len(new_rows),
                "superseded": report.superseded,
                "provisional": report.provisional,
                "base_total": report.base_total,
                "parameters": sorted(
                    {
                        v
                        for found in limits.values()
                        for v in found.parameters().values()
                        if isinstance(v, str) and "@" in v
                    }
                ),
            },
            reason=f"Excel base import {result.file_name}".strip(),
        )
    return report


def _as_dict(error: RowError) -> dict[str, Any]:
    return {
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "message": error.message,
    }


def employer_base_total(employer: Employer, year: int) -> Decimal:
    """The employer's base (单位缴费基数) for a year: the sum of its employees' current bases."""
    total = ContributionBase.objects.filter(
        employer=employer, year=year, superseded_by__isnull=True
    ).aggregate(total=Sum("base"))["total"]
    return round_fen(total or Decimal(0))


def _base_sheet_job(job: Any, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """A base sheet of many rows, imported on a worker (``pension.imports``): the same
    checks and writing as the page's, all or nothing."""
    from django.urls import reverse

    employer = Employer.objects.select_related("region").get(pk=job.params["employer"])
    year = int(job.params["year"])
    estimate = max(job.total_count, 1)
    result = parse_base_sheet(
        job.file, employer=employer, year=year, on_rows=lambda n: progress(n, max(n, estimate))
    )
    refuse_if_errors(result)
    report = apply_base_sheet(actor=job.created_by, employer=employer, result=result)
    url = reverse("contributions:base_employer", args=[employer.pk])
    return {
        "declared": report.declared,
        "superseded": report.superseded,
        "provisional": report.provisional,
        "url": f"{url}?year={year}",
    }


register_import("base_sheet", _base_sheet_job)
