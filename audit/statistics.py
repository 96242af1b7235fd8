"""The monthly statistics ledger (统计台账, operations standard §11.1.3–§11.1.4, DESIGN
§5.8) and the analysis report (分析报告, §11.2).

Not recounted: the ledger is the month-end snapshot (``budget.snapshot``, a batch on the
kernel engine run by beat on the 1st from the upstream selectors' SQL fragments), read
through ``budget.selectors.region_figures`` by city or county: insured, contributors,
retirees, new retirees, the monthly pension total, assessed and collected, and the
ratios derived from them (dependency ratio, average pension, collection rate, half-up to
4 places and to the fen). A month without a snapshot has no ledger (said on the page).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _g
from openpyxl import Workbook

from budget import calc
from budget.choices import SnapshotStatus
from budget.models import SnapshotRun
from budget.selectors import RegionFigures, region_figures, user_province
from pension.choices import RegionLevel
from pension.exports import safe_xlsx_row
from pension.periods import Period
from pension.scope import user_prefix

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Ledger:
    period: Period
    level: str
    rows: list[RegionFigures]
    total: RegionFigures
    taken: bool

    @staticmethod
    def collection_rate(figures: RegionFigures) -> Decimal | None:
        return calc.ratio(figures.collected, figures.assessed)


def _sum(rows: list[RegionFigures], code: str, name: str) -> RegionFigures:
    total = RegionFigures(code=code, name=name)
    for r in rows:
        total.insured += r.insured
        total.contributors += r.contributors
        total.retirees += r.retirees
        total.new_retirees += r.new_retirees
        total.pension_total += r.pension_total or 0
        total.assessed += r.assessed or 0
        total.collected += r.collected or 0
    return total


def _province(user):
    from pension.models import Region

    return user_province(user) or Region.objects.filter(level=RegionLevel.PROVINCE).first()


def may_take(user) -> bool:
    """Who may produce the ledger now: audit staff of the whole province (the snapshot
    the ledger reads is the province's)."""
    from audit.risk import may_audit

    province = _province(user)
    return province is not None and may_audit(user, province.code)


def ledger_take(*, actor, period: Period) -> SnapshotRun:
    """Run now (the ledger page's button): the month-end snapshot of ``period`` that
    the ledger reads (``budget.snapshot``), queued to the worker. Refused: a user who
    may not (``may_take``), a snapshot draft or running, the month's already taken."""
    from django.db import transaction
    from django.utils.translation import gettext_lazy

    from audit.risk import ERROR_NOT_AUDITOR, refuse_while_running
    from budget import snapshot
    from pension.errors import NotPermitted

    if not may_take(actor):
        raise NotPermitted(ERROR_NOT_AUDITOR, code="not_auditor")
    with transaction.atomic():
        refuse_while_running(snapshot.BATCH, gettext_lazy("month-end snapshot"))
        return snapshot.snapshot_take(
            actor=actor, period=period, province=_province(actor), checked=True
        )


def ledger(user, *, period: Period, level: str = RegionLevel.COUNTY, region: str = "") -> Ledger:
    """The ledger of ``period`` by city or county (``level``) within ``user``'s region
    (and the code prefix ``region``), with its total."""
    from pension.models import Region

    province = user_province(user) or Region.objects.filter(level=RegionLevel.PROVINCE).first()
    own = user_prefix(user, SnapshotRun, "view")
    prefix: str | None = own
    if own is not None and region:
        prefix = region if region.startswith(own) else (own if own.startswith(region) else None)
    taken = SnapshotRun.objects.filter(
        region=province, period=period, status=SnapshotStatus.CALCULATED
    ).exists()
    figures = (
        {} if prefix is None else region_figures(province, [period], level=level, prefix=prefix)
    )
    rows = sorted(figures.values(), key=lambda f: f.code)
    for row in rows:
        row.rates["collection"] = calc.ratio(row.collected, row.assessed)
    total = _sum(rows, prefix or "", _g("Total"))
    total.rates["collection"] = calc.ratio(total.collected, total.assessed)
    return Ledger(period=period, level=level, rows=rows, total=total, taken=taken)


def analysis(user, *, period: Period, months: int = 12, region: str = "") -> list[dict]:
    """The analysis report's series (§11.2): the ``months`` months to ``period``, each
    month's totals within the user's region and its ratios, and the change on the month
    before (people) — from the snapshots."""
    out: list[dict] = []
    p = period
    periods = []
    for _ in range(months):
        periods.append(p)
        p = p.prev()
    previous: RegionFigures | None = None
    for p in reversed(periods):
        month = ledger(user, period=p, level=RegionLevel.CITY, region=region)
        t = month.total
        out.append(
            {
                "period": p,
                "taken": month.taken,
                "figures": t,
                "dependency": t.dependency_ratio,
                "average_pension": t.average_pension,
                "collection": calc.ratio(t.collected, t.assessed),
                "insured_change": (
                    t.insured - previous.insured if previous and month.taken else None
                ),
            }
        )
        if month.taken:
            previous = t
    return out


def ledger_workbook(result: Ledger) -> bytes:
    """The ledger as an .xlsx workbook through ``pension.exports``."""
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(title="统计台账")
        for values in (
            [_g("Monthly statistics ledger")],
            [_g("Month"), str(result.period)],
            [
                _g("Region code"), _g("Region"), _g("Insured"), _g("Contributors"),
                _g("Retirees"), _g("New retirees"), _g("Monthly pension total"),
                _g("Assessed"), _g("Collected"), _g("Collection rate"), _g("Dependency ratio"),
            ],
        ):  # fmt: skip
            sheet.append(safe_xlsx_row(sheet, values))
        for row in [*result.rows, result.total]:
            values = [
                row.code, row.name, row.insured, row.contributors, row.retirees,
                row.new_retirees, row.pension_total, row.assessed, row.collected,
                row.rates.get("collection"), row.dependency_ratio,
            ]  # fmt: skip
            sheet.append(safe_xlsx_row(sheet, values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
