"""Dependencies point one way (DESIGN §2.1): an upstream app never imports a
downstream one; nobody imports audit; domain modules never import api/ or views."""

import ast
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("app", sorted(UPSTREAM))
def test_domain_modules_do_not_import_interfaces(app):
    offenders = []
    for path in _source_files(app):
        if path.stem not in DOMAIN_MODULES:
            continue
        for name in _imports(path):
            if ".api" in name or name.endswith(".views") or ".forms" in name:
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
