"""Life certification, data-match imports and the monthly sweep (领取待遇资格确认,
比对数据导入, 资格认证月度清理; operations standard §9.3.3, §9.6).

* ``life_certification_record`` records that a retiree was confirmed alive and
  entitled (at a hall, self-service, a home visit, a video call); a fact, not a case.
  When the person is suspended for a missing or failed certification it prepares the
  resumption case (``benefits.resumption``) for a reviewer and returns it.
* ``last_certified_on`` / ``certification_due_on``: the latest certification (else the
  retirement date) and the day the next one is due (``certification.interval_months``
  of the policy, 12 without one).
* ``data_match_import`` imports a data-match file (比对数据: death, hospital, transport
  records) of CSV or Excel, all or nothing: living records certify (one INSERT …
  SELECT), death records stop the payment (``record_death``).
* ``certification_sweep`` (beat, monthly) suspends every retiree in payment whose
  certification is overdue (one statement), and ``overdue_by_notifier`` lists them by
  their last employer or, without one, their county, to be told (§9.3.3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from benefits import selectors
from benefits.choices import (
    CertificationMethod,
    DataMatchKind,
    DeterminationStatus,
    SuspensionReason,
)
from benefits.models import DataMatchImport, LifeCertification, Suspension
from benefits.suspension import suspensions
from enrollment.choices import PersonStatus
from enrollment.models import Employment, InsuredPerson
from enrollment.selectors import insured_persons_sql
from pension import changelog
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.imports import (
    PROGRESS_EVERY,
    CellError,
    RowError,
    Table,
    cell_citizen_id,
    cell_date,
    cell_text,
    check_upload_size,
    max_rows,
    read_table,
    register_import,
    row_error_dict,
)
from pension.models import ApprovalRequest, ChangeAction, Region, StaffUser
from pension.periods import Period
from pension.scope import region_allows, user_prefix
from pension.selectors import policy_value

__all__ = [
    "DEFAULT_INTERVAL_MONTHS",
    "HEADERS",
    "CertificationRecorded",
    "certification_due_on",
    "certification_interval",
    "certification_sweep",
    "data_match_import",
    "last_certified_on",
    "life_certification_record",
    "overdue_by_notifier",
    "overdue_suspensions",
]

# used when the policy has no ``certification.interval_months`` (经办规范 §9.6: yearly)
DEFAULT_INTERVAL_MONTHS = 12
COL_ID, COL_NAME, COL_DATE = HEADERS = ("公民身份号码", "姓名", "日期")
LIST_LIMIT = 1000  # ID numbers kept in the result's lists (the counts are complete)
_CHUNK = 10_000
# suspensions a certification ends (through a resumption case)
CERTIFICATION_REASONS = (
    SuspensionReason.CERTIFICATION_MISSING,
    SuspensionReason.CERTIFICATION_FAILED,
)

ERROR_FUTURE = _("The certification date %(date)s is after today.")
ERROR_NO_DETERMINATION = _("%(name)s has no pension in payment to certify.")
ERROR_DECEASED = _("%(name)s is recorded as deceased; a certification cannot be recorded.")
ERROR_METHOD = _("“%(method)s” is not a method of certification.")
ERROR_DATA_MATCH_METHOD = _("A data-match certification is recorded by importing the file.")
ERROR_KIND = _("“%(kind)s” is not a kind of data-match file.")
ERROR_REPLAYED = _(
    "This file was already imported on %(date)s (%(name)s, import #%(id)s); nothing was changed."
)
ERROR_ROWS = _(
    "The file has %(count)s errors; nothing was imported. Correct them and import it again."
)
ERROR_NOT_PERMITTED = _("You cannot import data-match files.")


# --- selectors ---------------------------------------------------------------------------


def certification_interval(region: Region | str | None = None, *, on: date | None = None) -> int:
    """Months between certifications (``certification.interval_months``), 12 when the
    policy has no value."""
    try:
        value = policy_value(
            "certification.interval_months", on=on or timezone.localdate(), region=region
        ).value
    except ValidationError:
        return DEFAULT_INTERVAL_MONTHS
    return int(value)


def last_certified_on(person: InsuredPerson) -> date | None:
    """The latest certification date of ``person``, else the retirement date of the
    current determination (None without one)."""
    latest = LifeCertification.objects.filter(person=person).aggregate(m=Max("certified_on"))["m"]
    if latest is not None:
        return latest
    determination = selectors.current_determination(person)
    return determination.retirement_date if determination else None


def certification_due_on(person: InsuredPerson) -> date | None:
    """The day the next certification is due: the last one (or the retirement date)
    plus the policy interval."""
    last = last_certified_on(person)
    if last is None:
        return None
    return last + relativedelta(months=certification_interval(person.region_id))


def certifications_of(person: InsuredPerson):
    """The person's certifications, latest first (the history on the page)."""
    return (
        LifeCertification.objects.filter(person=person)
        .select_related("recorded_by", "data_match", "agency")
        .order_by("-certified_on", "-id")
    )


# --- recording a certification ----------------------------------------------------------------


@dataclass(frozen=True)
class CertificationRecorded:
    """What ``life_certification_record`` did: the certification, and the resumption
    case it prepared (or found waiting) for a person suspended for certification."""

    certification: LifeCertification
    resumption: ApprovalRequest | None


@transaction.atomic
def life_certification_record(
    *,
    actor: StaffUser,
    person: InsuredPerson,
    certified_on: date,
    method: str,
    note: str = "",
    data_match: DataMatchImport | None = None,
    today: date | None = None,
) -> CertificationRecorded:
    """Record a life certification of ``person`` on ``certified_on`` (资格确认).

    No maker-checker: it is a fact recorded by the staff who saw the retiree. Refused:
    a person without a current determination (not retired) or deceased, a date after
    today, an unknown method, the data-match method without its file. When the person
    is suspended for a missing or failed certification, a resumption case from the
    month of the certification (not before the month suspended from) is prepared with
    ``actor`` as maker, or the one already waiting is returned.
    """
    today = today or timezone.localdate()
    note = (note or "").strip()
    if method not in CertificationMethod.values:
        raise InvalidInput(ERROR_METHOD, code="unknown_method", params={"method": method})
    if method == CertificationMethod.DATA_MATCH and data_match is None:
        raise InvalidInput(ERROR_DATA_MATCH_METHOD, code="data_match_method")
    if certified_on > today:
        raise InvalidInput(
            ERROR_FUTURE, code="certified_future", params={"date": certified_on.isoformat()}
        )
    if not region_allows(actor, person.region_id, "prepare", model=InsuredPerson):
        raise NotPermitted(
            _("You cannot record certifications for this person."), code="outside_region"
        )
    if person.status == PersonStatus.DECEASED:
        raise Conflict(ERROR_DECEASED, code="deceased", params={"name": person.name})
    determination = selectors.current_determination(person)
    if determination is None or determination.status not in (
        DeterminationStatus.IN_PAYMENT,
        DeterminationStatus.SUSPENDED,
    ):
        raise Conflict(
            ERROR_NO_DETERMINATION, code="no_determination", params={"name": person.name}
        )
    certification = LifeCertification.objects.create(
        person=person,
        certified_on=certified_on,
        method=method,
        data_match=data_match,
        agency=getattr(actor, "agency", None),
        note=note[:200],
        recorded_by=actor,
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=certification,
        after={"certified_on": certified_on.isoformat(), "method": method},
        reason=note or str(CertificationMethod(method).label),
    )
    resumption = None
    suspension = suspensions.open_suspension(person)
    if (
        suspension is not None
        and suspension.reason in CERTIFICATION_REASONS
        and suspension.from_month <= Period.from_date(today)
    ):
        resumption = suspensions._pending(suspensions.RESUMPTION, suspension)
        if resumption is None:
            resumed_from = max(Period.from_date(certified_on), suspension.from_month)
            resumption = suspensions.resumption_request(
                actor=actor,
                suspension=suspension,
                resumed_from=resumed_from,
                note=str(_("Certified on %(date)s (%(method)s)"))
                % {"date": certified_on.isoformat(), "method": CertificationMethod(method).label},
                today=today,
            )
    return CertificationRecorded(certification=certification, resumption=resumption)


# --- data-match import ------------------------------------------------------------------


@dataclass(slots=True)
class _Record:
    row: int
    id_number: str
    name: str
    day: date


_NAME_MAX = InsuredPerson._meta.get_field("name").max_length


def _validate(
    table: Table, kind: str, today: date, *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[_Record], dict[str, dict]]:
    """Every row checked by the import kernel's cells; returns the records and the
    register's people by ID number (id, name, birth date, status). Errors go to
    ``table.errors``."""
    records: list[_Record] = []
    read = len(table.rows)
    for index, (number, (id_value, name_value, date_value)) in enumerate(table.rows, start=1):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(read + index, 2 * read)
        ok = True
        id_number = name = ""
        day = None
        try:
            id_number = cell_citizen_id(id_value, today=today).number
        except CellError as error:
            table.add(number, COL_ID, id_value, error.message)
            ok = False
        try:
            name = cell_text(name_value, max_length=_NAME_MAX, required=True)
        except CellError as error:
            table.add(number, COL_NAME, name_value, error.message)
            ok = False
        try:
            day = cell_date(date_value)
        except CellError as error:
            table.add(number, COL_DATE, date_value, error.message)
            ok = False
        if day is not None and day > today:
            table.add(number, COL_DATE, day, gettext("The date is after today."))
            ok = False
        if ok and day is not None:
            records.append(_Record(number, id_number, name, day))
    table.rows = []  # read once
    errors = table.errors
    people: dict[str, dict] = {}
    numbers = sorted({r.id_number for r in records})
    for start in range(0, len(numbers), _CHUNK):
        for row in InsuredPerson.objects.filter(
            id_number__in=numbers[start : start + _CHUNK]
        ).values("id", "id_number", "name", "birth_date", "status"):
            people[row["id_number"]] = row
    seen: dict[str, _Record] = {}
    for record in records:
        person = people.get(record.id_number)
        if person is None:
            continue  # not in the register: counted, not an error
        if person["name"] != record.name:
            errors.append(
                RowError(
                    record.row, COL_NAME, record.name,
                    gettext("The register has %(name)s under this citizen ID number.")
                    % {"name": person["name"]},
                )
            )  # fmt: skip
        elif record.day < person["birth_date"]:
            errors.append(
                RowError(
                    record.row, COL_DATE, record.day.isoformat(),
                    gettext("The date is before the birth date of %(name)s.")
                    % {"name": person["name"]},
                )
            )  # fmt: skip
        earlier = seen.get(record.id_number)
        if kind == DataMatchKind.DEATH and earlier is not None and earlier.day != record.day:
            errors.append(
                RowError(
                    record.row, COL_DATE, record.day.isoformat(),
                    gettext("Row %(row)s gives another date of death for this person.")
                    % {"row": earlier.row},
                )
            )  # fmt: skip
        seen.setdefault(record.id_number, record)
    errors.sort(key=lambda e: (e.row, HEADERS.index(e.column) if e.column in HEADERS else -1))
    return records, people


def _certify(imported: DataMatchImport, actor: StaffUser | None, latest: dict[int, date]) -> dict:
    """A data-match certification for each person of ``latest`` (person id → record
    date) with a current determination in payment or suspended, unless the same date is
    on record already. Two set-based statements: the SELECT of who is certified, then
    one INSERT … SELECT from those arrays (checking the table in the INSERT itself
    would scan the rows it is inserting, quadratic on a table without statistics).
    Returns the persons certified."""
    if not latest:
        return {"certified": [], "suspended": []}
    ids = list(latest)
    days = [latest[i] for i in ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT f.person_id, f.day
              FROM unnest(%s::bigint[], %s::date[]) AS f(person_id, day)
              JOIN benefits_pensiondetermination d
                ON d.person_id = f.person_id AND d.superseded_by_id IS NULL
               AND d.status IN (%s, %s)
              JOIN {insured_persons_sql()} p ON p.id = f.person_id AND p.status <> %s
             WHERE NOT EXISTS (
                   SELECT 1 FROM benefits_lifecertification c
                    WHERE c.person_id = f.person_id AND c.certified_on = f.day)
            """,
            [
                ids, days, DeterminationStatus.IN_PAYMENT, DeterminationStatus.SUSPENDED,
                PersonStatus.DECEASED,
            ],
        )  # fmt: skip
        rows = cursor.fetchall()
        certified = sorted(person_id for person_id, _day in rows)
        if rows:
            cursor.execute(
                """
                INSERT INTO benefits_lifecertification
                    (person_id, certified_on, method, data_match_id, agency_id, note,
                     recorded_by_id, created_at)
                SELECT f.person_id, f.day, %s, %s, %s, '', %s, now()
                  FROM unnest(%s::bigint[], %s::date[]) AS f(person_id, day)
                """,
                [
                    CertificationMethod.DATA_MATCH, imported.pk,
                    getattr(actor, "agency_id", None), actor.pk if actor is not None else None,
                    [r[0] for r in rows], [r[1] for r in rows],
                ],
            )  # fmt: skip
    # the people suspended for certification now certified: their resumption cases
    suspended = list(
        Suspension.objects.filter(
            person_id__in=certified, resumed_from__isnull=True, reason__in=CERTIFICATION_REASONS
        )
        .exclude(details__has_key="closed_by_death")
        .values_list("person_id", flat=True)[:LIST_LIMIT]
    )
    return {"certified": certified, "suspended": sorted(suspended)}


def data_match_import(
    *,
    actor: StaffUser,
    kind: str,
    uploaded_file: Any,
    file_name: str = "",
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DataMatchImport:
    """Import a data-match file (比对数据导入) of CSV or Excel (.xlsx), columns 公民身份号码,
    姓名, 日期 (the record date; for death records the date of death).

    All or nothing: every row is checked (a valid citizen ID number, the name the
    register has under it, a date not after today nor before the birth date, for
    deaths one date per person); any error → ``InvalidInput`` (code ``row_errors``)
    whose ``details["errors"]`` lists each (row, column, value, message), nothing
    written. The same content again (SHA-256) → ``Conflict``, nothing changes. ID
    numbers not in the register are counted and listed, not errors.

    Living records (hospital, transport): a data-match certification on the record
    date for each matched retiree with a current determination (one INSERT … SELECT;
    a person's latest date of the file). Death records: ``record_death`` for each
    matched person (a death already recorded on the same date changes nothing; on
    another date it is listed as a conflict), attributable to ``actor``.
    """
    today = today or timezone.localdate()
    if kind not in DataMatchKind.values:
        raise InvalidInput(ERROR_KIND, code="unknown_kind", params={"kind": kind})
    if user_prefix(actor, InsuredPerson, "prepare") is None:
        raise NotPermitted(ERROR_NOT_PERMITTED, code="not_permitted")
    if isinstance(uploaded_file, bytes | bytearray):
        content = bytes(uploaded_file)
    else:
        try:
            check_upload_size(getattr(uploaded_file, "size", None))
        except ValidationError as error:
            raise InvalidInput(error.messages[0], code="upload_too_large") from None
        if hasattr(uploaded_file, "seek"):
            uploaded_file.seek(0)
        content = uploaded_file.read()
        file_name = file_name or Path(getattr(uploaded_file, "name", "") or "").name
    digest = hashlib.sha256(content).hexdigest()
    earlier = DataMatchImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise Conflict(
            ERROR_REPLAYED,
            code="already_imported",
            params={
                "date": timezone.localtime(earlier.created_at).date().isoformat(),
                "name": earlier.file_name,
                "id": earlier.pk,
            },
        )
    # the bar: reading the rows is the first half, checking them the second
    estimate = max(content.count(b"\n"), 1) if progress is not None else 0
    table = read_table(
        content,
        headers=HEADERS,
        limit=max_rows(),
        file_name=file_name,
        on_rows=(lambda n: progress(n, 2 * max(n, estimate))) if progress is not None else None,
    )
    records, people = (
        ([], {}) if table.file_error else _validate(table, kind, today, progress=progress)
    )
    if table.errors:
        errors = [row_error_dict(e) for e in table.errors]
        raise InvalidInput(
            ERROR_ROWS, code="row_errors", params={"count": len(errors)}, details={"errors": errors}
        )
    unmatched = sorted({r.id_number for r in records if r.id_number not in people})
    matched = [r for r in records if r.id_number in people]
    with transaction.atomic():
        imported = DataMatchImport.objects.create(
            kind=kind,
            file_name=file_name[:200],
            sha256=digest,
            row_count=len(records),
            matched_count=len(matched),
            imported_by=actor,
        )
        result: dict[str, Any] = {
            "unmatched_count": len(unmatched),
            "unmatched": unmatched[:LIST_LIMIT],
        }
        if kind == DataMatchKind.DEATH:
            deaths, already, conflicts, not_retired = [], [], [], []
            reason = str(_("Death records of data-match file #%(id)s (%(name)s)")) % {
                "id": imported.pk, "name": imported.file_name
            }  # fmt: skip
            for record in {r.id_number: r for r in reversed(matched)}.values():
                person = InsuredPerson.objects.get(pk=people[record.id_number]["id"])
                was_deceased = person.status == PersonStatus.DECEASED
                try:
                    determination = suspensions.record_death(
                        actor=actor, person=person, death_date=record.day,
                        source=f"data_match:{imported.pk}", reason=reason, today=today,
                    )  # fmt: skip
                except Conflict as conflict:
                    conflicts.append({"row": record.row, "id_number": record.id_number,
                                      "message": str(conflict)})  # fmt: skip
                    continue
                if was_deceased:
                    already.append(person.pk)
                elif determination is None:
                    not_retired.append(person.pk)
                else:
                    deaths.append(person.pk)
            imported.death_count = len(deaths) + len(not_retired)
            result.update(
                {
                    "stopped": sorted(deaths),
                    "deceased_not_retired": sorted(not_retired),
                    "already_deceased": sorted(already),
                    "conflicts": conflicts,
                }
            )
        else:
            latest: dict[int, date] = {}
            for record in matched:
                pid = people[record.id_number]["id"]
                if pid not in latest or latest[pid] < record.day:
                    latest[pid] = record.day
            certified = _certify(imported, actor, latest)
            imported.certified_count = len(certified["certified"])
            result.update(
                {
                    "certified": certified["certified"][:LIST_LIMIT],
                    "not_certified": len(latest) - len(certified["certified"]),
                    "suspended_certified": certified["suspended"],
                }
            )
        imported.result = result
        imported.save(update_fields=["death_count", "certified_count", "result"])
        changelog.record(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=imported,
            after={
                "kind": kind,
                "sha256": digest,
                "rows": imported.row_count,
                "matched": imported.matched_count,
                "certified": imported.certified_count,
                "deaths": imported.death_count,
                "unmatched": len(unmatched),
            },
            reason=str(_("Data-match file %(name)s")) % {"name": imported.file_name},
        )
    return imported


# --- the monthly sweep --------------------------------------------------------------------


def certification_sweep(*, today: date | None = None, region: str | None = None) -> dict[str, Any]:
    """Suspend every retiree in payment whose certification is overdue (资格认证清理,
    §9.3.3): the last certification (else the retirement date) plus the interval is
    before ``today``. Reason ``certification_missing``, from the current month, by the
    system (``created_by`` empty), back-paid on resumption. One statement: INSERT …
    SELECT into the suspensions (ON CONFLICT DO NOTHING: never a second open one) and
    the UPDATE of their determinations. Idempotent: a second sweep finds nothing.
    ``region``: a division code (default every region). Returns the count and the
    suspended people's ids."""
    today = today or timezone.localdate()
    month = Period.from_date(today)
    place = Region.objects.get(pk=region) if region else None
    interval = certification_interval(place, on=today)
    prefix = place.scope_prefix if place is not None else ""
    note = str(_("Life certification overdue (monthly sweep of %(date)s)")) % {
        "date": today.isoformat()
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH due AS (
                SELECT d.id AS determination_id, d.person_id, d.paid_through,
                       COALESCE(
                           (SELECT MAX(c.certified_on) FROM benefits_lifecertification c
                             WHERE c.person_id = d.person_id),
                           d.retirement_date) AS last_on
                  FROM benefits_pensiondetermination d
                  JOIN {insured_persons_sql()} p ON p.id = d.person_id
                 WHERE d.superseded_by_id IS NULL AND d.status = %(in_payment)s
                   AND p.status <> %(deceased)s AND p.region_id LIKE %(prefix)s
            ), inserted AS (
                INSERT INTO benefits_suspension
                    (person_id, determination_id, reason, note, from_month, resumed_from,
                     back_pay, case_id, resumption_case_id, details, created_by_id, created_at)
                SELECT due.person_id, due.determination_id, %(reason)s, %(note)s, %(month)s,
                       NULL, TRUE, NULL, NULL,
                       jsonb_build_object(
                           'sweep', %(today)s::text,
                           'last_certified_on', due.last_on::text,
                           'due_on',
                           (due.last_on + make_interval(months => %(interval)s))::date::text,
                           'paid_through_at_suspension',
                           CASE WHEN due.paid_through IS NULL THEN NULL
                                ELSE substr(due.paid_through::text, 1, 4) || '-'
                                     || substr(due.paid_through::text, 5, 2) END),
                       NULL, now()
                  FROM due
                 WHERE (due.last_on + make_interval(months => %(interval)s))::date < %(today)s
                ON CONFLICT DO NOTHING
                RETURNING determination_id, person_id
            )
            UPDATE benefits_pensiondetermination d
               SET status = %(suspended)s
              FROM inserted
             WHERE d.id = inserted.determination_id
            RETURNING inserted.person_id
            """,
            {
                "in_payment": DeterminationStatus.IN_PAYMENT,
                "suspended": DeterminationStatus.SUSPENDED,
                "deceased": PersonStatus.DECEASED,
                "prefix": f"{prefix}%",
                "reason": SuspensionReason.CERTIFICATION_MISSING,
                "note": note[:200],
                "month": month.as_int,
                "today": today,
                "interval": interval,
            },
        )
        people = sorted(row[0] for row in cursor.fetchall())
        if people:
            changelog.record(
                actor=None,
                action=ChangeAction.CREATE,
                object_type=changelog.object_type_of(Suspension()),
                object_id="",
                object_repr=str(_("Certification sweep of %(date)s")) % {"date": today.isoformat()},
                after={
                    "reason": SuspensionReason.CERTIFICATION_MISSING,
                    "from_month": str(month),
                    "interval_months": interval,
                    "count": len(people),
                    "people": people,
                },
                reason=note,
            )
    return {
        "today": today.isoformat(),
        "from_month": str(month),
        "count": len(people),
        "people": people,
    }


def overdue_suspensions(region_prefix: str = ""):
    """The open suspensions for a missing certification of people in the region, by
    name (the queryset the overdue list pages)."""
    return (
        Suspension.objects.filter(
            resumed_from__isnull=True,
            reason=SuspensionReason.CERTIFICATION_MISSING,
            person__region__code__startswith=region_prefix,
        )
        .exclude(details__has_key="closed_by_death")
        .select_related("person", "person__region")
        .order_by("person__name", "person_id")
    )


def overdue_by_notifier(
    region_prefix: str = "", *, suspensions: Iterable[Suspension] | None = None
) -> list[dict[str, Any]]:
    """The people suspended for a missing certification (open suspensions), grouped by
    who is to tell them (§9.3.3): their last employer (the employment that ended last)
    or, without one, their county (the community). Each group: ``{"kind": "employer" |
    "county", "key", "name", "people": [{"person", "name", "id_number", "from_month",
    "suspension"}]}``, employers first, by name. ``suspensions``: only these (a page
    of ``overdue_suspensions``), else all of the region."""
    open_suspensions = list(
        overdue_suspensions(region_prefix) if suspensions is None else suspensions
    )
    ids = [s.person_id for s in open_suspensions]
    last_employer: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = (
            Employment.objects.filter(person_id__in=ids[start : start + _CHUNK])
            .select_related("employer")
            .order_by("person_id", F("stop_period").desc(nulls_first=True), "-start_period")
            .distinct("person_id")
        )
        for employment in rows:
            last_employer[employment.person_id] = employment.employer
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for suspension in open_suspensions:
        person = suspension.person
        employer = last_employer.get(person.pk)
        if employer is not None:
            key = ("employer", employer.pk)
            group = groups.setdefault(
                key, {"kind": "employer", "key": employer.pk, "name": employer.name, "people": []}
            )
        else:
            key = ("county", person.region_id)
            group = groups.setdefault(
                key,
                {
                    "kind": "county",
                    "key": person.region_id,
                    "name": person.region.name,
                    "people": [],
                },
            )
        group["people"].append(
            {
                "person": person.pk,
                "name": person.name,
                "id_number": person.id_number,
                "from_month": str(suspension.from_month),
                "suspension": suspension.pk,
                "last_certified_on": (suspension.details or {}).get("last_certified_on"),
            }
        )
    return sorted(groups.values(), key=lambda g: (g["kind"] != "employer", str(g["name"])))


def overdue_not_suspended(region_prefix: str = "", *, today: date | None = None) -> Iterable[dict]:
    """Retirees in payment whose certification falls due within the next month (from
    today, to be reminded before the sweep; those already overdue are the sweep's):
    person id, name, due date."""
    today = today or timezone.localdate()
    interval = certification_interval(None, on=today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.id, p.name, p.id_number, x.due_on FROM (
                SELECT d.person_id, (COALESCE(
                       (SELECT MAX(c.certified_on) FROM benefits_lifecertification c
                         WHERE c.person_id = d.person_id), d.retirement_date)
                       + make_interval(months => %s))::date AS due_on
                  FROM benefits_pensiondetermination d
                 WHERE d.superseded_by_id IS NULL AND d.status = %s
            ) x JOIN {insured_persons_sql()} p ON p.id = x.person_id
             WHERE p.region_id LIKE %s AND x.due_on >= %s AND x.due_on < %s
             ORDER BY x.due_on, p.name LIMIT 500
            """,
            [interval, DeterminationStatus.IN_PAYMENT, f"{region_prefix}%", today,
             today + relativedelta(months=1)],
        )  # fmt: skip
        return [
            {"person": pid, "name": name, "id_number": number, "due_on": due}
            for pid, name, number, due in cursor.fetchall()
        ]


def _data_match_job(job: Any, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """A data-match file of many rows, imported on a worker (``pension.imports``)."""
    imported = data_match_import(
        actor=job.created_by,
        kind=job.params["kind"],
        uploaded_file=job.file,
        file_name=job.file_name,
        progress=progress,
    )
    return {
        "id": imported.pk,
        "rows": imported.row_count,
        "matched": imported.matched_count,
        "url": reverse("benefits:data_match_detail", args=[imported.pk]),
    }


register_import("data_match", _data_match_job)
