"""Receipt numbers are unique whatever their case and surrounding spaces (issue 14).

Before this, ``fza-1`` after ``FZA-1`` was a second payment. The existing rows are
made to fit the new rule, nothing deleted: where receipt numbers differ only in case
or spaces, the earliest payment keeps the number and each later one gets
``#DUP<id>`` appended (the money was counted twice: docs/operations.md says how to
find and review them); then every number is stored trimmed and upper-case, and the
unique index is on ``upper(btrim(receipt_number))``.
"""

import django.db.models.functions.text
from django.db import migrations, models

MARK_DUPLICATES = """
UPDATE contributions_taxpayment AS later
SET receipt_number =
    left(upper(btrim(later.receipt_number)), 64 - length('#DUP' || later.id))
    || '#DUP' || later.id
WHERE EXISTS (
    SELECT 1 FROM contributions_taxpayment AS earlier
    WHERE upper(btrim(earlier.receipt_number)) = upper(btrim(later.receipt_number))
      AND earlier.id < later.id
)
"""
NORMALISE = """
UPDATE contributions_taxpayment
SET receipt_number = upper(btrim(receipt_number))
WHERE receipt_number <> upper(btrim(receipt_number))
"""


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0005_assessmentrun_batch_engine"),
    ]

    operations = [
        migrations.RunSQL(MARK_DUPLICATES, migrations.RunSQL.noop),
        migrations.RunSQL(NORMALISE, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="taxpayment",
            name="receipt_number",
            field=models.CharField(max_length=64, verbose_name="Receipt number"),
        ),
        migrations.AddConstraint(
            model_name="taxpayment",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Trim("receipt_number")
                ),
                name="taxpayment_receipt_unique",
            ),
        ),
    ]
