"""The month-end close and the three-way reconciliation on a real Celery worker, with a
worker killed mid-run: a process of the test's own executes the run with
``PENSION_TEST_CRASH_AFTER_CHUNKS=1`` and SIGKILLs itself once its first chunk has
committed (``pension.batches.crash_after_chunks``); the session's worker resumes it.
Every entry, pair and break exists once and the totals are the hand-worked ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from funds import close, ledger, reconciliation, revenue
from funds.choices import AccountKind, CloseStatus, ReconciliationStatus
from funds.models import CloseRun, JournalEntry, ReconciliationRun
from funds.reconciliation import StatementLineIn
from funds.tasks import close_run_execute, reconciliation_run_execute
from funds.tests import test_close
from pension import batches
from pension.api import keys

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
world = test_close.world  # the month-end close's world (a fixture)


def _crash(module: str, function: str, run_id: int) -> None:
    crashing = subprocess.run(
        [sys.executable, "-c",
         f"import django; django.setup(); from {module} import {function}; {function}({run_id})"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pension.settings.test",
            "PENSION_DATABASE_NAME": connection.settings_dict["NAME"],
            batches.CRASH_AFTER_CHUNKS_ENV: "1",
        },
        cwd=settings.BASE_DIR, capture_output=True, timeout=300,
    )  # fmt: skip
    assert crashing.returncode == -signal.SIGKILL, crashing.stderr.decode()[-2000:]


def test_a_close_killed_mid_run_resumes_and_posts_once(celery_worker, staff, world):
    run = close.close_run_create(actor=staff["province_accountant"], period=202612)
    _crash("funds.close", "close_run_execute", run.pk)
    run.refresh_from_db()
    assert run.status == CloseStatus.RUNNING  # crashed: nobody marked it failed
    assert len(run.parameters["chunks_done"]) == 1
    result = close_run_execute.delay(run.pk).get(timeout=300)
    assert result["status"] == CloseStatus.POSTED
    close_run_execute.delay(run.pk).get(timeout=300)  # a redelivery changes nothing
    run = CloseRun.objects.get(pk=run.pk)
    # the figures of test_close: 10 389.20 revenue, 3 200.00 expenditure, 10 000.00 swept
    assert (run.revenue_total, run.expenditure_total, run.sweep_total) == (
        D("10389.20"),
        D("3200.00"),
        D("10000.00"),
    )
    assert run.entry_count == 7
    per_key = JournalEntry.objects.filter(source_type="funds.closerun").values("idempotency_key")
    assert per_key.count() == 7
    assert not per_key.annotate(n=Count("id")).filter(n__gt=1).exists()


def test_a_reconciliation_killed_mid_run_resumes_and_matches_once(celery_worker, staff, world):
    """Two accounts, two chunks: the county's income account (transfer HJ-1 10 000.00,
    on the statement) and the province's special account (nothing in the ledger, a
    statement line of 5.00 interest: a break)."""
    county = world["employer_county"]
    province = staff["province_accountant"].region
    income = ledger.fund_account_for(region=county, kind=AccountKind.INCOME)
    special = ledger.fund_account_for(region=province, kind=AccountKind.SPECIAL)
    tax, _key = keys.api_client_create(
        actor=staff["admin"], name="税务W", kind="tax", region=province,
        scopes=[revenue.TAX_TRANSFER_SCOPE],
    )  # fmt: skip
    bank, _key = keys.api_client_create(
        actor=staff["admin"], name="银行W", kind="bank", region=province,
        scopes=[reconciliation.STATEMENT_SCOPE], bank_name="中国工商银行",
    )  # fmt: skip
    revenue.tax_transfer_record(
        client=tax, transfer_number="HJ-W1", transferred_on=date(2026, 10, 9),
        account_code=income.code, amount=D("10000.00"), receipt_numbers=["R-W1"],
    )  # fmt: skip
    for number, account, lines, closing in [
        ("S-1", income, [StatementLineIn(1, date(2026, 10, 9), D("10000.00"), "HJ-W1")],
         "10000.00"),
        ("S-2", special, [StatementLineIn(1, date(2026, 10, 31), D("5.00"), "", "利息")],
         "5.00"),
    ]:  # fmt: skip
        reconciliation.statement_record(
            client=bank, statement_number=number, account_code=account.code, period=202610,
            opening_balance=D("0.00"), closing_balance=D(closing), lines=lines,
        )  # fmt: skip
    run = reconciliation.reconciliation_run_create(
        actor=staff["province_accountant"], period=202610
    )
    _crash("funds.reconciliation", "reconciliation_run_execute", run.pk)
    run.refresh_from_db()
    assert run.status == ReconciliationStatus.RUNNING
    assert len(run.parameters["chunks"]) == 2 and len(run.parameters["chunks_done"]) == 1
    result = reconciliation_run_execute.delay(run.pk).get(timeout=300)
    assert result["status"] == ReconciliationStatus.CALCULATED
    reconciliation_run_execute.delay(run.pk).get(timeout=300)
    run = ReconciliationRun.objects.get(pk=run.pk)
    assert (run.account_count, run.matched_count, run.break_count) == (2, 1, 1)
    assert run.matched_total == D("10000.00")
    assert run.breaks.get().bank_amount == D("5.00")
