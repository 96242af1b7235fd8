"""Rule and parameter references shown to people, in words.

Results keep their rule as text for the record (``AccountEntry.rule``: ``monthly_product
0.0262 accounts.interest_rate@12.v1``; ``Shortfall.references``:
``benefits.retirement_age@3.v1``). Pages show it through ``rule_text`` (template filter
``rule_text`` in ``pension_tags``): a parameter reference becomes the parameter's label
and version (利率 (参数 12 第 1 版)), a parameter key its label, a maker-checker
operation its label, and a word an app registered (``register_rule_words``) its label;
the exact reference stays in the element's ``title`` for whoever needs it."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

__all__ = ["register_rule_words", "rule_text"]

_WORDS: dict[str, Any] = {}
_REFERENCE = re.compile(r"^(?P<key>[a-z_]+\.[a-z_]+)@(?P<id>\d+)\.v(?P<version>\d+)$")


def register_rule_words(words: dict[str, Any]) -> None:
    """Labels for the words of rule texts (interest methods, flags), by the apps."""
    _WORDS.update(words)


def _word(token: str) -> str:
    from pension.approvals import _OPERATIONS
    from pension.policy import SPECS

    match = _REFERENCE.match(token)
    if match:
        spec = SPECS.get(match["key"])
        label = spec.label if spec else match["key"]
        return _("%(label)s (parameter %(id)s, version %(version)s)") % {
            "label": label,
            "id": match["id"],
            "version": match["version"],
        }
    if token in SPECS:
        return str(SPECS[token].label)
    if token in _OPERATIONS:
        return str(_OPERATIONS[token].label)
    if token in _WORDS:
        return str(_WORDS[token])
    return token


def rule_text(text: str | None) -> str:
    """``text`` (a rule, a reference, or several separated by spaces or commas) in words."""
    if not text:
        return ""
    parts = re.split(r"(\s+|,\s*)", str(text))
    return "".join(part if re.fullmatch(r"\s+|,\s*", part) else _word(part) for part in parts)
