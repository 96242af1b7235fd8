"""Figures for the pages' charts (Apache ECharts, vendored under static/vendor/echarts).

A page's view asks a selector for the figures, wraps them in ``chart(...)`` and the
template includes ``pension/chart.html`` with it; ``static/js/charts.js`` draws every
chart of the page. Amounts travel as exact decimal strings (never floats): the chart
draws them, the labels print them with thousands separators, and the table beside a
chart keeps the exact figures for whoever needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Chart", "chart"]

KINDS = ("bar", "line", "stacked")


@dataclass(frozen=True)
class Chart:
    """One chart: the element id, its title and caption, and the figures it draws."""

    element_id: str
    title: str
    caption: str
    figures: dict[str, Any]


def _figure(value: Decimal | int | None) -> str:
    if value is None:
        return "0"
    if isinstance(value, float):
        raise TypeError("chart figures are Decimal or int, never float")
    return format(value, "f") if isinstance(value, Decimal) else str(int(value))


def chart(
    element_id: str,
    *,
    title: str,
    categories: Sequence[str],
    series: Iterable[tuple[str, Sequence[Decimal | int | None]]],
    kind: str = "bar",
    unit: str = "",
    money: bool = True,
    caption: str = "",
) -> Chart:
    """A chart of ``series`` (name, one value per category) over ``categories``."""
    if kind not in KINDS:
        raise ValueError(f"chart kind must be one of {KINDS}")
    categories = [str(c) for c in categories]
    out = []
    for name, values in series:
        values = list(values)
        if len(values) != len(categories):
            raise ValueError("a series needs one value per category")
        out.append({"name": str(name), "values": [_figure(v) for v in values]})
    figures = {
        "kind": kind,
        "title": str(title),
        "categories": categories,
        "series": out,
        "unit": str(unit),
        "money": money,
    }
    return Chart(element_id=element_id, title=str(title), caption=str(caption), figures=figures)
