"""The change log: written with every change, append-only in the database, verifiable."""

from contextlib import contextmanager

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pension import changelog
from pension.context import acting
from pension.models import ChangeAction, ChangeLogEntry, PolicyParameter, Region

pytestmark = pytest.mark.django_db


def _entries(n, actor=None):
    region = Region.objects.get(code="140105")
    return [
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=region,
            before={"name": f"n{i}"},
            after={"name": f"n{i + 1}"},
            reason=f"step {i}",
        )
        for i in range(n)
    ]


def test_an_entry_records_who_for_which_agency_from_where_and_why(demo_tiny, staff):
    with acting(request_id="req-123", client_address="10.1.2.3"):
        (entry,) = _entries(1, actor=staff["caseworker"])
    entry.refresh_from_db()
    assert entry.actor == staff["caseworker"]
    assert entry.actor_username == "caseworker"
    assert entry.agency == staff["caseworker"].agency
    assert (entry.request_id, entry.client_address) == ("req-123", "10.1.2.3")
    assert (entry.object_type, entry.object_id) == ("pension.region", "140105")
    assert entry.before == {"name": "n0"} and entry.after == {"name": "n1"}
    assert entry.reason == "step 0"


def test_entries_are_chained(demo_tiny):
    first, second, third = _entries(3)
    assert first.prev_hash == changelog.GENESIS or first.prev_hash  # may follow earlier rows
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert changelog.verify_chain().ok


APPEND_ONLY_REFUSALS = [
    "UPDATE pension_changelogentry SET reason = 'edited'",
    "DELETE FROM pension_changelogentry",
    "TRUNCATE pension_changelogentry",
]


def _plain_entries(n: int) -> list:
    return [
        changelog.record(
            actor=None,
            action=ChangeAction.UPDATE,
            object_type="test.thing",
            object_id=i,
            after={"n": i},
            reason=f"step {i}",
        )
        for i in range(n)
    ]


@contextmanager
def owner_connection():
    """A connection of the tables' owner role (pension/dbroles.py): an attacker with
    the owner's credentials. It sees only committed rows, hence transactional tests."""
    from django.conf import settings

    owner = settings.DATABASE_OWNER or settings.DATABASE_APP
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"], user=owner["USER"], password=owner.get("PASSWORD") or None,
        host=owner.get("HOST") or db["HOST"] or None, port=owner.get("PORT") or db["PORT"] or None,
    )  # fmt: skip
    conn.autocommit = True
    try:
        yield conn.cursor()
    finally:
        conn.close()


def owner_sql(sql: str, params=None) -> None:
    """Switch the change log's triggers off, run ``sql``, switch them on, as the owner."""
    with owner_connection() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("ALTER TABLE pension_changelogentry DISABLE TRIGGER USER")
        cursor.execute(sql, params or [])
        cursor.execute("ALTER TABLE pension_changelogentry ENABLE TRIGGER USER")
        cursor.execute("COMMIT")


@pytest.mark.parametrize("sql", APPEND_ONLY_REFUSALS)
def test_the_application_role_may_not_update_delete_or_truncate(sql):
    _plain_entries(2)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the inserts' FK checks
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute(sql)
    assert ChangeLogEntry.objects.filter(reason="edited").count() == 0
    assert ChangeLogEntry.objects.count() >= 2


def test_the_application_role_owns_no_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT current_user")
        from django.conf import settings

        assert cursor.fetchone()[0] == settings.DATABASE_APP_USER


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sql", APPEND_ONLY_REFUSALS)
def test_even_the_owner_is_refused_while_the_triggers_are_on(sql):
    _plain_entries(2)
    with owner_connection() as cursor, pytest.raises(psycopg2.Error, match="append-only"):
        cursor.execute(sql)
    assert ChangeLogEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_tampering_with_the_trigger_disabled_is_found_by_verify():
    entries = _plain_entries(4)
    victim = entries[2]
    # what the owner could do: switch the trigger off and edit a row
    owner_sql(
        'UPDATE pension_changelogentry SET after = \'{"name": "forged"}\' WHERE id = %s',
        [victim.pk],
    )
    report = changelog.verify_chain()
    assert (report.ok, report.first_bad_id) == (False, victim.pk)
    with pytest.raises(CommandError, match=f"entry {victim.pk} does not verify"):
        call_command("verify_change_log")


@pytest.mark.django_db(transaction=True)
def test_deleting_a_row_with_the_trigger_disabled_breaks_the_chain_at_the_next():
    entries = _plain_entries(3)
    owner_sql("DELETE FROM pension_changelogentry WHERE id = %s", [entries[1].pk])
    assert changelog.verify_chain().first_bad_id == entries[2].pk


def test_a_policy_revision_is_logged_with_before_and_after(demo_tiny, staff):
    from pension.services import policy_parameter_revise

    parameter = PolicyParameter.objects.get(key="contribution.payment_due_day", profile="shanxi")
    revised = policy_parameter_revise(
        actor=staff["admin"], parameter=parameter, value=20, notes="due day moved"
    )
    entry = ChangeLogEntry.objects.get(
        object_type="pension.policyparameter", object_id=str(revised.pk)
    )
    assert entry.before["value"] == 15 and entry.after["value"] == 20
    assert entry.after["version"] == 2 and entry.reason == "due day moved"


def test_admin_edits_are_logged(client, demo_tiny, staff):
    client.force_login(staff["admin"])
    region = Region.objects.get(code="140105")
    response = client.post(
        f"/admin/pension/region/{region.pk}/change/",
        {
            "code": "140105",
            "name": "小店区（改）",
            "level": "county",
            "parent": "140100",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ChangeLogEntry.objects.filter(object_type="pension.region", object_id="140105").latest(
        "id"
    )
    assert entry.actor == staff["admin"]
    assert entry.before["name"] == "小店区" and entry.after["name"] == "小店区（改）"
    assert entry.reason == "admin"


# --- the anchor: tampering done as the owner role, as an attacker with DB access ---


@pytest.fixture
def anchored(transactional_db, settings, tmp_path):
    """Three entries, then an anchor in a file of the test's own."""
    from pension import anchor

    settings.CHANGE_LOG_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    _plain_entries(3)
    record = anchor.anchor_write()
    assert anchor.verify_anchor().ok
    return record


def test_the_anchor_finds_the_newest_rows_deleted(anchored):
    from pension import anchor

    owner_sql("DELETE FROM pension_changelogentry WHERE id > %s", [anchored["last_id"] - 2])
    assert changelog.verify_chain().ok  # the chain alone cannot tell
    report = anchor.verify_anchor()
    assert not report.ok and "missing" in report.problem


def test_the_anchor_finds_the_table_emptied(anchored):
    from pension import anchor

    owner_sql("DELETE FROM pension_changelogentry")
    assert changelog.verify_chain().ok and changelog.verify_chain().checked == 0
    assert not anchor.verify_anchor().ok


def test_the_anchor_finds_rows_rewritten_and_rehashed(anchored):
    from pension import anchor

    rows = list(ChangeLogEntry.objects.order_by("id").values())
    victim = rows[-2]
    owner_sql(
        "UPDATE pension_changelogentry SET after = %s WHERE id = %s",
        ['{"n": 999}', victim["id"]],
    )
    # rehash from the victim on, as a careful attacker would
    previous = rows[-3]["row_hash"]
    for values in ChangeLogEntry.objects.filter(id__gte=victim["id"]).order_by("id").values():
        values["prev_hash"] = previous
        new_hash = changelog.entry_hash(values)
        owner_sql(
            "UPDATE pension_changelogentry SET prev_hash = %s, row_hash = %s WHERE id = %s",
            [previous, new_hash, values["id"]],
        )
        previous = new_hash
    assert changelog.verify_chain().ok  # the chain verifies again
    report = anchor.verify_anchor()
    assert not report.ok and "another hash" in report.problem


def test_an_altered_anchor_is_refused(anchored, settings):
    import json

    from pension import anchor

    forged = {**anchored, "count": anchored["count"] - 1}
    assert "signature" in anchor.verify_anchor(forged).problem
    line = json.loads(settings.CHANGE_LOG_ANCHOR_FILE.read_text().splitlines()[-1])
    assert line == anchored


def test_verify_change_log_command_fails_on_a_tampered_table(anchored):
    owner_sql("DELETE FROM pension_changelogentry")
    with pytest.raises(CommandError, match="latest anchor"):
        call_command("verify_change_log")


def test_a_system_written_reason_shows_in_chinese_and_a_persons_reason_as_written(client, staff):
    """Issue 15: reasons the system writes are msgids (gettext_noop where produced) and
    show translated; a reason a person typed shows as typed."""
    from django.conf import settings
    from django.utils.translation import gettext_noop

    from pension import changelog

    auditor = staff["auditor"]
    system = changelog.record(
        actor=None,
        action="update",
        object_type="pension.staffuser",
        object_id=auditor.pk,
        object_repr="卫稽核",
        reason=gettext_noop("key rotated"),
    )
    typed = changelog.record(
        actor=staff["admin"],
        action="update",
        object_type="pension.staffuser",
        object_id=auditor.pk,
        object_repr="卫稽核",
        reason="按稽核要求调整",
    )
    client.force_login(auditor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/audit/change-log/{system.pk}/").content.decode()
    assert "密钥已轮换" in page and "key rotated" not in page
    page = client.get(f"/audit/change-log/{typed.pk}/").content.decode()
    assert "按稽核要求调整" in page
