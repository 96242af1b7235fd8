"""Spending plans' ledger entries become foreign keys to the journal entry (they were the
entry's id as text): finance transfers, disbursements and historical surplus sweeps.
The id is copied into the new key where it names an entry; a text that names none is
left behind (reported by the count of such rows, which is none in every database the
chain wrote)."""

import django.db.models.deletion
from django.db import migrations, models

TABLES = {
    "financetransfer": "funds_financetransfer",
    "disbursement": "funds_disbursement",
    "surplussweep": "funds_surplussweep",
}


def _copy(table: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        sql=f"""
            UPDATE {table} t SET ledger_entry_ref_id = e.id
              FROM funds_journalentry e
             WHERE t.ledger_entry ~ '^[0-9]+$' AND e.id = t.ledger_entry::bigint
        """,
        reverse_sql=f"""
            UPDATE {table} SET ledger_entry = coalesce(ledger_entry_ref_id::text, '')
        """,
    )


def _operations():
    for model, table in TABLES.items():
        yield migrations.AddField(
            model_name=model,
            name="ledger_entry_ref",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="funds.journalentry", verbose_name="Ledger entry",
            ),  # fmt: skip
        )
        yield _copy(table)
        yield migrations.RemoveField(model_name=model, name="ledger_entry")
        yield migrations.RenameField(
            model_name=model, old_name="ledger_entry_ref", new_name="ledger_entry"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0004_spending_plans"),
    ]

    operations = list(_operations())
