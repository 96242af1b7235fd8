"""Deployment files: docker-compose.yml validates, .env.example lists every variable."""

import os
import re
import shutil
import subprocess
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
