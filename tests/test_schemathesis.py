"""Schemathesis against the generated OpenAPI schema (issue 14): every operation of
/api/v1/, examples and fuzzed input (valid and not), every check on, authenticated
with a real API key of a province-wide system on the tiny demo province. It must
report no 5xx, no answer that the schema does not describe (status, content type,
headers, body) and no invalid input accepted.

Bounded: a fixed seed, ``SCHEMATHESIS_EXAMPLES`` examples per operation (default 25),
one worker; a few minutes on two cores. The same command against a running server
is in docs/api.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from pension.api import keys
from pension.models import Region

CONFIG = Path(__file__).resolve().parent.parent / "schemathesis.toml"
SEED = 20261205
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
SCOPES = [
    "enrollment.read",
    "enrollment.read_id_numbers",
    "enrollment.employer_push",
    "contributions.read",
    "contributions.read_id_numbers",
    "contributions.pay",
    "accounts.read",
    "accounts.read_id_numbers",
    "payroll.read",
    "payroll.bank_results",
    "funds.read",
    "funds.tax_transfer",
    "funds.statement",
    "finance.plans.read",
    "finance.plans.write",
    "budget.read",
    "audit.read",
]


def schemathesis_command(schema: str, url: str, key: str, report: Path) -> list[str]:
    """``st run`` as docs/api.md gives it."""
    return [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        schema,
        "--url",
        url,
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Api-Key {key}",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report),
    ]


@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, tmp_path, settings
):
    from pension.demo import load_demo

    load_demo(scale="tiny", log=lambda message: None, history_years=1)
    from pension.models import StaffUser

    admin = StaffUser.objects.get(username="admin")
    _, key = keys.api_client_create(
        actor=admin,
        name="Schemathesis",
        kind="tax",
        region=Region.objects.get(code="140000"),
        scopes=SCOPES,
        bank_name="中国工商银行",  # payroll.bank_results needs the bank it reports for
    )
    schema = SchemaGenerator().get_schema(request=None, public=True)
    schema_path = tmp_path / "schema.json"
    schema_path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    command = schemathesis_command(str(schema_path), live_server.url, key, tmp_path / "report")
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=840, cwd=tmp_path
    )  # its cache stays in tmp_path
    output = result.stdout + result.stderr
    Path(tmp_path / "schemathesis.log").write_text(output, encoding="utf-8")
    assert result.returncode == 0, output[-12000:]
