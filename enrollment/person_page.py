"""The person page's sections (DESIGN §5.1: everything about a person in one place).

Registration shows its own sections; each downstream domain adds its section with
``register_section`` from its AppConfig.ready, so this app never imports them. A
section that no domain has registered yet says so on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    order: int
    template: str | None = None  # None: "not built yet"
    context: Callable[[Any, Any], dict] | None = None  # (request, person) -> context


# The sections every person page shows, in order; domains fill theirs in.
_SECTIONS: dict[str, Section] = {
    s.key: s
    for s in [
        Section("contributions", _("Contributions"), 30),
        Section("account", _("Personal pension account"), 40),
        Section("benefits", _("Benefits"), 50),
        Section("payments", _("Payments"), 60),
        Section("certifications", _("Life certifications"), 70),
    ]
}


def register_section(
    key: str,
    *,
    label: Any,
    order: int,
    template: str,
    context: Callable[[Any, Any], dict],
) -> None:
    _SECTIONS[key] = Section(key, label, order, template, context)


def sections(request, person) -> list[dict]:
    out = []
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        built = section.template is not None
        out.append(
            {
                "key": section.key,
                "label": section.label,
                "template": section.template,
                "context": section.context(request, person) if built and section.context else {},
                "built": built,
            }
        )
    return out
