"""The annual pension adjustment (年度基本养老金调整, 待遇调整, operations standard §9.4.1)
and individual adjustments (零星调整, §9.4.2).

Pure calculation first (``adjustment_for``), then the services and selectors of the
adjustment event (``AdjustmentEvent``) and of the individual adjustment case.

An event walks

    draft → running → calculated → approved, or failed (resumed by starting it
    again); a calculated (or failed, or draft) event may be discarded (closed).

The rule (one monthly increase per retiree, each component rounded half-up to the fen):

- flat amount (定额调整): the same for everyone;
- per contribution year (挂钩调整, 与缴费年限挂钩): ``per_year_amount`` × the whole
  contribution years (``floor`` of the determination's ``contribution_years``: a part
  year does not count, as most provinces' notices have it);
- percentage (挂钩调整, 与养老金水平挂钩): ``percentage`` per cent of the pension, the
  determination's total plus the adjustments in force before this event (effective
  on or before the event's ``effective_from``), rounded half-up to the fen;
- age band (适当倾斜, 高龄倾斜): the amount of the highest band whose ``min_age`` is
  reached by 31 December of the event's year (age = year − birth year);

the monthly increase is their sum. Everyone with a current determination (not
superseded) in payment or suspended who retired on or before ``cutoff_date`` is
adjusted, from January of the event's year.

``adjustment_event_execute`` is set-based: first a stage (a temporary table of the
session) of every retiree to adjust with what the rule needs, in one pass (hash joins)
ordered by county; the first time, the plan of chunks (county, head count) is counted
from it. Then one ``INSERT … SELECT`` per county (the determination's region) from the
stage, one transaction per county (its rows, its figures, its progress and "chunk
done" together), ``ON CONFLICT DO NOTHING`` on
``adjustment_once_per_event``, so that a crashed or retried execution resumes where
it stopped and never adjusts anyone twice. One executor at a time holds the event (a
session advisory lock, ``ADJUSTMENT_RUN``). The SQL gives exactly what
``adjustment_for`` gives (tested on several determinations).

On approval (a reviewer who did not create or start the event) the event's rows come
into force and each adjusted retiree gets one ``PayrollDue`` (item
``adjustment_back_pay``, source ``adjustment:<id>``) for the months the payroll has
already paid since ``effective_from``: months m with effective_from ≤ m ≤ paid_through
and m ≥ the first payable month (the month after retirement), amount = monthly
increase × months; none when there are no such months. Later months are paid by the
monthly payroll as the item "adjustment".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from benefits.choices import BatchStatus, DeterminationStatus, PayrollItem
from benefits.models import AdjustmentEvent, PayrollDue, PensionAdjustment, PensionDetermination
from enrollment.selectors import insured_persons_sql
from pension import approvals, batches, changelog
from pension.choices import RegionLevel
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalRequest, ApprovalStatus, ChangeAction, Region, StaffUser
from pension.money import round_fen
from pension.periods import Period
from pension.scope import region_allows, restrict
from pension.selectors import region_get

INDIVIDUAL_ADJUSTMENT = "benefits.individual_adjustment"
ADJUSTED_STATUSES = (DeterminationStatus.IN_PAYMENT, DeterminationStatus.SUSPENDED)
ZERO = Decimal("0.00")
SAMPLE_SIZE = 50
# test hook (benefits/tests/test_adjustment_worker.py): SIGKILL the executing process
# after this many chunks committed; honoured only under the test settings
CRASH_AFTER_CHUNKS_ENV = "PENSION_TEST_ADJUSTMENT_CRASH_AFTER_CHUNKS"

ERROR_NAME = _("Give the adjustment event a name.")
ERROR_YEAR = _("The year %(year)s is not plausible for an adjustment.")
ERROR_NOT_PROVINCE = _("An annual adjustment is made for the whole province.")
ERROR_OUTSIDE_REGION = _("You cannot prepare adjustments for this region.")
ERROR_NEGATIVE = _("The amounts and the percentage of an adjustment cannot be negative.")
ERROR_PERCENTAGE = _("The percentage must lie between 0 and 100.")
ERROR_NOTHING = _("The adjustment gives nobody anything: enter at least one amount.")
ERROR_CUTOFF = _("The cut-off date must lie on or before the end of %(year)s.")
ERROR_BANDS = _(
    "Each age band needs a whole minimum age between 50 and 120 and an amount that is not "
    "negative, and no age may appear twice."
)
ERROR_LIVE_EVENT = _(
    "Adjustment event %(event)s already adjusts %(year)s; discard it before creating another."
)
ERROR_WRONG_STATUS = _("This adjustment event is %(status)s; it cannot be %(action)s.")
ERROR_SELF_APPROVAL = _(
    "You created or started this adjustment event; a second person must approve it."
)
ERROR_APPROVAL_QUEUED = _(
    "The approval of this adjustment event is already queued; the worker is applying it."
)
ERROR_REASON = _("Give the reason for the adjustment.")
ERROR_AMOUNT = _("The monthly increase must be more than zero.")
ERROR_NOT_CURRENT = _(
    "This determination is no longer current or not in payment; open the current one."
)
ERROR_EFFECTIVE_BEFORE_PAYABLE = _(
    "The adjustment cannot take effect before %(month)s, the first month the pension is payable."
)
ERROR_CASE_PENDING = _(
    "An individual adjustment of this pension is already waiting for a reviewer (request #%(id)s)."
)

# the event's own wording of the engine's refusals (pension.batches), by code
MESSAGES = {"self_approval": ERROR_SELF_APPROVAL, "wrong_status": ERROR_WRONG_STATUS}


# --- pure calculation -----------------------------------------------------------------


@dataclass(frozen=True)
class AdjustmentComponents:
    """One retiree's monthly increase, by component (调整增加额的构成)."""

    flat_amount: Decimal
    per_year_amount: Decimal
    percentage_amount: Decimal
    age_band_amount: Decimal
    whole_years: int
    band_min_age: int | None

    @property
    def monthly_amount(self) -> Decimal:
        return (
            self.flat_amount + self.per_year_amount + self.percentage_amount + self.age_band_amount
        )


def whole_years(contribution_years: Decimal) -> int:
    """The whole contribution years (满年, ``floor``): 35.9167 years count as 35."""
    return math.floor(Decimal(contribution_years))


def age_at_year_end(birth_date: date, year: int) -> int:
    """The age reached by 31 December of ``year`` (周岁, counted at the year's end):
    someone born 1955-12-31 is 70 in the 2025 adjustment."""
    return year - birth_date.year


def normalise_age_bands(bands: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The bands as stored: ``[{"min_age": 70, "amount": "30.00"}, …]`` by age; refused
    (``InvalidInput``) when an age is not a whole number in 50–120, repeated, or an
    amount is negative or not money."""
    out: dict[int, Decimal] = {}
    for band in bands or []:
        try:
            age = band["min_age"]
            if isinstance(age, bool) or not isinstance(age, int | str):
                raise ValueError
            age = int(age)
            amount = Decimal(str(band["amount"]))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            raise InvalidInput(ERROR_BANDS, code="age_bands") from None
        if not amount.is_finite() or amount < 0 or not 50 <= age <= 120 or age in out:
            raise InvalidInput(ERROR_BANDS, code="age_bands")
        if round_fen(amount) != amount:
            raise InvalidInput(ERROR_BANDS, code="age_bands")
        out[age] = amount
    return [{"min_age": age, "amount": str(round_fen(out[age]))} for age in sorted(out)]


def band_for(age_years: int, age_bands: Sequence[Mapping[str, Any]]) -> tuple[int | None, Decimal]:
    """The highest band whose minimum age is reached, as (min_age, amount); (None, 0)."""
    best: tuple[int | None, Decimal] = (None, ZERO)
    for band in age_bands:
        age = int(band["min_age"])
        if age <= age_years and (best[0] is None or age > best[0]):
            best = (age, Decimal(str(band["amount"])))
    return best


def adjustment_for(
    *,
    total: Decimal,
    contribution_years: Decimal,
    age_years: int,
    flat: Decimal,
    per_year: Decimal,
    percentage: Decimal,
    age_bands: Sequence[Mapping[str, Any]],
) -> AdjustmentComponents:
    """The monthly increase of one retiree (调整增加额, see the module docstring).

    ``total`` is the pension the percentage applies to: the determination's total plus
    the adjustments in force before this event. ``contribution_years`` counts in whole
    years (floor). ``age_years`` is the age on 31 December of the event's year
    (``age_at_year_end``). ``percentage`` is in per cent (2.5 = 2.5 %). Each component
    is rounded half-up to the fen; the monthly increase is their sum.
    """
    years = whole_years(contribution_years)
    band_age, band_amount = band_for(age_years, age_bands)
    return AdjustmentComponents(
        flat_amount=round_fen(Decimal(flat)),
        per_year_amount=round_fen(Decimal(per_year) * years),
        percentage_amount=round_fen(Decimal(total) * Decimal(percentage) / 100),
        age_band_amount=round_fen(band_amount),
        whole_years=years,
        band_min_age=band_age,
    )


def back_pay_span(
    *, effective_from: Period, first_payable: Period, paid_through: Period | None,
    stop_month: Period | None = None,
) -> tuple[Period, Period, int] | None:  # fmt: skip
    """The months already paid that an adjustment effective from ``effective_from``
    owes (from, to, months): from the later of ``effective_from`` and the first payable
    month to ``paid_through`` (never past the month before ``stop_month``); None when
    there are none."""
    if paid_through is None:
        return None
    start = max(effective_from, first_payable)
    end = paid_through
    if stop_month is not None and stop_month.prev() < end:
        end = stop_month.prev()
    months = end - start + 1
    if months <= 0:
        return None
    return start, end, months


# --- the batch on the engine (pension.batches) ------------------------------------------

BATCH = batches.register(
    batches.Batch(
        key="benefits.adjustment",
        model=AdjustmentEvent,
        statuses=BatchStatus,
        # test hook (benefits/tests/test_adjustment_worker.py) of its own name
        crash_env=CRASH_AFTER_CHUNKS_ENV,
        async_commit=True,
        approval=batches.BatchApproval(
            operation="benefits.adjustment_event_approve",
            label=_("Approval of an annual adjustment"),
            apply=lambda actor, event: _approved(actor, event),
            makers=lambda event: (event.created_by_id,),
            queue=lambda actor, event, reason: adjustment_event_approve_queue(
                actor=actor, event=event, reason=reason
            ),
        ),
    )
)
ADJUSTMENT_RUN = BATCH.lock_space


# --- helpers --------------------------------------------------------------------------


def _region(region: Region | str) -> Region:
    return region if isinstance(region, Region) else region_get(region)


def _locked(event: AdjustmentEvent | int) -> AdjustmentEvent:
    return batches.locked(BATCH, event)


def _wrong_status(event: AdjustmentEvent, action: str) -> Conflict:
    return batches.wrong_status(BATCH, event, action, ERROR_WRONG_STATUS)


def _log(actor, event: AdjustmentEvent, before: str | None, *, action=ChangeAction.UPDATE,
         reason: str = "") -> None:  # fmt: skip
    """One change-log entry for one transition of the event (never one per retiree)."""
    batches.log(actor, event, before, action=action, reason=reason)


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise InvalidInput(ERROR_NEGATIVE, code="negative") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(ERROR_NEGATIVE, code="negative")
    return amount


# --- services: the event ----------------------------------------------------------------


@transaction.atomic
def adjustment_event_create(
    *,
    actor: StaffUser,
    year: int,
    region: Region | str,
    name: str,
    flat_amount: Decimal | str | int = 0,
    per_year_amount: Decimal | str | int = 0,
    percentage: Decimal | str | int = 0,
    age_bands: Iterable[Mapping[str, Any]] | None = None,
    cutoff_date: date,
) -> AdjustmentEvent:
    """A draft adjustment event of ``year`` for the province ``region`` (年度调整方案),
    effective from January of ``year``. Refused: not the province, outside the actor's
    region, negative amounts, a percentage over 100, bands not well formed, nothing to
    give, a cut-off date after the year, another live event of the year."""
    region = _region(region)
    if not name or not name.strip():
        raise InvalidInput(ERROR_NAME, code="name_required")
    if not 2000 <= int(year) <= 2100:
        raise InvalidInput(ERROR_YEAR, code="year", params={"year": year})
    if region.level != RegionLevel.PROVINCE:
        raise InvalidInput(ERROR_NOT_PROVINCE, code="not_province")
    if not region_allows(actor, region.code, "prepare"):
        raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")
    flat, per_year, pct = _money(flat_amount), _money(per_year_amount), _money(percentage)
    if round_fen(flat) != flat or round_fen(per_year) != per_year:
        raise InvalidInput(ERROR_NEGATIVE, code="negative")
    if pct > 100:
        raise InvalidInput(ERROR_PERCENTAGE, code="percentage")
    bands = normalise_age_bands(age_bands)
    if not (flat or per_year or pct or any(Decimal(b["amount"]) for b in bands)):
        raise InvalidInput(ERROR_NOTHING, code="nothing")
    if cutoff_date > date(int(year), 12, 31):
        raise InvalidInput(ERROR_CUTOFF, code="cutoff", params={"year": year})
    live = (
        AdjustmentEvent.objects.filter(year=year, region=region)
        .exclude(status__in=[BatchStatus.CLOSED, BatchStatus.FAILED])
        .first()
    )
    if live is not None:
        raise Conflict(ERROR_LIVE_EVENT, code="live_event", params={"event": live.pk, "year": year})
    event = AdjustmentEvent(
        year=year,
        region=region,
        name=name.strip(),
        flat_amount=flat,
        per_year_amount=per_year,
        percentage=pct,
        age_bands=bands,
        cutoff_date=cutoff_date,
        effective_from=Period(int(year), 1),
        status=BatchStatus.DRAFT,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # one was just created beside this one
        raise Conflict(
            ERROR_LIVE_EVENT, code="live_event", params={"event": "", "year": year}
        ) from None
    _log(actor, event, None, action=ChangeAction.CREATE)
    return event


@transaction.atomic
def adjustment_event_start(*, actor: StaffUser | None, event: AdjustmentEvent) -> AdjustmentEvent:
    """Set the event's batch going: draft or failed (to resume it) → running, and the
    task ``benefits.tasks.adjustment_event_execute`` queued when this commits. An event
    still marked running (its worker died) is queued again, which resumes it."""
    from benefits import tasks  # late: the task module imports this one

    event = _locked(event)
    batches.may_prepare(actor, event.region_id, ERROR_OUTSIDE_REGION)
    if event.status not in batches.STARTABLE:
        raise _wrong_status(event, "started")
    return batches.start(BATCH, actor=actor, run=event, task=tasks.adjustment_event_execute)


def _approval_reason(event: AdjustmentEvent) -> str:
    return str(_("Back pay of the %(year)s adjustment (event %(event)s)")) % {
        "year": event.year,
        "event": event.pk,
    }


_ORD = "(({p}) / 100 * 12 + ({p}) %% 100 - 1)"  # a YYYYMM month as a count of months


def _ord(expression: str) -> str:
    return _ORD.format(p=expression)


_MONTH_TEXT = "(({o}) / 12)::text || '-' || lpad((({o}) %% 12 + 1)::text, 2, '0')"

# One due per adjusted retiree for the months already paid since effective_from (from
# the later of effective_from and the month after retirement, to paid_through, never
# past the month before stop_month), on the current determination.
_BACK_PAY_SQL = f"""
INSERT INTO benefits_payrolldue (person_id, determination_id, item, amount, from_month,
    to_month, months, source, reason, details, payee_name, bank_name, bank_account,
    created_by_id, created_at, run_id)
SELECT a.person_id, d.id, %(item)s, a.monthly_amount * (s.last - s.first + 1),
       s.first / 12 * 100 + s.first %% 12 + 1, s.last / 12 * 100 + s.last %% 12 + 1,
       s.last - s.first + 1, 'adjustment:' || a.id, %(reason)s,
       jsonb_build_object(
           'adjustment', a.id, 'event', a.event_id, 'case', a.case_id,
           'monthly_amount', a.monthly_amount::text,
           'from_month', {_MONTH_TEXT.format(o="s.first")},
           'to_month', {_MONTH_TEXT.format(o="s.last")},
           'months', s.last - s.first + 1,
           'amount', (a.monthly_amount * (s.last - s.first + 1))::text,
           'rule', 'monthly_amount x months paid from effective_from (not before the first '
                   'payable month) to paid_through'),
       '', '', '', %(actor)s, now(), NULL
  FROM benefits_pensionadjustment a
  JOIN benefits_pensiondetermination d
    ON d.person_id = a.person_id AND d.superseded_by_id IS NULL
 CROSS JOIN LATERAL (
       SELECT greatest({_ord("a.effective_from")}, {_ord("d.retirement_month")} + 1) AS first,
              CASE WHEN d.stop_month IS NULL THEN {_ord("d.paid_through")}
                   ELSE least({_ord("d.paid_through")}, {_ord("d.stop_month")} - 1) END AS last
       ) s
 WHERE {{where}} AND d.paid_through IS NOT NULL AND s.last >= s.first
ON CONFLICT (source) DO NOTHING
"""


def _back_pay(
    *, where: str, params: dict[str, Any], actor: StaffUser, reason: str
) -> tuple[int, Decimal]:
    """Write the back-pay dues of the adjustments ``where`` selects; (count, total)."""
    sql = (
        "WITH dues AS ("
        + _BACK_PAY_SQL.format(where=where)
        + " RETURNING amount) SELECT count(*), coalesce(sum(amount), 0) FROM dues"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {**params, "item": str(PayrollItem.ADJUSTMENT_BACK_PAY), "reason": reason[:200],
             "actor": actor.pk},
        )  # fmt: skip
        count, total = cursor.fetchone()
    return count, total


def _check_approver(actor: StaffUser, event: AdjustmentEvent) -> None:
    batches.check_approver(BATCH, actor, event, messages=MESSAGES)


@transaction.atomic
def adjustment_event_approve_queue(
    *, actor: StaffUser, event: AdjustmentEvent | int, reason: str = ""
) -> AdjustmentEvent:
    """The approval as the event's page and the work queue make it: the same checks
    now (refused at once), the approval itself on a worker
    (``benefits.tasks.adjustment_event_approve``), since a province's million rows and
    dues take longer than a web request may. The event stays calculated, marked
    ``approval_queued``, until the worker has approved it; a second approval while it
    is queued is refused."""
    from benefits import tasks  # late: the task module imports this one

    event = _locked(event)
    if "approval_queued" in event.parameters:
        raise Conflict(ERROR_APPROVAL_QUEUED, code="approval_queued")
    _check_approver(actor, event)
    batches.check_approver_level(BATCH, actor, event)
    event.parameters = {
        **event.parameters,
        "approval_queued": {"by": actor.pk, "at": timezone.now().isoformat()},
    }
    event.save(update_fields=["parameters"])
    pk, actor_pk = event.pk, actor.pk
    transaction.on_commit(lambda: tasks.adjustment_event_approve.delay(pk, actor_pk, reason))
    return event


@transaction.atomic
def adjustment_event_approval_refused(*, event_id: int, message: str) -> None:
    """The worker could not approve a queued approval (the event changed meanwhile):
    the mark is lifted and the message kept, so that the page offers approval again."""
    event = _locked(event_id)
    parameters = {k: v for k, v in event.parameters.items() if k != "approval_queued"}
    event.parameters = {**parameters, "approval_error": message[:500]}
    event.save(update_fields=["parameters"])


@transaction.atomic
def adjustment_event_approve(
    *, actor: StaffUser, event: AdjustmentEvent | int, reason: str = ""
) -> AdjustmentEvent:
    """A reviewer of the province (not the one who created or started the event)
    approves a calculated event (maker-checker), through the event's approval request
    (work queue; level by ``approvals.batch_amount_thresholds`` on a year's cost): in
    one transaction its adjustments come into force and the back pay of the months
    already paid is written as one ``PayrollDue`` per adjusted retiree (see the module
    docstring)."""
    return batches.approve(BATCH, actor=actor, run=event, messages=MESSAGES, reason=reason)


def _approved(actor: StaffUser, event: AdjustmentEvent) -> dict[str, Any]:
    """The approval's effects: the adjustments in force, the back-pay dues."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE benefits_pensionadjustment SET in_force = true "
            "WHERE event_id = %s AND NOT in_force",
            [event.pk],
        )
        in_force = cursor.rowcount
    dues, amount = _back_pay(
        where="a.event_id = %(event)s",
        params={"event": event.pk},
        actor=actor,
        reason=_approval_reason(event),
    )
    event.parameters = {
        **event.parameters,
        "approval": {"in_force": in_force, "back_pay_dues": dues, "back_pay_total": str(amount)},
    }
    return {
        "in_force": in_force,
        "back_pay_dues": dues,
        "reason": f"{in_force} adjustments in force, {dues} back-pay dues totalling {amount}",
    }


@transaction.atomic
def adjustment_event_discard(*, actor: StaffUser, event: AdjustmentEvent) -> AdjustmentEvent:
    """Delete a calculated (or failed, or draft) event's adjustments, none in force; the
    event is closed and keeps its figures. A running event is refused (its worker would
    go on writing); an approved one is in force and stays."""
    event = _locked(event)
    batches.may_prepare(actor, event.region_id, ERROR_OUTSIDE_REGION)
    if event.status not in batches.DISCARDABLE:
        raise _wrong_status(event, "discarded")
    batches.approval_request_close(BATCH, event, actor=actor, reason=gettext_noop("discarded"))
    with connection.cursor() as cursor:
        # plain SQL: the ORM would first read every primary key to honour PROTECT
        cursor.execute(
            "DELETE FROM benefits_pensionadjustment WHERE event_id = %s AND NOT in_force",
            [event.pk],
        )
        deleted = cursor.rowcount
    before = event.status
    event.status = BatchStatus.CLOSED
    event.parameters = {
        **event.parameters,
        "discarded": {"adjustments": deleted, "at": timezone.now().isoformat()},
    }
    event.save(update_fields=["status", "parameters"])
    _log(actor, event, before, reason=f"discarded: {deleted} adjustments deleted")
    return event


# --- execution --------------------------------------------------------------------------


def adjustment_event_execute(event_id: int) -> AdjustmentEvent:
    """Calculate the event's adjustments county by county (see the module docstring)
    on the batch engine. Returns the event; a finished event is returned unchanged; a
    failed or crashed (still running) one continues where it stopped. On an error the
    event is marked failed with the error text, and the error is raised again. Call it
    outside ``transaction.atomic``: each county commits on its own."""
    return batches.execute(
        BATCH,
        event_id,
        prepare=lambda event: _build_stage(event, done=event.parameters.get("chunks_done", [])),
        plan=lambda event: _plan(event),
        chunk=lambda event, code, heads: _adjust_chunk(event, code, heads),
        totals=lambda event: _totals(event),
        cleanup=lambda: _drop_stage(),
    )


def _base_params(event: AdjustmentEvent) -> dict[str, Any]:
    return {
        "event": event.pk,
        "prefix": event.region.scope_prefix + "%",
        "statuses": tuple(str(s) for s in ADJUSTED_STATUSES),
        "cutoff": event.cutoff_date,
        "effective_from": event.effective_from.as_int,
        "year": event.year,
        "flat": event.flat_amount,
        "per_year": event.per_year_amount,
        "percentage": event.percentage,
    }


# Who is adjusted, with what the rule needs: the current determinations in payment or
# suspended of the event's region retired by the cut-off date, the pension for the
# percentage (the total plus the adjustments in force effective by effective_from, of
# any earlier event or case), the whole contribution years, the age on 31 December.
# ``{done}``: the counties already done are left out (a resumed event).
_CANDIDATES_SQL = f"""
WITH prior AS (
    SELECT a.person_id, sum(a.monthly_amount) AS amount
      FROM benefits_pensionadjustment a
     WHERE a.in_force AND a.effective_from <= %(effective_from)s
       AND a.event_id IS DISTINCT FROM %(event)s
     GROUP BY a.person_id
)
SELECT d.region_id AS region, d.id, d.person_id, d.total + coalesce(pr.amount, 0) AS pension,
       floor(d.contribution_years)::int AS years,
       %(year)s - extract(year FROM p.birth_date)::int AS age
  FROM benefits_pensiondetermination d
  JOIN {insured_persons_sql()} p ON p.id = d.person_id
  LEFT JOIN prior pr ON pr.person_id = d.person_id
 WHERE d.region_id LIKE %(prefix)s {{done}} AND d.superseded_by_id IS NULL
   AND d.status IN %(statuses)s AND d.retirement_date <= %(cutoff)s"""

# The stage (a temporary table of this session): the candidates in one set-based pass
# (hash joins), ordered by county and person, so that each county then reads its own
# rows together instead of probing the people and the adjustments county by county.
STAGE = "pg_temp.adjustment_stage"


def _build_stage(event: AdjustmentEvent, *, done: list[str]) -> None:
    sql = "CREATE TEMPORARY TABLE adjustment_stage AS " + _CANDIDATES_SQL.format(
        done="AND d.region_id <> ALL(%(done)s::varchar[])"
    )
    batches.build_stage(STAGE, sql + " ORDER BY 1, 3", {**_base_params(event), "done": list(done)})


def _drop_stage() -> None:
    batches.drop_table(STAGE)


def _plan(event: AdjustmentEvent) -> list[list[Any]]:
    """The plan of chunks (county, head count) counted from the stage, once."""
    plan = batches.plan_from_stage(STAGE)
    event.parameters = {**event.parameters, "by_county": {}}
    return plan


def _band_case(bands: Sequence[Mapping[str, Any]], params: dict[str, Any]) -> str:
    """The age band as a CASE, highest band first (the bands are the event's own)."""
    if not bands:
        return "0::numeric"
    parts = []
    for i, band in enumerate(sorted(bands, key=lambda b: -int(b["min_age"]))):
        params[f"band_age_{i}"] = int(band["min_age"])
        params[f"band_amount_{i}"] = Decimal(str(band["amount"]))
        parts.append(f"WHEN c.age >= %(band_age_{i})s THEN %(band_amount_{i})s::numeric")
    return "CASE " + " ".join(parts) + " ELSE 0::numeric END"


# The rule of ``adjustment_for`` in SQL on the candidates ``{source}``: PostgreSQL rounds
# numeric half away from zero, which is half-up for these positive amounts.
_COMP_SQL = """
comp AS (
    SELECT c.id, c.person_id, c.pension, c.years, c.age,
           round(%(flat)s::numeric, 2) AS flat_amount,
           round(%(per_year)s::numeric * c.years, 2) AS per_year_amount,
           round(c.pension * %(percentage)s::numeric / 100, 2) AS percentage_amount,
           round({band}, 2) AS age_band_amount
      FROM {source} c {where}
)"""
_INSERT_SQL = """
    INSERT INTO {target} (person_id, determination_id, event_id, case_id,
        flat_amount, per_year_amount, percentage_amount, age_band_amount, monthly_amount,
        effective_from, in_force, inputs, created_at)
    SELECT person_id, id, %(event)s, NULL, flat_amount, per_year_amount, percentage_amount,
           age_band_amount, flat_amount + per_year_amount + percentage_amount + age_band_amount,
           %(effective_from)s, false,
           jsonb_build_object('pension', pension::text, 'whole_years', years, 'age', age),
           now()
      FROM comp"""
_CHUNK_TAIL_SQL = """
    ON CONFLICT DO NOTHING
    RETURNING flat_amount, per_year_amount, percentage_amount, age_band_amount, monthly_amount
)
SELECT count(*), coalesce(sum(flat_amount), 0), coalesce(sum(per_year_amount), 0),
       coalesce(sum(percentage_amount), 0), coalesce(sum(age_band_amount), 0),
       coalesce(sum(monthly_amount), 0)
  FROM ins
"""

COMPONENTS = ("flat_amount", "per_year_amount", "percentage_amount", "age_band_amount",
              "monthly_amount")  # fmt: skip


def chunk_sql(event: AdjustmentEvent, region: str) -> tuple[str, dict[str, Any]]:
    """The statement that adjusts one county of ``event`` from the stage, and its
    parameters."""
    params = {**_base_params(event), "region": region}
    comp = _COMP_SQL.format(
        band=_band_case(event.age_bands, params), source=STAGE, where="WHERE c.region = %(region)s"
    )
    insert = _INSERT_SQL.format(target="benefits_pensionadjustment")
    return "WITH " + comp + ", ins AS (" + insert + _CHUNK_TAIL_SQL, params


def bare_sql(event: AdjustmentEvent, target: str) -> tuple[str, dict[str, Any]]:
    """The same rows for the event's whole region in one plain ``INSERT … SELECT`` into
    ``target`` straight from the tables (no stage, no chunks, no conflict handling, no
    progress): the benchmark's yardstick."""
    params = _base_params(event)
    candidates = _CANDIDATES_SQL.format(done="")
    comp = _COMP_SQL.format(band=_band_case(event.age_bands, params), source="cand", where="")
    # the candidates' own WITH becomes the first entries of the statement's
    head = candidates.replace("\nSELECT d.region_id", ", cand AS (\nSELECT d.region_id", 1)
    return head + "\n), " + comp + _INSERT_SQL.format(target=target), params


def _adjust_chunk(event: AdjustmentEvent, region: str, heads: int) -> None:
    """One county's adjustments and figures, in the chunk's transaction (the engine's,
    with the progress and the done-mark; its commit not waited for on disk)."""
    sql, params = chunk_sql(event, region)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, *sums = cursor.fetchone()
    event.parameters["by_county"] = {
        **event.parameters["by_county"],
        region: {"count": count, **{k: str(v) for k, v in zip(COMPONENTS, sums, strict=True)}},
    }


_TOTALS_SQL = """
SELECT count(*), coalesce(sum(flat_amount), 0), coalesce(sum(per_year_amount), 0),
       coalesce(sum(percentage_amount), 0), coalesce(sum(age_band_amount), 0),
       coalesce(sum(monthly_amount), 0)
  FROM benefits_pensionadjustment WHERE event_id = %s
"""


def _totals(event: AdjustmentEvent) -> None:
    """The count and the totals by component, from the event's adjustments."""
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL, [event.pk])
        count, *sums = cursor.fetchone()
    event.line_count = count
    event.total_monthly = sums[-1]
    event.parameters = {
        **event.parameters,
        "totals": {k: str(v) for k, v in zip(COMPONENTS, sums, strict=True)},
        "calculated_at": timezone.now().isoformat(),
    }


# --- services: the individual adjustment case (零星调整, §9.4.2) --------------------------


@transaction.atomic
def individual_adjustment_request(
    *,
    actor: StaffUser,
    determination: PensionDetermination,
    monthly_amount: Decimal | str,
    effective_from: Period | str | int,
    reason: str,
    attachments: Iterable = (),
) -> ApprovalRequest:
    """Propose a monthly increase of one retiree's pension from ``effective_from``
    (零星调整), for a reviewer to approve (operation ``benefits.individual_adjustment``).
    Refused: no reason, an amount not more than zero or not in fen, a determination not
    current or not in payment (or suspended), an effective month before the first
    payable month, a case already waiting. On approval the adjustment is in force at
    once and the months already paid since ``effective_from`` are back-paid."""
    if not reason or not reason.strip():
        raise InvalidInput(ERROR_REASON, code="reason_required")
    try:
        amount = Decimal(str(monthly_amount))
    except InvalidOperation:
        raise InvalidInput(ERROR_AMOUNT, code="amount") from None
    if not amount.is_finite() or amount <= 0 or round_fen(amount) != amount:
        raise InvalidInput(ERROR_AMOUNT, code="amount")
    month = Period.parse(effective_from)
    _check_determination(determination)
    if month < determination.first_payable_month:
        raise InvalidInput(
            ERROR_EFFECTIVE_BEFORE_PAYABLE,
            code="before_payable",
            params={"month": str(determination.first_payable_month)},
        )
    pending = ApprovalRequest.objects.filter(
        operation=INDIVIDUAL_ADJUSTMENT,
        status=ApprovalStatus.PENDING,
        object_type=changelog.object_type_of(determination),
        object_id=str(determination.pk),
    ).first()
    if pending is not None:
        raise Conflict(ERROR_CASE_PENDING, code="case_pending", params={"id": pending.pk})
    person = determination.person
    span = back_pay_span(
        effective_from=month,
        first_payable=determination.first_payable_month,
        paid_through=determination.paid_through,
        stop_month=determination.stop_month,
    )
    payload = {
        "determination_id": determination.pk,
        "person_id": person.pk,
        "person": person.name,
        "pension": str(determination.total),
        "monthly_amount": str(amount),
        "effective_from": str(month),
        "paid_through": str(determination.paid_through) if determination.paid_through else None,
        "back_pay_months": span[2] if span else 0,
        "back_pay": str(amount * span[2]) if span else "0.00",
    }
    return approvals.approval_request_create(
        actor=actor,
        operation=INDIVIDUAL_ADJUSTMENT,
        agency=determination.agency,
        summary=str(_("Individual adjustment of %(name)s: %(amount)s a month from %(month)s"))
        % {"name": person.name, "amount": amount, "month": month},
        payload=payload,
        target=determination,
        amount=amount,
        reason=reason.strip(),
        attachments=attachments,
    )


def _check_determination(determination: PensionDetermination) -> None:
    if determination.superseded_by_id is not None or determination.status not in ADJUSTED_STATUSES:
        raise Conflict(ERROR_NOT_CURRENT, code="not_current")


def _apply_individual(request: ApprovalRequest, checker: StaffUser) -> dict[str, Any]:
    """The approved case: the adjustment in force and the back pay of the months paid."""
    payload = request.payload
    determination = (
        PensionDetermination.objects.select_for_update()
        .select_related("person")
        .get(pk=payload["determination_id"])
    )
    _check_determination(determination)
    amount = Decimal(payload["monthly_amount"])
    adjustment = PensionAdjustment(
        person_id=determination.person_id,
        determination=determination,
        case=request,
        flat_amount=amount,
        monthly_amount=amount,
        effective_from=Period.parse(payload["effective_from"]),
        in_force=True,
        inputs={"case": request.pk, "reason": request.maker_reason},
    )
    adjustment.save()
    changelog.record(
        actor=checker,
        action=ChangeAction.CREATE,
        instance=adjustment,
        after={"monthly_amount": amount, "effective_from": payload["effective_from"],
               "case": request.pk},
        reason=str(_("Individual adjustment case #%(id)s")) % {"id": request.pk},
    )  # fmt: skip
    _dues, total = _back_pay(
        where="a.id = %(adjustment)s",
        params={"adjustment": adjustment.pk},
        actor=checker,
        reason=str(_("Back pay of individual adjustment case #%(id)s")) % {"id": request.pk},
    )
    due = PayrollDue.objects.filter(source=f"adjustment:{adjustment.pk}").first()
    if due is not None:
        changelog.record(
            actor=checker, action=ChangeAction.CREATE, instance=due,
            after={"amount": due.amount, "months": due.months, "source": due.source},
            reason=due.reason,
        )  # fmt: skip
    return {"adjustment": adjustment.pk, "back_pay_due": due.pk if due else None,
            "back_pay": str(total)}  # fmt: skip


INDIVIDUAL_FIELD_LABELS = {
    "determination_id": _("Determination (id)"),
    "person_id": _("Insured person (id)"),
    "person": _("Retiree"),
    "pension": _("Monthly pension"),
    "monthly_amount": _("Monthly increase"),
    "effective_from": _("Effective from"),
    "paid_through": _("Paid through"),
    "back_pay_months": _("Months to back-pay"),
    "back_pay": _("Back pay (preview)"),
}

approvals.register_operation(
    INDIVIDUAL_ADJUSTMENT,
    label=_("Individual pension adjustment"),
    apply=_apply_individual,
    field_labels=INDIVIDUAL_FIELD_LABELS,
)


# --- selectors --------------------------------------------------------------------------


def adjustment_events(user) -> QuerySet[AdjustmentEvent]:
    """The events ``user`` may see (their region and below; the province's for all
    whose region lies in it is read through ``restrict``)."""
    qs = AdjustmentEvent.objects.select_related("region", "created_by", "approved_by")
    return restrict(qs, user, "view")


def adjustment_event_get(user, pk: int) -> AdjustmentEvent:
    """One event within ``user``'s scope (``AdjustmentEvent.DoesNotExist`` otherwise)."""
    return adjustment_events(user).get(pk=pk)


@dataclass(frozen=True)
class CountyRow:
    """One county's share of an event (count and totals by component)."""

    code: str
    name: str
    count: int
    flat_amount: Decimal
    per_year_amount: Decimal
    percentage_amount: Decimal
    age_band_amount: Decimal
    monthly_amount: Decimal


def event_by_county(event: AdjustmentEvent) -> list[CountyRow]:
    """The distribution by county, from the figures each county's chunk recorded."""
    by_county = event.parameters.get("by_county", {})
    names = dict(Region.objects.filter(code__in=list(by_county)).values_list("code", "name"))
    return [
        CountyRow(
            code=code,
            name=names.get(code, code),
            count=row["count"],
            **{k: Decimal(row[k]) for k in COMPONENTS},
        )
        for code, row in sorted(by_county.items())
    ]


def event_totals(event: AdjustmentEvent) -> dict[str, Decimal]:
    """The totals by component (empty until calculated)."""
    return {k: Decimal(v) for k, v in event.parameters.get("totals", {}).items()}


def event_sample(
    event: AdjustmentEvent, *, limit: int = SAMPLE_SIZE
) -> QuerySet[PensionAdjustment]:
    """A sample of the event's adjustments (the first by id), with the retiree."""
    return (
        PensionAdjustment.objects.filter(event=event)
        .select_related("person", "determination")
        .order_by("pk")[:limit]
    )


def determination_adjustments(determination: PensionDetermination) -> QuerySet[PensionAdjustment]:
    """The adjustments of the determination's retiree, in force or waiting, by month."""
    return (
        PensionAdjustment.objects.filter(person_id=determination.person_id)
        .select_related("event")
        .order_by("effective_from", "pk")
    )
