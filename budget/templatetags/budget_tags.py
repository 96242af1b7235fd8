"""Template filters of the budget's pages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """``{{ rate|percent }}``: a fraction (0.6667) as a percentage to two decimals,
    half-up (66.67%); "—" when not available."""
    if value is None or value == "":
        return "—"
    shown = (Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{shown}%"


@register.filter
def at(values, index):
    """``{{ list|at:i }}``: the element at ``index``."""
    try:
        return values[int(index)]
    except (IndexError, TypeError, ValueError):
        return None


@register.filter
def at_key(mapping, key):
    """``{{ dict|at_key:key }}``: the value under ``key`` (None when absent)."""
    return (mapping or {}).get(key)


@register.filter
def structure_text(structure) -> str:
    """A snapshot's age and sex structure ({"M 40": 2, …}) as text: "Men aged 40 to 49:
    2; …", men first, bands in order."""
    from django.utils.translation import gettext as _

    parts = []
    for key in sorted(structure or {}, key=lambda k: (k.split()[0] != "M", int(k.split()[1]))):
        sex, band = key.split()
        low = int(band)
        who = _("Men") if sex == "M" else _("Women")
        if low >= 80:
            label = _("%(who)s aged 80 and over") % {"who": who}
        else:
            label = _("%(who)s aged %(low)s to %(high)s") % {
                "who": who,
                "low": low,
                "high": low + 9,
            }
        parts.append(f"{label}: {structure[key]}")
    return "; ".join(parts) or "—"
