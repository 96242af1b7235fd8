"""The ledger is append-only (DESIGN §5.3, STYLE point 7): UPDATE and DELETE of an
account entry are refused for every role, TRUNCATE unless the session says so (the
test settings do, for flushes). The functions are the kernel's (pension 0003)."""

from django.db import migrations

SQL = r"""
CREATE TRIGGER accountentry_no_update BEFORE UPDATE OR DELETE ON accounts_accountentry
    FOR EACH ROW EXECUTE FUNCTION pension_refuse_change();
CREATE TRIGGER accountentry_no_truncate BEFORE TRUNCATE ON accounts_accountentry
    FOR EACH STATEMENT EXECUTE FUNCTION pension_refuse_truncate();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS accountentry_no_truncate ON accounts_accountentry;
DROP TRIGGER IF EXISTS accountentry_no_update ON accounts_accountentry;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("pension", "0003_append_only_triggers")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
