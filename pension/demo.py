"""The demo province: a deterministic synthetic province at a chosen scale.

The kernel loads regions (real GB/T 2260 codes of both profile provinces), the
policy profiles and parameters, agencies for the demo province and staff users for
every role. Each domain app may add a ``demo.py`` with a ``register`` call; its step
runs after the kernel's, in app order, so later issues extend the demo without the
kernel importing them. Bulk rows go in with COPY.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from pension.bulk import copy_rows
from pension.choices import RegionLevel, Role
from pension.models import Agency, PolicyParameter, PolicyProfile, Region, StaffUser

DATA_DIR = Path(__file__).resolve().parent / "data"
SCALES = ("tiny", "demo", "province")
# Years of history (contribution assessments, payments, ...) loaded by default before
# today's year. The province scale loads one: three would take 1.5–2.3 hours and some
# 54 GB on the reference machine (docs/benchmarks.md); ``--history-years 3`` asks for them.
DEFAULT_HISTORY_YEARS = {"tiny": 3, "demo": 3, "province": 1}
# Every demo login shares this password (docs/operations.md, README).
DEMO_PASSWORD = "demo-pass-2026"
PROVINCES = {"shanxi": "140000", "jilin": "220000"}
DEMO_REFUSED = (
    "the demo province is not loaded with production settings: every demo user signs in "
    f"with the published password {DEMO_PASSWORD!r}. Try the demo with `make run`; unset "
    "DEMO (or DEMO=0) for docker compose (docs/operations.md)"
)
# The named demo logins: (username, role, which agency, full name)
#   which agency: "province", "city" (the capital city), "county" (a district of it),
#   "other_city" / "other_county" (a second city and one of its counties, for scope tests)
NAMED_USERS = [
    ("caseworker", Role.CASEWORKER, "county", "王经办"),
    ("reviewer", Role.REVIEWER, "county", "李复核"),
    ("county_head", Role.AGENCY_HEAD, "county", "赵主任"),
    ("county_accountant", Role.FUND_ACCOUNTANT, "county", "钱会计"),
    ("city_caseworker", Role.CASEWORKER, "city", "孙经办"),
    ("city_reviewer", Role.REVIEWER, "city", "周复核"),
    ("city_accountant", Role.FUND_ACCOUNTANT, "city", "吴会计"),
    ("city_budget", Role.BUDGET_OFFICER, "city", "郑预算"),
    ("province_reviewer", Role.REVIEWER, "province", "冯复核"),
    ("province_accountant", Role.FUND_ACCOUNTANT, "province", "陈会计"),
    ("province_budget", Role.BUDGET_OFFICER, "province", "褚预算"),
    # the budget's approval chain (DESIGN §5.6): HR/SS, finance, the government
    ("province_head", Role.AGENCY_HEAD, "province", "杨主任"),
    ("province_finance", Role.FINANCE_OFFICER, "province", "秦财政"),
    ("province_government", Role.GOVERNMENT_APPROVER, "province", "尤审批"),
    ("auditor", Role.AUDITOR, "province", "卫稽核"),
    ("admin", Role.PROVINCE_ADMIN, "province", "蒋管理"),
    # the provincial finance department (省财政厅): approves the province's spending plans
    ("finance", Role.FINANCE_OFFICER, "province", "杨财政"),
    ("other_caseworker", Role.CASEWORKER, "other_county", "沈经办"),
    ("other_reviewer", Role.REVIEWER, "other_county", "韩复核"),
]


@dataclass(frozen=True)
class DemoContext:
    scale: str
    profile: str
    province_code: str
    today: date
    log: Callable[[str], None]
    # years of history (assessments, payments, ...) before today's year; 0 loads only
    # the registers (the tests' tiny province)
    history_years: int = 3


_STEPS: list[tuple[str, Callable[[DemoContext], None]]] = []


def register(name: str, step: Callable[[DemoContext], None]) -> None:
    """Add a domain's demo step (called from ``<app>/demo.py``)."""
    if name not in {n for n, _ in _STEPS}:
        _STEPS.append((name, step))


def is_loaded(profile: str = "shanxi") -> bool:
    return Agency.objects.filter(code=f"{PROVINCES[profile]}00").exists()


def refuse_in_production() -> None:
    """Raise ``ImproperlyConfigured`` unless the settings allow the demo province."""
    if not settings.DEMO_ALLOWED:
        raise ImproperlyConfigured(DEMO_REFUSED)


def load_demo(
    *,
    scale: str = "demo",
    profile: str = "shanxi",
    log: Callable[[str], None] = print,
    history_years: int | None = None,
    until: str | None = None,
) -> DemoContext:
    """Load the demo province into an empty database (one transaction), with
    ``history_years`` years of history before today's year (0: none; by default
    ``DEFAULT_HISTORY_YEARS`` of the scale). ``until`` names the last domain step to
    load (a domain's own tests need nothing downstream of it; None: every step).
    Refused when ``DEMO_ALLOWED`` is off (production settings)."""
    refuse_in_production()
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}")
    if history_years is None:
        history_years = DEFAULT_HISTORY_YEARS[scale]
    if history_years < 0:
        raise ValueError("history_years must be 0 or more")
    autodiscover_modules("demo")
    if until is not None and until not in {n for n, _ in _STEPS}:
        raise ValueError(f"no demo step {until!r}")
    ctx = DemoContext(scale, profile, PROVINCES[profile], timezone.localdate(), log, history_years)
    with transaction.atomic():
        _load_regions(ctx)
        _load_policy(ctx)
        _load_agencies(ctx)
        _load_staff(ctx)
        for name, step in _STEPS:
            log(f"demo: {name}")
            step(ctx)
            if name == until:
                break
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ctx


def _load_regions(ctx: DemoContext) -> None:
    if Region.objects.exists():
        return
    rows = []
    for name in ("regions_shanxi.csv", "regions_jilin.csv"):
        with open(DATA_DIR / name, encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                rows.append((r["code"], r["name"], r["level"], r["parent_code"] or None, True))
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    rows.sort(key=lambda r: order[r[2]])
    n = copy_rows(Region._meta.db_table, ["code", "name", "level", "parent_id", "is_active"], rows)
    ctx.log(f"demo: {n} regions")


def _load_policy(ctx: DemoContext) -> None:
    if PolicyParameter.objects.exists():
        return
    data = json.loads((DATA_DIR / "policy_parameters.json").read_text(encoding="utf-8"))
    for p in data["profiles"]:
        PolicyProfile.objects.get_or_create(
            code=p["code"], defaults={"name": p["name"], "province_id": p["province"]}
        )
    now = timezone.now()
    rows = (
        (
            p["profile"],
            p["key"],
            p["region"],
            p["effective_from"],
            1,
            json.dumps(p["value"], ensure_ascii=False),
            p["reference_year"],
            p["published_on"],
            p["source"],
            p["notes"],
            now,
        )
        for p in data["parameters"]
    )
    n = copy_rows(
        PolicyParameter._meta.db_table,
        [
            "profile_id",
            "key",
            "region_id",
            "effective_from",
            "version",
            "value",
            "reference_year",
            "published_on",
            "source",
            "notes",
            "created_at",
        ],
        rows,
    )
    ctx.log(f"demo: {n} policy parameters")


def _demo_regions(ctx: DemoContext) -> dict[str, Region]:
    """The regions the named logins sit in: the capital, a district, a second city."""
    cities = list(Region.objects.filter(parent_id=ctx.province_code).order_by("code"))
    capital, other = cities[0], cities[1]
    county = Region.objects.filter(parent=capital).order_by("code").first()
    other_county = Region.objects.filter(parent=other).order_by("code").first()
    return {
        "province": Region.objects.get(code=ctx.province_code),
        "city": capital,
        "county": county,
        "other_city": other,
        "other_county": other_county,
    }


def _agency_name(region: Region) -> str:
    suffix = {
        RegionLevel.PROVINCE: "社会保险事业管理局",
        RegionLevel.CITY: "社会保险中心",
        RegionLevel.COUNTY: "社会保险中心",
    }[region.level]
    return f"{region.name}{suffix}"


def _load_agencies(ctx: DemoContext) -> None:
    if is_loaded(ctx.profile):
        return
    prefix = ctx.province_code[:2]
    regions = Region.objects.filter(code__startswith=prefix)
    if ctx.scale == "tiny":
        wanted = {r.code for r in _demo_regions(ctx).values()}
        regions = regions.filter(code__in=wanted)
    rows = ((f"{r.code}00", _agency_name(r), r.code, True) for r in regions.order_by("code"))
    n = copy_rows(Agency._meta.db_table, ["code", "name", "region_id", "is_active"], rows)
    ctx.log(f"demo: {n} agencies")


def _load_staff(ctx: DemoContext) -> None:
    # One hash for the shared demo password, so thousands of users load in a second.
    password = make_password(DEMO_PASSWORD)
    now = timezone.now()
    agency_of = {key: f"{region.code}00" for key, region in _demo_regions(ctx).items()}
    agencies = dict(Agency.objects.values_list("code", "id"))
    existing = set(StaffUser.objects.values_list("username", flat=True))
    rows = []
    for username, role, where, full_name in NAMED_USERS:
        if username not in existing:
            rows.append((username, full_name, agencies[agency_of[where]], [role]))
    if ctx.scale != "tiny":
        # every agency gets a login per role: u<region code>_<role>
        for code, agency_id in agencies.items():
            if not code.startswith(ctx.province_code[:2]):
                continue
            for role in Role.values:
                if role == Role.PROVINCE_ADMIN and not code.endswith("000000"):
                    continue
                username = f"u{code[:6]}_{role}"
                if username not in existing:
                    rows.append((username, "", agency_id, [role]))
    columns = [
        "username",
        "full_name",
        "agency_id",
        "roles",
        "password",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_superuser",
        "is_active",
        "date_joined",
    ]
    full = (
        (u, name, agency, roles, password, "", "", "", Role.PROVINCE_ADMIN in roles,
         Role.PROVINCE_ADMIN in roles, True, now)
        for u, name, agency, roles in rows
    )  # fmt: skip
    n = copy_rows(StaffUser._meta.db_table, columns, full)
    ctx.log(f"demo: {n} staff users")
