"""Role × region scope: the one place that limits what a user sees and acts on.

A model says where its rows lie with ``scope_region_path``: the path to a ``Region``
foreign key (``"agency__region"``), or ``""`` for ``Region`` itself. Because a region's
primary key is its GB/T 2260 code and codes nest by prefix, "in the user's region" is
``<path>.code LIKE '<prefix>%'`` on an indexed column.

Actions:
- ``view``: see the row;
- ``prepare``: open a case about it (a maker's work);
- ``approve``: decide on it (a checker's work);
- ``manage``: administer it.

A model may open some actions to the whole province with
``scope_province_wide_actions`` (异地通办: any hall may read and prepare cases about any
insured person of the province); approval always stays with the owning region and
the levels above it.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from pension.choices import RegionLevel, Role

ACTIONS = ("view", "prepare", "approve", "manage")
LEVEL_RANK = {RegionLevel.COUNTY: 0, RegionLevel.CITY: 1, RegionLevel.PROVINCE: 2}
# roles that may act at all, by action (what); the region says where
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(Role.values),
    # auditors read and inspect; they never prepare what they may later audit
    "prepare": frozenset(Role.values) - {Role.AUDITOR},
    "approve": frozenset({Role.REVIEWER}),
    "manage": frozenset({Role.PROVINCE_ADMIN}),
}


def region_q(model: type[Model], prefix: str) -> Q:
    """Rows of ``model`` lying in the region whose codes start with ``prefix``."""
    path = getattr(model, "scope_region_path", None)
    if path is None:
        raise TypeError(f"{model.__name__} declares no scope_region_path")
    if path == "":
        return Q(code__startswith=prefix)
    return Q(**{f"{path}__code__startswith": prefix})  # the join is trimmed: FK column


def user_prefix(user, model: type[Model], action: str) -> str | None:
    """The code prefix the user may ``action`` in for ``model``; None for nowhere."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ""
    if not user.has_role(*ACTION_ROLES[action]) or user.region is None:
        return None
    region = user.region
    if action in getattr(model, "scope_province_wide_actions", ()):
        return region.code[:2]
    return region.scope_prefix


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """``queryset`` limited to the rows ``user`` may ``action``."""
    prefix = user_prefix(user, queryset.model, action)
    if prefix is None:
        return queryset.none()
    if prefix == "":
        return queryset
    return queryset.filter(region_q(queryset.model, prefix))


def region_allows(user, region_code: str, action: str, model: type[Model] | None = None) -> bool:
    """Whether ``user`` may ``action`` something lying in ``region_code``."""
    model = model or _RegionScoped
    prefix = user_prefix(user, model, action)
    return prefix is not None and region_code.startswith(prefix)


# --- batch runs of the regions above the user's ----------------------------------------
# A province's (or a city's) batch run covers every county below it: the payroll that
# pays a county's retirees, the assessment of its contributors, the crediting and the
# interest of its people's accounts. County staff read such a run, read-only and only
# their county's part; acting on a run still needs it in their scope (``restrict``).


def regions_above(user) -> list[str]:
    """The codes of the regions above ``user``'s own (their city, their province)."""
    region = getattr(user, "region", None)
    codes: list[str] = []
    parent = region.parent if region is not None else None
    while parent is not None:
        codes.append(parent.code)
        parent = parent.parent
    return codes


def runs_covering(queryset: QuerySet, user) -> QuerySet:
    """The runs of ``queryset`` (a run model with a ``region`` key) ``user`` may read:
    those of their region and below (``restrict``), and those of the regions above
    theirs, which cover their region too; of the latter they see their part only
    (``run_part_of``)."""
    own = restrict(queryset, user, "view")
    prefix = user_prefix(user, queryset.model, "view")
    if not prefix:  # nowhere, or everything already
        return own
    return own | queryset.filter(region_id__in=regions_above(user))


def run_part_of(user, run: Model) -> str | None:
    """The division-code prefix of the part of ``run`` that ``user`` sees: ``None`` for
    the whole run (it lies in their region), else their region's prefix (a run of a
    region above theirs, read through ``runs_covering``)."""
    model = type(run)
    if region_allows(user, run.region_id, "view", model=model):
        return None
    return user_prefix(user, model, "view")


def level_at_least(user, level: str) -> bool:
    region = getattr(user, "region", None)
    if getattr(user, "is_superuser", False):
        return True
    return region is not None and LEVEL_RANK[region.level] >= LEVEL_RANK[level]


class _RegionScoped(Model):
    """Stand-in for checks on a bare region code (not a table)."""

    scope_region_path = ""

    class Meta:
        abstract = True
