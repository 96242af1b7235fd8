"""Database guarantees of the internal-control tables.

- pension_changelogentry: append-only. UPDATE, DELETE and TRUNCATE are refused by
  triggers, for every role including a superuser connection through Django.
  (A role that may disable triggers can still alter rows; verify_change_log's hash
  chain detects that.)
- pension_attachment: never deleted; of its columns only superseded_by may change.
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION pension_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- TRUNCATE only where the session says so explicitly: the test settings put
-- pension.allow_truncate=on on their connections so that test flushes work.
CREATE FUNCTION pension_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pension.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'table % is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER changelog_no_update BEFORE UPDATE OR DELETE ON pension_changelogentry
    FOR EACH ROW EXECUTE FUNCTION pension_refuse_change();
CREATE TRIGGER changelog_no_truncate BEFORE TRUNCATE ON pension_changelogentry
    FOR EACH STATEMENT EXECUTE FUNCTION pension_refuse_truncate();

CREATE FUNCTION pension_attachment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'attachments are never deleted, only superseded'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'superseded_by_id') IS DISTINCT FROM (to_jsonb(OLD) - 'superseded_by_id') THEN
        RAISE EXCEPTION 'an attachment cannot be edited, only superseded'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER attachment_guard BEFORE UPDATE OR DELETE ON pension_attachment
    FOR EACH ROW EXECUTE FUNCTION pension_attachment_guard();
CREATE TRIGGER attachment_no_truncate BEFORE TRUNCATE ON pension_attachment
    FOR EACH STATEMENT EXECUTE FUNCTION pension_refuse_truncate();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS attachment_no_truncate ON pension_attachment;
DROP TRIGGER IF EXISTS attachment_guard ON pension_attachment;
DROP FUNCTION IF EXISTS pension_attachment_guard();
DROP TRIGGER IF EXISTS changelog_no_truncate ON pension_changelogentry;
DROP TRIGGER IF EXISTS changelog_no_update ON pension_changelogentry;
DROP FUNCTION IF EXISTS pension_refuse_change();
DROP FUNCTION IF EXISTS pension_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("pension", "0002_internal_control")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
