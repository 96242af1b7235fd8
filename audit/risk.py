"""The nightly risk scan (风险扫描, DESIGN §5.7, operations standard §11–§12): every risk
rule as one set-based ``INSERT … SELECT`` into the alerts, a batch on the kernel engine
(``pension.batches``), one rule per chunk (its own transaction).

Idempotent: at most one active alert (open, assigned, explained) per rule and subject
(the partial unique index ``alert_one_active_per_rule_and_subject``, ``ON CONFLICT DO
NOTHING``), and a subject whose alert was closed (resolved or dismissed with a reason)
is not raised again. The subject key carries the fact found (the last month paid, the
case, the base record), so a new fact after a closed alert raises a new one.

Thresholds: published figures where there are any (the certification interval
``certification.interval_months``, the contribution base limits, the minimum working
age of 16 of the Labour Law art. 15, the recent-account days of the payroll
``payroll.recent_account_change_days``); otherwise the working values of
``WORKING_VALUES`` (工作值, not published figures), kept on each run's parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.choices import ALERT_ACTIVE, RiskRule, ScanStatus
from audit.models import RiskScanRun
from pension import batches
from pension.errors import Conflict, NotPermitted
from pension.models import ChangeAction, Region
from pension.navigation import SECTION_BY_DOMAIN
from pension.scope import region_allows
from pension.selectors import policy_value, profile_for_region

BATCH = batches.register(
    batches.Batch(key="audit.risk_scan", model=RiskScanRun, statuses=ScanStatus)
)

# 工作值（非公布数字）: no published figure exists for these; the province sets them
WORKING_VALUES: dict[str, Any] = {
    # an age above which a living person's birth date is checked (not a published limit)
    "risk.implausible_age_years": 105,
    # office hours of the agencies (local time) and the working days (Mon–Fri)
    "risk.office_hours": [8, 18],
    # a one-time payroll amount from which a recent account change is looked at
    "risk.large_back_pay": "10000.00",
}
# 《劳动法》第十五条: employers may not hire minors under sixteen
MINIMUM_WORKING_AGE = 16
CERTIFICATION_INTERVAL = "certification.interval_months"
RECENT_ACCOUNT_DAYS = "payroll.recent_account_change_days"
KEY_DATA_CHANGE = "enrollment.person_key_data_change"
BANK_ACCOUNT_CHANGE = "enrollment.person_bank_account_change"
PAID_RUNS = ("approved", "exported", "closed")

# every rule selects these columns, in this order
COLUMNS = (
    "subject_key, subject_label, person_id, employer_id, staff_id, case_id, region_id, "
    "amount, details"
)
NO_IDS = "NULL::bigint, NULL::bigint, NULL::bigint"
PERSON_LABEL = "p.name || '（' || p.id_number || '）'"


def _paid_after_death() -> str:
    """Monthly pension lines of a paid (live, approved) run for months after the month
    of a recorded death (the month of death is paid)."""
    return f"""
        SELECT 'person:' || p.id || ':' || max(l.period), {PERSON_LABEL}, p.id, {NO_IDS},
               p.region_id, sum(l.amount),
               jsonb_build_object('death_date', d.inputs->'death'->>'date',
                                  'months', jsonb_agg(DISTINCT l.period))
          FROM benefits_pensiondetermination d
          JOIN enrollment_insuredperson p ON p.id = d.person_id
          JOIN benefits_payrollline l ON l.person_id = d.person_id AND l.posted
               AND l.item IN ('pension', 'adjustment')
               AND l.period > to_char((d.inputs->'death'->>'date')::date, 'YYYYMM')::int
         WHERE d.inputs ? 'death' AND d.superseded_by_id IS NULL
           AND p.region_id LIKE %(prefix)s
         GROUP BY p.id, d.inputs->'death'->>'date'
    """


def _two_pensions() -> str:
    """One person paid the monthly pension twice for one month (two determinations,
    or two runs). The months paid twice are found first, counting alone (an index-only
    scan of ``payroll_line_once`` in person and month order); only their few lines are
    read and described (docs/benchmarks.md, "Nightly risk scan": at 12 M lines the
    description of every person's month took 50 s)."""
    return f"""
        WITH twice AS (
            SELECT l.person_id, l.period FROM benefits_payrollline l
             WHERE l.posted AND l.item = 'pension'
             GROUP BY l.person_id, l.period
            HAVING count(*) > 1
        )
        SELECT 'person:' || p.id || ':' || l.period, {PERSON_LABEL}, p.id, {NO_IDS},
               p.region_id, sum(l.amount),
               jsonb_build_object('period', l.period,
                                  'determinations', jsonb_agg(DISTINCT l.determination_id),
                                  'runs', jsonb_agg(DISTINCT l.run_id))
          FROM twice t
          JOIN benefits_payrollline l ON l.person_id = t.person_id AND l.period = t.period
               AND l.posted AND l.item = 'pension'
          JOIN enrollment_insuredperson p ON p.id = t.person_id
         WHERE p.region_id LIKE %(prefix)s
         GROUP BY p.id, l.period
    """


def _uncertified_paid() -> str:
    """Retirees paid in the latest paid month although their last life certification
    (or, never certified, their retirement) is more than the interval ago."""
    return f"""
        WITH latest AS (
            SELECT max(l.period) AS period FROM benefits_payrollline l
             WHERE l.posted AND l.item = 'pension'
        ), certified AS (
            SELECT c.person_id, max(c.certified_on) AS last FROM benefits_lifecertification c
             GROUP BY c.person_id
        )
        SELECT 'person:' || p.id || ':' || coalesce(c.last::text, 'never'), {PERSON_LABEL},
               p.id, {NO_IDS}, p.region_id, l.amount,
               jsonb_build_object('period', l.period, 'last_certified', c.last,
                                  'retired', d.retirement_date,
                                  'interval_months', %(interval)s)
          FROM latest
          JOIN benefits_payrollline l ON l.period = latest.period AND l.posted
               AND l.item = 'pension'
          JOIN benefits_pensiondetermination d ON d.id = l.determination_id
          JOIN enrollment_insuredperson p ON p.id = l.person_id
          LEFT JOIN certified c ON c.person_id = l.person_id
         WHERE p.region_id LIKE %(prefix)s
           AND %(scan_date)s::date
               > coalesce(c.last, d.retirement_date) + make_interval(months => %(interval)s)
    """


def _base_outside_limits() -> str:
    """Current bases of a year whose published limits they fall outside."""
    return f"""
        SELECT 'base:' || b.id, {PERSON_LABEL}, p.id, b.employer_id, NULL::bigint,
               NULL::bigint, p.region_id, b.base,
               jsonb_build_object('year', b.year, 'base', b.base,
                                  'floor', lim.floor, 'ceiling', lim.ceiling)
          FROM contributions_contributionbase b
          JOIN (SELECT * FROM jsonb_to_recordset(%(limits)s::jsonb)
                    AS x(year int, floor numeric, ceiling numeric)) lim ON lim.year = b.year
          JOIN enrollment_insuredperson p ON p.id = b.person_id
         WHERE b.superseded_by_id IS NULL AND (b.base < lim.floor OR b.base > lim.ceiling)
           AND p.region_id LIKE %(prefix)s
    """


def _contribution_after_end() -> str:
    """Regular contribution lines for months from the retirement month on, or after
    the month of a recorded death."""
    return f"""
        SELECT 'person:' || p.id || ':' || max(l.period), {PERSON_LABEL}, p.id,
               min(l.employer_id), NULL::bigint, NULL::bigint, p.region_id,
               sum(l.employer_amount + l.individual_amount),
               jsonb_build_object('retirement_month', d.retirement_month,
                                  'death_date', d.inputs->'death'->>'date',
                                  'months', jsonb_agg(DISTINCT l.period))
          FROM benefits_pensiondetermination d
          JOIN enrollment_insuredperson p ON p.id = d.person_id
          JOIN contributions_contributionline l ON l.person_id = d.person_id AND l.posted
               AND l.kind = 'regular'
               AND (l.period >= d.retirement_month
                    OR (d.inputs ? 'death' AND l.period
                        > to_char((d.inputs->'death'->>'date')::date, 'YYYYMM')::int))
         WHERE d.superseded_by_id IS NULL AND p.region_id LIKE %(prefix)s
         GROUP BY p.id, d.retirement_month, d.inputs->'death'->>'date'
    """


def _employer_without_employees() -> str:
    """Employers billed (regular assessment) for a month in which none of their
    employments covers that month."""
    return """
        SELECT 'employer:' || e.id || ':' || max(b.period),
               e.name || '（' || e.credit_code || '）', NULL::bigint, e.id, NULL::bigint,
               NULL::bigint, e.region_id, sum(b.total),
               jsonb_build_object('months', jsonb_agg(DISTINCT b.period))
          FROM contributions_bill b
          JOIN enrollment_employer e ON e.id = b.employer_id
         WHERE b.kind = 'regular' AND b.posted AND b.person_id IS NULL
           AND e.region_id LIKE %(prefix)s
           AND NOT EXISTS (
               SELECT 1 FROM enrollment_employment m
                WHERE m.employer_id = b.employer_id AND m.start_period <= b.period
                  AND (m.stop_period IS NULL OR m.stop_period > b.period))
         GROUP BY e.id
    """


def _implausible_dates() -> str:
    """Living people older than the working age limit, or employees younger than 16;
    a first work date before 16, in the future, or after the first insured date."""
    return f"""
        SELECT 'person:' || p.id || ':' || p.birth_date || ':'
               || coalesce(p.first_work_date::text, ''), {PERSON_LABEL}, p.id, {NO_IDS},
               p.region_id, NULL::numeric,
               jsonb_build_object('birth_date', p.birth_date,
                                  'first_work_date', p.first_work_date,
                                  'first_insured_date', p.first_insured_date)
          FROM enrollment_insuredperson p
         WHERE p.status NOT IN ('deceased', 'transferred_out', 'terminated')
           AND p.region_id LIKE %(prefix)s
           AND (p.birth_date < %(scan_date)s::date - make_interval(years => %(max_age)s)
                OR (p.category = 'employee'
                    AND p.birth_date > %(scan_date)s::date - make_interval(years => %(min_work)s))
                OR p.first_work_date < p.birth_date + make_interval(years => %(min_work)s)
                OR p.first_work_date > %(scan_date)s::date
                OR p.first_work_date > p.first_insured_date)
    """


def _self_approval() -> str:
    """Cases about a person approved by a staff user who is that person (the staff
    identity register) or a relative: the same surname at the same address."""
    return """
        WITH cases AS (
            SELECT a.id, a.checker_id, a.agency_id, a.summary,
                   CASE WHEN a.object_type = 'enrollment.insuredperson'
                             AND a.object_id ~ '^[0-9]+$' THEN a.object_id::bigint
                        WHEN a.payload->>'person_id' ~ '^[0-9]+$'
                             THEN (a.payload->>'person_id')::bigint END AS person_id
              FROM pension_approvalrequest a
             WHERE a.status = 'approved' AND a.checker_id IS NOT NULL
        )
        SELECT 'request:' || c.id, c.summary, p.id, NULL::bigint, c.checker_id, c.id,
               p.region_id, NULL::numeric,
               jsonb_build_object('checker', u.username, 'own', s.id = p.id,
                                  'relation', CASE WHEN s.id = p.id THEN 'self'
                                                   ELSE 'same surname and address' END)
          FROM cases c
          JOIN enrollment_insuredperson p ON p.id = c.person_id
          JOIN audit_staffidentity i ON i.user_id = c.checker_id
          JOIN enrollment_insuredperson s ON s.id_number = i.id_number
          JOIN pension_staffuser u ON u.id = c.checker_id
         WHERE p.region_id LIKE %(prefix)s
           AND (s.id = p.id OR (left(s.name, 1) = left(p.name, 1) AND p.address <> ''
                                AND s.address = p.address))
    """


def _out_of_hours_change() -> str:
    """Key-data and bank-account changes of people approved out of office hours (before
    or after them on a working day, or on a Saturday or Sunday, local time)."""
    return f"""
        SELECT 'request:' || a.id, a.summary, p.id, NULL::bigint, a.checker_id, a.id,
               p.region_id, NULL::numeric,
               jsonb_build_object('decided_at', (a.decided_at AT TIME ZONE %(tz)s)::text,
                                  'operation', a.operation)
          FROM pension_approvalrequest a
          JOIN enrollment_insuredperson p
            ON a.object_type = 'enrollment.insuredperson' AND a.object_id = p.id::text
         WHERE a.status = 'approved' AND a.operation IN ('{KEY_DATA_CHANGE}',
                                                         '{BANK_ACCOUNT_CHANGE}')
           AND p.region_id LIKE %(prefix)s
           AND (extract(isodow FROM a.decided_at AT TIME ZONE %(tz)s) > 5
                OR extract(hour FROM a.decided_at AT TIME ZONE %(tz)s) < %(open_hour)s
                OR extract(hour FROM a.decided_at AT TIME ZONE %(tz)s) >= %(close_hour)s)
    """


def _shared_bank_account() -> str:
    """One bank account on record for several retirees in payment."""
    return """
        SELECT 'account:' || p.bank_account,
               min(p.bank_name) || ' ···' || right(p.bank_account, 4), NULL::bigint,
               NULL::bigint, NULL::bigint, NULL::bigint, min(p.region_id), NULL::numeric,
               jsonb_build_object('people', jsonb_agg(p.id ORDER BY p.id),
                                  'names', jsonb_agg(p.name ORDER BY p.id))
          FROM benefits_pensiondetermination d
          JOIN enrollment_insuredperson p ON p.id = d.person_id
         WHERE d.superseded_by_id IS NULL AND d.status = 'in_payment' AND p.bank_account <> ''
           AND p.region_id LIKE %(prefix)s
         GROUP BY p.bank_account
        HAVING count(DISTINCT p.id) > 1
    """


def _account_changed_before_back_pay() -> str:
    """A one-time amount of at least the working threshold owed to a retiree whose bank
    account change was approved within the recent-account days before it arose."""
    return f"""
        SELECT DISTINCT ON (u.id) 'due:' || u.id, {PERSON_LABEL}, p.id, NULL::bigint,
               NULL::bigint, a.id, p.region_id, u.amount,
               jsonb_build_object('item', u.item, 'due_at', u.created_at::date,
                                  'account_changed_at', a.decided_at::date,
                                  'days', %(recent_days)s)
          FROM benefits_payrolldue u
          JOIN enrollment_insuredperson p ON p.id = u.person_id
          JOIN pension_approvalrequest a
            ON a.object_type = 'enrollment.insuredperson' AND a.object_id = p.id::text
           AND a.operation = '{BANK_ACCOUNT_CHANGE}' AND a.status = 'approved'
           AND a.decided_at <= u.created_at
           AND a.decided_at > u.created_at - make_interval(days => %(recent_days)s)
         WHERE u.amount >= %(large)s AND p.region_id LIKE %(prefix)s
         ORDER BY u.id, a.decided_at DESC
    """


RULES: dict[str, Callable[[], str]] = {
    RiskRule.PAID_AFTER_DEATH: _paid_after_death,
    RiskRule.TWO_PENSIONS: _two_pensions,
    RiskRule.UNCERTIFIED_PAID: _uncertified_paid,
    RiskRule.BASE_OUTSIDE_LIMITS: _base_outside_limits,
    RiskRule.CONTRIBUTION_AFTER_END: _contribution_after_end,
    RiskRule.EMPLOYER_WITHOUT_EMPLOYEES: _employer_without_employees,
    RiskRule.IMPLAUSIBLE_DATES: _implausible_dates,
    RiskRule.SELF_APPROVAL: _self_approval,
    RiskRule.OUT_OF_HOURS_CHANGE: _out_of_hours_change,
    RiskRule.SHARED_BANK_ACCOUNT: _shared_bank_account,
    RiskRule.ACCOUNT_CHANGED_BEFORE_BACK_PAY: _account_changed_before_back_pay,
}


def rule_sql(rule: str) -> str:
    """The rule's ``INSERT … SELECT`` into the alerts (idempotent, see the module)."""
    active = ", ".join(f"'{status}'" for status in ALERT_ACTIVE)
    return f"""
        INSERT INTO audit_alert (rule, {COLUMNS}, status, explanation, resolution, scan_id,
                                 created_at, updated_at)
        SELECT %(rule)s, s.*, 'open', '', '', %(scan)s, now(), now()
          FROM ({RULES[rule]()}) AS s ({COLUMNS})
         WHERE NOT EXISTS (SELECT 1 FROM audit_alert x
                            WHERE x.rule = %(rule)s AND x.subject_key = s.subject_key)
        ON CONFLICT (rule, subject_key) WHERE status IN ({active}) DO NOTHING
    """


# --- parameters ------------------------------------------------------------------------------


def _limits(region: Region, scan_date: date) -> list[dict[str, Any]]:
    """The published base limits of each year (provisional ones, last year's used
    until the year's are out, are not limits to judge a base by)."""
    from contributions.bases import year_limits
    from pension.errors import InvalidInput

    out = []
    for year in range(1992, scan_date.year + 1):
        try:
            limits = year_limits(year, region=region, as_of=scan_date)
        except InvalidInput:
            continue
        if limits.provisional:
            continue
        out.append(
            {"year": year, "floor": str(limits.floor_value), "ceiling": str(limits.ceiling_value),
             "reference": f"{limits.floor.reference} {limits.ceiling.reference}"}
        )  # fmt: skip
    return out


def scan_parameters(region: Region, scan_date: date) -> dict[str, Any]:
    """Every threshold the rules use, with its reference (published) or as a working
    value, as the run keeps them."""
    interval = policy_value(CERTIFICATION_INTERVAL, on=scan_date, region=region)
    recent = policy_value(RECENT_ACCOUNT_DAYS, on=scan_date, region=region)
    return {
        "prefix": region.scope_prefix,
        "scan_date": scan_date.isoformat(),
        "interval_months": int(interval.value),
        "interval_reference": interval.reference,
        "recent_days": int(recent.value),
        "recent_reference": recent.reference,
        "limits": _limits(region, scan_date),
        "minimum_working_age": MINIMUM_WORKING_AGE,
        "working_values": WORKING_VALUES,
    }


def _sql_params(run: RiskScanRun, rule: str) -> dict[str, Any]:
    import json

    p = run.parameters
    open_hour, close_hour = p["working_values"]["risk.office_hours"]
    return {
        "rule": rule,
        "scan": run.pk,
        "prefix": p["prefix"] + "%",
        "scan_date": p["scan_date"],
        "interval": p["interval_months"],
        "recent_days": p["recent_days"],
        "limits": json.dumps(p["limits"]),
        "min_work": p["minimum_working_age"],
        "max_age": p["working_values"]["risk.implausible_age_years"],
        "open_hour": open_hour,
        "close_hour": close_hour,
        "large": Decimal(p["working_values"]["risk.large_back_pay"]),
        "tz": settings.TIME_ZONE,
    }


ERROR_NOT_AUDITOR = _("Only the audit section's staff of the region may do this.")


def may_audit(user, region_code: str) -> bool:
    """Whether ``user`` works in the audit section (auditor, agency head, province
    administrator) and ``region_code`` lies in their region."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = SECTION_BY_DOMAIN["audit"].roles
    if not (user.is_superuser or user.has_role(*roles)):
        return False
    return region_allows(user, region_code, "view")


# --- the run ---------------------------------------------------------------------------------


def risk_scan(*, actor, region: Region | None = None, scan_date: date | None = None,
              rules: list[str] | None = None) -> RiskScanRun:  # fmt: skip
    """Create and execute a risk scan of ``region`` (default: the province) with every
    rule (or ``rules``); call it outside ``transaction.atomic`` (a chunk per rule)."""
    scan_date = scan_date or timezone.localdate()
    region = region or profile_for_region(None).province
    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    if starter is not None and not may_audit(starter, region.code):
        raise NotPermitted(ERROR_NOT_AUDITOR, code="not_auditor")
    with transaction.atomic():
        run = RiskScanRun(
            region=region,
            scan_date=scan_date,
            started_by=starter,
            parameters={**scan_parameters(region, scan_date), "rules": rules or list(RULES)},
        )
        run.save()
        batches.log(starter, run, None, action=ChangeAction.CREATE)
    return risk_scan_execute(run.pk)


ERROR_RUN_RUNNING = _(
    "A %(kind)s (run #%(run)s) is running; start another one when it has finished."
)


def refuse_while_running(batch: batches.Batch, kind: Any) -> None:
    """Refused (Chinese message) while a run of ``batch`` is draft or running, anywhere:
    one run of a kind at a time from the pages. The transaction's advisory lock on the
    batch's lock namespace itself (namespace + 0: no run has id 0) makes two clicks at
    once queue one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [batch.lock_space])
    running = (
        batch.model.objects.filter(status__in=[batches.DRAFT, batches.RUNNING])
        .order_by("pk")
        .first()
    )
    if running is not None:
        raise Conflict(
            ERROR_RUN_RUNNING, code="run_running", params={"kind": kind, "run": running.pk}
        )


@transaction.atomic
def risk_scan_start(*, actor, scan_date: date | None = None) -> RiskScanRun:
    """Run now (the alert queue's button): a scan of the actor's region with every
    rule, queued to the worker (``audit.tasks.risk_scan_execute``) when this commits.
    Refused: a user who does not work in audit there, a scan draft or running."""
    from audit import tasks  # late: the task module imports this one

    region = actor.region or profile_for_region(None).province
    if not may_audit(actor, region.code):
        raise NotPermitted(ERROR_NOT_AUDITOR, code="not_auditor")
    refuse_while_running(BATCH, _("risk scan"))
    scan_date = scan_date or timezone.localdate()
    run = RiskScanRun(
        region=region,
        scan_date=scan_date,
        started_by=actor,
        parameters={**scan_parameters(region, scan_date), "rules": list(RULES)},
    )
    run.save()
    batches.log(actor, run, None, action=ChangeAction.CREATE)
    return batches.start(BATCH, actor=actor, run=run, task=tasks.risk_scan_execute)


def risk_scan_execute(run_id: int) -> RiskScanRun:
    """Execute (or resume) a scan on the engine: one chunk per rule."""
    return batches.execute(
        BATCH,
        run_id,
        plan=lambda run: [[rule, 1] for rule in run.parameters["rules"]],
        chunk=_chunk,
        status=ScanStatus.POSTED,
        reason="posted",
    )


def _chunk(run: RiskScanRun, rule: str, weight: int) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(rule_sql(rule), _sql_params(run, rule))
        found = cursor.rowcount
    run.parameters.setdefault("found", {})[rule] = found
    return {"alert_count": F("alert_count") + found}
