"""The batch engine (批处理引擎, DESIGN §2.3): what every batch run shares.

A batch is a row (a concrete model on ``BatchRun``) and a ``Batch`` describing it: its
advisory-lock namespace, its Celery task, its crash hook, and (when a second person
approves it) its ``BatchApproval``. The domain module keeps its SQL (the stage, the
plan, the chunk's statement, the totals) and its own checks; the engine does the rest:

- the status machine ``draft → running → calculated → approved → posted/exported →
  closed``, or ``failed``; a dry run (试算) stops at calculated;
- ``start``: draft, failed (resume) or running (worker died) → running, the task
  queued when the transaction commits;
- ``execute``: one executor at a time (a session advisory lock per batch kind and
  run), the stage (``prepare``), the plan of chunks once (``parameters["chunks"]``:
  ``[key, weight]``, by region), then one transaction per chunk that runs the domain's
  statement and records the chunk as done (``parameters["chunks_done"]``) with the
  progress (``processed_count`` + weight, by ``F()``), so that a resumed run never does
  a chunk twice; then the totals and ``calculated``; an error marks the run failed;
  a batch with ``workers`` runs its chunks on that many connections at once (threads,
  each with its own stage of its share of the chunks; a large run only);
- one change-log entry per transition (never one per line);
- approval through the kernel's maker-checker (``pension.approvals``): a calculated
  live run opens an approval request (the work queue shows it; the amount raises the
  level by ``approvals.batch_amount_thresholds``), and approving the run decides it.

Call ``execute`` outside ``transaction.atomic`` (a Celery task, a management command):
each chunk commits on its own.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from pension import changelog
from pension.choices import Role
from pension.errors import Conflict, NotPermitted
from pension.scope import region_allows

# --- the status machine -------------------------------------------------------------------


class RunStatus(models.TextChoices):
    """Every state a batch run can be in (批次状态). A batch's model offers the subset
    it walks through (its own ``TextChoices`` with these values)."""

    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    CALCULATED = "calculated", _("Calculated")
    APPROVED = "approved", _("Approved")
    POSTING = "posting", _("Posting")
    POSTED = "posted", _("Posted")
    RELEASED = "released", _("Released to the tax bureau")
    EXPORTED = "exported", _("Bank files exported")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Failed")


DRAFT, RUNNING, CALCULATED = RunStatus.DRAFT, RunStatus.RUNNING, RunStatus.CALCULATED
APPROVED, FAILED, CLOSED = RunStatus.APPROVED, RunStatus.FAILED, RunStatus.CLOSED
STARTABLE = (DRAFT, FAILED, RUNNING)  # running: its worker died; starting again resumes it
DISCARDABLE = (DRAFT, CALCULATED, FAILED)  # not running: its worker would go on writing

# --- one error vocabulary for runs ----------------------------------------------------------

ERROR_WRONG_STATUS = _("This run is %(status)s; it cannot be %(action)s.")
ERROR_OUTSIDE_REGION = _("This run belongs to a region outside yours.")
ERROR_SELF_APPROVAL = _("You started this run; a second person must approve it.")
ERROR_RECALCULATED_APPROVAL = _("You recalculated this run; a second person must approve it.")
ERROR_NOT_REVIEWER = _("Only a reviewer can approve a run.")
ERROR_DRY_RUN_APPROVAL = _("A dry run is never approved; create a live run.")
ERROR_NOT_DRY_RUN = _("Only a dry run can be discarded; a live run's lines are kept.")

ACTION_LABELS = {
    "started": _("started"),
    "approved": _("approved"),
    "released": _("released"),
    "recalculated": _("recalculated"),
    "discarded": _("discarded"),
    "exported": _("exported"),
    "posted": _("posted"),
}

# --- advisory locks: one namespace per batch kind ---------------------------------------------

# pg_advisory_lock key of "run N of this kind is being executed": namespace + N, so run 5
# of one kind never blocks run 5 of another. A new batch takes the next number.
LOCK_SPACES = {
    "contributions.assessment": 7_211_002 << 32,
    "accounts.run": 7_211_003 << 32,
    "benefits.payroll": 7_211_004 << 32,
    "benefits.adjustment": 7_211_005 << 32,
    "benefits.provisional_recalculation": 7_211_006 << 32,
    "audit.risk_scan": 7_211_019 << 32,
    "audit.data_quality": 7_211_191 << 32,
    "funds.close": 7_211_031 << 32,
    "funds.reconciliation": 7_211_041 << 32,
    "budget.snapshot": 7_211_018 << 32,
}


class RunLock:
    """``with RunLock(space, run_id) as mine:`` tries the lock and says whether this
    session holds it; it is released on exit, or by the server when the holder's
    connection dies."""

    def __init__(self, base: int, run_id: int) -> None:
        self.key = base + run_id
        self.held = False

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if not self.held:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        except Exception:  # the connection is gone, and the lock with it
            pass


# --- the one crash hook -----------------------------------------------------------------------

# test hook of the chunked batches: SIGKILL the executing process after this many chunks
CRASH_AFTER_CHUNKS_ENV = "PENSION_TEST_CRASH_AFTER_CHUNKS"


def crash_after_chunks(committed: int, env: str = CRASH_AFTER_CHUNKS_ENV) -> None:
    """Test hook of every chunked batch: with ``<env>=N`` under the test settings the
    process kills itself (SIGKILL, no cleanup: a worker lost mid-run) once N chunks of
    this execution have committed; the worker tests then resume the run."""
    crash_after = os.environ.get(env)
    testing = settings.SETTINGS_MODULE == "pension.settings.test"
    if crash_after and testing and committed >= int(crash_after):
        os.kill(os.getpid(), signal.SIGKILL)


# --- the run model --------------------------------------------------------------------------


def _user(verbose_name: Any, **kwargs: Any) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", **kwargs,
    )  # fmt: skip


class BatchRun(models.Model):
    """A batch run (批次): status, dry run (试算), who started, recalculated and
    approved it, progress (``processed_count`` of ``total_count``), the parameters
    and results it keeps (``parameters``: rates with their references, the plan of
    chunks and those done), and the error of a failed run. The concrete model adds its
    region or scope, its counts and control totals, and its own ``status`` choices.

    The database refuses an approver who started or recalculated the run."""

    dry_run = models.BooleanField(_("Dry run"), default=False)
    status = models.CharField(
        _("Status"), max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    total_count = models.PositiveIntegerField(_("To process"), default=0)
    processed_count = models.PositiveIntegerField(_("Processed"), default=0)
    parameters = models.JSONField(_("Parameters and results"), default=dict, blank=True)
    error = models.TextField(_("Error"), blank=True)
    started_by = _user(_("Started by"), help_text=_("Empty: the system"))
    recalculated_by = _user(_("Recalculated by"))
    approved_by = _user(_("Approved by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Finished at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("Approved at"), null=True, blank=True)

    scope_region_path = "region"
    # the fields of the change-log entry of each transition, beside status and dry run
    summary_fields: tuple[str, ...] = ()
    # False: a run whose rows log themselves (each one a key change) and whose
    # transitions only this table records
    log_transitions = True

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_count__lte=F("total_count")), name="%(class)s_progress"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(started_by__isnull=True)
                | ~Q(approved_by=F("started_by")),
                name="%(class)s_approver_not_starter",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(recalculated_by__isnull=True)
                | ~Q(approved_by=F("recalculated_by")),
                name="%(class)s_approver_not_recalculator",
            ),
        ]

    def summary(self) -> dict[str, Any]:
        """What the change log keeps of each transition."""
        out: dict[str, Any] = {"status": self.status, "dry_run": self.dry_run}
        if hasattr(self, "region_id"):
            out["region"] = self.region_id
        for name in self.summary_fields:
            value = getattr(self, name)
            out[name] = (
                value
                if value is None or isinstance(value, int | Decimal)
                else (value if isinstance(value, str | list | dict) else str(value))
            )
        return out

    @property
    def approval_amount(self) -> Decimal | None:
        """The amount that sets the approval level (None: the agency's own level)."""
        return None


# --- a batch kind -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchApproval:
    """How a batch is approved: the approvals operation (work-queue label), the
    domain's effects of approval (``apply(actor, run)`` → result, in the approving
    transaction), and who else made the run (``makers``, beside the starter and the
    recalculator)."""

    operation: str
    label: Any
    apply: Callable[[Any, Any], dict | None]
    makers: Callable[[Any], Iterable[int | None]] = lambda run: ()
    # ``queue(actor, run_id, reason)``: the approval done on a worker (its effects take
    # longer than a web request may), queued alike from the run's page and from the
    # work queue; None: applied in the approving request
    queue: Callable[[Any, int, str], Any] | None = None


@dataclass(frozen=True)
class Batch:
    """One kind of batch run on the engine."""

    key: str  # "benefits.payroll": its lock namespace and approvals operation
    model: type[BatchRun]
    statuses: type[models.TextChoices]  # the model's status labels
    crash_env: str = CRASH_AFTER_CHUNKS_ENV
    async_commit: bool = False  # a chunk's commit not waited for on disk (see execute)
    approval: BatchApproval | None = None
    # chunks run by this many connections at once (threads of the executor, each with
    # its own stage), when the chunks not done weigh at least ``parallel_from``; see
    # ``execute``. A batch with workers builds its stage through ``execute(stage=…)``
    # and its chunks leave ``run.parameters`` alone (they run on copies of the run).
    workers: int = 1
    parallel_from: int = 20_000

    @property
    def lock_space(self) -> int:
        return LOCK_SPACES[self.key]


def executing(batch: Batch, run_id: int) -> bool:
    """A worker is executing the run right now (it holds the run's lock). A run whose
    status says running but whose lock is free was left by a lost worker: only such a
    run may be resumed from its page."""
    with RunLock(batch.lock_space, run_id) as mine:
        return not mine


def locked(batch: Batch, run: BatchRun | int) -> Any:
    """The run, locked for this transaction (``select_for_update``)."""
    pk = run.pk if isinstance(run, models.Model) else run
    queryset = batch.model.objects.select_for_update(of=("self",))
    if hasattr(batch.model, "region_id"):
        queryset = queryset.select_related("region")
    return queryset.get(pk=pk)


def wrong_status(batch: Batch, run: BatchRun, action: str, message: Any = None) -> Conflict:
    return Conflict(
        message or ERROR_WRONG_STATUS,
        code="wrong_status",
        params={"status": batch.statuses(run.status).label, "action": ACTION_LABELS[action]},
    )


def log(actor, run: BatchRun, before: str | None, *, action: str | None = None,
        reason: str = "") -> None:  # fmt: skip
    """One change-log entry for one transition of the run (never one per line)."""
    from pension.models import ChangeAction

    if not run.log_transitions:
        return
    changelog.record(
        actor=actor,
        action=action or ChangeAction.UPDATE,
        instance=run,
        before={"status": before} if before is not None else None,
        after=run.summary(),
        reason=reason,
    )


def may_prepare(actor, region_code: str, message: Any = ERROR_OUTSIDE_REGION) -> None:
    """Refused unless ``actor`` (None: the system) may prepare work in the region."""
    if actor is not None and not region_allows(actor, region_code, "prepare"):
        raise NotPermitted(message, code="outside_region")


# --- transitions ------------------------------------------------------------------------------


def start(batch: Batch, *, actor, run: BatchRun | int, task: Any,
          refuse: Callable[[BatchRun], bool] = lambda run: False) -> Any:  # fmt: skip
    """Draft, failed (to resume it) or still running (its worker died) → running, and
    ``task.delay(run id)`` when the caller's transaction commits. The first person to
    start a run the system created is its starter."""
    run = locked(batch, run)
    if run.status not in STARTABLE or refuse(run):
        raise wrong_status(batch, run, "started")
    if actor is not None and run.started_by_id is None:
        run.started_by = actor
    if run.status != RUNNING:
        before = run.status
        run.status = RUNNING
        run.started_at = run.started_at or timezone.now()
        run.error = ""
        run.save(update_fields=["status", "started_at", "error", "started_by"])
        log(
            actor,
            run,
            before,
            reason=gettext_noop("started") if before == DRAFT else gettext_noop("resumed"),
        )
    else:
        run.save(update_fields=["started_by"])
    pk = run.pk
    transaction.on_commit(lambda: task.delay(pk))
    return run


def begin(batch: Batch, run_id: int) -> Any:
    """The executor's first step: a draft or failed run (not discarded) is running."""
    with transaction.atomic():
        run = locked(batch, run_id)
        if run.status in (DRAFT, FAILED) and not run.parameters.get("discarded"):
            before = run.status
            run.status = RUNNING
            run.started_at = run.started_at or timezone.now()
            run.error = ""
            run.save(update_fields=["status", "started_at", "error"])
            log(
                None,
                run,
                before,
                reason=gettext_noop("started") if before == DRAFT else gettext_noop("resumed"),
            )
    return run


def fail(batch: Batch, run_id: int, exc: BaseException,
         statuses: tuple[str, ...] = (RUNNING,)) -> None:  # fmt: skip
    """Mark a run that was working (``statuses``) failed with the error text. When the
    database is unreachable the run stays running, and starting it again resumes it."""
    text = f"{exc.__class__.__name__}: {exc}"[:4000]
    try:
        with transaction.atomic():
            run = locked(batch, run_id)
            if run.status not in statuses:
                return
            before = run.status
            run.status = FAILED
            run.error = text
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            log(None, run, before, reason=text[:500])
    except Exception:  # the database is unreachable: the run stays resumable
        pass


def finish(batch: Batch, run: BatchRun, *, totals: Callable[[Any], None] | None = None,
           status: str = CALCULATED, reason: str = "calculated") -> Any:  # fmt: skip
    """The run's work is done: ``totals(run)`` sets its figures from its lines (by
    SQL), the progress is full, and it is ``status``; a calculated live run that needs
    approval opens its approval request. In the caller's transaction, or its own."""
    with transaction.atomic():
        run = locked(batch, run.pk)
        if totals is not None:
            totals(run)
        before = run.status
        run.processed_count = run.total_count
        run.status = status
        run.finished_at = timezone.now()
        run.save()
        log(None, run, before, reason=reason)
        if status == CALCULATED and not run.dry_run and batch.approval is not None:
            approval_request_open(batch, run)
    return run


# --- execution --------------------------------------------------------------------------------


def execute(
    batch: Batch,
    run_id: int,
    *,
    plan: Callable[[Any], list[list[Any]]],
    chunk: Callable[[Any, Any, int], dict[str, Any] | None],
    prepare: Callable[[Any], None] | None = None,
    stage: Callable[[Any, list[Any]], None] | None = None,
    cleanup: Callable[[], None] | None = None,
    after_chunk: Callable[[Any, int], None] | None = None,
    totals: Callable[[Any], None] | None = None,
    status: str = CALCULATED,
    reason: str = "calculated",
) -> Any:
    """Execute (or resume) a run; see the module docstring.

    - ``prepare(run)``: every execution, first;
    - ``plan(run)``: once per run, the chunks ``[[key, weight], …]`` (a region and its
      head count); it may add starting values to ``run.parameters``;
    - ``stage(run, keys)``: every execution, after the plan, on the connection that
      runs the chunks ``keys`` (the chunks not done, or a worker's share of them): the
      temporary tables they read;
    - ``chunk(run, key, weight)``: one chunk's statements, inside the chunk's
      transaction; it may change ``run.parameters`` (not in a batch with workers) and
      return more fields to update on the run row (``F()`` expressions);
    - ``after_chunk(run, committed)``: after each commit (default: the crash hook);
    - ``totals(run)``: the figures at the end.

    With ``batch.workers`` > 1, a run whose chunks not done weigh ``parallel_from`` or
    more, executed outside any transaction, runs them on that many threads, each with
    its own connection and its share of the chunks (by weight); each chunk still commits
    with its done-mark (appended in SQL, so the threads' marks never overwrite one
    another). A crash of the process kills them all; resuming redoes the chunks not
    marked done, whoever had them.

    A finished run is returned unchanged; a failed or crashed (still running) run
    continues where it stopped; on an error the run is marked failed and the error
    raised again (the task retries database errors)."""
    with RunLock(batch.lock_space, run_id) as mine:
        if not mine:  # another worker is executing it right now
            return locked_free(batch, run_id)
        run = begin(batch, run_id)
        if run.status != RUNNING:
            return run
        try:
            if prepare is not None:
                prepare(run)
            if "chunks" not in run.parameters:
                _save_plan(batch, run, plan(run))
            done = set(run.parameters["chunks_done"])
            pending = [[key, weight] for key, weight in run.parameters["chunks"] if key not in done]
            if _parallel(batch, pending):
                _run_shares(batch, run, pending, chunk=chunk, stage=stage, after_chunk=after_chunk)
            else:
                if stage is not None:
                    stage(run, [key for key, _weight in pending])
                for committed, (key, weight) in enumerate(pending, start=1):
                    _run_chunk(batch, run, key, weight, chunk)
                    if after_chunk is not None:
                        after_chunk(run, committed)
                    else:
                        crash_after_chunks(committed, batch.crash_env)
            return finish(batch, run, totals=totals, status=status, reason=reason)
        except Exception as exc:
            fail(batch, run.pk, exc)
            raise
        finally:
            if cleanup is not None:
                cleanup()


def _parallel(batch: Batch, pending: list[list[Any]]) -> bool:
    """Whether the chunks not done run on ``batch.workers`` connections: a batch with
    workers, two chunks or more weighing ``parallel_from`` or more, and no transaction
    around the executor (the threads' connections would not see its rows)."""
    return (
        batch.workers > 1
        and len(pending) > 1
        and sum(weight for _key, weight in pending) >= batch.parallel_from
        and not connection.in_atomic_block
    )


def shares(pending: list[list[Any]], workers: int) -> list[list[list[Any]]]:
    """The chunks dealt out to ``workers`` by weight (the heaviest first, each to the
    lightest share), each share then in plan order."""
    order = {key: n for n, (key, _weight) in enumerate(pending)}
    dealt: list[list[list[Any]]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for key, weight in sorted(pending, key=lambda c: (-c[1], order[c[0]])):
        lightest = loads.index(min(loads))
        dealt[lightest].append([key, weight])
        loads[lightest] += weight
    return [sorted(share, key=lambda c: order[c[0]]) for share in dealt if share]


def _run_shares(
    batch: Batch,
    run: BatchRun,
    pending: list[list[Any]],
    *,
    chunk: Callable,
    stage: Callable | None,
    after_chunk: Callable | None,
) -> None:
    """The chunks not done, on ``batch.workers`` threads, each with its own connection,
    stage and copy of the run. The first error stops the others after their current
    chunk (committed with its done-mark, or rolled back whole) and is raised here."""
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    committed = [0]

    def work(share: list[list[Any]]) -> None:
        try:
            mine = copy.copy(run)
            mine.parameters = copy.deepcopy(run.parameters)
            if stage is not None:
                stage(mine, [key for key, _weight in share])
            for key, weight in share:
                if stop.is_set():
                    return
                _run_chunk(batch, mine, key, weight, chunk, shared=True)
                with lock:
                    committed[0] += 1
                    count = committed[0]
                if after_chunk is not None:
                    after_chunk(mine, count)
                else:
                    crash_after_chunks(count, batch.crash_env)
        except BaseException as exc:  # raised again by the executor
            errors.append(exc)
            stop.set()
        finally:
            connection.close()  # this thread's connection, and its stage with it

    threads = [
        threading.Thread(target=work, args=(share,), name=f"{batch.key}-{n}")
        for n, share in enumerate(shares(pending, batch.workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    fresh = batch.model.objects.values("parameters", "processed_count").get(pk=run.pk)
    run.parameters, run.processed_count = fresh["parameters"], fresh["processed_count"]


def locked_free(batch: Batch, run_id: int) -> Any:
    """The run as it stands (no lock): what an executor that found the run held
    returns."""
    queryset = batch.model.objects.all()
    if hasattr(batch.model, "region_id"):
        queryset = queryset.select_related("region")
    return queryset.get(pk=run_id)


def _save_plan(batch: Batch, run: BatchRun, plan: list[list[Any]]) -> None:
    run.parameters = {**run.parameters, "chunks": plan, "chunks_done": []}
    run.total_count, run.processed_count = sum(weight for _, weight in plan), 0
    with transaction.atomic():
        batch.model.objects.filter(pk=run.pk).update(
            parameters=run.parameters, total_count=run.total_count, processed_count=0
        )


def _run_chunk(batch: Batch, run: BatchRun, key: Any, weight: int, chunk: Callable,
               *, shared: bool = False) -> None:  # fmt: skip
    """One chunk in one transaction: its rows, its figures, its progress and its
    done-mark commit together, or not at all. The mark updates the run's row (locking
    it to the commit): a run that is gone fails the chunk, so the run's key of the
    chunk's rows is checked once a chunk (the payroll's tables keep no foreign key to
    the run for that reason). ``shared``: other connections mark
    chunks of the same run at the same time, so the mark is appended in SQL to the
    row's list (``run.parameters`` is not written)."""
    with transaction.atomic():
        if batch.async_commit:
            # not waiting for the disk at each chunk's commit: a server crash loses at
            # most the last chunks, rows and done-mark together, and the resumed run
            # redoes them; the run's last commit (calculated) is waited for
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        extra = chunk(run, key, weight) or {}
        if shared:
            # the chunk's deferred key checks now, before the run's row is locked by
            # the mark below: the other connections wait for that lock until commit
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            parameters: Any = RawSQL(
                "jsonb_set(parameters, '{chunks_done}', "
                "coalesce(parameters -> 'chunks_done', '[]'::jsonb) || %s::jsonb)",
                [json.dumps([key])],
            )
        else:
            run.parameters["chunks_done"] = [*run.parameters["chunks_done"], key]
            parameters = run.parameters
        marked = batch.model.objects.filter(pk=run.pk).update(
            processed_count=F("processed_count") + weight, parameters=parameters, **extra
        )
        if marked != 1:  # the run's key of the chunk's rows, checked once a chunk
            raise batch.model.DoesNotExist(f"run {run.pk} is gone; chunk {key} rolled back")
    run.processed_count += weight


def build_stage(name: str, sql: str, params: Any, *, chunk_column: str = "region") -> None:
    """(Re)build a stage: ``sql`` creates the temporary table ``name`` (in one set-based
    pass, ordered by chunk, of the chunks not done), then an index on the chunk column
    and fresh statistics, so that each chunk reads its own rows together."""
    drop_table(name)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(f"CREATE INDEX ON {name} ({chunk_column})")
        cursor.execute(f"ANALYZE {name}")


def plan_from_stage(name: str, *, chunk_column: str = "region") -> list[list[Any]]:
    """The plan counted from a stage: each chunk (region) with its head count."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {chunk_column}, count(*)::int FROM {name} GROUP BY 1 ORDER BY 1")
        return [[key, count] for key, count in cursor.fetchall()]


def drop_table(name: str) -> None:
    """Drop a stage (a temporary table of the session), if the connection still lives."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:  # the connection is gone, and the table with it
        pass


# --- approval through the kernel's maker-checker -------------------------------------------------


def makers_of(batch: Batch, run: BatchRun) -> set[int]:
    extra = batch.approval.makers(run) if batch.approval is not None else ()
    return {run.started_by_id, run.recalculated_by_id, *extra} - {None}


def check_approver(batch: Batch, actor, run: BatchRun, *, messages: dict | None = None) -> None:
    """The refusals every batch approval shares: the starter or recalculator (or
    another maker), not a reviewer, a region outside the approver's, a dry run, not
    calculated. ``messages`` may name a batch's own wording by code."""
    messages = messages or {}
    if actor.pk == run.recalculated_by_id:
        raise NotPermitted(
            messages.get("recalculated_approval", ERROR_RECALCULATED_APPROVAL),
            code="recalculated_approval",
        )
    if actor.pk in makers_of(batch, run):
        raise NotPermitted(messages.get("self_approval", ERROR_SELF_APPROVAL), code="self_approval")
    if not (actor.is_superuser or actor.has_role(Role.REVIEWER)):
        raise NotPermitted(messages.get("not_reviewer", ERROR_NOT_REVIEWER), code="not_reviewer")
    if not region_allows(actor, run.region_id, "approve"):
        raise NotPermitted(
            messages.get("outside_region", ERROR_OUTSIDE_REGION), code="outside_region"
        )
    if run.dry_run:
        raise Conflict(messages.get("dry_run", ERROR_DRY_RUN_APPROVAL), code="dry_run")
    if run.status != CALCULATED:
        raise wrong_status(batch, run, "approved", messages.get("wrong_status"))


def _agency_for(run: BatchRun, maker) -> Any:
    """The agency that owns the run: its region's, or the nearest above it."""
    from pension.models import Agency

    agencies = {
        a.region_id: a
        for a in Agency.objects.filter(
            region__in=[r.code for r in run.region.ancestors()], is_active=True
        ).select_related("region")
    }
    for region in run.region.ancestors():
        if region.code in agencies:
            return agencies[region.code]
    return maker.agency


def pending_request(batch: Batch, run: BatchRun) -> Any:
    from pension.models import ApprovalRequest, ApprovalStatus

    return (
        ApprovalRequest.objects.filter(
            operation=batch.approval.operation,
            status=ApprovalStatus.PENDING,
            object_type=changelog.object_type_of(run),
            object_id=str(run.pk),
        )
        .order_by("-pk")
        .first()
    )


def approval_request_open(batch: Batch, run: BatchRun) -> Any:
    """The approval request of a calculated live run, made in the name of whoever last
    prepared it (the recalculator, else the starter): it appears in the work queue of
    the owning agency, at the level its amount needs. None for a run the system
    started (approved directly, by a reviewer)."""
    from pension import approvals

    maker = run.recalculated_by or run.started_by
    if maker is None or batch.approval is None:
        return None
    existing = pending_request(batch, run)
    if existing is not None:
        return existing
    return approvals.approval_request_create(
        actor=maker,
        operation=batch.approval.operation,
        agency=_agency_for(run, maker),
        summary=f"{batch.approval.label}: {run}",
        payload={"run": run.pk, **run.summary()},
        target=run,
        amount=run.approval_amount,
        threshold_key=BATCH_THRESHOLDS,
    )


BATCH_THRESHOLDS = "approvals.batch_amount_thresholds"


def approval_request_close(batch: Batch, run: BatchRun, *, actor, reason: str) -> None:
    """The run's pending approval request is withdrawn (the run is recalculated or
    discarded): the work queue no longer offers it."""
    from pension.models import ApprovalStatus, ChangeAction

    if batch.approval is None:
        return
    request = pending_request(batch, run)
    if request is None:
        return
    request.status = ApprovalStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.decision_reason = reason[:500]
    request.save(update_fields=["status", "decided_at", "decision_reason"])
    changelog.record(
        actor=actor,
        action=ChangeAction.WITHDRAW,
        instance=request,
        before={"status": ApprovalStatus.PENDING},
        after={"status": request.status},
        reason=reason,
    )


def check_approver_level(batch: Batch, actor, run: BatchRun) -> None:
    """The kernel's refusals on the run's approval request (the level its amount needs),
    for a page that queues the approval to a worker and must refuse at once."""
    from pension import approvals

    request = pending_request(batch, run)
    refusal = approvals.refusal_for(actor, request) if request is not None else None
    if refusal is not None:
        raise refusal


def approve(
    batch: Batch, *, actor, run: BatchRun | int, messages: dict | None = None, reason: str = ""
) -> Any:
    """A reviewer approves a calculated live run (maker-checker, DESIGN §2.4): the
    batch's refusals, then the kernel's (level by amount) on the run's approval
    request, whose handler applies the approval (``BatchApproval.apply``) in this
    transaction. A run without a request (the system started it) is approved here."""
    from pension import approvals

    with transaction.atomic():
        run = locked(batch, run)
        check_approver(batch, actor, run, messages=messages)
        request = pending_request(batch, run) or approval_request_open(batch, run)
        if request is None:
            apply_approval(batch, actor, run)
        else:
            approvals.approval_request_approve(actor=actor, request_id=request.pk, reason=reason)
        return locked(batch, run.pk)


def apply_approval(batch: Batch, actor, run: BatchRun) -> dict:
    """The approval itself: the domain's effects, then the run approved and logged."""
    from pension.models import ChangeAction

    result = batch.approval.apply(actor, run) or {}
    run.status = APPROVED
    run.approved_by = actor
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at", "parameters"])
    log(actor, run, CALCULATED, action=ChangeAction.APPROVE, reason=result.pop("reason", ""))
    return result


def register(batch: Batch) -> Batch:
    """Register the batch's approval as a key operation of the kernel's approvals
    (so that approving it from the work queue works the same as from the run page)."""
    from pension import approvals

    if batch.approval is None:
        return batch

    def _apply(request, checker) -> dict:
        run = locked(batch, int(request.object_id))
        check_approver(batch, checker, run)
        return {"run": run.pk, **apply_approval(batch, checker, run)}

    approvals.register_operation(
        batch.approval.operation,
        label=batch.approval.label,
        apply=_apply,
        field_labels={
            "run": _("Run"),
            **{field.name: field.verbose_name for field in batch.model._meta.fields},
        },
        display=lambda field, value: _show(batch, field, value),
        queue=_queue_hook(batch),
    )
    return batch


def _queue_hook(batch: Batch) -> Callable | None:
    """The work queue's approval of a batch approved on a worker: the batch's queue."""
    queue = batch.approval.queue
    if queue is None:
        return None
    return lambda request, checker, reason: queue(checker, int(request.object_id), reason)


def _show(batch: Batch, field: str, value: Any) -> str:
    """A run's figure as the work queue shows it (labels, not codes)."""
    if field == "status" and value in batch.statuses.values:
        return str(batch.statuses(value).label)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(
            f"≥{item['min_age']}: {item['amount']}" if isinstance(item, dict) else str(item)
            for item in value
        )
    return str(value)
