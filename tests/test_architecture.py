"""Dependencies point one way (DESIGN §2.1): an upstream app never imports a
downstream one; nobody imports audit; domain and process modules never import api/,
views or forms; raw SQL names only the app's own tables and the kernel's (another app's
are read through its SQL-fragment selectors); views hold no domain logic."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# each app and the apps it may import (besides itself and the kernel)
UPSTREAM = {
    "pension": set(),
    "enrollment": set(),
    "contributions": {"enrollment"},
    "accounts": {"contributions", "enrollment"},
    "benefits": {"accounts", "contributions", "enrollment"},
    "funds": {"benefits", "accounts", "contributions", "enrollment"},
    "budget": {"funds", "benefits", "accounts", "contributions", "enrollment"},
    "audit": {"budget", "funds", "benefits", "accounts", "contributions", "enrollment"},
}
DOMAIN_MODULES = {"models", "services", "selectors", "tasks", "choices"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _source_files(app: str):
    for path in (ROOT / app).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        yield path


@pytest.mark.parametrize("app", sorted(UPSTREAM))
def test_app_imports_only_upstream_apps(app):
    allowed = UPSTREAM[app] | {app, "pension"}
    offenders = []
    for path in _source_files(app):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in UPSTREAM and top not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


# Interface modules: the pages and the API, their forms, filters and URL tables; the
# app's wiring (apps, admin, template tags, context processors) and its demo and
# benchmark loaders. Every other module of an app is a domain module: the named ones
# (DOMAIN_MODULES) and the process modules that hold a business process's writes and
# reads (benefits/payroll/runs.py, bank.py, contributions/assessment.py,
# accounts/runs.py, …), wherever they sit.
NOT_PROCESS = {
    "views", "forms", "filtersets", "urls", "admin", "apps", "context_processors", "demo",
    "bench_data",
}  # fmt: skip


def is_process_module(path: Path) -> bool:
    """A domain or process module: not an interface, wiring, loader or test."""
    rel = path.relative_to(ROOT).parts
    if {"api", "tests", "migrations", "management", "templatetags"} & set(rel):
        return False
    stem = path.stem
    return not (
        stem in NOT_PROCESS
        or stem.endswith(("_views", "_urls"))
        or stem.startswith("admin_")
        or stem == "__init__"
    )


def test_process_modules_are_found_in_subpackages():
    found = {str(p.relative_to(ROOT)) for p in _source_files("benefits") if is_process_module(p)}
    assert {"benefits/payroll/runs.py", "benefits/payroll/bank.py",
            "benefits/determination/retirement.py", "benefits/models.py"} <= found  # fmt: skip
    assert "benefits/payroll/views.py" not in found
    assert "benefits/api/views.py" not in found


@pytest.mark.parametrize("app", sorted(UPSTREAM))
def test_domain_modules_do_not_import_interfaces(app):
    offenders = []
    for path in _source_files(app):
        if path.stem not in DOMAIN_MODULES and not is_process_module(path):
            continue
        for name in _imports(path):
            if _is_interface(name) and name.split(".")[0] in UPSTREAM:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


def test_every_app_has_the_same_shape():
    shape = {
        "models.py", "choices.py", "services.py", "selectors.py", "filtersets.py", "forms.py",
        "views.py", "urls.py", "tasks.py", "admin.py", "apps.py",
        "api/serializers.py", "api/views.py", "api/urls.py", "tests/__init__.py",
    }  # fmt: skip
    for app in [a for a in UPSTREAM if a != "pension"]:
        # models.py or a models/ package (DESIGN §2.2); services.py or process
        # subpackages (benefits: determination/, payroll/, …) holding the writes
        process_packages = [
            p for p in (ROOT / app).glob("*/__init__.py")
            if p.parent.name not in {"api", "tests", "migrations", "management", "models"}
        ]  # fmt: skip
        missing = [
            f
            for f in shape
            if not (ROOT / app / f).exists()
            and not (f == "models.py" and (ROOT / app / "models" / "__init__.py").exists())
            and not (f == "services.py" and process_packages)
        ]
        assert not missing, f"{app} lacks {missing}"


INTERFACE_MODULES = ("forms", "filtersets", "views", "api")


def _is_interface(module: str) -> bool:
    parts = module.split(".")
    return any(p in INTERFACE_MODULES or p.endswith("_views") for p in parts[1:])


@pytest.mark.parametrize("app", sorted(UPSTREAM))
def test_no_app_imports_another_domains_forms_views_or_filtersets(app):
    """Shared UI plumbing (form mixins, period and region filters, serializer fields)
    lives in the kernel (DESIGN §2.2), never in another domain's interface modules."""
    offenders = []
    for path in _source_files(app):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in UPSTREAM and top not in (app, "pension") and _is_interface(name):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders


# --- raw SQL names only the app's own tables (DESIGN §2.1, issue 16) -------------------
# An app's SQL strings may name its own tables and the kernel's (``pension_*``: regions,
# approvals, payment instructions); another domain's tables are read through that app's
# SQL-fragment selectors (``enrollment.selectors.insured_persons_sql``,
# ``contributions.selectors.account_creditable_lines_sql``), never by name. Audit may
# read anything. The demo and benchmark loaders (``demo.py``, ``bench_data.py``,
# ``management/commands/bench_*``) write the rows of a test province into every table
# and are left out.
SQL_EXEMPT = {"audit"}


def _is_loader(path: Path) -> bool:
    return path.stem in {"demo", "bench_data"} or path.stem.startswith("bench_")


def _domain_tables() -> dict[str, str]:
    """Every table of a domain app (not the kernel's) and the app that owns it."""
    return {
        model._meta.db_table: model._meta.app_label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in UPSTREAM and model._meta.app_label != "pension"
    }


def foreign_tables_in_sql(source: str, *, app: str, tables: dict[str, str]) -> list[str]:
    """The other domains' tables named in the string literals (f-strings included) of
    ``source``, a module of ``app``: ``"<line>: <table>"``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in re.findall(r"\b[a-z][a-z0-9_]*\b", node.value):
                if tables.get(word, app) != app:
                    found.append(f"{node.lineno}: {word}")
    return found


@pytest.mark.parametrize("app", sorted(set(UPSTREAM) - SQL_EXEMPT))
def test_raw_sql_names_no_other_domains_table(app):
    tables = _domain_tables()
    offenders = []
    for path in _source_files(app):
        if _is_loader(path):
            continue
        source = path.read_text(encoding="utf-8")
        offenders += [
            f"{path.relative_to(ROOT)}:{hit}"
            for hit in foreign_tables_in_sql(source, app=app, tables=tables)
        ]
    assert not offenders


def test_the_sql_check_finds_a_planted_table_name():
    tables = {"enrollment_insuredperson": "enrollment", "benefits_payrollline": "benefits"}
    planted = (
        'X = f"""SELECT p.name FROM enrollment_insuredperson p\n'
        '  JOIN benefits_payrollline l ON l.person_id = p.id WHERE {1}"""\n'
    )
    assert foreign_tables_in_sql(planted, app="benefits", tables=tables) == [
        "1: enrollment_insuredperson"
    ]
    assert foreign_tables_in_sql(planted, app="enrollment", tables=tables) == [
        "1: benefits_payrollline"
    ]
    clean = 'X = f"SELECT p.name FROM {insured_persons_sql()} p"  # enrollment_insuredperson\n'
    assert foreign_tables_in_sql(clean, app="benefits", tables=tables) == []


# --- views hold no domain logic (CONTRIBUTING "Interfaces") ---------------------------
# A view (``views.py``, ``*_views.py``, ``api/views.py``) checks the input, the role and
# the region, then calls a service or a selector. It never writes or opens a
# transaction itself, and never runs SQL: no ``.save()``/``.delete()`` (a model's, a
# form's or a serializer's; ``workbook.save(buffer)`` with an argument is a file), no
# ``create``/``update``/``delete``/``bulk_*``/``get_or_create``/``update_or_create`` on
# a manager or a queryset chain (``X.objects…``, ``….filter(…)``), no
# ``transaction.atomic``, no ``connection``/``cursor``/``execute``/``.raw()``/
# ``.extra()``/``RawSQL``, and no import of ``transaction`` or ``connection``.
_QUERYSET_CALLS = {"filter", "exclude", "all", "select_related", "prefetch_related", "only"}
_BULK_WRITES = {"bulk_create", "bulk_update", "get_or_create", "update_or_create"}
_DB_MODULES = ("django.db", "django.db.transaction")
_SQL_NAMES = {"cursor", "execute", "executemany", "raw", "extra", "RawSQL", "atomic"}


def _on_queryset(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            return True
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in _QUERYSET_CALLS:
                return True
            node = node.func
        else:
            node = node.value
    return False


def domain_logic_in_view(source: str) -> list[str]:
    """What a view module does that belongs in a service or selector:
    ``"<line>: <what>"``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "django.db",
            "django.db.transaction",
        ):
            for alias in node.names:
                if alias.name in ("transaction", "connection", "connections", "atomic"):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if (method in ("save", "delete") and not node.args) or method in _BULK_WRITES:
                found.append(f"{node.lineno}: .{method}()")
            elif method in ("create", "update", "delete") and _on_queryset(node.func.value):
                found.append(f"{node.lineno}: queryset .{method}()")
        if isinstance(node, ast.Attribute) and node.attr in _SQL_NAMES:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in ("RawSQL", "connection"):
            found.append(f"{node.lineno}: {node.id}")
    return sorted(set(found), key=lambda hit: (int(hit.split(":")[0]), hit))


def _is_view_module(path: Path) -> bool:
    return path.stem == "views" or path.stem.endswith("_views")


@pytest.mark.parametrize("app", sorted(UPSTREAM))
def test_views_call_services_and_selectors_only(app):
    offenders = []
    for path in _source_files(app):
        if _is_view_module(path):
            source = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}:{hit}" for hit in domain_logic_in_view(source)]
    assert not offenders


def test_the_view_check_finds_planted_domain_logic():
    planted = """
from django.db import connection, transaction

def approve(request, pk):
    with transaction.atomic():
        run = PayrollRun.objects.get(pk=pk)
        run.status = "approved"
        run.save()
        PayrollLine.objects.filter(run=run).update(posted=True)
        PayrollDue.objects.create(person_id=1)
        Note.objects.bulk_create([])
        form.save()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE benefits_payrollrun SET status = 'approved'")
"""
    hits = domain_logic_in_view(planted)
    assert hits == [
        "2: import connection", "2: import transaction", "5: .atomic", "8: .save()",
        "9: queryset .update()", "10: queryset .create()", "11: .bulk_create()",
        "12: .save()", "13: .cursor", "13: connection", "14: .execute",
    ]  # fmt: skip
    clean = """
def page(request, pk):
    run = selectors.payroll_run(request.user, pk)
    context = {"run": run}
    context.update(totals=run.totals)
    workbook.save(buffer)
    payroll.payroll_run_approve(actor=request.user, run=run)
"""
    assert domain_logic_in_view(clean) == []
