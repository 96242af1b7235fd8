"""The spending plans' ledger entry became a foreign key to the journal entry
(funds/migrations/0005): back to the text column the id is copied as text; forward
again, a text naming an entry becomes the key, one naming none is left empty."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from funds import plans
from funds.models import Disbursement
from funds.tests.test_plans import MONTH, _approve, _chain_to_finance, county_payroll  # noqa: F401
from pension import dbroles

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("funds", "0004_spending_plans")]


def _migrate(target=None) -> None:
    """To ``target``, or (None) back to every app's latest migration."""
    with dbroles.as_owner():
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(target or executor.loader.graph.leaf_nodes())


def _text_column() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ledger_entry FROM funds_disbursement ORDER BY id")
        return cursor.fetchall()


def test_the_entry_id_survives_both_ways(staff, county_payroll):  # noqa: F811
    _county, city, province = _chain_to_finance(staff)
    plans.plan_finance_decide(
        plan=province, approve=True, reference="晋财社〔2026〕90号", actor=staff["finance"]
    )
    paid = plans.disbursement_request(actor=staff["province_accountant"], plan=city)
    _approve(paid.approval_id, staff["province_reviewer"])
    entry_id = Disbursement.objects.get(pk=paid.pk).ledger_entry_id
    assert entry_id is not None

    _migrate(BEFORE)
    try:
        assert _text_column() == [(paid.pk, str(entry_id))]
        with connection.cursor() as cursor:  # a text that names no entry
            cursor.execute(
                "INSERT INTO funds_disbursement (plan_id, from_region_id, region_id, agency_id,"
                " amount, status, due_on, paid_on, requested_by_id, approval_id, ledger_entry,"
                " created_at) SELECT %s, from_region_id, region_id, agency_id, 1, 'paid',"
                " due_on, paid_on, requested_by_id, NULL, 'not-an-id', now()"
                " FROM funds_disbursement WHERE id = %s RETURNING id",
                [_county.pk, paid.pk],
            )
            stray = cursor.fetchone()[0]
    finally:
        _migrate()
    rows = dict(Disbursement.objects.values_list("pk", "ledger_entry_id"))
    assert rows == {paid.pk: entry_id, stray: None}
    assert Disbursement.objects.get(pk=paid.pk).ledger_entry.item == "disbursement"
