"""The recalculation of provisional determinations (临时待遇重算, DESIGN §5.4, §9.2.3) as
a batch on the engine (``pension.batches``).

When a year's calculation base is published (or the average wage of the year before,
which a determination of that year took from an earlier year), every current
provisional determination
of that retirement year is computed again (``benefits.determination.retirement.
provisional_determination_recalculate``: the rule, the new determination, the
settlement due, the change log). The batch does it county by county: one transaction
per county, which locks only that county's provisional determinations and holds the
change-log chain only until it commits, records the county as done with the progress,
and keeps the pairs (old id, new id) written. A crashed run resumes with the counties
not done; a county redone finds its determinations superseded already (they are
selected current and locked, so two runs at once never recalculate one twice). A run
is made only when some determination in scope has a base published since.

Not approved by a second person: the base is a published parameter and the rule is
fixed; the run goes draft → running → posted, or failed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from benefits.choices import RecalculationStatus
from benefits.determination import retirement
from benefits.models import PensionDetermination, ProvisionalRecalculation
from pension import batches
from pension.models import ChangeAction, Region

BATCH = batches.register(
    batches.Batch(
        key="benefits.provisional_recalculation",
        model=ProvisionalRecalculation,
        statuses=RecalculationStatus,
    )
)
LABEL = _("Provisional recalculation")


def _anything_to_do(year: int, prefix: str, today: date) -> bool:
    """Whether a base (or the average wage of the year before ``year``) was published
    since for any provisional determination in scope (checked once per distinct
    region, retirement date and bases, not per person)."""
    combos = list(
        retirement.provisional_candidates(year=year, prefix=prefix)
        .values_list("region_id", "retirement_date", "calculation_base", "local_calculation_base")
        .distinct()
    )
    waiting_wage = set(
        retirement.provisional_candidates(year=year, prefix=prefix)
        .filter(inputs__provisional_reasons__contains=[f"contribution.average_wage {year - 1}"])
        .values_list("region_id", flat=True)
        .distinct()
    )
    regions = Region.objects.in_bulk({combo[0] for combo in combos} | waiting_wage)
    if any(
        retirement.provisional_wage_published(
            regions[code],
            retirement_year=year,
            reasons=[f"contribution.average_wage {year - 1}"],
            today=today,
        )
        is not None
        for code in waiting_wage
    ):
        return True
    return any(
        retirement.provisional_base_changed(
            regions[code],
            retirement_date=retired,
            calculation_base=base,
            local_calculation_base=local,
            today=today,
        )
        for code, retired, base, local in combos
    )


def recalculate(
    *, actor, year: int, region: Region | None, today: date
) -> list[PensionDetermination]:
    """Run the batch for ``year`` in ``region`` and below (every region when None) as
    published on ``today``; the new determinations in the order of the old ones. Call
    it outside ``transaction.atomic`` for a transaction per county."""
    prefix = region.scope_prefix if region is not None else ""
    if not _anything_to_do(year, prefix, today):
        return []
    starter = actor if actor is not None and getattr(actor, "pk", None) else None
    with transaction.atomic():
        run = ProvisionalRecalculation(
            year=year,
            region=region,
            started_by=starter,
            parameters={"today": today.isoformat(), "prefix": prefix, "written": []},
        )
        run.save()
        batches.log(starter, run, None, action=ChangeAction.CREATE)
    run = provisional_recalculation_execute(run.pk)
    pairs = sorted(run.parameters.get("written", []))
    new = PensionDetermination.objects.in_bulk([new_id for _old, new_id in pairs])
    return [new[new_id] for _old, new_id in pairs]


def provisional_recalculation_execute(run_id: int) -> ProvisionalRecalculation:
    """Execute (or resume) a recalculation run on the engine."""
    return batches.execute(
        BATCH,
        run_id,
        plan=lambda run: _plan(run),
        chunk=lambda run, county, weight: _chunk(run, county, weight),
        status=RecalculationStatus.POSTED,
        reason=gettext_noop("posted"),
    )


def _plan(run: ProvisionalRecalculation) -> list[list[Any]]:
    """The counties with provisional determinations of the year, and how many."""
    rows = (
        retirement.provisional_candidates(year=run.year, prefix=run.parameters["prefix"])
        .values("region_id")
        .annotate(count=Count("id"))
        .order_by("region_id")
    )
    return [[row["region_id"], row["count"]] for row in rows]


def _chunk(run: ProvisionalRecalculation, county: str, weight: int) -> dict[str, Any]:
    """One county's provisional determinations, locked and recalculated, in the
    chunk's transaction."""
    today = date.fromisoformat(run.parameters["today"])
    selected = (
        retirement.provisional_candidates(year=run.year)
        .filter(region_id=county)
        .select_for_update(of=("self",))
        .select_related("region", "person")
        .order_by("pk")
    )
    written = []
    for old in selected:
        new = retirement.provisional_determination_recalculate(
            old, actor=run.started_by, year=run.year, today=today
        )
        if new is not None:
            written.append([old.pk, new.pk])
    run.parameters["written"] = [*run.parameters.get("written", []), *written]
    return {"recalculated_count": F("recalculated_count") + len(written)}
