"""The quarterly data-quality checks (季度数据质量检查, operations standard §11.1.5): the
"unified data-check statements" run each quarter over the business data, each check a
set-based query whose findings are counted by region into ``DataQualityCount``; a batch
on the kernel engine (``pension.batches``), one check per chunk (its own transaction,
so a resumed run redoes only the checks not done).

The checks look for what the database's constraints cannot refuse: ID numbers of the
right form with a wrong check character (GB 11643-1999, ISO 7064 MOD 11-2) or with a
birth date or sex differing from the record, missing key data, possible duplicates,
inconsistent dates, bases outside the published limits, and orphans (an employee
contributing with no employer, a retired person with no determination). The base
limits and the minimum working age are the risk scan's (``audit.risk``), with their
references kept on the run's parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import risk
from audit.choices import DataCheck, ScanStatus
from audit.models import DataQualityRun
from pension import batches
from pension.errors import NotPermitted
from pension.models import ChangeAction, Region
from pension.selectors import profile_for_region

BATCH = batches.register(
    batches.Batch(key="audit.data_quality", model=DataQualityRun, statuses=ScanStatus)
)

# GB 11643-1999: the weights of the first 17 digits and the check characters by sum mod 11
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
LIVE = "p.status NOT IN ('deceased', 'transferred_out', 'terminated')"


def _id_check_character() -> str:
    weighted = " + ".join(
        f"substr(p.id_number, {i + 1}, 1)::int * {w}" for i, w in enumerate(ID_WEIGHTS)
    )
    return f"""
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s
           AND substr('{ID_CHECK_CHARACTERS}', ({weighted}) %% 11 + 1, 1)
               <> substr(p.id_number, 18, 1)
    """


def _id_birth_date() -> str:
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s
           AND substr(p.id_number, 7, 8) <> to_char(p.birth_date, 'YYYYMMDD')
    """


def _id_sex() -> str:
    # the 17th digit: odd for men, even for women
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s
           AND (substr(p.id_number, 17, 1)::int %% 2 = 1) <> (p.sex = 'M')
    """


def _missing_key_data() -> str:
    """Living people with no first insured date, employees with no first work date."""
    return f"""
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s AND {LIVE}
           AND (p.first_insured_date IS NULL
                OR (p.category = 'employee' AND p.first_work_date IS NULL))
    """


def _retiree_without_account() -> str:
    """Retired people with neither a bank account nor a social security card number:
    nothing to pay the pension to."""
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s AND p.status = 'retired'
           AND p.bank_account = '' AND p.card_number = ''
    """


def _duplicate_person() -> str:
    """Every record of a group of two or more with the same name, birth date and sex
    (one person registered under two ID numbers)."""
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
          JOIN (SELECT name, birth_date, sex FROM enrollment_insuredperson
                 GROUP BY name, birth_date, sex HAVING count(*) > 1) d
            ON d.name = p.name AND d.birth_date = p.birth_date AND d.sex = p.sex
         WHERE p.region_id LIKE %(prefix)s
    """


def _inconsistent_dates() -> str:
    """First insured before the first work date, before the minimum working age or
    after the check date; an employment begun before the person was 16."""
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s
           AND (p.first_insured_date < p.first_work_date
                OR p.first_insured_date < p.birth_date + make_interval(years => %(min_work)s)
                OR p.first_insured_date > %(check_date)s::date
                OR EXISTS (
                    SELECT 1 FROM enrollment_employment m WHERE m.person_id = p.id
                       AND m.start_period < (extract(year FROM p.birth_date)::int
                                             + %(min_work)s) * 100
                                            + extract(month FROM p.birth_date)::int))
    """


def _base_outside_limits() -> str:
    return """
        SELECT p.region_id
          FROM contributions_contributionbase b
          JOIN (SELECT * FROM jsonb_to_recordset(%(limits)s::jsonb)
                    AS x(year int, floor numeric, ceiling numeric)) lim ON lim.year = b.year
          JOIN enrollment_insuredperson p ON p.id = b.person_id
         WHERE b.superseded_by_id IS NULL AND (b.base < lim.floor OR b.base > lim.ceiling)
           AND p.region_id LIKE %(prefix)s
    """


def _employee_without_employment() -> str:
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s AND p.category = 'employee'
           AND p.status = 'contributing'
           AND NOT EXISTS (SELECT 1 FROM enrollment_employment m
                            WHERE m.person_id = p.id AND m.stop_period IS NULL)
    """


def _retired_without_determination() -> str:
    return """
        SELECT p.region_id FROM enrollment_insuredperson p
         WHERE p.region_id LIKE %(prefix)s AND p.status = 'retired'
           AND NOT EXISTS (SELECT 1 FROM benefits_pensiondetermination d
                            WHERE d.person_id = p.id AND d.superseded_by_id IS NULL)
    """


CHECKS: dict[str, Callable[[], str]] = {
    DataCheck.ID_CHECK_CHARACTER: _id_check_character,
    DataCheck.ID_BIRTH_DATE: _id_birth_date,
    DataCheck.ID_SEX: _id_sex,
    DataCheck.MISSING_KEY_DATA: _missing_key_data,
    DataCheck.RETIREE_WITHOUT_ACCOUNT: _retiree_without_account,
    DataCheck.DUPLICATE_PERSON: _duplicate_person,
    DataCheck.INCONSISTENT_DATES: _inconsistent_dates,
    DataCheck.BASE_OUTSIDE_LIMITS: _base_outside_limits,
    DataCheck.EMPLOYEE_WITHOUT_EMPLOYMENT: _employee_without_employment,
    DataCheck.RETIRED_WITHOUT_DETERMINATION: _retired_without_determination,
}


def check_sql(check: str) -> str:
    """The check's ``INSERT … SELECT`` of its counts by region."""
    return f"""
        INSERT INTO audit_dataqualitycount (run_id, check_code, region_id, count)
        SELECT %(run)s, %(check)s, s.region_id, count(*)
          FROM ({CHECKS[check]()}) AS s
         GROUP BY s.region_id
    """


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    """The quarter just ended on ``day`` (the beat runs on the quarter's first day)."""
    year, q = day.year, (day.month - 1) // 3 + 1
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def check_parameters(region: Region, check_date: date) -> dict[str, Any]:
    return {
        "prefix": region.scope_prefix,
        "check_date": check_date.isoformat(),
        "limits": risk._limits(region, check_date),
        "minimum_working_age": risk.MINIMUM_WORKING_AGE,
    }


def data_quality_check(*, actor, region: Region | None = None, check_date: date | None = None,
                       quarter: str | None = None,
                       checks: list[str] | None = None) -> DataQualityRun:  # fmt: skip
    """Create and execute the data-quality check of ``region`` (default: the province)
    for ``quarter`` (default: the quarter of ``check_date``); call it outside
    ``transaction.atomic`` (a chunk per check)."""
    check_date = check_date or timezone.localdate()
    region = region or profile_for_region(None).province
    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    if starter is not None and not risk.may_audit(starter, region.code):
        raise NotPermitted(risk.ERROR_NOT_AUDITOR, code="not_auditor")
    with transaction.atomic():
        run = DataQualityRun(
            region=region,
            quarter=quarter or quarter_of(check_date),
            check_date=check_date,
            started_by=starter,
            parameters={**check_parameters(region, check_date), "checks": checks or list(CHECKS)},
        )
        run.save()
        batches.log(starter, run, None, action=ChangeAction.CREATE)
    return data_quality_execute(run.pk)


@transaction.atomic
def data_quality_start(*, actor, check_date: date | None = None) -> DataQualityRun:
    """Run now (the data-quality page's button): the checks of the actor's region for
    the current quarter, queued to the worker (``audit.tasks.data_quality_execute``)
    when this commits. Refused: a user who does not work in audit there, a check draft
    or running."""
    from audit import tasks  # late: the task module imports this one

    region = actor.region or profile_for_region(None).province
    if not risk.may_audit(actor, region.code):
        raise NotPermitted(risk.ERROR_NOT_AUDITOR, code="not_auditor")
    risk.refuse_while_running(BATCH, _("data-quality check"))
    check_date = check_date or timezone.localdate()
    run = DataQualityRun(
        region=region,
        quarter=quarter_of(check_date),
        check_date=check_date,
        started_by=actor,
        parameters={**check_parameters(region, check_date), "checks": list(CHECKS)},
    )
    run.save()
    batches.log(actor, run, None, action=ChangeAction.CREATE)
    return batches.start(BATCH, actor=actor, run=run, task=tasks.data_quality_execute)


def data_quality_execute(run_id: int) -> DataQualityRun:
    """Execute (or resume) a data-quality check on the engine: one chunk per check."""
    return batches.execute(
        BATCH,
        run_id,
        plan=lambda run: [[check, 1] for check in run.parameters["checks"]],
        chunk=_chunk,
        status=ScanStatus.POSTED,
        reason="posted",
    )


def _chunk(run: DataQualityRun, check: str, weight: int) -> dict[str, Any]:
    import json

    p = run.parameters
    with connection.cursor() as cursor:
        cursor.execute(
            check_sql(check),
            {
                "run": run.pk,
                "check": check,
                "prefix": p["prefix"] + "%",
                "check_date": p["check_date"],
                "limits": json.dumps(p["limits"]),
                "min_work": p["minimum_working_age"],
            },
        )
        cursor.execute(
            "SELECT coalesce(sum(count), 0) FROM audit_dataqualitycount"
            " WHERE run_id = %s AND check_code = %s",
            [run.pk, check],
        )
        found = int(cursor.fetchone()[0])
    run.parameters.setdefault("found", {})[check] = found
    return {"issue_count": F("issue_count") + found}
