"""Excel import and export of an employer's roster (增员/减员, DESIGN §2.5, §5.1).

Import: ``parse_roster_changes`` reads the first sheet of an .xlsx, validates every row
and collects row-level errors; ``apply_roster_changes`` writes the valid rows in one
transaction, or nothing at all. Export: ``roster_workbook`` writes the roster with a
write-only workbook, ``errors_workbook`` the row errors for download.

The import sheet (row 1 holds the headers, exactly):

    公民身份号码 | 姓名 | 变动类型 | 生效年月 | 减员原因

- 变动类型 is 增员 (addition) or 减员 (removal);
- 生效年月 is the month: a number cell ``202503``, a text cell ``"202503"`` or
  ``"2025-03"`` (or a date cell on the first of a month, which is what Excel makes of
  a typed ``2025-03``); any other text or a decimal is "not a month";
- 减员原因 is optional, for removals only.

Validation is set-based (DESIGN §6: 100 000 rows under a minute): the people of the
sheet are fetched by their ID numbers and their employments by person, a few queries
per 10 000 rows, never one per row.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from psycopg2 import IntegrityError as PgIntegrityError

from enrollment import services
from enrollment.choices import EmployerStatus, OccupationKind, PersonCategory, PersonStatus
from enrollment.models import Employer, Employment, InsuredPerson
from enrollment.selectors import employer_roster
from pension import changelog
from pension.bulk import copy_rows
from pension.errors import ApplicationError, Conflict, InvalidInput, NotPermitted
from pension.exports import safe_xlsx_row
from pension.imports import (
    CellError,
    RowError,
    Table,
    cell_citizen_id,
    cell_month,
    cell_text,
    errors_workbook,
    max_rows,
    read_table,
    refuse_if_errors,
    register_import,
    shown,
)
from pension.models import ChangeAction, StaffUser
from pension.periods import Period
from pension.privacy import citizen_id_for
from pension.scope import region_allows

__all__ = [
    "ADD",
    "BULK_FROM_ROWS",
    "HEADERS",
    "REMOVE",
    "ApplyReport",
    "RosterChange",
    "RosterImport",
    "RowError",
    "apply_roster_changes",
    "errors_workbook",
    "parse_roster_changes",
    "record_roster_export",
    "roster_workbook",
]

COL_ID, COL_NAME, COL_CHANGE, COL_MONTH, COL_REASON = HEADERS = (
    "公民身份号码",
    "姓名",
    "变动类型",
    "生效年月",
    "减员原因",
)
ADD, REMOVE = "增员", "减员"
EXPORT_HEADERS = ("公民身份号码", "姓名", "性别", "出生日期", "增员年月", "参保身份")
# Imports of this many valid rows or more are written with COPY (see apply_roster_changes).
BULK_FROM_ROWS = 200
_CHUNK = 10_000  # ID numbers or person ids per lookup query
_NAME_MAX = InsuredPerson._meta.get_field("name").max_length
_REASON_MAX = Employment._meta.get_field("stop_reason").max_length

Kind = Literal["add", "remove"]


@dataclass(slots=True)
class RosterChange:
    """A valid row: who, added or removed from which month, and what the register had."""

    row: int
    id_number: str
    name: str
    kind: Kind
    period: Period
    reason: str
    sex: str
    birth_date: date
    person_id: int | None = None  # None: not registered yet (registered on import)
    employment_id: int | None = None  # the current employment a removal ends


@dataclass
class RosterImport:
    """What ``parse_roster_changes`` found: the valid rows and every error."""

    employer_id: int
    rows: list[RosterChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_name: str = ""
    sha256: str = ""
    data_rows: int = 0  # non-blank rows under the header

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass(frozen=True, slots=True)
class ApplyReport:
    added: int
    removed: int
    registered: int
    bulk: bool  # written with COPY and one change-log entry, not row by row


# --- parsing -----------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """A row whose ID number is valid, on its way through the register checks."""

    row: int
    id_number: str
    name: str
    name_value: Any
    kind: Kind | None
    kind_value: Any
    period: Period | None
    period_value: Any
    reason: str
    sex: str
    birth_date: date
    ok: bool = True  # no error found in the row so far
    person_id: int | None = None
    employment_id: int | None = None


def parse_roster_changes(
    file: Any, *, employer: Employer, on_rows: Callable[[int], None] | None = None
) -> RosterImport:
    """Read and validate an import sheet (.xlsx or CSV, through the import kernel
    ``pension.imports``); returns the valid rows and every row error.

    ``file`` is an uploaded file, any binary file object, bytes or a path. Nothing is
    written. Messages are in the active language.
    """
    table = read_table(file, headers=HEADERS, limit=max_rows(), on_rows=on_rows)
    result = RosterImport(
        employer_id=employer.pk,
        file_name=table.file_name,
        sha256=table.sha256,
        errors=table.errors,
        data_rows=table.data_rows,
    )
    if table.file_error or not table.rows:
        return result
    _parse_rows(table, employer, result)
    return result


def _parse_rows(table: Table, employer: Employer, result: RosterImport) -> None:
    errors = result.errors
    checked: list[_Row] = []
    today = timezone.localdate()  # once: parse_citizen_id would look it up every row
    for number, values in table.rows:
        id_value, name_value, kind_value, period_value, reason_value = values
        found_errors = len(errors)
        # 公民身份号码
        parsed = None
        try:
            parsed = cell_citizen_id(id_value, today=today)
        except CellError as error:
            table.add(number, COL_ID, id_value, error.message)
        # 姓名
        name = ""
        try:
            name = cell_text(name_value, max_length=_NAME_MAX)
        except CellError:
            errors.append(
                RowError(
                    number,
                    COL_NAME,
                    shown(name_value),
                    gettext("The name may have at most %(max)d characters.") % {"max": _NAME_MAX},
                )
            )
        # 变动类型
        kind: Kind | None = None
        kind_text = _text(kind_value)
        if kind_text == ADD:
            kind = "add"
        elif kind_text == REMOVE:
            kind = "remove"
        elif not kind_text:
            errors.append(RowError(number, COL_CHANGE, "", gettext("This cell is required.")))
        else:
            errors.append(
                RowError(
                    number,
                    COL_CHANGE,
                    shown(kind_value),
                    gettext("Write %(add)s or %(remove)s.") % {"add": ADD, "remove": REMOVE},
                )
            )
        # 生效年月
        period = None
        try:
            period = cell_month(period_value)
        except CellError as error:
            table.add(number, COL_MONTH, period_value, error.message)
        # 减员原因
        reason = _text(reason_value)
        if reason and kind == "add":
            errors.append(
                RowError(
                    number,
                    COL_REASON,
                    shown(reason_value),
                    gettext("A reason is given only for a removal (%(remove)s).")
                    % {"remove": REMOVE},
                )
            )
        elif len(reason) > _REASON_MAX:
            errors.append(
                RowError(
                    number,
                    COL_REASON,
                    shown(reason_value),
                    gettext("The reason may have at most %(max)d characters.")
                    % {"max": _REASON_MAX},
                )
            )
        if parsed is not None:
            checked.append(
                _Row(
                    row=number,
                    id_number=parsed.number,
                    name=name,
                    name_value=name_value,
                    kind=kind,
                    kind_value=kind_value,
                    period=period,
                    period_value=period_value,
                    reason=reason,
                    sex=parsed.sex,
                    birth_date=parsed.birth_date,
                    ok=len(errors) == found_errors,
                )
            )
    failed_rows = {e.row for e in errors}
    # the same person twice in one sheet: every such row is reported
    by_number: dict[str, list[_Row]] = defaultdict(list)
    for row in checked:
        by_number[row.id_number].append(row)
    unique: list[_Row] = []
    for number, same in by_number.items():
        if len(same) == 1:
            unique.append(same[0])
            continue
        listed = ", ".join(str(r.row) for r in same)
        for row in same:
            errors.append(
                RowError(
                    row.row,
                    COL_ID,
                    number,
                    gettext(
                        "This citizen ID number appears more than once in the sheet: rows %(rows)s."
                    )
                    % {"rows": listed},
                )
            )
            failed_rows.add(row.row)
    register_errors = _check_register(unique, employer)
    errors.extend(register_errors)
    failed_rows.update(e.row for e in register_errors)
    errors.sort(key=lambda e: (e.row, HEADERS.index(e.column) if e.column in HEADERS else -1))
    result.rows = [_change(row) for row in unique if row.ok and row.row not in failed_rows]
    result.rows.sort(key=lambda r: r.row)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _change(row: _Row) -> RosterChange:
    assert row.kind is not None and row.period is not None
    return RosterChange(
        row=row.row,
        id_number=row.id_number,
        name=row.name,
        kind=row.kind,
        period=row.period,
        reason=row.reason,
        sex=row.sex,
        birth_date=row.birth_date,
        person_id=row.person_id,
        employment_id=row.employment_id,
    )


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_register(rows: list[_Row], employer: Employer, *, lock: bool = False) -> list[RowError]:
    """Check rows against the register and the rosters, a few queries per 10 000 rows.

    Every row is checked for what can be said of it (a row whose change type or month
    could not be read is checked without them); a failing row gets ``ok = False``. Sets
    ``person_id`` and ``employment_id`` on the rows. With ``lock``, the current
    employments found are locked (``SELECT … FOR UPDATE``) until the transaction ends.
    """
    errors: list[RowError] = []
    people: dict[str, tuple[int, str, str]] = {}
    for chunk in _chunks([r.id_number for r in rows]):
        for pk, number, name, status in InsuredPerson.objects.filter(
            id_number__in=chunk
        ).values_list("pk", "id_number", "name", "status"):
            people[number] = (pk, name, status)
    current: dict[int, tuple[int, int, Period]] = {}  # person → (employment, employer, start)
    last_stop: dict[int, Period] = {}
    for chunk in _chunks([p[0] for p in people.values()]):
        open_ones = Employment.objects.filter(person_id__in=chunk, stop_period__isnull=True)
        if lock:
            open_ones = open_ones.select_for_update()
        for pk, person_id, employer_id, start in open_ones.values_list(
            "pk", "person_id", "employer_id", "start_period"
        ):
            current[person_id] = (pk, employer_id, start)
        for person_id, stop in (
            Employment.objects.filter(person_id__in=chunk, stop_period__isnull=False)
            .values("person_id")
            .annotate(last=Max("stop_period"))
            .values_list("person_id", "last")
        ):
            last_stop[person_id] = stop if isinstance(stop, Period) else Period.parse(stop)
    other_ids = {e for _, e, _ in current.values() if e != employer.pk}
    employer_names = dict(
        Employer.objects.filter(pk__in=other_ids).values_list("pk", "name") if other_ids else ()
    )
    status_labels = dict(PersonStatus.choices)

    def fail(row: _Row, column: str, value: Any, message: str) -> None:
        errors.append(RowError(row.row, column, shown(value), message))
        row.ok = False

    employer_active = employer.status == EmployerStatus.ACTIVE
    for row in rows:
        if row.kind == "add" and not employer_active:
            fail(
                row,
                COL_CHANGE,
                row.kind_value,
                gettext("%(employer)s is not active; nobody can be added.")
                % {"employer": employer.name},
            )
            continue
        person = people.get(row.id_number)
        if person is None:
            row.person_id = None
            if row.kind == "add" and not row.name:
                fail(
                    row,
                    COL_NAME,
                    row.name_value,
                    gettext("This person is not registered yet; give the name to register them."),
                )
            elif row.kind == "remove":
                fail(
                    row,
                    COL_ID,
                    row.id_number,
                    gettext("This person is not on this employer's roster."),
                )
            continue
        person_id, registered_name, status = person
        row.person_id = person_id
        if row.name and row.name != registered_name:
            fail(
                row,
                COL_NAME,
                row.name_value,
                gettext("The register has the name %(name)s for this citizen ID number.")
                % {"name": registered_name},
            )
        employment = current.get(person_id)
        if row.kind == "add":
            if status in (PersonStatus.RETIRED, PersonStatus.DECEASED):
                fail(
                    row,
                    COL_ID,
                    row.id_number,
                    gettext("%(name)s is %(status)s and cannot be employed.")
                    % {"name": registered_name, "status": status_labels[status]},
                )
            elif employment is not None and employment[1] == employer.pk:
                fail(
                    row,
                    COL_ID,
                    row.id_number,
                    gettext("%(name)s is already on this employer's roster, from %(start)s.")
                    % {"name": registered_name, "start": employment[2]},
                )
            elif employment is not None:
                fail(
                    row,
                    COL_ID,
                    row.id_number,
                    gettext(
                        "%(name)s is still on the roster of %(employer)s; remove them there first."
                    )
                    % {"name": registered_name, "employer": employer_names.get(employment[1], "")},
                )
            elif person_id in last_stop and row.period and last_stop[person_id] > row.period:
                fail(
                    row,
                    COL_MONTH,
                    row.period_value,
                    gettext(
                        "%(name)s was employed until %(stop)s; the new employment cannot "
                        "start earlier."
                    )
                    % {"name": registered_name, "stop": last_stop[person_id]},
                )
        elif row.kind == "remove":
            if employment is None or employment[1] != employer.pk:
                fail(
                    row,
                    COL_ID,
                    row.id_number,
                    gettext("This person is not on this employer's roster."),
                )
            elif row.period is not None and row.period <= employment[2]:
                fail(
                    row,
                    COL_MONTH,
                    row.period_value,
                    gettext("The removal month must come after the month added (%(start)s).")
                    % {"start": employment[2]},
                )
            else:
                row.employment_id = employment[0]
    return errors


# --- applying ----------------------------------------------------------------------


class _RowFailed(Exception):
    def __init__(self, change: RosterChange, error: ApplicationError) -> None:
        super().__init__(str(error))
        self.change = change
        self.error = error


def apply_roster_changes(
    *,
    actor: StaffUser | None,
    employer: Employer,
    result: RosterImport,
    valid_rows_only: bool = False,
    bulk: bool | None = None,
) -> ApplyReport:
    """Write the valid rows of a parsed sheet in one transaction, or nothing.

    With errors in the sheet and not ``valid_rows_only``, raises ``InvalidInput``
    (``import_has_errors``) and writes nothing. A row that fails while writing (the
    register changed since the sheet was checked) rolls everything back and raises
    ``Conflict`` (``import_failed``) with the row's errors in ``details["errors"]``.

    Two ways of writing, chosen by size (``bulk=None``), the same result in the tables:

    - under ``BULK_FROM_ROWS`` rows, row by row through the services
      (``person_register``, ``employment_add``, ``employment_remove``), so each change
      has its own change-log entry, as if entered at the hall;
    - from ``BULK_FROM_ROWS`` rows, set-based: the rows are checked again under lock
      and written with COPY and two UPDATEs, with ONE change-log entry for the import.
      The services take 10-20 queries a row, each change-log entry serialising on the
      chain's lock (architecture.md: batches log one entry per run), which puts
      100 000 rows far past DESIGN §6's minute; COPY writes them in seconds.

    Both end with a change-log entry on the employer summarising the import (counts,
    the file's name and SHA-256).
    """
    if result.employer_id != employer.pk:
        raise InvalidInput(_("This sheet was checked for another employer."), code="wrong_employer")
    if actor is not None and not region_allows(actor, employer.region_id, "prepare"):
        raise NotPermitted(_("You cannot register records for this region."), code="outside_region")
    if result.errors and not valid_rows_only:
        raise InvalidInput(
            _(
                "The sheet has %(count)d errors; nothing was imported. Correct them, or "
                "import only the valid rows."
            ),
            code="import_has_errors",
            params={"count": len(result.errors)},
            details={"error_count": len(result.errors)},
        )
    if not result.rows:
        raise InvalidInput(
            _("No row of the sheet is valid; nothing was imported."), code="nothing_to_import"
        )
    if bulk is None:
        bulk = len(result.rows) >= BULK_FROM_ROWS
    try:
        with transaction.atomic():
            locked = Employer.objects.select_for_update().get(pk=employer.pk)
            if bulk:
                report = _apply_bulk(actor, locked, result.rows)
            else:
                report = _apply_by_service(actor, locked, result.rows)
            changelog.record(
                actor=actor,
                action=ChangeAction.UPDATE,
                instance=locked,
                after={
                    "import": "roster_changes",
                    "file_name": result.file_name,
                    "file_sha256": result.sha256,
                    "rows_in_sheet": result.data_rows,
                    "rows_imported": len(result.rows),
                    "rows_skipped": result.error_rows,
                    "added": report.added,
                    "removed": report.removed,
                    "registered": report.registered,
                    "written": "copy" if bulk else "services",
                },
                reason=f"Excel roster import {result.file_name}".strip(),
            )
    except _RowFailed as failed:
        change, error = failed.change, failed.error
        column = {
            "stop_before_start": COL_MONTH,
            "overlapping_employment": COL_MONTH,
            "employer_not_active": COL_CHANGE,
        }.get(error.code, COL_ID)
        raise _import_failed(
            [RowError(change.row, column, _change_cell(change, column), str(error))]
        ) from None
    except _Recheck as failed:
        raise _import_failed(failed.errors) from None
    except (IntegrityError, PgIntegrityError) as error:
        raise _import_failed([_integrity_row(error, result.rows)]) from None
    return report


def _import_failed(errors: list[RowError]) -> Conflict:
    first = errors[0]
    return Conflict(
        _("Row %(row)d could not be imported: %(error)s Nothing was imported."),
        code="import_failed",
        params={"row": first.row, "error": first.message},
        details={"errors": [_as_dict(e) for e in errors]},
    )


def _as_dict(error: RowError) -> dict[str, Any]:
    return {
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "message": error.message,
    }


def _change_cell(change: RosterChange, column: str) -> str:
    return {
        COL_ID: change.id_number,
        COL_NAME: change.name,
        COL_CHANGE: ADD if change.kind == "add" else REMOVE,
        COL_MONTH: str(change.period.as_int),
        COL_REASON: change.reason,
    }[column]


def _apply_by_service(actor, employer: Employer, rows: list[RosterChange]) -> ApplyReport:
    people = InsuredPerson.objects.in_bulk([r.person_id for r in rows if r.person_id])
    employments = Employment.objects.select_related("person").in_bulk(
        [r.employment_id for r in rows if r.employment_id]
    )
    added = removed = registered = 0
    for change in rows:
        try:
            if change.kind == "add":
                person = people.get(change.person_id) if change.person_id else None
                if person is None:
                    person = services.person_register(
                        actor=actor,
                        id_number=change.id_number,
                        name=change.name,
                        category=PersonCategory.EMPLOYEE,
                        region=employer.region,
                    )
                    registered += 1
                services.employment_add(
                    actor=actor, employer=employer, person=person, start=change.period
                )
                added += 1
            else:
                employment = employments.get(change.employment_id or 0)
                if employment is None:
                    raise Conflict(
                        _("This person is not on this employer's roster."), code="not_on_roster"
                    )
                services.employment_remove(
                    actor=actor, employment=employment, stop=change.period, reason=change.reason
                )
                removed += 1
        except ApplicationError as error:
            raise _RowFailed(change, error) from None
    return ApplyReport(added=added, removed=removed, registered=registered, bulk=False)


class _Recheck(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows no longer valid")
        self.errors = errors


_PERSON_COLUMNS = (
    "id_number", "name", "sex", "birth_date", "category", "occupation_kind",
    "first_work_date", "first_insured_date", "deemed_months", "card_number", "bank_name",
    "bank_account", "phone", "address", "status", "region_id", "agency_id", "created_at",
    "updated_at",
)  # fmt: skip
_EMPLOYMENT_COLUMNS = (
    "person_id", "employer_id", "start_period", "stop_period", "stop_reason", "created_at",
    "updated_at",
)  # fmt: skip


def _apply_bulk(actor, employer: Employer, rows: list[RosterChange]) -> ApplyReport:
    """Set-based writing: check again under lock, then COPY and UPDATE … FROM unnest.

    What the services would do, row for row: a new person is registered as an employee
    in the employer's region and owning agency (and is contributing at once, being
    added); an employee added becomes contributing, one removed interrupted.
    """
    again = [
        _Row(
            row=c.row,
            id_number=c.id_number,
            name=c.name,
            name_value=c.name,
            kind=c.kind,
            kind_value=ADD if c.kind == "add" else REMOVE,
            period=c.period,
            period_value=c.period.as_int,
            reason=c.reason,
            sex=c.sex,
            birth_date=c.birth_date,
        )
        for c in rows
    ]
    errors = _check_register(again, employer, lock=True)
    if errors:
        raise _Recheck(sorted(errors, key=lambda e: e.row))
    now = timezone.now()
    today = timezone.localdate()
    adds = [r for r in again if r.kind == "add"]
    removes = [r for r in again if r.kind == "remove"]
    new_people = [r for r in adds if r.person_id is None]
    if new_people:
        agency_id = services.owning_agency(employer.region).pk
        region_id = employer.region_id
        employee, worker = PersonCategory.EMPLOYEE.value, OccupationKind.WORKER.value
        contributing = PersonStatus.CONTRIBUTING.value
        copy_rows(
            InsuredPerson._meta.db_table,
            _PERSON_COLUMNS,
            (
                (r.id_number, r.name, r.sex, r.birth_date, employee, worker, None, today, 0,
                 "", "", "", "", "", contributing, region_id, agency_id, now, now)
                for r in new_people
            ),
        )  # fmt: skip
        ids: dict[str, int] = {}
        for chunk in _chunks([r.id_number for r in new_people]):
            ids.update(
                InsuredPerson.objects.filter(id_number__in=chunk).values_list("id_number", "pk")
            )
        for r in new_people:
            r.person_id = ids[r.id_number]
    with connection.cursor() as cursor:
        if removes:
            cursor.execute(
                """
                UPDATE enrollment_employment AS e
                   SET stop_period = v.stop, stop_reason = v.reason, updated_at = %s
                  FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS v(id, stop, reason)
                 WHERE e.id = v.id AND e.employer_id = %s AND e.stop_period IS NULL
                RETURNING e.id
                """,
                [
                    now,
                    [r.employment_id for r in removes],
                    [r.period.as_int for r in removes if r.period],
                    [r.reason for r in removes],
                    employer.pk,
                ],
            )
            ended = {pk for (pk,) in cursor.fetchall()}
            if len(ended) != len(removes):  # locked by the check above: should not happen
                message = gettext("The roster changed while importing; nothing was imported.")
                raise _Recheck(
                    [
                        RowError(r.row, COL_ID, r.id_number, message)
                        for r in removes
                        if r.employment_id not in ended
                    ]
                )
            _set_status(
                cursor,
                [r.person_id for r in removes if r.person_id],
                PersonStatus.CONTRIBUTING,
                PersonStatus.INTERRUPTED,
                now,
            )
        if adds:
            copy_rows(
                Employment._meta.db_table,
                _EMPLOYMENT_COLUMNS,
                (
                    (r.person_id, employer.pk, r.period.as_int if r.period else None, None, "",
                     now, now)
                    for r in adds
                ),
            )  # fmt: skip
            _set_status(
                cursor,
                [r.person_id for r in adds if r.person_id],
                PersonStatus.INTERRUPTED,
                PersonStatus.CONTRIBUTING,
                now,
            )
    return ApplyReport(added=len(adds), removed=len(removes), registered=len(new_people), bulk=True)


def _set_status(cursor, person_ids: list[int], old: str, new: str, now: datetime) -> None:
    """An employee's status follows the roster: contributing while on one (as the
    services do in ``employment_add`` and ``employment_remove``)."""
    cursor.execute(
        """
        UPDATE enrollment_insuredperson
           SET status = %s, updated_at = %s
         WHERE id = ANY(%s::bigint[]) AND category = %s AND status = %s
        """,
        [new, now, person_ids, PersonCategory.EMPLOYEE.value, old],
    )


_KEY_ID_NUMBER = re.compile(r"\(id_number\)=\(([0-9X]{18})\)")
_KEY_PERSON = re.compile(r"\(person_id, [^=]*\)=\((\d+),")


def _integrity_row(error: Exception, rows: list[RosterChange]) -> RowError:
    """The row a constraint refused (a concurrent change that slipped past the check)."""
    cause = error.__cause__ if isinstance(error, IntegrityError) and error.__cause__ else error
    detail = getattr(getattr(cause, "diag", None), "message_detail", None) or str(cause)
    message = gettext("The register changed while importing; nothing was imported. Try again.")
    match = _KEY_ID_NUMBER.search(detail)
    if match:
        for change in rows:
            if change.id_number == match[1]:
                return RowError(change.row, COL_ID, change.id_number, message)
    match = _KEY_PERSON.search(detail)
    if match:
        person_id = int(match[1])
        number = InsuredPerson.objects.filter(pk=person_id).values_list("id_number", flat=True)
        for change in rows:
            if change.person_id == person_id or change.id_number in number:
                return RowError(change.row, COL_ID, change.id_number, message)
    return RowError(0, "", "", message)


# --- writing workbooks -------------------------------------------------------------


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def roster_rows(employer: Employer, *, user, period: Period | None = None) -> Iterator[tuple]:
    """The roster as export rows, the ID number as ``user`` may see it."""
    sex = dict(InsuredPerson._meta.get_field("sex").choices)
    category = dict(InsuredPerson._meta.get_field("category").choices)
    for employment in employer_roster(employer, period=period).iterator(chunk_size=2000):
        person = employment.person
        yield (
            citizen_id_for(user, person.id_number, export=True),
            person.name,
            str(sex.get(person.sex, person.sex)),
            person.birth_date,
            employment.start_period.as_int,
            str(category.get(person.category, person.category)),
        )


def roster_workbook(employer: Employer, *, user, period: Period | None = None) -> bytes:
    """The roster (now, or in ``period``) as an .xlsx made with a write-only workbook.

    Columns 公民身份号码 (masked unless ``user``'s role needs it), 姓名, 性别, 出生日期,
    增员年月 (YYYYMM, as the import takes it), 参保身份.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("Roster"))
    sheet.append(list(EXPORT_HEADERS))
    for row in roster_rows(employer, user=user, period=period):
        sheet.append(safe_xlsx_row(sheet, row))  # a name "=…" stays text
    return _save(workbook)


def record_roster_export(*, actor, employer: Employer, period: Period | None = None) -> None:
    """Log that ``actor`` exported the roster (personal data leaving the system)."""
    changelog.record(
        actor=actor,
        action=ChangeAction.EXPORT,
        instance=employer,
        after={"export": "roster", "period": period.as_int if period else None},
    )


def _roster_job(job: Any, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """A roster sheet of many rows, imported on a worker (``pension.imports``): the same
    checks and writing as the page's, all or nothing unless the user asked for the
    valid rows only."""
    employer = Employer.objects.select_related("region").get(pk=job.params["employer"])
    estimate = max(job.total_count, 1)
    result = parse_roster_changes(
        job.file, employer=employer, on_rows=lambda n: progress(n, max(n, estimate))
    )
    valid_only = bool(job.params.get("valid_rows_only"))
    refuse_if_errors(result, valid_rows_only=valid_only)
    report = apply_roster_changes(
        actor=job.created_by, employer=employer, result=result, valid_rows_only=valid_only
    )
    return {
        "added": report.added,
        "removed": report.removed,
        "registered": report.registered,
        "rows_skipped": result.error_rows,
        "url": reverse("enrollment:employer_detail", args=[employer.pk]),
    }


register_import("roster_changes", _roster_job)
